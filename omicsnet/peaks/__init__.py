"""Peak-quality CNNs on feature tables (NeatMS): MZmine/XCMS peaks → high/low quality/noise."""

from omicsnet.families import FamilySpec

SPEC = FamilySpec(
    models=("omicsnet.peaks.model",),
    commands="omicsnet.peaks.cli",
    command_groups={"lcms": "raw LC-MS data: conversion, models, studies"},
)
