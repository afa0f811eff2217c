"""``T2PModel(mdata)``: transcript → protein networks with a scvi-tools-like façade.

A thin layer over the family's ``residual_mlp`` and its masked-MSE training plan: the
inputs are one modality's transcripts (``rna``), the targets another modality's proteins
(``prot``; samples without protein measurements are not trained on, and single missing
values are masked out of the loss). Each protein's own transcript (same name) feeds the
residual path, as in Cranney & Meyer (2024); proteins without one get none. Inputs and
targets are standardised with the training samples' statistics, and predictions are
returned in the proteins' own units; :meth:`~omicsnet.train.facade.OmicsFacade.write`
puts them into the protein modality as the layer ``predicted`` of a new ``.h5mu`` file.

Examples
--------
>>> import numpy as np, pandas as pd, anndata, mudata
>>> rng = np.random.default_rng(0)
>>> ids = [f"s{i}" for i in range(50)]
>>> rna = anndata.AnnData(rng.normal(size=(50, 6)), obs=pd.DataFrame(index=ids),
...                       var=pd.DataFrame(index=["A", "B", "C", "D", "E", "F"]))
>>> prot = anndata.AnnData(rna.X[:, :2] * 2 + rng.normal(0, 0.1, (50, 2)),
...                        obs=pd.DataFrame(index=ids), var=pd.DataFrame(index=["A", "B"]))
>>> model = T2PModel(mudata.MuData({"rna": rna, "prot": prot}))
>>> _ = model.train(max_epochs=40)
>>> predicted = model.predict()
>>> float(np.corrcoef(predicted["A"], prot.X[:, 0])[0, 1]) > 0.9
True
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from omicsnet.errors import ConfigError, DataError
from omicsnet.train.facade import OmicsFacade


class T2PModel(OmicsFacade):
    """A ``residual_mlp`` from one MuData modality (transcripts) to another (proteins).

    Parameters
    ----------
    data
        A MuData with both modalities, or the path of its ``.h5mu`` file.
    rna, protein
        The modalities' names.
    layer
        Read this layer of the transcript modality instead of ``X``.
    residual
        Feed each protein's own transcript (same name) to the output (``True``), or not.
    **model_options
        Further ``residual_mlp`` options (``blocks``, ``linear_rank``...).
    """

    default_model: ClassVar[str] = "residual_mlp"

    def __init__(
        self,
        data: Any,
        *,
        rna: str = "rna",
        protein: str = "prot",
        layer: str | None = None,
        residual: bool = True,
        **model_options: Any,
    ) -> None:
        self.rna, self.protein, self.residual = rna, protein, bool(residual)
        container = data
        if isinstance(data, str) or hasattr(data, "__fspath__"):
            from omicsnet.data.anndata_io import read_container

            container = read_container(data)
        if not hasattr(container, "mod"):
            raise ConfigError("T2PModel reads a MuData with a transcript and a protein modality")
        for name in (rna, protein):
            if name not in container.mod:
                raise DataError(f"MuData: no modality {name!r}; modalities: {list(container.mod)}")
        self.protein_names = [str(p) for p in container.mod[protein].var_names]
        super().__init__(
            container, targets=self.protein_names, task="regression", layer=layer,
            model="residual_mlp", **model_options,
        )  # fmt: skip
        if container is not data:  # read from a file: write() must never rewrite it
            self.source = data

    # ------------------------------------------------------------------ hooks
    def _inputs(self, data: Any) -> tuple[pd.DataFrame, list[list[Any]]]:
        from omicsnet.data.anndata_io import anndata_table

        if not hasattr(data, "mod") or self.rna not in data.mod:
            raise DataError(f"expected a MuData with the modality {self.rna!r}")
        frame = anndata_table(data.mod[self.rna], layer=self.layer, where=f"MuData[{self.rna}]")
        return frame, [[self.rna, frame.shape[1]]]

    def _target_frame(self, data: Any) -> pd.DataFrame:
        from omicsnet.data.anndata_io import anndata_table

        return anndata_table(data.mod[self.protein], where=f"MuData[{self.protein}]")

    def _labelled(self, x: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        proteins = self._target_frame(self.data).reindex(x.index)
        keep = proteins.notna().any(axis=1).to_numpy()  # single gaps are masked in the loss
        return x[keep], proteins[keep]

    def _build_module(self, x: pd.DataFrame) -> Any:
        from omicsnet.models.registry import create_model, fill_data_options

        position = {name: i for i, name in enumerate(x.columns)}
        indices = [position.get(p, -1) for p in self.protein_names]
        options = fill_data_options(
            "residual_mlp", self.model_options, n_inputs=x.shape[1], n_outputs=len(indices)
        )
        options.setdefault("residual", {"enabled": self.residual, "indices": indices})
        return create_model(
            "residual_mlp",
            input_features=list(x.columns),
            output_features=self.protein_names,
            **options,
        )

    def _dataset(self, part: tuple[pd.DataFrame, pd.DataFrame | None]) -> Any:
        """Missing protein values as a mask (the plan leaves them out of the loss)."""
        from omicsnet.data.datasets import ArrayDataset

        x, y = part
        assert y is not None
        observed = y.notna().to_numpy()
        return ArrayDataset(
            {"x": x.to_numpy(np.float32), "mask": observed.astype(np.float32)},
            np.where(observed, y.to_numpy(np.float64), 0.0).astype(np.float32),
        )

    def _latent(self, x: Any) -> Any:
        """The last hidden block's output (the representation the head reads)."""
        h = x
        for block in self.module.blocks:
            h = block(h)
        return h

    def _extra_layers(self, data: Any) -> dict[str, Any]:
        return {f"{self.protein}:predicted": self.predict(data)}

    # ------------------------------------------------------------------ files
    def _settings(self) -> dict[str, Any]:
        return {
            **super()._settings(),
            "rna": self.rna,
            "protein": self.protein,
            "residual": self.residual,
            "protein_names": self.protein_names,
        }

    def _restore(self, record: Any) -> None:
        self.rna = str(record.get("rna", "rna"))
        self.protein = str(record.get("protein", "prot"))
        self.residual = bool(record.get("residual", True))
        self.protein_names = list(record.get("protein_names") or self.module.output_features)


__all__ = ["T2PModel"]
