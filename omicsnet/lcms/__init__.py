"""Raw LC-MS DenseNet ensembles (DeepMSProfiler) and the LC-MS study tools.

RT × m/z matrices from mzML → DenseNet-121 (or small CNN) ensembles → RISE maps; batch
vs class association, m/z whitelist ablations and annotated-feature overlays.
"""

from omicsnet.families import FamilySpec

SPEC = FamilySpec(
    models=("omicsnet.models.lcms", "omicsnet.models.lcms_dual", "omicsnet.models.lcms_cnn"),
    commands="omicsnet.commands.lcms",
    command_groups={
        "lcms": "raw LC-MS data: conversion, models, studies",
        "explain": "explain a model's predictions",
    },
    demo="omicsnet.lcms_workflows:demo_lcms",
)
