"""LC-MS pseudo-images (DeepLCMS): pretrained CNNs on RT × m/z images, CAM and RISE maps."""

from omicsnet.families import FamilySpec

SPEC = FamilySpec(
    models=("omicsnet.lcms_image.model",),
    commands="omicsnet.lcms_image.cli",
    command_groups={"lcms": "raw LC-MS data: conversion, models, studies"},
    search_tasks={"lcms_image": "omicsnet.lcms_image.workflows:run_trial"},
)
