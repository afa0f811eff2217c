"""Raw LC-MS DenseNet ensembles (DeepMSProfiler) and the LC-MS study tools.

RT × m/z matrices from mzML → DenseNet-121 (or small CNN) ensembles → RISE maps; batch
vs class association, m/z whitelist ablations and annotated-feature overlays.
"""

from omicsnet.families import FamilySpec

SPEC = FamilySpec(
    models=("omicsnet.lcms.densenet", "omicsnet.lcms.dual", "omicsnet.lcms.cnn"),
    commands="omicsnet.lcms.cli",
    command_groups={"lcms": "raw LC-MS data: conversion, models, studies"},
    demo="omicsnet.lcms.demo:demo_lcms",
)
