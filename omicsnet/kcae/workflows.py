"""DeepMetabolism workflows: pretrain -> fine-tune -> predict with ``kcae`` models.

The glue between a knowledge graph (:mod:`omicsnet.knowledge.phenotype_graph`), a
transcriptome compendium (:mod:`omicsnet.kcae.compendium`), the ``kcae`` model
(:mod:`omicsnet.kcae.model`) and the shared :class:`~omicsnet.train.Trainer`. Used by the
``omicsnet kcae`` commands, the demo and the ``kcae`` benchmark.

* :class:`KcaeReconstructionPlan`: unsupervised pretraining (the autoencoder's
  reconstruction of the genes, MSE);
* :class:`PhenotypePlan`: supervised fine-tuning on measured phenotypes (a subset of the
  phenotype nodes), with the MSE or DeepMetabolism's relative error as the loss;
* :func:`prepare_expression`: gene mapping + [-1, 1] scaling fitted on training samples;
* :func:`pretrain`, :func:`finetune`, :func:`predict_phenotypes`;
* :func:`save_kcae` / :func:`load_kcae`: the model plus its scaler and targets;
* :func:`phenotype_metrics`: pooled PCC, median within-study PCC and % within 20 %;
* plots live in :mod:`omicsnet.kcae.plots`, the demo step in :mod:`omicsnet.kcae.demo`.

Examples
--------
>>> import numpy as np
>>> from types import SimpleNamespace
>>> from omicsnet.kcae.compendium import synthetic_compendium
>>> from omicsnet.kcae.model import kcae_from_graph
>>> genes = [f"b{i}" for i in range(6)]
>>> graph = SimpleNamespace(genes=genes, proteins=["P0", "P1", "P2"],
...     phenotypes=["growth", "EX_ac_e"], checksum="demo",
...     gene_protein_edges=np.array([[0, 1, 2, 3, 4, 5], [0, 0, 1, 1, 2, 2]]),
...     protein_phenotype_edges=np.array([[0, 1, 1, 2], [0, 0, 1, 1]]))
>>> comp = synthetic_compendium(genes, n_samples=40, n_studies=4, seed=0)
>>> x, scaler, match = prepare_expression(comp.expression, genes)
>>> model = kcae_from_graph(graph, strategy="C")
>>> _ = pretrain(model, x, epochs=2, progress=False)
>>> y = comp.phenotypes.rename(columns={"growth_rate": "growth"})
>>> _ = finetune(model, x, y, epochs=2, progress=False)
>>> predict_phenotypes(model, x).shape
(40, 2)
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import Tensor
from torch.nn import functional as F

from omicsnet.data.datasets import ArrayDataset
from omicsnet.errors import CheckpointError, ConfigError, DataError
from omicsnet.kcae.compendium import GeneMatch, RangeScaler, map_genes
from omicsnet.models.inference import eval_mode, model_device, predict
from omicsnet.train.defaults import make_trainer
from omicsnet.train.metrics import pearson_r, row_pearson
from omicsnet.train.plans import ReconstructionPlan, RegressionPlan
from omicsnet.utils.output import check_output_dir

logger = logging.getLogger(__name__)

LOSSES = ("mse", "relative")
#: Measured-phenotype column names that mean "the growth rate", i.e. the biomass node.
GROWTH_ALIASES = ("growth_rate", "growth", "Growth Rate (1/hr)", "mu")
METADATA_KEY = "kcae"


# ---------------------------------------------------------------------- plans
class KcaeReconstructionPlan(ReconstructionPlan):
    """Pretraining: reconstruct the genes through the phenotype bottleneck (MSE).

    Examples
    --------
    >>> import torch
    >>> from omicsnet.models import create_model
    >>> model, plan = create_model("kcae"), KcaeReconstructionPlan()
    >>> loss, out = plan.step(model, {"x": torch.rand(3, 8)})
    >>> out.shape
    torch.Size([3, 8])
    """

    name = "kcae_reconstruction"

    def forward(self, model: Any, batch: dict[str, Tensor]) -> Tensor:
        return _unwrap(model).reconstruct(batch[self.input_key])


class PhenotypePlan(RegressionPlan):
    """Fine-tuning on measured phenotypes: the chosen phenotype nodes against targets.

    Parameters
    ----------
    indices
        Phenotype-layer columns the target columns correspond to (in target order).
    loss
        ``"mse"`` or ``"relative"``: DeepMetabolism's relative error,
        ``mean(|pred - y| / (|y| + eps))``.
    eps
        Keeps the relative error finite for targets at 0 (growth rates of 0 exist).

    Examples
    --------
    >>> import torch
    >>> plan = PhenotypePlan([0], loss="relative", eps=0.0)
    >>> loss = plan.compute_loss(torch.tensor([[1.1], [1.8]]), torch.tensor([[1.0], [2.0]]))
    >>> round(float(loss), 6)   # mean(0.1 / 1, 0.2 / 2)
    0.1
    """

    name = "kcae_phenotype"

    def __init__(self, indices: Sequence[int], loss: str = "mse", eps: float = 0.05) -> None:
        if loss not in LOSSES:
            raise ConfigError(f"unknown fine-tuning loss {loss!r}; choose one of {LOSSES}")
        if not indices:
            raise ConfigError("PhenotypePlan needs at least one phenotype index")
        self.indices = [int(i) for i in indices]
        self.loss = loss
        self.eps = float(eps)
        self._index: Tensor | None = None

    def forward(self, model: Any, batch: dict[str, Tensor]) -> Tensor:
        outputs = model(batch[self.input_key])
        if self._index is None or self._index.device != outputs.device:
            self._index = torch.as_tensor(self.indices, device=outputs.device)
        return outputs.index_select(1, self._index)

    def compute_loss(self, outputs: Tensor, target: Tensor) -> Tensor:
        target = target.to(outputs.dtype).view_as(outputs)
        if self.loss == "mse":
            return F.mse_loss(outputs, target)
        return ((outputs - target).abs() / (target.abs() + self.eps)).mean()

    def metrics(self, outputs: Tensor, target: Tensor) -> dict[str, float]:
        out = super().metrics(outputs, target)
        y = target.double().reshape(outputs.shape)
        p = outputs.double()
        relative = (p - y).abs() / y.abs().clamp_min(1e-12)
        out["relative_error"] = float(((p - y).abs() / (y.abs() + self.eps)).mean())
        out["within_20pct"] = float((relative <= 0.2).double().mean())
        return out


def _unwrap(model: Any) -> Any:
    return getattr(model, "module", model)


# ---------------------------------------------------------------------- data
def prepare_expression(
    expression: pd.DataFrame,
    genes: Sequence[str],
    *,
    scaler: RangeScaler | None = None,
    fit_on: Sequence[str] | None = None,
    method: str = "maxabs",
    id_map: Mapping[str, str] | None = None,
    min_fraction: float = 0.5,
) -> tuple[pd.DataFrame, RangeScaler, GeneMatch]:
    """Map a samples x genes frame to the model's genes and scale it to [-1, 1].

    Parameters
    ----------
    expression
        Samples x genes (e.g. from :func:`~omicsnet.kcae.compendium.read_compendium`).
    genes
        The model's genes (``model.input_features`` or ``graph.genes``).
    scaler
        A fitted scaler (e.g. the pretraining one, from :func:`load_kcae`); ``None`` fits a
        new one.
    fit_on
        Sample IDs to fit the new scaler on (the training samples); default all samples.
        Pass the training split here so that no statistic of held-out samples is used.
    method, id_map, min_fraction
        See :class:`~omicsnet.kcae.compendium.RangeScaler` and
        :func:`~omicsnet.kcae.compendium.map_genes`.

    Returns
    -------
    (scaled samples x genes frame, scaler, gene-match report)
    """
    mapped, match = map_genes(expression, genes, id_map=id_map, min_fraction=min_fraction)
    if scaler is None:
        fit_frame = mapped if fit_on is None else mapped.loc[list(fit_on)]
        scaler = RangeScaler(method).fit(fit_frame)
    return scaler.transform(mapped).astype(np.float32), scaler, match


def resolve_targets(
    model: Any, columns: Sequence[str], mapping: Mapping[str, str] | None = None
) -> list[int]:
    """Phenotype-layer indices of measured columns.

    A column maps to the phenotype node named in ``mapping``, else to the node of the same
    name; growth-rate columns (``growth_rate``, ``growth``, ``mu``, PRECISE's
    ``Growth Rate (1/hr)``) map to the first phenotype node, which is the biomass reaction
    in phenotype graphs.

    Examples
    --------
    >>> from omicsnet.models import create_model
    >>> m = create_model("kcae", output_features=["BIOMASS", "EX_ac_e"])
    >>> resolve_targets(m, ["growth_rate", "EX_ac_e"])
    [0, 1]
    """
    names = []
    outputs = set(model.output_features)
    for column in columns:
        if mapping and column in mapping:
            names.append(mapping[column])
        elif column in outputs:
            names.append(column)
        elif column in GROWTH_ALIASES:
            names.append(model.output_features[0])
        else:
            raise DataError(
                f"measured column {column!r} is not a phenotype node of the model; map it with "
                f"--target {column}=REACTION_ID (phenotypes start {model.output_features[:4]})"
            )
    return model.phenotype_indices(names)


# ---------------------------------------------------------------------- training
def _trainer(
    epochs: int,
    batch_size: int,
    lr: float,
    weight_decay: float,
    seed: int,
    progress: bool,
    **kwargs: Any,
) -> Any:
    options = {
        "max_epochs": epochs,
        "batch_size": batch_size,
        "lr": lr,
        "weight_decay": weight_decay,
        "seed": seed,
        "progress": progress,
    }
    return make_trainer(None, {**options, **kwargs})


def pretrain(
    model: Any,
    expression: pd.DataFrame,
    *,
    val_expression: pd.DataFrame | None = None,
    epochs: int = 100,
    batch_size: int = 32,
    lr: float = 1e-3,
    weight_decay: float = 0.0,
    seed: int = 0,
    progress: bool = True,
    **trainer_options: Any,
) -> Any:
    """Unsupervised pretraining: the autoencoder reconstructs the (scaled) compendium.

    Parameters
    ----------
    model
        A ``kcae`` model.
    expression
        Samples x the model's genes, scaled (see :func:`prepare_expression`).
    val_expression
        Optional held-out samples for validation (and the best epoch).
    epochs, batch_size, lr, weight_decay, seed, progress, **trainer_options
        Passed to :class:`~omicsnet.train.Trainer`.

    Returns
    -------
    TrainResult
        The trainer's result (history with ``train_loss``/``val_loss``/``val_pearson``).
    """
    _check_columns(model, expression)
    model.set_trainable("all")
    data = ArrayDataset(expression)
    val = (
        ArrayDataset(_check_columns(model, val_expression)) if val_expression is not None else None
    )
    trainer = _trainer(epochs, batch_size, lr, weight_decay, seed, progress, **trainer_options)
    return trainer.fit(model, data, val, plan=KcaeReconstructionPlan())


def finetune(
    model: Any,
    expression: pd.DataFrame,
    phenotypes: pd.DataFrame,
    *,
    targets: Mapping[str, str] | None = None,
    layers: Sequence[str] | str = "all",
    loss: str = "mse",
    calibrate: bool = True,
    val: tuple[pd.DataFrame, pd.DataFrame] | None = None,
    epochs: int = 100,
    batch_size: int = 16,
    lr: float = 1e-3,
    weight_decay: float = 0.0,
    seed: int = 0,
    progress: bool = True,
    **trainer_options: Any,
) -> Any:
    """Supervised fine-tuning on measured phenotypes.

    Parameters
    ----------
    model
        A ``kcae`` model (pretrained for strategies A and C).
    expression
        Samples x the model's genes, scaled.
    phenotypes
        Samples x measured phenotypes (columns mapped by :func:`resolve_targets`);
        samples with a missing value are dropped.
    targets
        Optional column -> phenotype-node map.
    layers
        Which layer groups train: ``"all"``, ``"encoder"``, or names from
        :data:`omicsnet.kcae.model.LAYER_GROUPS` (the others are frozen).
    loss
        ``"mse"`` or ``"relative"`` (DeepMetabolism's relative error).
    calibrate
        Before training, fit each target phenotype's readout (``scale * activation +
        shift``) by least squares on the training samples (:func:`calibrate_readout`), so
        that training starts in the measured units instead of the bottleneck's arbitrary
        scale after pretraining.
    val
        Optional ``(expression, phenotypes)`` for validation.
    epochs, batch_size, lr, weight_decay, seed, progress, **trainer_options
        Passed to :class:`~omicsnet.train.Trainer`.

    Returns
    -------
    TrainResult
    """
    _check_columns(model, expression)
    indices = resolve_targets(model, list(phenotypes.columns), targets)
    x, y = _labelled(expression, phenotypes)
    if calibrate:
        calibrate_readout(model, x, y, indices)
    model.set_trainable(layers)
    plan = PhenotypePlan(indices, loss=loss)
    val_data = None
    if val is not None:
        vx, vy = _labelled(_check_columns(model, val[0]), val[1][phenotypes.columns])
        val_data = ArrayDataset(vx, vy)
    trainer = _trainer(epochs, batch_size, lr, weight_decay, seed, progress, **trainer_options)
    try:
        return trainer.fit(model, ArrayDataset(x, y), val_data, plan=plan)
    finally:
        model.set_trainable("all")


def calibrate_readout(
    model: Any, expression: pd.DataFrame, measured: pd.DataFrame, indices: Sequence[int]
) -> dict[int, tuple[float, float]]:
    """Set each target's readout to the least-squares line from activation to measurement.

    For target column ``j`` and phenotype node ``k = indices[j]``, fits
    ``measured_j ~ a * h_k + b`` over the given (training) samples, where ``h_k`` is the
    node's activation, and sets ``readout.scale[k] = a``, ``readout.shift[k] = b``. A node
    whose activation does not vary gets ``a = 1`` and ``b`` the mean; ``|a|`` is kept at
    least 1e-3 so that gradients still reach the layers below. Returns ``{k: (a, b)}``.

    Examples
    --------
    >>> import pandas as pd, torch
    >>> from omicsnet.models import create_model
    >>> m = create_model("kcae", n_genes=2, n_proteins=1, n_phenotypes=1,
    ...                  gene_protein_edges=[[0, 1], [0, 0]], protein_phenotype_edges=[[0], [0]])
    >>> x = pd.DataFrame([[0.1, 0.2], [0.5, -0.3], [0.9, 0.4]], columns=m.input_features)
    >>> with torch.no_grad():
    ...     h = m.encode(torch.tensor(x.values, dtype=torch.float32))[1][:, 0]
    >>> y = pd.DataFrame({"output_0": (2 * h + 0.5).numpy()})
    >>> a, b = calibrate_readout(m, x, y, [0])[0]
    >>> round(a, 3), round(b, 3)
    (2.0, 0.5)
    """
    with eval_mode(model):
        values = torch.as_tensor(expression.to_numpy(np.float32))
        values = values.to(model_device(model))
        hidden = model.encode(values)[1].cpu().double().numpy()
    fitted = {}
    for j, k in enumerate(indices):
        h = hidden[:, k]
        y = measured.iloc[:, j].to_numpy(float)
        var = float(np.var(h))
        a = float(np.cov(h, y, bias=True)[0, 1] / var) if var > 1e-12 else 1.0
        if abs(a) < 1e-3:
            a = 1e-3 if a >= 0 else -1e-3
        b = float(y.mean() - a * h.mean())
        with torch.no_grad():
            model.readout.scale[k] = a
            model.readout.shift[k] = b
        fitted[int(k)] = (a, b)
    return fitted


def _labelled(
    expression: pd.DataFrame, phenotypes: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    missing = [s for s in phenotypes.index if s not in expression.index]
    if missing:
        raise DataError(
            f"{len(missing)} phenotype samples have no expression profile, e.g. {missing[:3]}"
        )
    y = phenotypes.apply(pd.to_numeric, errors="coerce").dropna()
    if len(y) == 0:
        raise DataError("no sample has a measured value for every phenotype column")
    return expression.loc[y.index], y.astype(np.float32)


def _check_columns(model: Any, expression: pd.DataFrame) -> pd.DataFrame:
    if list(expression.columns) != list(model.input_features):
        raise DataError(
            f"expression has {expression.shape[1]} columns but the model expects its "
            f"{len(model.input_features)} genes in order; map it with prepare_expression()"
        )
    return expression


def predict_phenotypes(
    model: Any, expression: pd.DataFrame, *, batch_size: int = 256
) -> pd.DataFrame:
    """Phenotype-layer predictions as a samples x phenotypes DataFrame.

    Examples
    --------
    >>> import pandas as pd
    >>> from omicsnet.models import create_model
    >>> m = create_model("kcae", input_features=[f"g{i}" for i in range(8)],
    ...                  output_features=["growth", "EX_ac_e"])
    >>> x = pd.DataFrame([[0.1] * 8], index=["s1"], columns=m.input_features)
    >>> list(predict_phenotypes(m, x).columns)
    ['growth', 'EX_ac_e']
    """
    _check_columns(model, expression)
    if len(expression) == 0:
        return pd.DataFrame(columns=model.output_features, index=expression.index, dtype=float)
    out = predict(model, expression.to_numpy(np.float32), batch_size=batch_size)
    return pd.DataFrame(out, index=expression.index, columns=model.output_features)


def reconstruction_pcc(model: Any, expression: pd.DataFrame) -> pd.Series:
    """Per-sample Pearson r between the (scaled) genes and their reconstruction.

    Examples
    --------
    >>> import pandas as pd
    >>> from omicsnet.models import create_model
    >>> m = create_model("kcae", input_features=[f"g{i}" for i in range(8)])
    >>> x = pd.DataFrame(np.linspace(-1, 1, 16).reshape(2, 8), columns=m.input_features)
    >>> reconstruction_pcc(m, x).shape
    (2,)
    """
    _check_columns(model, expression)
    rec = predict(model.reconstruct, expression.to_numpy(np.float32))
    return pd.Series(row_pearson(expression.to_numpy(), rec), index=expression.index)


# ---------------------------------------------------------------------- metrics
def phenotype_metrics(
    measured: Sequence[float] | pd.Series,
    predicted: Sequence[float] | pd.Series,
    studies: Sequence[str] | pd.Series | None = None,
) -> dict[str, float]:
    """Pooled PCC, median within-study PCC and share within 20 % of the measured value.

    Within-study PCCs are computed for studies with at least 3 samples and a non-constant
    measured value.

    Examples
    --------
    >>> m = phenotype_metrics([1.0, 2.0, 3.0, 4.0], [1.1, 2.1, 2.5, 4.2], ["a", "a", "a", "b"])
    >>> round(m["pooled_pcc"], 3), m["within_20pct"], m["n_studies_with_pcc"]
    (0.969, 1.0, 1)
    """
    y = np.asarray(measured, dtype=float)
    p = np.asarray(predicted, dtype=float)
    if y.shape != p.shape or y.ndim != 1:
        raise DataError(f"measured {y.shape} and predicted {p.shape} must be equal 1-D arrays")
    out = {
        "n": float(len(y)),
        "pooled_pcc": pearson_r(y, p),
        "within_20pct": float(np.mean(np.abs(p - y) <= 0.2 * np.abs(y))) if len(y) else np.nan,
        "mae": float(np.mean(np.abs(p - y))) if len(y) else np.nan,
    }
    if studies is not None:
        labels = np.asarray([str(s) for s in studies])
        within = []
        for study in sorted(set(labels)):
            sel = labels == study
            if sel.sum() >= 3 and np.ptp(y[sel]) > 0:
                within.append(pearson_r(y[sel], p[sel]))
        within = [r for r in within if np.isfinite(r)]
        out["median_within_study_pcc"] = float(np.median(within)) if within else np.nan
        out["n_studies_with_pcc"] = len(within)
    return out


def per_phenotype_pcc(measured: pd.DataFrame, predicted: pd.DataFrame) -> pd.Series:
    """PCC of each measured column with its prediction (columns matched by name).

    Examples
    --------
    >>> y = pd.DataFrame({"a": [1.0, 2, 3], "b": [3.0, 1, 2]})
    >>> per_phenotype_pcc(y, y * 2).tolist()
    [1.0, 1.0]
    """
    common = [c for c in measured.columns if c in predicted.columns]
    if not common:
        raise DataError("no measured column matches a predicted phenotype")
    ids = [i for i in measured.index if i in predicted.index]
    return pd.Series(
        {
            c: pearson_r(
                measured.loc[ids, c].to_numpy(float), predicted.loc[ids, c].to_numpy(float)
            )
            for c in common
        },
        name="pcc",
    )


# ---------------------------------------------------------------------- saving
def save_kcae(
    model: Any,
    path: str | os.PathLike[str],
    *,
    scaler: RangeScaler | None = None,
    stage: str = "pretrained",
    extra: Mapping[str, Any] | None = None,
    overwrite: bool = False,
) -> Path:
    """Save a ``kcae`` model with its [-1, 1] scaler and training record.

    The scaler, the stage (``pretrained``/``finetuned``) and ``extra`` go into
    ``metadata.json`` under ``"kcae"``; :func:`load_kcae` reads them back.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> from omicsnet.kcae.compendium import RangeScaler
    >>> from omicsnet.models import create_model
    >>> m = create_model("kcae")
    >>> scaler = RangeScaler().fit(pd.DataFrame(np.ones((2, 8)), columns=m.input_features))
    >>> folder = save_kcae(m, tempfile.mkdtemp() + "/kcae", scaler=scaler, stage="finetuned")
    >>> again, scaler2, record = load_kcae(folder)
    >>> record["stage"], scaler2.scale_.tolist() == scaler.scale_.tolist()
    ('finetuned', True)
    """
    from omicsnet.models.serialization import save

    record: dict[str, Any] = {"stage": stage, **dict(extra or {})}
    if scaler is not None:
        record["scaler"] = scaler.to_dict()
    return save(model, path, overwrite=overwrite, metadata={METADATA_KEY: record})


def load_kcae(
    path: str | os.PathLike[str], *, device: str = "cpu"
) -> tuple[Any, RangeScaler | None, dict[str, Any]]:
    """Load a model saved by :func:`save_kcae`: ``(model, scaler or None, record)``.

    Raises
    ------
    CheckpointError
        The folder holds another kind of model (or is not a saved model).
    """
    from omicsnet.models.serialization import load, read_model_files

    config, metadata = read_model_files(path)
    if config.get("model") != "kcae":
        raise CheckpointError(f"{path} holds a {config.get('model')!r} model, not a kcae model")
    model = load(path, device=device)
    record = dict(metadata.get(METADATA_KEY) or {})
    scaler = RangeScaler.from_dict(record["scaler"]) if "scaler" in record else None
    return model, scaler, record


# ---------------------------------------------------------------------- command-line flows
def read_id_map(path: str | os.PathLike[str] | None) -> dict[str, str] | None:
    """A two-column table (data ID, model ID) as a dict; ``None`` passes through.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "ids.csv"
    >>> _ = p.write_text("name,bnumber\\nthrA,b0002\\n")
    >>> read_id_map(p)
    {'thrA': 'b0002'}
    """
    if path is None:
        return None
    from omicsnet.data.tables import read_table

    table = read_table(path, numeric=False)
    if table.shape[1] < 1:
        raise DataError(f"{path}: an ID map needs two columns (data ID, model ID)")
    return {str(k): str(v) for k, v in table.iloc[:, 0].dropna().items()}


def _out_folder(path: str | os.PathLike[str], overwrite: bool) -> Path:
    """Check the output folder before any work (see :mod:`omicsnet.utils.output`)."""
    check_output_dir(path, overwrite=overwrite)
    return Path(path)


def run_pretrain(
    graph_source: Any,
    compendium: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    strategy: str = "C",
    tied: bool = True,
    genes_in_rows: bool = True,
    id_map: str | os.PathLike[str] | None = None,
    scaling: str = "maxabs",
    epochs: int = 100,
    batch_size: int = 32,
    lr: float = 1e-3,
    seed: int = 0,
    overwrite: bool = False,
    progress: bool = True,
) -> dict[str, Any]:
    """``omicsnet kcae pretrain``: graph + compendium file -> pretrained model folder.

    The [-1, 1] scaler is fitted on the compendium (the pretraining data) and saved with
    the model; fine-tuning and prediction reuse it. Returns a summary dict.
    """
    from omicsnet.kcae.compendium import read_compendium
    from omicsnet.kcae.model import kcae_from_graph
    from omicsnet.knowledge.phenotype_graph import load_phenotype_graph

    if strategy == "B":
        raise ConfigError("strategy B has no pretraining; run 'omicsnet kcae finetune --graph'")
    target = _out_folder(out, overwrite)
    graph = load_phenotype_graph(graph_source, progress=progress)
    frame = read_compendium(compendium, genes_in_rows=genes_in_rows)
    x, scaler, match = prepare_expression(
        frame, graph.genes, method=scaling, id_map=read_id_map(id_map)
    )
    torch.manual_seed(seed)
    model = kcae_from_graph(graph, strategy=strategy, tied=tied)
    result = pretrain(
        model, x, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, progress=progress
    )
    rec = float(reconstruction_pcc(model, x).mean())
    summary = {
        "graph": graph.name,
        "samples": len(x),
        "gene_match": match.summary(),
        "parameters": model.n_parameters(),
        "final_loss": float(result.history["train_loss"].iloc[-1]),
        "reconstruction_pcc": rec,
    }
    save_kcae(
        model,
        target,
        scaler=scaler,
        stage="pretrained",
        extra={"pretrain": summary},
        overwrite=overwrite,
    )
    return summary


def run_finetune(
    expression: str | os.PathLike[str],
    phenotypes: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    model_dir: str | os.PathLike[str] | None = None,
    graph_source: Any = None,
    strategy: str = "B",
    tied: bool = True,
    targets: Mapping[str, str] | None = None,
    layers: str = "all",
    loss: str = "mse",
    genes_in_rows: bool = True,
    id_map: str | os.PathLike[str] | None = None,
    epochs: int = 100,
    batch_size: int = 16,
    lr: float = 1e-3,
    seed: int = 0,
    overwrite: bool = False,
    progress: bool = True,
) -> dict[str, Any]:
    """``omicsnet kcae finetune``: a pretrained model (or a fresh one from a graph) is
    fine-tuned on measured phenotypes and saved. Returns a summary dict."""
    from omicsnet.data.tables import read_table
    from omicsnet.kcae.compendium import read_compendium

    if (model_dir is None) == (graph_source is None):
        raise ConfigError("give either --model (a pretrained model) or --graph (a fresh model)")
    target = _out_folder(out, overwrite)
    frame = read_compendium(expression, genes_in_rows=genes_in_rows)
    measured = read_table(phenotypes)
    if model_dir is not None:
        model, scaler, record = load_kcae(model_dir)
        stage_from = record.get("stage", "unknown")
    else:
        from omicsnet.kcae.model import kcae_from_graph
        from omicsnet.knowledge.phenotype_graph import load_phenotype_graph

        graph = load_phenotype_graph(graph_source, progress=progress)
        torch.manual_seed(seed)
        model = kcae_from_graph(graph, strategy=strategy, tied=tied)
        scaler, stage_from = None, "untrained"
    labelled = [s for s in measured.index if s in set(frame.index)]
    x, scaler, match = prepare_expression(
        frame,
        model.input_features,
        scaler=scaler,
        fit_on=labelled or None,
        id_map=read_id_map(id_map),
    )
    result = finetune(
        model,
        x,
        measured,
        targets=targets,
        layers=layers,
        loss=loss,
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        seed=seed,
        progress=progress,
    )
    indices = resolve_targets(model, list(measured.columns), targets)
    predicted = predict_phenotypes(model, x.loc[labelled])
    fitted = {
        column: phenotype_metrics(
            measured.loc[labelled, column].dropna(),
            predicted.loc[measured.loc[labelled, column].dropna().index].iloc[:, index],
        )
        for column, index in zip(measured.columns, indices, strict=True)
    }
    summary = {
        "from": stage_from,
        "samples": len(labelled),
        "gene_match": match.summary(),
        "layers": layers,
        "loss": loss,
        "final_loss": float(result.history["train_loss"].iloc[-1]),
        "training_fit": fitted,
        "targets": {
            c: model.output_features[i] for c, i in zip(measured.columns, indices, strict=True)
        },
    }
    save_kcae(
        model,
        target,
        scaler=scaler,
        stage="finetuned",
        extra={"finetune": summary},
        overwrite=overwrite,
    )
    return summary


def run_predict(
    model_dir: str | os.PathLike[str],
    expression: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    measured: str | os.PathLike[str] | None = None,
    plots: str | os.PathLike[str] | None = None,
    genes_in_rows: bool = True,
    id_map: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
) -> dict[str, Any]:
    """``omicsnet kcae predict``: phenotype predictions (CSV, one column per phenotype).

    With ``measured`` (samples x phenotypes, columns as for fine-tuning), also the PCC of
    each measured phenotype and, with ``plots``, a predicted-vs-measured scatter per
    phenotype and a per-phenotype PCC bar chart.
    """
    from omicsnet.data.tables import read_table
    from omicsnet.kcae.compendium import read_compendium
    from omicsnet.utils.io import write_csv
    from omicsnet.utils.output import check_output_file

    out_path = check_output_file(out, overwrite=overwrite)  # before any work
    if plots is not None:
        check_output_dir(plots, overwrite=overwrite)
    model, scaler, record = load_kcae(model_dir)
    frame = read_compendium(expression, genes_in_rows=genes_in_rows)
    if scaler is None:
        logger.warning(
            "%s has no saved scaler: fitting [-1, 1] scaling on these samples", model_dir
        )
    x, _, match = prepare_expression(
        frame, model.input_features, scaler=scaler, id_map=read_id_map(id_map)
    )
    predicted = predict_phenotypes(model, x)
    write_csv(predicted, out_path, index=True, overwrite=overwrite)
    summary: dict[str, Any] = {
        "samples": len(predicted),
        "phenotypes": predicted.shape[1],
        "gene_match": match.summary(),
        "out": str(out_path),
    }
    if measured is not None:
        truth = read_table(measured)
        indices = resolve_targets(
            model, list(truth.columns), (record.get("finetune") or {}).get("targets")
        )
        renamed = truth.copy()
        renamed.columns = [model.output_features[i] for i in indices]
        pcc = per_phenotype_pcc(renamed, predicted)
        summary["pcc"] = {k: float(v) for k, v in pcc.items()}
        if plots is not None:
            from omicsnet.kcae.plots import plot_phenotype_pcc, plot_predicted_vs_measured
            from omicsnet.utils.output import atomic_directory

            command = "omicsnet kcae predict"
            with atomic_directory(plots, overwrite=overwrite, command=command) as tmp:
                for original, column in zip(truth.columns, renamed.columns, strict=True):
                    values = renamed[column].dropna()
                    growth = original in GROWTH_ALIASES  # the biomass node: a growth rate
                    plot_predicted_vs_measured(
                        values.rename(column),
                        predicted[column],
                        tmp / f"predicted_vs_measured_{column}.png",
                        quantity="growth rate" if growth else column,
                        unit="1/h" if growth else None,
                    )
                plot_phenotype_pcc(pcc, tmp / "phenotype_pcc.png")
            summary["plots"] = str(plots)
    return summary
