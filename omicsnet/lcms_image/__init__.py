"""LC-MS pseudo-images (DeepLCMS): pretrained CNNs on RT × m/z images, CAM and RISE maps."""

from omicsnet.families import FamilySpec

SPEC = FamilySpec(
    models=("omicsnet.models.lcms_image",),
    commands="omicsnet.commands.lcms_images",
    command_groups={"lcms": "raw LC-MS data: conversion, models, studies"},
)
