"""SHAP attributions of chosen outputs, and the direct/correlated/uncorrelated transcript groups.

Cranney & Meyer (2024) explain their transcript → protein network with SHAP and sort the
transcripts behind each protein into three groups: the protein's **direct** transcript
(its own mRNA), transcripts **correlated** with the protein in the training data, and
all other (**uncorrelated**) transcripts. This module does both for any torch model with
flat inputs and outputs:

* :func:`shap_values` — SHAP values (``shap.GradientExplainer``, expected gradients, or
  ``shap.DeepExplainer``, DeepLIFT) for chosen outputs. Memory stays bounded on wide
  models (thousands of proteins × tens of thousands of transcripts): the explainer only
  ever sees a chunk of ``output_chunk`` outputs (the model is wrapped so that it returns
  just those columns) and ``sample_chunk`` samples at a time, the background is a seeded
  subsample of at most ``max_background`` rows, and with ``keep_values=False`` only the
  running mean |SHAP| per output and input is kept.
* :func:`spearman_to_outputs` and :func:`categorise_transcripts` — the Spearman
  correlation of every transcript with each chosen protein over the **training** samples
  (pairwise complete: a protein's missing values drop those samples), and the three
  groups with the correlation threshold as a parameter.
* :func:`attribution_table`, :func:`category_summary` — mean |SHAP| joined with the
  groups, and per protein and group: how many transcripts, their mean |SHAP| and their
  share of the total.
* :func:`plot_shap_vs_spearman` — kernel density plots of |SHAP| against Spearman (the
  paper's view): a 2-D density of all transcripts with the direct ones marked, and a
  1-D density of |SHAP| per group.

Examples
--------
>>> import numpy as np, pandas as pd, torch
>>> rng = np.random.default_rng(0)
>>> rna = pd.DataFrame(rng.normal(size=(40, 3)), columns=["A", "B", "C"])
>>> protein = pd.DataFrame({"A": rna["A"] + 0.1 * rng.normal(size=40)})
>>> model = torch.nn.Linear(3, 1)
>>> with torch.no_grad():
...     _ = model.weight.copy_(torch.tensor([[2.0, 0.0, 0.0]]))
>>> result = shap_values(model, rna.to_numpy()[:5], rna.to_numpy(), method="deep",
...                      input_features=list(rna.columns), output_names=["A"])
>>> groups = categorise_transcripts(rna, protein, threshold=0.5)
>>> table = attribution_table(result, groups)
>>> table.sort_values("mean_abs_shap", ascending=False)["category"].iloc[0]
'direct'
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from omicsnet.errors import ConfigError, DataError

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    import torch
    from matplotlib.figure import Figure

logger = logging.getLogger(__name__)

METHODS = ("gradient", "deep")
CATEGORIES = ("direct", "correlated", "uncorrelated")
DEFAULT_THRESHOLD = 0.3
SHAP_FORMAT = "omicsnet.shap"
SHAP_FORMAT_VERSION = 1
CATEGORY_COLOURS = {"direct": "#d62728", "correlated": "#1f77b4", "uncorrelated": "#7f7f7f"}


# ---------------------------------------------------------------------------- result
@dataclass
class ShapResult:
    """SHAP values of chosen outputs.

    Attributes
    ----------
    mean_abs : ndarray
        ``(n_outputs, n_features)``: mean |SHAP| of each input for each output over the
        explained samples.
    outputs : list of str
        Names of the explained outputs (proteins).
    features : list of str
        Names of the inputs (transcripts).
    samples : list of str
        Names of the explained samples.
    method : str
        ``"gradient"`` or ``"deep"``.
    values : ndarray or None
        ``(n_outputs, n_samples, n_features)`` float32 SHAP values, or ``None`` when they
        were not kept (``keep_values=False``).
    expected_value : ndarray or None
        The model's mean output over the background, per output (DeepExplainer only).
    params : dict
        The settings used (background size, chunks, samples per point, seed).
    """

    mean_abs: np.ndarray
    outputs: list[str]
    features: list[str]
    samples: list[str]
    method: str
    values: np.ndarray | None = None
    expected_value: np.ndarray | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        """Long table: ``output``, ``feature``, ``mean_abs_shap`` and ``rank`` (1 = largest).

        Examples
        --------
        >>> r = ShapResult(np.array([[0.1, 0.5]]), ["P"], ["a", "b"], ["s"], "gradient")
        >>> r.table()[["feature", "rank"]].values.tolist()
        [['a', 2], ['b', 1]]
        """
        n_out, n_feat = self.mean_abs.shape
        frame = pd.DataFrame(
            {
                "output": np.repeat(np.asarray(self.outputs, dtype=object), n_feat),
                "feature": np.tile(np.asarray(self.features, dtype=object), n_out),
                "mean_abs_shap": self.mean_abs.reshape(-1),
            }
        )
        frame["rank"] = (
            frame.groupby("output", sort=False)["mean_abs_shap"]
            .rank(ascending=False, method="first")
            .astype(int)
        )
        return frame

    def top(self, k: int = 10) -> pd.DataFrame:
        """The ``k`` inputs with the largest mean |SHAP| for each output."""
        table = self.table()
        return table[table["rank"] <= k].sort_values(["output", "rank"]).reset_index(drop=True)

    def save(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write the result as one ``.npz`` (no pickled objects), atomically.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> r = ShapResult(np.ones((1, 2)), ["P"], ["a", "b"], ["s"], "deep")
        >>> path = r.save(pathlib.Path(tempfile.mkdtemp()) / "shap.npz")
        >>> ShapResult.load(path).features
        ['a', 'b']
        """
        import io
        import json

        from omicsnet.utils.io import atomic_write_bytes

        arrays: dict[str, np.ndarray] = {
            "mean_abs": np.asarray(self.mean_abs, dtype=np.float32),
            "outputs": np.asarray(self.outputs, dtype=str),
            "features": np.asarray(self.features, dtype=str),
            "samples": np.asarray(self.samples, dtype=str),
        }
        if self.values is not None:
            arrays["values"] = np.asarray(self.values, dtype=np.float32)
        if self.expected_value is not None:
            arrays["expected_value"] = np.asarray(self.expected_value, dtype=np.float32)
        meta = {
            "format": SHAP_FORMAT,
            "format_version": SHAP_FORMAT_VERSION,
            "method": self.method,
            "params": self.params,
        }
        arrays["meta"] = np.asarray(json.dumps(meta))
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        return atomic_write_bytes(Path(path), buffer.getvalue(), overwrite=overwrite)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ShapResult:
        """Read a result written by :meth:`save` (``allow_pickle=False``)."""
        import json

        path = Path(path)
        if not path.is_file():
            from omicsnet.errors import DataNotFoundError

            raise DataNotFoundError(f"SHAP result {path} does not exist")
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                arrays = {key: data[key] for key in data.files}
        except (ValueError, KeyError, OSError) as err:
            raise DataError(f"{path} is not a SHAP result written by omicsnet: {err}") from err
        if meta.get("format") != SHAP_FORMAT:
            raise DataError(f"{path} is not a SHAP result (format {meta.get('format')!r})")
        return cls(
            mean_abs=arrays["mean_abs"],
            outputs=[str(v) for v in arrays["outputs"]],
            features=[str(v) for v in arrays["features"]],
            samples=[str(v) for v in arrays["samples"]],
            method=str(meta["method"]),
            values=arrays.get("values"),
            expected_value=arrays.get("expected_value"),
            params=dict(meta.get("params", {})),
        )


# ---------------------------------------------------------------------------- SHAP values
def shap_values(
    model: torch.nn.Module,
    x: Any,
    background: Any,
    *,
    outputs: Sequence[int | str] | None = None,
    method: str = "gradient",
    input_features: Sequence[str] | None = None,
    output_names: Sequence[str] | None = None,
    max_background: int = 100,
    output_chunk: int = 8,
    sample_chunk: int = 64,
    nsamples: int = 200,
    keep_values: bool = True,
    check_additivity: bool = False,
    device: torch.device | str | None = None,
    seed: int = 0,
    progress: bool = False,
) -> ShapResult:
    """SHAP values of chosen outputs of a model with flat inputs, with bounded memory.

    Parameters
    ----------
    model
        A torch module mapping ``(n, n_features)`` to ``(n, n_outputs)`` (any zoo model, e.g.
        ``residual_mlp``). It is evaluated in eval mode (dropout off), which is restored
        afterwards.
    x
        Samples to explain: array, tensor or DataFrame ``(n_samples, n_features)``; a
        DataFrame gives the sample and feature names.
    background
        Reference samples (usually training samples), same columns; at most
        ``max_background`` rows of it are used (a seeded subsample).
    outputs
        Output indices or names to explain; default all (wide models: choose a few).
    method
        ``"gradient"`` (``shap.GradientExplainer``, expected gradients; works for any
        differentiable model) or ``"deep"`` (``shap.DeepExplainer``, DeepLIFT; needs
        activations as ``nn.Module`` layers).
    input_features, output_names
        Names of the inputs and outputs; default: the DataFrame columns, else the
        model's ``input_features``/``output_features``, else ``input_i``/``output_j``.
    max_background
        Largest background used.
    output_chunk
        Outputs explained per explainer call.
    sample_chunk
        Samples explained per explainer call.
    nsamples
        Background samples per explained sample (``"gradient"`` only).
    keep_values
        Keep the full ``(n_outputs, n_samples, n_features)`` values; ``False`` keeps only
        the mean |SHAP| (memory ``n_outputs × n_features``).
    check_additivity
        Let DeepExplainer check that the values add up to the output differences.
    device
        Where the model runs; default: where its parameters are.
    seed
        Seed of the background subsample and of the expected-gradient draws.
    progress
        Show a progress bar over the chunks.

    Returns
    -------
    ShapResult

    Raises
    ------
    ConfigError
        Unknown method, bad chunk sizes, unknown output names.
    DataError
        Inputs whose width does not match the model, or empty inputs.

    Examples
    --------
    >>> import numpy as np, torch
    >>> model = torch.nn.Linear(4, 3)
    >>> x = np.random.default_rng(0).normal(size=(6, 4)).astype("float32")
    >>> r = shap_values(model, x[:2], x, outputs=[2], method="deep")
    >>> r.mean_abs.shape, r.values.shape
    ((1, 4), (1, 2, 4))
    """
    import torch

    from omicsnet.models.inference import eval_mode, model_device

    if method not in METHODS:
        raise ConfigError(f"SHAP method must be one of {METHODS}, not {method!r}")
    for name, value in (
        ("max_background", max_background),
        ("output_chunk", output_chunk),
        ("sample_chunk", sample_chunk),
        ("nsamples", nsamples),
    ):
        if not isinstance(value, int) or value < 1:
            raise ConfigError(f"{name} must be a positive integer, got {value!r}")

    x_array, sample_names, x_columns = _as_matrix(x, "x")
    bg_array, _, bg_columns = _as_matrix(background, "background")
    if bg_array.shape[1] != x_array.shape[1]:
        raise DataError(f"background has {bg_array.shape[1]} columns but x has {x_array.shape[1]}")
    if x_columns is not None and bg_columns is not None and list(x_columns) != list(bg_columns):
        raise DataError("background and x have different column names (or orders)")
    n_inputs = getattr(model, "n_inputs", None)
    if n_inputs is not None and n_inputs != x_array.shape[1]:
        raise DataError(f"x has {x_array.shape[1]} columns but the model takes {n_inputs} inputs")
    features = _names(input_features, x_columns, model, "input_features", x_array.shape[1], "input")

    rng = np.random.default_rng(seed)
    if len(bg_array) > max_background:
        keep = np.sort(rng.choice(len(bg_array), size=max_background, replace=False))
        bg_array = bg_array[keep]

    target = model_device(model, device)
    bg_tensor = torch.as_tensor(bg_array, dtype=torch.float32, device=target)
    with torch.no_grad(), eval_mode(model, no_grad=False):
        n_model_outputs = int(model(bg_tensor[:1]).shape[1])
    all_output_names = _names(
        output_names, None, model, "output_features", n_model_outputs, "output"
    )
    output_index = _resolve_outputs(outputs, all_output_names)
    chosen_names = [all_output_names[i] for i in output_index]

    n_out, n_samples, n_feat = len(output_index), len(x_array), x_array.shape[1]
    sums = np.zeros((n_out, n_feat), dtype=np.float64)
    values = np.zeros((n_out, n_samples, n_feat), dtype=np.float32) if keep_values else None
    expected = np.zeros(n_out, dtype=np.float32) if method == "deep" else None

    out_chunks = [
        (start, output_index[start : start + output_chunk])
        for start in range(0, n_out, output_chunk)
    ]
    sample_starts = list(range(0, n_samples, sample_chunk))
    bar = _progress(len(out_chunks) * len(sample_starts), progress)
    with eval_mode(model, no_grad=False), _numpy_seed(seed):
        for start, chunk in out_chunks:
            selected = _SelectOutputs(model, chunk)
            explainer = _make_explainer(method, selected, bg_tensor)
            if expected is not None:
                expected[start : start + len(chunk)] = np.asarray(explainer.expected_value)
            for s in sample_starts:
                batch = torch.as_tensor(
                    x_array[s : s + sample_chunk], dtype=torch.float32, device=target
                )
                if method == "gradient":
                    raw = explainer.shap_values(batch, nsamples=nsamples)
                else:
                    raw = explainer.shap_values(batch, check_additivity=check_additivity)
                chunk_values = np.moveaxis(np.asarray(raw, dtype=np.float32), -1, 0)
                sums[start : start + len(chunk)] += np.abs(chunk_values).sum(axis=1)
                if values is not None:
                    values[start : start + len(chunk), s : s + len(batch)] = chunk_values
                bar.update(1)
    bar.close()
    return ShapResult(
        mean_abs=(sums / n_samples).astype(np.float32),
        outputs=chosen_names,
        features=features,
        samples=sample_names,
        method=method,
        values=values,
        expected_value=expected,
        params={
            "n_background": len(bg_array),
            "output_chunk": output_chunk,
            "sample_chunk": sample_chunk,
            "nsamples": nsamples if method == "gradient" else None,
            "seed": seed,
        },
    )


def _make_explainer(method: str, model: Any, background: Any) -> Any:
    import warnings

    with warnings.catch_warnings():  # shap's colour maps use soon-deprecated matplotlib calls
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        import shap

    if method == "gradient":
        return shap.GradientExplainer(model, background)
    return shap.DeepExplainer(model, background)


def _select_outputs_module() -> type:
    import torch
    from torch import nn

    class SelectOutputs(nn.Module):
        """The wrapped model, returning only the chosen output columns."""

        def __init__(self, model: nn.Module, index: Sequence[int]) -> None:
            super().__init__()
            self.model = model
            self.register_buffer("index", torch.as_tensor(list(index), dtype=torch.long))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.model(x).index_select(1, self.index.to(x.device))

    return SelectOutputs


def _SelectOutputs(model: Any, index: Sequence[int]) -> Any:  # noqa: N802 - acts as a class
    module = _select_outputs_module()(model, index)
    device = next((p.device for p in model.parameters()), None)
    return module.to(device) if device is not None else module


class _numpy_seed:  # noqa: N801 - used as a context manager
    """Seed NumPy's global generator (shap draws from it) and restore it afterwards."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.state: Any = None

    def __enter__(self) -> None:
        self.state = np.random.get_state()
        np.random.seed(self.seed % (2**32))

    def __exit__(self, *exc: object) -> None:
        np.random.set_state(self.state)


def _progress(total: int, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="SHAP", unit="chunk", disable=not enabled or total <= 1)


def _as_matrix(data: Any, what: str) -> tuple[np.ndarray, list[str], list[str] | None]:
    columns = None
    if isinstance(data, pd.DataFrame):
        names = [str(i) for i in data.index]
        columns = [str(c) for c in data.columns]
        array = data.to_numpy(dtype=np.float32)
    else:
        if hasattr(data, "detach"):
            data = data.detach().cpu().numpy()
        array = np.asarray(data, dtype=np.float32)
        names = [f"sample_{i}" for i in range(len(array))] if array.ndim == 2 else []
    if array.ndim != 2:
        raise DataError(f"{what} must be a 2-D (samples x features) table, got shape {array.shape}")
    if len(array) == 0:
        raise DataError(f"{what} has no samples")
    if not np.isfinite(array).all():
        bad = int((~np.isfinite(array)).sum())
        raise DataError(f"{what} holds {bad} missing or infinite values; impute them first")
    return array, names, columns


def _names(
    given: Sequence[str] | None,
    columns: list[str] | None,
    model: Any,
    attribute: str,
    n: int,
    kind: str,
) -> list[str]:
    if given is not None:
        names = [str(v) for v in given]
    elif columns is not None:
        names = columns
    else:
        names = list(getattr(model, attribute, None) or [])
        if len(names) != n:
            names = [f"{kind}_{i}" for i in range(n)]
    if len(names) != n:
        raise ConfigError(f"{len(names)} {kind} names given for {n} {kind}s")
    return names


def _resolve_outputs(outputs: Sequence[int | str] | None, names: list[str]) -> list[int]:
    if outputs is None:
        return list(range(len(names)))
    if isinstance(outputs, (str, int)):
        outputs = [outputs]
    lookup = {name: i for i, name in enumerate(names)}
    index = []
    for item in outputs:
        if isinstance(item, (int, np.integer)) and not isinstance(item, bool):
            if not 0 <= int(item) < len(names):
                raise ConfigError(f"output index {item} is outside 0..{len(names) - 1}")
            index.append(int(item))
        elif str(item) in lookup:
            index.append(lookup[str(item)])
        else:
            raise ConfigError(f"output {item!r} is not an output of the model")
    if not index:
        raise ConfigError("no outputs chosen to explain")
    return index


# ---------------------------------------------------------------------------- categories
def spearman_to_outputs(
    transcripts: pd.DataFrame, proteins: pd.DataFrame, *, min_samples: int = 5
) -> pd.DataFrame:
    """Spearman correlation of every transcript with each protein, over shared samples.

    Pass **training** samples only, so that the groups know nothing of the test set.
    A protein's missing values drop those samples for that protein (pairwise complete);
    a protein with fewer than ``min_samples`` values, or a constant column, gets NaN.

    Parameters
    ----------
    transcripts
        Samples × transcripts (no missing values).
    proteins
        Samples × proteins (NaN allowed); rows are matched to ``transcripts`` by index.
    min_samples
        Fewest non-missing samples for a correlation.

    Returns
    -------
    DataFrame
        Proteins × transcripts.

    Examples
    --------
    >>> rna = pd.DataFrame({"A": [1, 2, 3, 4, 5.0], "B": [5, 3, 4, 1, 2.0]})
    >>> prot = pd.DataFrame({"A": [1, 4, 9, 16, 25.0]})
    >>> spearman_to_outputs(rna, prot).round(2).values.tolist()
    [[1.0, -0.8]]
    """
    from scipy.stats import rankdata

    shared = transcripts.index.intersection(proteins.index)
    if len(shared) == 0:
        raise DataError("transcripts and proteins share no sample IDs (index)")
    rna = transcripts.loc[shared]
    if rna.isna().to_numpy().any():
        raise DataError("transcript table holds missing values; impute or drop them first")
    prot = proteins.loc[shared]
    rna_values = rna.to_numpy(dtype=np.float64)
    full_ranks = _standardised(rankdata(rna_values, axis=0))
    out = np.full((prot.shape[1], rna.shape[1]), np.nan)
    for j, name in enumerate(prot.columns):
        column = prot[name].to_numpy(dtype=np.float64)
        present = np.isfinite(column)
        if present.sum() < min_samples:
            logger.warning("protein %s has %d values; no Spearman", name, int(present.sum()))
            continue
        ranks = (
            full_ranks if present.all() else _standardised(rankdata(rna_values[present], axis=0))
        )
        target = _standardised(rankdata(column[present])[:, None])[:, 0]
        out[j] = target @ ranks / present.sum()
    with np.errstate(invalid="ignore"):
        out = np.clip(out, -1.0, 1.0)
    return pd.DataFrame(out, index=prot.columns.astype(str), columns=rna.columns.astype(str))


def _standardised(values: np.ndarray) -> np.ndarray:
    centred = values - values.mean(axis=0)
    scale = np.sqrt((centred**2).mean(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(scale > 1e-12, centred / np.where(scale > 1e-12, scale, 1.0), np.nan)


def categorise_transcripts(
    transcripts: pd.DataFrame,
    proteins: pd.DataFrame,
    *,
    own_mrna: Mapping[str, str] | pd.Series | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    min_samples: int = 5,
) -> pd.DataFrame:
    """Sort the transcripts behind each protein into direct, correlated and uncorrelated.

    * **direct** — the protein's own mRNA (``own_mrna[protein]``; default: the transcript
      column with the protein's name);
    * **correlated** — any other transcript with ``|Spearman| >= threshold`` with the
      protein over the given (training) samples;
    * **uncorrelated** — the rest (including transcripts whose correlation is undefined).

    Parameters
    ----------
    transcripts
        Training samples × transcripts.
    proteins
        Training samples × the proteins to categorise for (NaN allowed).
    own_mrna
        Protein → transcript column of its own mRNA (e.g. ``T2PData.own_mrna``); proteins
        missing from it (or mapped to a missing column) have no direct transcript.
    threshold
        The |Spearman| from which a transcript counts as correlated (0 < threshold <= 1).
    min_samples
        Passed to :func:`spearman_to_outputs`.

    Returns
    -------
    DataFrame
        One row per (protein, transcript): ``protein``, ``transcript``, ``spearman``,
        ``category``.

    Examples
    --------
    >>> rna = pd.DataFrame({"A": [1, 2, 3, 4, 5.0], "B": [5, 3, 4, 1, 2.0], "C": [1, 3, 2, 2, 1.0]})
    >>> prot = pd.DataFrame({"A": [1, 4, 9, 16, 25.0]})
    >>> categorise_transcripts(rna, prot, threshold=0.7)["category"].tolist()
    ['direct', 'correlated', 'uncorrelated']
    """
    if not isinstance(threshold, (int, float)) or not 0.0 < float(threshold) <= 1.0:
        raise ConfigError(f"threshold must be in (0, 1], got {threshold!r}")
    rho = spearman_to_outputs(transcripts, proteins, min_samples=min_samples)
    own = dict(own_mrna.items()) if own_mrna is not None else {}
    columns = set(rho.columns)
    n_feat = rho.shape[1]
    frames = []
    for protein, row in rho.iterrows():
        values = row.to_numpy()
        category = np.where(np.abs(values) >= threshold, "correlated", "uncorrelated").astype(
            object
        )
        direct = own.get(protein, protein) if own_mrna is not None else protein
        if isinstance(direct, str) and direct in columns:
            category[rho.columns.get_loc(direct)] = "direct"
        elif own_mrna is not None and protein in own:
            logger.warning("own mRNA %r of protein %s is not a transcript column", direct, protein)
        frames.append(
            pd.DataFrame(
                {
                    "protein": np.repeat(str(protein), n_feat),
                    "transcript": rho.columns.to_numpy(dtype=object),
                    "spearman": values,
                    "category": category,
                }
            )
        )
    table = pd.concat(frames, ignore_index=True)
    table["category"] = pd.Categorical(table["category"], categories=list(CATEGORIES))
    return table


def attribution_table(result: ShapResult, categories: pd.DataFrame) -> pd.DataFrame:
    """Mean |SHAP| of each (protein, transcript) joined with its Spearman and group.

    Parameters
    ----------
    result
        From :func:`shap_values`; its outputs are proteins and its features transcripts.
    categories
        From :func:`categorise_transcripts`, covering the result's proteins.

    Returns
    -------
    DataFrame
        ``protein``, ``transcript``, ``mean_abs_shap``, ``rank``, ``spearman``,
        ``category``.

    Raises
    ------
    DataError
        When a protein of the result has no categories, or transcripts do not match.
    """
    shap_table = result.table().rename(columns={"output": "protein", "feature": "transcript"})
    missing = sorted(set(shap_table["protein"]) - set(categories["protein"]))
    if missing:
        raise DataError(f"no transcript categories for protein(s) {missing[:5]}")
    merged = shap_table.merge(
        categories[["protein", "transcript", "spearman", "category"]],
        on=["protein", "transcript"],
        how="left",
    )
    if merged["category"].isna().any():
        absent = merged.loc[merged["category"].isna(), "transcript"].unique()[:5].tolist()
        raise DataError(
            f"{int(merged['category'].isna().sum())} SHAP features have no category "
            f"(e.g. {absent}): categorise with the model's input transcripts"
        )
    return merged


def category_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per protein and group: transcripts, mean and total |SHAP|, share of the total.

    Parameters
    ----------
    table
        From :func:`attribution_table`.

    Returns
    -------
    DataFrame
        ``protein``, ``category``, ``n_transcripts``, ``mean_abs_shap``,
        ``share_of_total`` (sums to 1 per protein), ``mean_ratio_to_uncorrelated``.

    Examples
    --------
    >>> t = pd.DataFrame({"protein": ["P"] * 3, "transcript": list("abc"),
    ...                   "mean_abs_shap": [3.0, 1.0, 1.0],
    ...                   "category": ["direct", "correlated", "uncorrelated"]})
    >>> category_summary(t)["share_of_total"].round(1).tolist()
    [0.6, 0.2, 0.2]
    """
    grouped = (
        table.groupby(["protein", "category"], observed=False)["mean_abs_shap"]
        .agg(n_transcripts="count", mean_abs_shap="mean", total="sum")
        .reset_index()
    )
    totals = grouped.groupby("protein")["total"].transform("sum")
    grouped["share_of_total"] = grouped["total"] / totals.where(totals > 0)
    uncorrelated = grouped[grouped["category"] == "uncorrelated"].set_index("protein")[
        "mean_abs_shap"
    ]
    base = grouped["protein"].map(uncorrelated)
    grouped["mean_ratio_to_uncorrelated"] = grouped["mean_abs_shap"] / base.where(base > 0)
    order = {name: i for i, name in enumerate(CATEGORIES)}
    grouped["_order"] = grouped["category"].astype(str).map(order)
    return (
        grouped.sort_values(["protein", "_order"])
        .drop(columns=["total", "_order"])
        .reset_index(drop=True)
    )


# ---------------------------------------------------------------------------- plots
def plot_shap_vs_spearman(
    table: pd.DataFrame,
    *,
    threshold: float | None = None,
    max_points: int = 5000,
    seed: int = 0,
) -> Figure:
    """Kernel density plots of |SHAP| against Spearman, by transcript group.

    Left: the 2-D density of all (Spearman, log10 mean |SHAP|) pairs as filled contours,
    the direct transcripts as points and the threshold as dashed lines. Right: the 1-D
    density of log10 mean |SHAP| in each group (a group with fewer than two distinct
    values is drawn as ticks).

    Parameters
    ----------
    table
        From :func:`attribution_table` (one or several proteins).
    threshold
        Draw ``±threshold`` on the Spearman axis.
    max_points
        Largest number of points the 2-D density is fitted on (seeded subsample).
    seed
        Seed of that subsample.

    Returns
    -------
    matplotlib.figure.Figure
        Save it with :func:`omicsnet.explain.save_figure`.
    """
    from omicsnet.utils.plotting import style

    needed = {"spearman", "mean_abs_shap", "category"}
    if not needed <= set(table.columns):
        raise DataError(f"table needs the columns {sorted(needed)} (see attribution_table)")
    data = table[np.isfinite(table["spearman"]) & (table["mean_abs_shap"] > 0)]
    if len(data) < 3:
        raise DataError("fewer than 3 transcripts with a Spearman value and |SHAP| > 0 to plot")
    with style():
        return _draw_shap_vs_spearman(data, threshold, max_points, seed)


def _draw_shap_vs_spearman(
    data: pd.DataFrame, threshold: float | None, max_points: int, seed: int
) -> Figure:
    from matplotlib.figure import Figure
    from scipy.stats import gaussian_kde

    from omicsnet.utils.plotting import colorbar

    log_shap = np.log10(data["mean_abs_shap"].to_numpy(dtype=float))
    rho = data["spearman"].to_numpy(dtype=float)
    fig = Figure(figsize=(10, 4.2), layout="constrained")
    ax_2d, ax_1d = fig.subplots(1, 2)

    rng = np.random.default_rng(seed)
    pick = rng.choice(len(rho), size=min(max_points, len(rho)), replace=False)
    points = np.vstack([rho[pick], log_shap[pick]])
    if np.linalg.matrix_rank(np.cov(points)) == 2:
        kde = gaussian_kde(points)
        gx, gy = np.mgrid[
            rho.min() : rho.max() : 100j,
            log_shap.min() : log_shap.max() : 100j,
        ]
        density = kde(np.vstack([gx.ravel(), gy.ravel()])).reshape(gx.shape)
        filled = ax_2d.contourf(gx, gy, density, levels=12, cmap="Greys")
        colorbar(filled, ax_2d, "density of transcripts (KDE)", pad=0.01)
    else:
        ax_2d.scatter(rho, log_shap, s=4, color="grey")
    categories = data["category"].astype(str).to_numpy()
    for name in ("correlated", "direct"):
        mask = categories == name
        if mask.any() and (name == "direct" or mask.sum() <= 200):
            ax_2d.scatter(
                rho[mask],
                log_shap[mask],
                s=14 if name == "direct" else 4,
                color=CATEGORY_COLOURS[name],
                label=name,
                zorder=3,
            )
    if threshold is not None:
        for value in (-threshold, threshold):
            ax_2d.axvline(value, color="black", linestyle="--", linewidth=0.8)
    ax_2d.set_xlabel("Spearman r (transcript vs protein, training samples)")
    ax_2d.set_ylabel(SHAP_AXIS)
    ax_2d.set_title("|SHAP| vs Spearman (density)")
    if (categories == "direct").any():
        ax_2d.legend(loc="upper left", fontsize=8)

    grid = np.linspace(log_shap.min() - 0.5, log_shap.max() + 0.5, 200)
    for name in CATEGORIES:
        values = log_shap[categories == name]
        if len(values) == 0:
            continue
        label = f"{name} (n={len(values)})"
        if len(np.unique(values)) >= 2:
            ax_1d.plot(grid, gaussian_kde(values)(grid), color=CATEGORY_COLOURS[name], label=label)
        else:
            for v in values:
                ax_1d.axvline(v, color=CATEGORY_COLOURS[name], label=label)
                label = None
    ax_1d.set_xlabel(SHAP_AXIS)
    ax_1d.set_ylabel("density (per log10 unit)")
    ax_1d.set_title("|SHAP| by transcript group")
    ax_1d.legend(fontsize=8)
    return fig


#: Axis title of mean |SHAP|: SHAP values are in the units of the model's output.
SHAP_AXIS = "mean |SHAP| (log10, model-output units)"


def memory_estimate(
    n_outputs: int, n_samples: int, n_features: int, *, keep_values: bool = True
) -> int:
    """Bytes of the arrays :func:`shap_values` keeps (values and mean |SHAP|).

    Examples
    --------
    >>> memory_estimate(10, 100, 25_000) // 2**20
    96
    """
    per = n_outputs * n_features * 4
    return per * (n_samples + 1) if keep_values else per


__all__ = [
    "CATEGORIES",
    "DEFAULT_THRESHOLD",
    "METHODS",
    "ShapResult",
    "attribution_table",
    "categorise_transcripts",
    "category_summary",
    "memory_estimate",
    "plot_shap_vs_spearman",
    "shap_values",
    "spearman_to_outputs",
]
