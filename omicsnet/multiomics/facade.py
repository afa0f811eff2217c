"""``MultiOmicsModel(mdata, targets=...)``: the fusion models with a scvi-tools-like façade.

Examples
--------
>>> import numpy as np, pandas as pd, anndata, mudata
>>> rng = np.random.default_rng(0)
>>> ids = [f"s{i}" for i in range(60)]
>>> group = np.repeat([0, 1], 30)
>>> rna = anndata.AnnData(rng.normal(size=(60, 6)) + group[:, None],
...                       obs=pd.DataFrame(index=ids))
>>> prot = anndata.AnnData(rng.normal(size=(60, 4)), obs=pd.DataFrame(index=ids))
>>> mdata = mudata.MuData({"rna": rna, "prot": prot})
>>> mdata.obs["subtype"] = np.where(group == 1, "B", "A")
>>> model = MultiOmicsModel(mdata, targets="subtype", latent_dim=4)
>>> _ = model.train(max_epochs=30)
>>> model.get_latent_representation().shape          # 2 omics x latent_dim 4
(60, 8)
>>> float((model.predict() == mdata.obs["subtype"]).mean()) > 0.8
True
"""

from __future__ import annotations

from typing import Any, ClassVar

from omicsnet.errors import ConfigError
from omicsnet.train.facade import OmicsFacade

FUSIONS = {"early": "early_fusion", "intermediate": "intermediate_fusion"}


class MultiOmicsModel(OmicsFacade):
    """Early or intermediate fusion over a MuData's modalities (or one AnnData).

    Parameters
    ----------
    data
        A MuData (one modality per omics), an AnnData, or the path of its file.
    targets
        ``obs`` column(s) to predict: classes (subtypes) or numbers (one per column).
    fusion
        ``"intermediate"`` (one encoder per omics, joint head; default) or ``"early"``
        (concatenation, one encoder).
    modalities, layer, missing_modality
        Which modalities, which layer, and the policy for samples missing one (``"drop"``,
        ``"impute"``, ``"error"``; see :mod:`omicsnet.data.omics`).
    **model_options
        Options of the fusion model (``latent_dim``, ``encoder_hidden``, ``dropout``...).
    """

    default_model: ClassVar[str] = "intermediate_fusion"

    def __init__(
        self,
        data: Any,
        *,
        targets: str | list[str] | None = None,
        fusion: str = "intermediate",
        **options: Any,
    ) -> None:
        if fusion not in FUSIONS:
            raise ConfigError(f"fusion must be one of {', '.join(FUSIONS)}, got {fusion!r}")
        if targets is None:
            raise ConfigError("MultiOmicsModel needs targets: the obs column(s) to predict")
        super().__init__(data, targets=targets, model=FUSIONS[fusion], **options)


__all__ = ["MultiOmicsModel"]
