"""Transcript → protein workflows: data → split → model → evaluation → explanation.

User-facing functions that the CLI (``omicsnet t2p ...``), the search task, the benchmark
and the demo share:

* :func:`load_data` — paired data from a small spec (CPTAC cohorts, your own tables, or
  generated data from :func:`synthetic_t2p`);
* :func:`prepare_split` — one seeded split, scaled per cohort on its training samples, with
  the inputs optionally restricted by :func:`restrict_transcripts` (the most variable
  transcripts on the training samples, plus every protein's own mRNA);
* :func:`fit_config` — train a ``residual_mlp`` from a trial config (a point of the search
  space, e.g. :data:`~omicsnet.t2p.space.PAPER_BEST`, or a campaign's best);
* :func:`cross_validate` — k×2 cross-validation of baselines and networks on the same
  splits, one row per (model, split), and :func:`cv_summary` (median per-protein r,
  spread over splits, MSE);
* :func:`explain_proteins` — SHAP of chosen proteins plus the direct / correlated /
  uncorrelated transcript groups (:mod:`omicsnet.explain.shap_attribution`).

Examples
--------
>>> data = synthetic_t2p(n_samples=60, n_genes=30, n_proteins=6, seed=0)
>>> scaled = prepare_split(data, {"scheme": "standard", "seed": 0}, top_variable=10)
>>> len(scaled.transcripts)  # 10 most variable plus the own mRNAs not among them
12
>>> [scaled.transcripts[i] for i in scaled.own_index] == scaled.proteins
True
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from omicsnet.errors import ConfigError
from omicsnet.t2p.data import restrict_transcripts

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    from omicsnet.t2p.data import ScaledT2P, T2PData, T2PSplit
    from omicsnet.t2p.space import T2PTrialConfig
    from omicsnet.t2p.train import T2PTrainResult

logger = logging.getLogger(__name__)

DATA_KEYS = {
    "cohorts",
    "source",
    "release",
    "max_missing",
    "tumour_only",
    "duplicates",
    "rna",
    "protein",
    "genes_in_rows",
    "synthetic",
    "proteins",
}
SPLIT_KEYS = {"scheme", "k", "seed", "val", "test", "target_cohort", "index"}


# ---------------------------------------------------------------------------- data
def synthetic_t2p(
    n_samples: int = 200,
    n_genes: int = 300,
    n_proteins: int = 40,
    *,
    noise: float = 0.3,
    seed: int = 0,
) -> T2PData:
    """Generated paired transcript/protein data (one cohort, ``synthetic``).

    Genes follow a few latent pathways; protein ``k`` is a saturating function of its own
    mRNA (gene ``k``, same symbol) plus a pathway effect and noise (the built-in
    ``synthetic_omics`` data set), so own-mRNA models do well and context helps.

    Examples
    --------
    >>> d = synthetic_t2p(n_samples=20, n_genes=8, n_proteins=3)
    >>> d.rna.shape, d.protein.shape, d.own_mrna.tolist()
    ((20, 8), (20, 3), ['G0000', 'G0001', 'G0002'])
    """
    from omicsnet.data.builtin_datasets import synthetic_omics
    from omicsnet.t2p.data import t2p_from_tables

    generated = synthetic_omics(
        n_samples=n_samples, n_genes=n_genes, n_proteins=n_proteins, noise=noise, seed=seed
    )
    return t2p_from_tables(generated.x, generated.y, cohort="synthetic", genes_in_rows=False)


def load_data(
    spec: Mapping[str, Any] | str,
    *,
    base_dir: str | os.PathLike[str] | None = ".",
    data_dir: str | os.PathLike[str] | None = None,
) -> T2PData:
    """Load paired data from a spec (as in a campaign's ``task_options.data``).

    Parameters
    ----------
    spec
        One of

        * ``{"cohorts": "ucec", ...}`` (or just ``"ucec"``): CPTAC cohorts through
          :func:`omicsnet.t2p.data.load_t2p` (``source``, ``release``, ``max_missing``,
          ``tumour_only``, ``duplicates`` are passed on);
        * ``{"rna": FILE, "protein": FILE, "genes_in_rows": true}``: your own tables
          (paths relative to ``base_dir``, or ``data:...`` in the data directory);
        * ``{"synthetic": {...}}``: :func:`synthetic_t2p` with those arguments.

        ``proteins: N`` keeps the first ``N`` proteins (quick runs), or a list keeps those.
    base_dir
        Folder that relative table paths are resolved against (a config's folder); paths
        may not leave it. ``None`` takes the paths as given (typed on the command line).
    data_dir
        Data directory (else ``OMICSNET_DATA``).

    Raises
    ------
    ConfigError
        Unknown keys, or no source given.

    Examples
    --------
    >>> load_data({"synthetic": {"n_samples": 30, "n_genes": 10, "n_proteins": 4},
    ...            "proteins": 2}).protein.shape
    (30, 2)
    """
    from omicsnet.config import check_keys, resolve_config_path
    from omicsnet.t2p.data import load_t2p, t2p_from_tables

    if isinstance(spec, str):
        spec = {"cohorts": spec}
    if not isinstance(spec, Mapping):
        raise ConfigError(f"data must be a cohort name or a mapping, got {spec!r}")
    spec = dict(spec)
    check_keys(spec, DATA_KEYS, "data")
    sources = [k for k in ("cohorts", "rna", "synthetic") if k in spec]
    if len(sources) != 1:
        raise ConfigError(
            "data: give exactly one of 'cohorts' (CPTAC), 'rna' + 'protein' (your tables) "
            f"or 'synthetic', got {sources or 'none'}"
        )
    options = {k: spec[k] for k in ("max_missing", "duplicates") if k in spec}
    if "synthetic" in spec:
        data = synthetic_t2p(**dict(spec["synthetic"] or {}))
    elif "rna" in spec:
        if "protein" not in spec:
            raise ConfigError("data: 'rna' needs 'protein' as well")
        if base_dir is None:  # paths typed on the command line: taken as they are
            paths = [Path(str(spec[key])) for key in ("rna", "protein")]
        else:
            paths = [
                resolve_config_path(str(spec[key]), base_dir, key=f"data.{key}", data_dir=data_dir)
                for key in ("rna", "protein")
            ]
        data = t2p_from_tables(
            paths[0], paths[1], genes_in_rows=bool(spec.get("genes_in_rows", True)), **options
        )
    else:
        for key in ("source", "release", "tumour_only"):
            if key in spec:
                options[key] = spec[key]
        data = load_t2p(spec["cohorts"], data_dir=data_dir, **options)
    chosen = spec.get("proteins")
    if chosen is not None:
        names = list(data.protein.columns)
        if isinstance(chosen, int) and not isinstance(chosen, bool):
            if chosen < 1:
                raise ConfigError(f"data.proteins must be >= 1, got {chosen}")
            chosen = names[:chosen]
        data = data.subset_proteins([str(p) for p in chosen])
    return data


def get_split(data: T2PData, spec: Mapping[str, Any] | None = None) -> T2PSplit:
    """One split of ``data`` from a spec: ``scheme`` (default ``standard``), its options and
    ``index`` (which split of a k×2 scheme; default 0).

    Examples
    --------
    >>> data = synthetic_t2p(n_samples=40, n_genes=8, n_proteins=2)
    >>> get_split(data, {"scheme": "kx2", "k": 2, "index": 3}).name
    '2x2/r1/f1'
    """
    from omicsnet.config import check_keys
    from omicsnet.t2p.data import t2p_splits

    options = dict(spec or {})
    check_keys(options, SPLIT_KEYS, "split")
    index = int(options.pop("index", 0))
    options.setdefault("scheme", "standard")
    count = 0
    for i, split in enumerate(t2p_splits(data, **options)):
        if i == index:
            return split
        count = i + 1
    raise ConfigError(f"split.index {index} is beyond the {count} splits of that scheme")


def prepare_split(
    data: T2PData,
    split: Mapping[str, Any] | T2PSplit | None = None,
    *,
    top_variable: int | None = None,
) -> ScaledT2P:
    """Split (a spec for :func:`get_split`, or a split), scale per cohort on the training
    samples, and restrict the inputs (:func:`restrict_transcripts`).

    Examples
    --------
    >>> data = synthetic_t2p(n_samples=50, n_genes=12, n_proteins=3)
    >>> scaled = prepare_split(data, {"scheme": "standard", "seed": 1})
    >>> scaled.x_train.shape, float(abs(scaled.x_train.mean(0)).max()) < 1e-5
    ((40, 12), True)
    """
    from omicsnet.t2p.data import T2PSplit

    chosen = split if isinstance(split, T2PSplit) else get_split(data, split)
    return restrict_transcripts(data.scaled(chosen), top_variable)


# ---------------------------------------------------------------------------- models
def as_trial_config(config: Any) -> T2PTrialConfig:
    """A :class:`~omicsnet.t2p.space.T2PTrialConfig` from a trial config, its
    ``as_dict()`` form, or flat search parameters.

    Examples
    --------
    >>> as_trial_config({"lr": 0.01, "batch_size": 8}).batch_size
    8
    """
    from omicsnet.t2p.space import T2PTrialConfig, trial_config, trial_parameters

    if isinstance(config, T2PTrialConfig):
        return config
    if isinstance(config, Mapping) and "model" in config:
        return trial_config(trial_parameters(config))
    if isinstance(config, Mapping):
        return trial_config(config)
    raise ConfigError(f"expected a trial config or search parameters, got {type(config).__name__}")


def fit_config(
    config: Any,
    scaled: ScaledT2P,
    *,
    max_epochs: int = 200,
    early_stopping: int | None = 20,
    trainer: Mapping[str, Any] | None = None,
    seed: int = 0,
    device: str = "auto",
    progress: bool = False,
) -> T2PTrainResult:
    """Train the network a trial config describes on one scaled split.

    Parameters
    ----------
    config
        Trial config, its dict form, or flat search parameters (see :func:`as_trial_config`).
    scaled
        From :func:`prepare_split`.
    max_epochs, early_stopping, trainer, seed, device, progress
        Passed to :func:`omicsnet.t2p.train.train_t2p`; ``trainer`` extras are merged
        under the config's own ``trainer_*`` values.

    Examples
    --------
    >>> data = synthetic_t2p(n_samples=60, n_genes=12, n_proteins=3)
    >>> scaled = prepare_split(data, {"seed": 0})
    >>> result = fit_config({"lr": 0.01, "batch_size": 16, "residual": True}, scaled,
    ...                     max_epochs=5, device="cpu")
    >>> result.batch_size, sorted(result.predictions.columns)
    (16, ['G0000', 'G0001', 'G0002'])
    """
    from omicsnet.t2p.train import train_t2p

    trial = as_trial_config(config)
    options = {**dict(trainer or {}), **trial.trainer}
    epochs = int(options.pop("max_epochs", max_epochs))
    patience = options.pop("early_stopping", early_stopping)
    return train_t2p(
        trial.model,
        scaled,
        batch_size=trial.batch_size,
        lr=trial.lr,
        max_epochs=epochs,
        early_stopping=patience,
        trainer_config=options,
        residual_set=trial.residual_set,
        seed=seed,
        device=device,
        progress=progress,
    )


def predict(model: Any, x: np.ndarray, *, batch_size: int = 256) -> np.ndarray:
    """Predictions of a trained model on a scaled input array, in eval mode, no gradients.

    :func:`omicsnet.models.inference.predict`; an empty input gives an empty array.

    Examples
    --------
    >>> import torch
    >>> predict(torch.nn.Linear(3, 2), np.zeros((5, 3), dtype="float32")).shape
    (5, 2)
    """
    from omicsnet.models.inference import predict as batched_predict

    if len(x) == 0:
        width = int(getattr(model, "n_outputs", 0) or 0)
        return np.zeros((0, width), dtype=np.float32)
    return batched_predict(model, x, batch_size=batch_size)


# ---------------------------------------------------------------------------- evaluation
def cross_validate(
    data: T2PData,
    networks: Mapping[str, Any] | None = None,
    *,
    baselines: Sequence[str] = ("dummy", "linear_own_mrna", "ridge"),
    restricted_baselines: Sequence[str] = (),
    k: int = 5,
    seed: int = 0,
    val: float = 0.1,
    top_variable: int | None = None,
    max_epochs: int = 200,
    early_stopping: int | None = 20,
    baseline_options: Mapping[str, Any] | None = None,
    seeds: int = 1,
    device: str = "auto",
    progress: bool = False,
    store: str | os.PathLike[str] | None = None,
) -> pd.DataFrame:
    """k×2 cross-validation of baselines and networks on the same splits.

    Parameters
    ----------
    data
        Paired data.
    networks
        Name → trial config (or flat search parameters) of each network to train.
    baselines
        Names from :data:`omicsnet.t2p.baselines.BASELINES`, fitted on the full inputs.
    restricted_baselines
        Baselines fitted on the networks' inputs (``top_variable``) instead, reported as
        ``NAME@top{N}`` (e.g. the hand-built network on the same inputs as the searched
        one, which is also much cheaper).
    k, seed, val
        k×2 scheme: ``k`` repeats, seed, validation share of each training half.
    top_variable
        Inputs of the networks (:func:`restrict_transcripts`); baselines see all inputs,
        except ``ridge_variable_own`` and ``ridge_own_residual``, which get the same
        ``top_variable`` (unless ``baseline_options`` sets another).
    max_epochs, early_stopping, device
        Network training.
    baseline_options
        Extra arguments of :func:`omicsnet.t2p.baselines.fit_baselines`.
    seeds
        Networks trained per config and split, each with its own seed. With ``seeds > 1``
        the first network (the seed a single run uses) is still reported as ``NAME`` and
        the mean of all ``seeds`` networks' predictions as ``NAME [N-seed ensemble]``
        (:func:`ensemble_name`), with the summed training time.
    progress
        Progress bar over the splits.
    store
        Folder where each finished split is kept, so that a killed evaluation resumes
        without refitting them (see :func:`omicsnet.train.cv.cross_validate`).

    Returns
    -------
    DataFrame
        The table of the one CV loop (:func:`omicsnet.train.cv.cross_validate`): one row
        per (model, split) with ``model``, ``split``, ``n_train``, ``n_test``, ``seconds``
        and the :func:`~omicsnet.t2p.evaluate.summarize_metrics` columns
        (``pearson_r_median``, ``mse``...). The raw own-mRNA correlation is the row model
        ``mrna_protein_r``.

    Examples
    --------
    >>> data = synthetic_t2p(n_samples=40, n_genes=10, n_proteins=3)
    >>> table = cross_validate(data, {"linear": {"lr": 0.05, "batch_size": 8}}, k=1,
    ...                        baselines=["dummy"], max_epochs=3, device="cpu")
    >>> sorted(set(table["model"])), len(table)
    (['dummy', 'linear', 'mrna_protein_r'], 6)
    >>> table = cross_validate(data, {"linear": {"lr": 0.05, "batch_size": 8}}, k=1,
    ...                        baselines=[], max_epochs=3, seeds=2, device="cpu")
    >>> sorted(set(table["model"]))
    ['linear', 'linear [2-seed ensemble]', 'mrna_protein_r']
    """
    from omicsnet.t2p.baselines import baseline_summary, fit_baselines
    from omicsnet.t2p.data import t2p_splits
    from omicsnet.t2p.evaluate import per_protein_metrics, summarize_metrics
    from omicsnet.train.cv import FoldOutput, Split
    from omicsnet.train.cv import cross_validate as run_cv

    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise ConfigError(f"seeds must be a whole number >= 1, got {seeds!r}")
    options = dict(baseline_options or {})
    if top_variable is not None:  # baselines that restrict their inputs see the networks'
        options.setdefault("top_variable", top_variable)
    t2p_list = list(t2p_splits(data, scheme="kx2", k=k, seed=seed, val=val))
    ids = [str(s) for s in data.rna.index]
    position = {sample: i for i, sample in enumerate(ids)}
    by_name = {s.name: s for s in t2p_list}

    def positions(samples: Sequence[str]) -> np.ndarray:
        return np.asarray([position[s] for s in samples], dtype=np.int64)

    splits = [
        Split(s.name, positions(s.train), positions(s.test), positions(s.val)) for s in t2p_list
    ]

    def summary_outputs(summary: pd.DataFrame, suffix: str = "") -> dict[str, FoldOutput]:
        outputs = {}
        for name, row in summary.iterrows():
            metrics = row.to_dict()
            seconds = metrics.pop("seconds", np.nan)
            outputs[f"{name}{suffix}"] = FoldOutput(metrics=metrics, info={"seconds": seconds})
        return outputs

    def fit_predict(split: Split) -> dict[str, FoldOutput]:
        t2p_split = by_name[split.name]
        scaled = data.scaled(t2p_split)
        outputs: dict[str, FoldOutput] = {}
        if baselines:
            predictions = fit_baselines(
                scaled, list(baselines), seed=seed, device=device, **options
            )
            outputs.update(summary_outputs(baseline_summary(scaled, predictions)))
        else:
            from omicsnet.t2p.evaluate import mrna_protein_correlation

            raw = mrna_protein_correlation(scaled.x_test, scaled.y_test, scaled.own_index).dropna()
            median = float(raw.median()) if len(raw) else np.nan
            outputs["mrna_protein_r"] = FoldOutput(
                metrics={"pearson_r_median": median}, info={"seconds": np.nan}
            )
        restricted = restrict_transcripts(scaled, top_variable)
        if restricted_baselines:
            predictions = fit_baselines(
                restricted,
                list(restricted_baselines),
                seed=seed,
                device=device,
                **options,
            )
            summary = baseline_summary(restricted, predictions).drop(index="mrna_protein_r")
            outputs.update(summary_outputs(summary, f"@top{top_variable}" if top_variable else ""))
        for name, config in (networks or {}).items():
            predictions_, seconds, epochs = [], [], []
            for member in range(seeds):
                started = time.perf_counter()
                result = fit_config(
                    config,
                    restricted,
                    max_epochs=max_epochs,
                    early_stopping=early_stopping,
                    seed=seed + (t2p_split.repeat or 0) + _ENSEMBLE_SEED_STEP * member,
                    device=device,
                )
                predictions_.append(result.predictions.to_numpy())
                seconds.append(time.perf_counter() - started)
                epochs.append(len(result.history))
            members = [(name, predictions_[:1], seconds[:1], epochs[0])]
            if seeds > 1:
                members.append((ensemble_name(name, seeds), predictions_, seconds, epochs[0]))
            for label, chosen, spent, epoch_count in members:
                table = per_protein_metrics(
                    restricted.y_test, np.mean(chosen, axis=0), restricted.proteins
                )
                outputs[label] = FoldOutput(
                    metrics=summarize_metrics(table),
                    info={"seconds": float(sum(spent)), "epochs": epoch_count},
                )
        return outputs

    result = run_cv(
        splits,
        fit_predict,
        n_samples=len(ids),
        sample_ids=ids,
        progress=progress,
        desc="k x 2 CV",
        store=store,
    )
    return result.table


_ENSEMBLE_SEED_STEP = 1000
"""Seed offset between the members of a seed ensemble (repeats use offsets 0..k-1)."""


def ensemble_name(name: str, seeds: int) -> str:
    """The model label :func:`cross_validate` gives a seed ensemble of network ``name``.

    Examples
    --------
    >>> ensemble_name("nas_best", 5)
    'nas_best [5-seed ensemble]'
    """
    return f"{name} [{seeds}-seed ensemble]"


def cv_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per model: median over splits of the median per-protein r (with min, max and the
    mean per-protein IQR), mean MSE (with SD) and splits.

    Examples
    --------
    >>> t = pd.DataFrame({"model": ["a", "a"], "split": ["s0", "s1"],
    ...                   "pearson_r_median": [0.5, 0.7], "pearson_r_q25": [0.3, 0.5],
    ...                   "pearson_r_q75": [0.6, 0.8], "mse": [1.0, 0.8]})
    >>> cv_summary(t).loc["a", ["median_r", "r_min", "r_max", "mse_mean"]].tolist()
    [0.6, 0.5, 0.7, 0.9]
    """
    out = {}
    for name, group in table.groupby("model", sort=False):
        r = group["pearson_r_median"].astype(float).dropna()  # a constant model has no r
        row: dict[str, float] = {
            "median_r": float(r.median()) if len(r) else np.nan,
            "r_min": float(r.min()) if len(r) else np.nan,
            "r_max": float(r.max()) if len(r) else np.nan,
            "splits": float(len(group)),
        }
        if {"pearson_r_q25", "pearson_r_q75"} <= set(group.columns):
            row["protein_iqr_mean"] = float(
                (group["pearson_r_q75"] - group["pearson_r_q25"]).astype(float).mean()
            )
        if "mse" in group.columns and group["mse"].notna().any():
            row["mse_mean"] = float(group["mse"].astype(float).mean())
            row["mse_sd"] = float(group["mse"].astype(float).std(ddof=0))
        if "seconds" in group.columns and group["seconds"].notna().any():
            row["seconds_mean"] = float(group["seconds"].astype(float).mean())
        out[name] = row
    return pd.DataFrame.from_dict(out, orient="index")


# ---------------------------------------------------------------------------- explanation
def explain_proteins(
    model: Any,
    scaled: ScaledT2P,
    proteins: Sequence[str] | int = 5,
    *,
    threshold: float = 0.3,
    method: str = "gradient",
    max_background: int = 50,
    nsamples: int = 100,
    output_chunk: int = 4,
    seed: int = 0,
    progress: bool = False,
) -> tuple[Any, pd.DataFrame, pd.DataFrame]:
    """SHAP of chosen proteins on the test samples, and the transcript groups behind them.

    The background of SHAP is the training samples, and the Spearman correlations that sort
    transcripts into direct / correlated / uncorrelated groups use the training samples
    too (scaled per cohort, so that cohort offsets do not pass for correlation): the test
    samples only appear as the samples explained.

    Parameters
    ----------
    model
        A trained network whose inputs are ``scaled.transcripts``.
    scaled
        The split the model was trained on.
    proteins
        Protein names, or a number: the proteins best predicted on the test samples.
    threshold
        |Spearman| from which a transcript counts as correlated.
    method, max_background, nsamples, output_chunk, seed, progress
        See :func:`omicsnet.explain.shap_attribution.shap_values`.

    Returns
    -------
    (ShapResult, attribution table, category summary)
    """
    from omicsnet.explain.shap_attribution import (
        attribution_table,
        categorise_transcripts,
        category_summary,
        shap_values,
    )

    if isinstance(proteins, int) and not isinstance(proteins, bool):
        from omicsnet.t2p.evaluate import per_protein_metrics

        table = per_protein_metrics(
            scaled.y_test, predict(model, scaled.x_test), scaled.proteins
        ).dropna(subset=["pearson_r"])
        proteins = table.nlargest(int(proteins), "pearson_r")["protein"].tolist()
    proteins = [str(p) for p in proteins]
    unknown = [p for p in proteins if p not in scaled.proteins]
    if unknown:
        raise ConfigError(f"proteins {unknown[:5]} are not outputs of the model")
    x_test = pd.DataFrame(scaled.x_test, index=scaled.test_ids, columns=scaled.transcripts)
    background = pd.DataFrame(scaled.x_train, index=scaled.train_ids, columns=scaled.transcripts)
    result = shap_values(
        model,
        x_test,
        background,
        outputs=proteins,
        output_names=scaled.proteins,
        method=method,
        max_background=max_background,
        nsamples=nsamples,
        output_chunk=output_chunk,
        keep_values=False,
        seed=seed,
        progress=progress,
    )
    columns = [scaled.proteins.index(p) for p in proteins]
    own = {
        scaled.proteins[j]: scaled.transcripts[int(scaled.own_index[j])]
        for j in columns
        if scaled.own_index[j] >= 0
    }
    groups = categorise_transcripts(
        background,
        pd.DataFrame(scaled.y_train[:, columns], index=scaled.train_ids, columns=proteins),
        own_mrna=own,
        threshold=threshold,
    )
    table = attribution_table(result, groups)
    return result, table, category_summary(table)


def write_table(frame: pd.DataFrame, path: str | os.PathLike[str], *, overwrite: bool) -> Path:
    """Write a DataFrame as CSV atomically (refusing to replace a file unless asked)."""
    from omicsnet.utils.io import atomic_write_text

    return atomic_write_text(Path(path), frame.to_csv(index=False), overwrite=overwrite)


# ---------------------------------------------------------------------------- campaigns
def best_config(campaign: Any) -> T2PTrialConfig:
    """The trial config of a finished campaign's best trial (first objective).

    Parameters
    ----------
    campaign
        A :class:`omicsnet.search.Campaign` (or a campaign folder) of the t2p task.

    Raises
    ------
    DataError
        No trial completed.
    """
    from omicsnet.errors import DataError
    from omicsnet.search import load_campaign

    if isinstance(campaign, (str, os.PathLike)):
        campaign = load_campaign(campaign)
    best = campaign.best()
    if best is None:
        raise DataError(f"campaign {campaign.directory} has no completed trial")
    names = campaign.settings.space.names
    flat = {
        name: best[name]
        for name in names
        if best.get(name) is not None
        and not (isinstance(best[name], float) and np.isnan(best[name]))
    }
    return as_trial_config(flat)


# ---------------------------------------------------------------------------- saved runs
RUN_FILE = "t2p_run.json"


def train_and_save(
    data: T2PData,
    config: Any,
    out: str | os.PathLike[str],
    *,
    data_spec: Mapping[str, Any] | None = None,
    split: Mapping[str, Any] | None = None,
    top_variable: int | None = None,
    max_epochs: int = 200,
    early_stopping: int | None = 20,
    seed: int = 0,
    device: str = "auto",
    overwrite: bool = False,
    progress: bool = False,
) -> dict[str, Any]:
    """Train one network on one split and write it with its evaluation.

    Writes into ``out`` (atomically, refusing an existing folder unless ``overwrite``):
    ``model/`` (:func:`omicsnet.save`; its metadata records the data spec, split, inputs
    and trial config, so :func:`explain_saved` can rebuild the split), ``per_protein.csv``
    (test r, R², MSE per protein beside the own-mRNA linear baseline) and ``t2p_run.json``
    (summary).

    Returns
    -------
    dict
        The summary written to ``t2p_run.json``.
    """
    import json

    from omicsnet.models.serialization import save
    from omicsnet.t2p.baselines import fit_baselines
    from omicsnet.t2p.evaluate import per_protein_metrics, summarize_metrics
    from omicsnet.utils.output import atomic_directory, check_output_dir

    check_output_dir(out, overwrite=overwrite)  # before any work
    trial = as_trial_config(config)
    split_spec = dict(split or {"scheme": "standard", "seed": seed})
    scaled = prepare_split(data, split_spec, top_variable=top_variable)
    result = fit_config(
        trial,
        scaled,
        max_epochs=max_epochs,
        early_stopping=early_stopping,
        seed=seed,
        device=device,
        progress=progress,
    )
    linear = fit_baselines(scaled, ["linear_own_mrna"], seed=seed)["linear_own_mrna"]
    linear_table = per_protein_metrics(scaled.y_test, linear.to_numpy(), scaled.proteins)
    table = result.per_protein.merge(
        linear_table[["protein", "pearson_r", "mse"]].rename(
            columns={"pearson_r": "own_mrna_r", "mse": "own_mrna_mse"}
        ),
        on="protein",
    )
    summary = {
        "trial_config": trial.as_dict(),
        "data": dict(data_spec or {}),
        "split": split_spec,
        "top_variable": top_variable,
        "samples": {
            "train": len(scaled.train_ids),
            "val": len(scaled.val_ids),
            "test": len(scaled.test_ids),
        },
        "inputs": len(scaled.transcripts),
        "proteins": len(scaled.proteins),
        "epochs": len(result.history),
        "val_loss": result.val_loss,
        "test": result.test_metrics,
        "own_mrna_linear_test": summarize_metrics(linear_table),
    }
    with atomic_directory(out, overwrite=overwrite) as folder:
        save(result.model, folder / "model", metadata={"t2p": summary})
        table.to_csv(folder / "per_protein.csv", index=False)
        (folder / RUN_FILE).write_text(json.dumps(summary, indent=2, default=float))
    return summary


def explain_saved(
    run_dir: str | os.PathLike[str],
    data: T2PData,
    out: str | os.PathLike[str],
    *,
    proteins: Sequence[str] | int = 5,
    threshold: float = 0.3,
    method: str = "gradient",
    max_background: int = 50,
    nsamples: int = 100,
    overwrite: bool = False,
    progress: bool = False,
) -> pd.DataFrame:
    """Explain a network saved by :func:`train_and_save` on its own test samples.

    The split and inputs are rebuilt from the run's record; ``data`` must be the data it
    was trained on (checked against the model's input and output names). Writes
    ``shap.npz``, ``attribution.csv`` (per protein and transcript: mean |SHAP|, Spearman,
    group), ``categories.csv`` (:func:`~omicsnet.explain.shap_attribution.category_summary`)
    and ``shap_vs_spearman.png`` into ``out``.

    Returns
    -------
    DataFrame
        The category summary.
    """
    import json

    from omicsnet.errors import DataError, DataNotFoundError
    from omicsnet.explain.shap_attribution import plot_shap_vs_spearman
    from omicsnet.models.serialization import load
    from omicsnet.utils.output import atomic_directory, check_output_dir
    from omicsnet.utils.plotting import save_figure

    check_output_dir(out, overwrite=overwrite)  # before any work
    run_dir = Path(run_dir)
    record_path = run_dir / RUN_FILE
    if not record_path.is_file():
        raise DataNotFoundError(
            f"{record_path} not found: is {run_dir} a 'omicsnet t2p train' output?"
        )
    record = json.loads(record_path.read_text())
    model = load(run_dir / "model")
    scaled = prepare_split(data, record["split"], top_variable=record.get("top_variable"))
    if (
        list(model.input_features) != scaled.transcripts
        or list(model.output_features) != scaled.proteins
    ):
        raise DataError(
            f"the data do not match the model in {run_dir}: it takes {len(model.input_features)} "
            f"transcripts and predicts {len(model.output_features)} proteins, the data give "
            f"{len(scaled.transcripts)} and {len(scaled.proteins)} (use the data it was trained on)"
        )
    result, table, summary = explain_proteins(
        model,
        scaled,
        proteins,
        threshold=threshold,
        method=method,
        max_background=max_background,
        nsamples=nsamples,
        progress=progress,
    )
    figure = plot_shap_vs_spearman(table, threshold=threshold)
    with atomic_directory(out, overwrite=overwrite) as folder:
        result.save(folder / "shap.npz")
        table.to_csv(folder / "attribution.csv", index=False)
        summary.to_csv(folder / "categories.csv", index=False)
        save_figure(figure, folder / "shap_vs_spearman.png")
    return summary
