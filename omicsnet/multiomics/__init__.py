"""Multi-omics fusion: several omics of the same samples into one classifier or regressor.

Two registered models, both taking the omics side by side as one input (columns
``OMICS:FEATURE``, see :mod:`omicsnet.data.omics`) plus the block layout:

* ``early_fusion``: the omics concatenated, one encoder, one head;
* ``intermediate_fusion``: one encoder per omics, their latent codes concatenated, then a
  joint head (as flexynesis' and MOGONET's intermediate fusion).

``omicsnet train`` trains them from a MuData file or a config listing several tables
(``data.omics``); :class:`omicsnet.multiomics.facade.MultiOmicsModel` is the
scvi-tools-like façade; :mod:`omicsnet.multiomics.workflows` compares them with the
per-omics models and classical baselines on the same folds (the ``multiomics`` benchmark).
"""

from omicsnet.families import FamilySpec
from omicsnet.utils.lazy import lazy_exports

SPEC = FamilySpec(
    models=("omicsnet.multiomics.model",),
    commands="omicsnet.multiomics.cli",
    command_groups={"multiomics": "multi-omics fusion: compare fused and single-omics models"},
)

__all__ = ["MultiOmicsModel", "compare_fusion"]

_LAZY = {
    "MultiOmicsModel": "omicsnet.multiomics.facade",
    "compare_fusion": "omicsnet.multiomics.workflows",
}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
