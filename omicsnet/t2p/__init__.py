"""Transcript → protein prediction (Cranney & Meyer 2024, rebuilt): training, baselines, evaluation.

The data side lives in :mod:`omicsnet.t2p.data` (alignment, splits, leak-free scaling) and
:mod:`omicsnet.t2p.cptac` (CPTAC tables); the model is the registered ``residual_mlp``.
"""

from omicsnet.families import FamilySpec
from omicsnet.utils.lazy import lazy_exports

SPEC = FamilySpec(
    models=("omicsnet.t2p.model",),
    commands="omicsnet.t2p.cli",
    command_groups={"t2p": "transcript -> protein prediction"},
    demo="omicsnet.t2p.demo:demo_t2p",
    search_tasks={"t2p": "omicsnet.t2p.search_task:run_trial"},
)

__all__ = [
    "MaskedRegressionPlan",
    "T2PTrainResult",
    "baseline_summary",
    "build_t2p_model",
    "fit_baselines",
    "handbuilt_config",
    "mrna_protein_correlation",
    "per_protein_metrics",
    "summarize_metrics",
    "train_t2p",
]

_LAZY = {
    "MaskedRegressionPlan": "omicsnet.t2p.plans",
    "T2PTrainResult": "omicsnet.t2p.train",
    "build_t2p_model": "omicsnet.t2p.train",
    "train_t2p": "omicsnet.t2p.train",
    "baseline_summary": "omicsnet.t2p.baselines",
    "fit_baselines": "omicsnet.t2p.baselines",
    "handbuilt_config": "omicsnet.t2p.baselines",
    "mrna_protein_correlation": "omicsnet.t2p.evaluate",
    "per_protein_metrics": "omicsnet.t2p.evaluate",
    "summarize_metrics": "omicsnet.t2p.evaluate",
}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
