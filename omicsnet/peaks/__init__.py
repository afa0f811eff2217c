"""Peak-quality CNNs on feature tables (NeatMS): MZmine/XCMS peaks → high/low quality/noise."""

from omicsnet.families import FamilySpec

SPEC = FamilySpec(
    models=("omicsnet.models.peak_cnn",),
    commands="omicsnet.commands.lcms_peaks",
    command_groups={"lcms": "raw LC-MS data: conversion, models, studies"},
)
