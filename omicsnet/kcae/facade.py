"""``KCAEModel(adata, graph)``: the knowledge-constrained autoencoder with a scvi-tools-like façade.

A thin layer over the family's own workflow (:mod:`omicsnet.kcae.workflows`): the genes
of the AnnData (``X`` or a layer) are mapped to the graph's genes and scaled to [-1, 1]
with the training samples' largest absolute values (:func:`~omicsnet.kcae.workflows.
prepare_expression`); :meth:`~KCAEModel.train` pretrains the autoencoder on every
training sample, labelled or not (strategies A and C), then fine-tunes on the ``obs``
phenotype columns (:func:`~omicsnet.kcae.workflows.pretrain`,
:func:`~omicsnet.kcae.workflows.finetune`). The latent representation is the phenotype
layer (the bottleneck); :meth:`~omicsnet.train.facade.OmicsFacade.write` adds the genes'
reconstruction as a layer.

Examples
--------
>>> import numpy as np, pandas as pd, anndata
>>> from types import SimpleNamespace
>>> graph = SimpleNamespace(genes=["b1", "b2", "b3", "b4"], proteins=["P1", "P2"],
...     phenotypes=["growth"], gene_protein_edges=np.array([[0, 1, 2, 3], [0, 0, 1, 1]]),
...     protein_phenotype_edges=np.array([[0, 1], [0, 0]]), checksum="toy")
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=(40, 4))
>>> obs = pd.DataFrame({"growth_rate": 0.5 + 0.1 * x[:, 0]}, index=[f"s{i}" for i in range(40)])
>>> adata = anndata.AnnData(x, obs=obs, var=pd.DataFrame(index=graph.genes))
>>> model = KCAEModel(adata, graph, targets="growth_rate")
>>> _ = model.train(max_epochs=5, pretrain_epochs=5)
>>> model.get_latent_representation().shape, list(model.predict().columns)
((40, 1), ['growth'])
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from omicsnet.errors import ConfigError
from omicsnet.train.facade import OmicsFacade


class KCAEModel(OmicsFacade):
    """A ``kcae`` wired by a phenotype graph, trained on an AnnData's genes and phenotypes.

    Parameters
    ----------
    data
        An AnnData (samples × genes; log fold changes as in DeepMetabolism) or its path.
    graph
        A :class:`~omicsnet.knowledge.phenotype_graph.PhenotypeGraph` (genes, proteins,
        phenotypes and their edges); not needed by :meth:`load`.
    targets
        ``obs`` columns of measured phenotypes (growth-rate columns map to the first
        phenotype node; others by name or ``target_map``).
    layer
        Read this layer instead of ``X``.
    strategy
        ``"A"`` dense, ``"B"`` sparse, ``"C"`` sparse with pretraining.
    id_map
        Data gene ID → graph gene ID (e.g. names to b-numbers).
    target_map
        ``obs`` column → phenotype node.
    **model_options
        Further ``kcae`` options (``tied``, activations...).
    """

    default_model: ClassVar[str] = "kcae"
    scale_targets: ClassVar[bool] = False  # the readout is calibrated in measured units
    trainer_defaults: ClassVar[dict[str, Any]] = {
        "max_epochs": 100,
        "batch_size": 16,
        "lr": 1e-3,
        "progress": False,
    }

    def __init__(
        self,
        data: Any,
        graph: Any = None,
        *,
        targets: str | list[str] | None = None,
        layer: str | None = None,
        strategy: str = "C",
        id_map: dict[str, str] | None = None,
        target_map: dict[str, str] | None = None,
        **model_options: Any,
    ) -> None:
        if graph is None:
            raise ConfigError("KCAEModel needs the phenotype graph that wires it (graph=...)")
        self.graph = graph
        self.genes = [str(g) for g in graph.genes]
        self.id_map = dict(id_map or {})
        self.target_map = dict(target_map or {})
        self.strategy = strategy
        super().__init__(
            data, targets=targets, task="regression", layer=layer, model="kcae", **model_options
        )

    # ------------------------------------------------------------------ hooks
    def _inputs(self, data: Any) -> tuple[pd.DataFrame, list[list[Any]]]:
        from omicsnet.data.anndata_io import anndata_table
        from omicsnet.kcae.compendium import map_genes

        if hasattr(data, "mod"):
            raise ConfigError("KCAEModel reads one AnnData of genes, not a MuData")
        mapped, _ = map_genes(anndata_table(data, layer=self.layer), self.genes, id_map=self.id_map)
        return mapped, [["genes", len(self.genes)]]

    def _build_module(self, x: pd.DataFrame) -> Any:
        from omicsnet.kcae.model import kcae_from_graph

        return kcae_from_graph(self.graph, strategy=self.strategy, **self.model_options)

    def _fit_scaler(self, x: pd.DataFrame) -> None:
        from omicsnet.kcae.compendium import RangeScaler

        self.scaler_state = {"kind": "range", **RangeScaler().fit(x).to_dict()}

    def _scale(self, x: pd.DataFrame) -> pd.DataFrame:
        from omicsnet.kcae.compendium import RangeScaler

        state = {k: v for k, v in self.scaler_state.items() if k != "kind"}
        return RangeScaler.from_dict(state).transform(x).astype(np.float32)

    def _fit(
        self,
        train: tuple[pd.DataFrame, pd.DataFrame | None],
        val: tuple[pd.DataFrame, pd.DataFrame | None] | None,
        unlabelled: pd.DataFrame,
        settings: dict[str, Any],
    ) -> Any:
        from omicsnet.kcae.workflows import finetune, pretrain

        settings = {**self.trainer_defaults, **settings}
        epochs = int(settings.pop("max_epochs"))
        pretrain_epochs = int(settings.pop("pretrain_epochs", epochs))
        common = {
            "batch_size": int(settings.pop("batch_size")),
            "lr": float(settings.pop("lr")),
            "seed": int(settings.pop("seed", 0)),
            "progress": bool(settings.pop("progress")),
            **settings,
        }
        result = None
        if self.module.needs_pretraining:
            everything = pd.concat([train[0], unlabelled])
            result = pretrain(
                self.module,
                everything,
                val_expression=val[0] if val is not None else None,
                epochs=pretrain_epochs,
                **common,
            )
            self.module = result.model
        if train[1] is None:  # no phenotypes: the autoencoder alone
            if result is None:
                raise ConfigError("strategy B has no pretraining: give targets to fine-tune on")
            return result
        return finetune(
            self.module,
            train[0],
            train[1],
            targets=self.target_map or None,
            val=val if val is not None and val[1] is not None else None,
            epochs=epochs,
            **common,
        )

    def _latent(self, x: Any) -> Any:
        return self.module.encode(x)[1]  # the phenotype layer: the autoencoder's bottleneck

    def _extra_layers(self, data: Any) -> dict[str, Any]:
        """The genes' reconstruction in the data's units, over the var the model knows."""
        from omicsnet.models.inference import predict

        x = self._scaled_inputs(data)
        reconstructed = predict(self.module.reconstruct, x.to_numpy(np.float32)).astype(float)
        center = np.asarray(self.scaler_state["center"], dtype=float)  # in gene order
        scale = np.asarray(self.scaler_state["scale"], dtype=float)
        frame = pd.DataFrame(reconstructed * scale + center, index=x.index, columns=x.columns)
        var = [str(v) for v in data.var_names]
        if self.id_map or not set(frame.columns) & set(var):
            return {}  # genes renamed or not the file's var: no layer to put it in
        return {"kcae_reconstruction": frame.reindex(columns=var)}

    # ------------------------------------------------------------------ files
    def _settings(self) -> dict[str, Any]:
        return {
            **super()._settings(),
            "genes": self.genes,
            "id_map": self.id_map,
            "target_map": self.target_map,
            "strategy": self.strategy,
        }

    def _restore(self, record: Any) -> None:
        self.genes = list(record.get("genes") or self.module.input_features)
        self.id_map = dict(record.get("id_map") or {})
        self.target_map = dict(record.get("target_map") or {})
        self.strategy = str(record.get("strategy", self.module.strategy))
        self.graph = None


__all__ = ["KCAEModel"]
