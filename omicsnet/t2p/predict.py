"""Predict the proteome of a cohort a saved network never saw (``omicsnet t2p predict``).

A run saved by :func:`omicsnet.t2p.workflows.train_and_save` records what a new cohort
needs: the network's input genes and output proteins, each protein's own-mRNA input, the
scaling policy and, in ``reference.safetensors``, the training cohorts' transcript means
and scales and the two linear references fitted on the same training samples (each
protein from its own mRNA, and the two-stage ridge). :func:`predict_cohort` then:

1. reads the new transcript table (:func:`omicsnet.t2p.tables.read_omics_table`: a
   repeated gene or sample or a non-numeric cell is an error naming the file and IDs);
2. matches its gene names to the model's inputs (:func:`omicsnet.t2p.genes.match_genes`:
   exact, case, R-mangled names such as ``X2..PDE``, Ensembl IDs with or without version
   through a mapping table such as Human-GEM's ``genes.tsv.gz``);
3. reports the **coverage** (inputs found and missing, how each was matched, own mRNA
   available per protein) and refuses, in one line, a table that covers less than
   ``min_coverage`` (50 % by default) of the inputs;
4. scales the transcripts by the run's policy (below), fills what is missing, and
   predicts every output protein for every sample;
5. with measured proteins (``protein=``), scores each protein's Pearson r beside the two
   references on the same proteins and samples.

Scaling policy
--------------
The network was trained on transcripts standardised per cohort (each cohort with its own
training samples' mean and SD). A new cohort is standardised the same way, with its own
statistics: ``scaling="own"`` (default) uses the mean and SD over the samples of the
table given, which removes platform and batch offsets (UCEC's RNA is a linear-scale
release, COAD's RNA-seq; their levels differ) but needs several samples (at least 2; a
warning below 10). ``scaling="training"`` uses the training cohort's mean and SD instead
(for one sample, or data processed exactly like the training cohort's).

Missing inputs
--------------
A model input the table lacks, and a missing value in a sample, is set to **0 after
scaling**, the cohort's average: it carries no information, and the network predicts from
the other inputs. This is stated with a warning (how many inputs, how many proteins lose
their own mRNA). The cohort indicator inputs of a model trained with a cohort covariate
are 0 (a cohort it never saw). Predicted proteins are on the model's scale: standardised
values (z-scores) per protein; their per-protein correlation with measurements does not
depend on that scale.

Examples
--------
>>> import tempfile, pathlib
>>> from omicsnet.t2p.workflows import synthetic_t2p, train_and_save
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> data = synthetic_t2p(n_samples=60, n_genes=12, n_proteins=3, seed=0)
>>> _ = train_and_save(data, {"lr": 0.01, "batch_size": 16}, folder / "run", max_epochs=3,
...                    device="cpu")
>>> new = synthetic_t2p(n_samples=20, n_genes=12, n_proteins=3, seed=1)
>>> rna = new.rna.rename(columns=str.lower)  # another spelling of the same genes
>>> result = predict_cohort(folder / "run", rna, protein=new.protein)
>>> inputs = result.coverage["inputs"]
>>> result.predictions.shape, inputs["found"], inputs["methods"]["case"]
((3, 20), 12, 12)
>>> sorted(result.scores.columns)[:4]
['n', 'network_r', 'own_mrna_available', 'own_mrna_r']
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from omicsnet.errors import ConfigError, DataError, DataNotFoundError
from omicsnet.t2p.reference import (
    MISSING_POLICY,
    REFERENCE_FILE,
    RUN_FORMAT,
    RUN_FORMAT_VERSION,
    SCALING_POLICY,
    run_reference,
    save_reference,
)

logger = logging.getLogger(__name__)


SCALINGS = ("own", "training")
DEFAULT_MIN_COVERAGE = 0.5
MIN_OWN_SAMPLES = 10
"""Below this many samples, standardising a cohort with its own statistics is noisy."""


class PredictionWarning(UserWarning):
    """Predictions made with missing inputs or few samples (see the module docstring)."""


def load_run(run_dir: str | os.PathLike[str]) -> tuple[Any, dict[str, Any], dict[str, np.ndarray]]:
    """The network, the prediction record and the reference arrays of a saved run.

    Raises
    ------
    DataNotFoundError
        Not a run folder.
    DataError
        A run saved before omicsnet recorded inputs and scaling (train it again).
    """
    from safetensors.numpy import load_file

    from omicsnet.models.serialization import load
    from omicsnet.t2p.workflows import RUN_FILE

    folder = Path(run_dir)
    record_path = folder / RUN_FILE
    if not record_path.is_file():
        raise DataNotFoundError(
            f"{record_path} not found: is {folder} a folder written by 'omicsnet t2p train'?"
        )
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise DataError(
            f"{record_path} is not a readable run record ({type(err).__name__})"
        ) from err
    prediction = record.get("prediction") if isinstance(record, dict) else None
    if not isinstance(prediction, dict) or prediction.get("format") != RUN_FORMAT:
        raise DataError(
            f"{folder} was saved before omicsnet recorded a run's inputs and scaling; train it "
            "again with this version to predict new cohorts"
        )
    if int(prediction.get("format_version", 0)) > RUN_FORMAT_VERSION:
        raise DataError(
            f"{folder} was saved by a newer omicsnet (run format {prediction['format_version']})"
        )
    reference = folder / str(prediction.get("reference", REFERENCE_FILE))
    if not reference.is_file():
        raise DataNotFoundError(f"{reference} is missing from the run {folder}")
    model = load(folder / "model")
    if (
        list(model.input_features) != prediction["inputs"]
        or list(model.output_features) != prediction["outputs"]
    ):
        raise DataError(f"{folder}: the model's inputs or outputs differ from the run record")
    return model, prediction, load_file(str(reference))


def restrict_to_table(
    data: Any,
    table: pd.DataFrame | str | os.PathLike[str],
    *,
    genes_in_rows: bool = True,
    gene_map: str | os.PathLike[str] | dict[str, str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
) -> Any:
    """Keep only the transcripts a cohort's table has, before training for that cohort.

    A network trained on transcripts a new cohort lacks predicts it with those inputs
    set to 0 (see the module docstring); when the cohort to predict is known, train on the
    genes it has. Its names are matched as :func:`predict_cohort` matches them (case,
    R-mangled names, Ensembl IDs). Only the table's gene names are used, never its values.

    Examples
    --------
    >>> from omicsnet.t2p.workflows import synthetic_t2p
    >>> data = synthetic_t2p(n_samples=20, n_genes=6, n_proteins=2)
    >>> new = pd.DataFrame(0.0, index=["s1"], columns=["g0000", "G0003", "other"])
    >>> restrict_to_table(data, new).rna.columns.tolist()
    ['G0000', 'G0003']
    """
    from omicsnet.t2p.genes import match_genes

    frame, where = _table(table, genes_in_rows=genes_in_rows, duplicates="first", what="gene")
    mapping, _ = _gene_map(list(frame.columns), gene_map, data_dir)
    match = match_genes(list(frame.columns), list(data.rna.columns), gene_map=mapping, where=where)
    logger.info(
        "inputs restricted to the %d of %d transcripts that %s has",
        match.found,
        data.rna.shape[1],
        where,
    )
    return data.subset_transcripts(list(match.methods))


# ---------------------------------------------------------------------- prediction
@dataclass
class PredictResult:
    """What :func:`predict_cohort` returns.

    Attributes
    ----------
    predictions
        Proteins × samples, the network's predictions (standardised values).
    coverage
        The coverage report (JSON-serialisable): inputs found/missing and how they were
        matched, own mRNA available per protein, missing values filled, the policies.
    scores
        With measured proteins: one row per protein measured in at least 3 of the samples,
        ``n``, ``network_r``, ``own_mrna_r`` and ``two_stage_ridge_r`` (all fitted on the
        training cohort) and ``own_mrna_available``; else ``None``.
    summary
        With measured proteins: median per-protein r of each model (and the number of
        proteins); else empty.
    """

    predictions: pd.DataFrame
    coverage: dict[str, Any]
    scores: pd.DataFrame | None = None
    summary: dict[str, float] = field(default_factory=dict)


def _table(
    table: pd.DataFrame | str | os.PathLike[str], *, genes_in_rows: bool, duplicates: str, what: str
) -> tuple[pd.DataFrame, str]:
    from omicsnet.t2p.tables import read_omics_table

    if isinstance(table, pd.DataFrame):
        frame = table.copy()
        frame.index = frame.index.map(str)
        frame.columns = frame.columns.map(str)
        return frame.astype(float), f"the {what} table"
    return (
        read_omics_table(table, genes_in_rows=genes_in_rows, duplicates=duplicates, what=what),
        str(table),
    )


def _gene_map(
    columns: list[str], gene_map: Any, data_dir: Any
) -> tuple[dict[str, str] | None, str | None]:
    from omicsnet.t2p.genes import default_gene_map, ensembl_gene_id, read_gene_map

    if isinstance(gene_map, dict):
        return gene_map, "given mapping"
    if gene_map is not None:
        return read_gene_map(gene_map), str(gene_map)
    if not any(ensembl_gene_id(c) for c in columns):
        return None, None
    path = default_gene_map(data_dir)
    if path is None:
        warnings.warn(
            "the table names genes by Ensembl IDs but no mapping table was given (gene_map= / "
            "--gene-map) and Human-GEM's genes.tsv.gz is not in the data directory",
            PredictionWarning,
            stacklevel=3,
        )
        return None, None
    warnings.warn(
        f"mapping Ensembl IDs with {path}: it covers only Human-GEM's ~2,900 metabolic genes; "
        "give a genome-wide table (e.g. from Ensembl BioMart) with --gene-map for more",
        PredictionWarning,
        stacklevel=3,
    )
    return read_gene_map(path), str(path)


def predict_cohort(
    run_dir: str | os.PathLike[str],
    rna: pd.DataFrame | str | os.PathLike[str],
    *,
    protein: pd.DataFrame | str | os.PathLike[str] | None = None,
    genes_in_rows: bool = True,
    gene_map: str | os.PathLike[str] | dict[str, str] | None = None,
    min_coverage: float = DEFAULT_MIN_COVERAGE,
    scaling: str = "own",
    reference_cohort: str | None = None,
    duplicates: str = "error",
    data_dir: str | os.PathLike[str] | None = None,
) -> PredictResult:
    """Predict proteins for a new cohort's transcripts with a saved run (module docstring).

    Parameters
    ----------
    run_dir
        A folder written by ``omicsnet t2p train`` (:func:`~omicsnet.t2p.workflows.train_and_save`).
    rna
        The new cohort's transcripts: a file (genes × samples unless ``genes_in_rows`` is
        false) or a samples × genes DataFrame.
    protein
        Measured proteins of (some of) the same samples, same orientation, to score the
        predictions (optional).
    genes_in_rows
        Orientation of the files.
    gene_map
        Ensembl gene ID → symbol table (:func:`omicsnet.t2p.genes.read_gene_map`) or
        mapping. ``None``: Human-GEM's ``genes.tsv.gz`` from the data directory when the
        table uses Ensembl IDs.
    min_coverage
        Smallest share of the model's inputs the table must cover (0–1).
    scaling
        ``"own"`` or ``"training"`` (see the module docstring).
    reference_cohort
        Training cohort whose scaling ``scaling="training"`` uses (needed when the run
        was trained on several).
    duplicates
        A gene named twice in a file: ``"error"``, ``"mean"`` or ``"first"``.
    data_dir
        Data directory (for the default gene mapping table).

    Raises
    ------
    DataError
        Coverage below ``min_coverage`` (one line naming the file, the share and examples
        of missing inputs), bad tables, no sample shared with the protein table.
    """
    if scaling not in SCALINGS:
        raise ConfigError(f"scaling must be one of {SCALINGS}, got {scaling!r}")
    if not 0.0 <= float(min_coverage) <= 1.0:
        raise ConfigError(f"min_coverage must be between 0 and 1, got {min_coverage}")
    from omicsnet.t2p.genes import match_genes
    from omicsnet.t2p.workflows import predict as network_predict

    model, record, reference = load_run(run_dir)
    frame, where = _table(rna, genes_in_rows=genes_in_rows, duplicates=duplicates, what="gene")
    covariates = list(record.get("covariates", []))
    inputs = [g for g in record["inputs"] if g not in set(covariates)]
    mapping, map_source = _gene_map(list(frame.columns), gene_map, data_dir)
    match = match_genes(list(frame.columns), inputs, gene_map=mapping, where=where)
    coverage = match.coverage()
    if coverage < float(min_coverage):
        raise DataError(
            f"{where}: only {match.found} of {len(inputs)} model inputs ({coverage:.0%}) found, "
            f"below the {float(min_coverage):.0%} threshold (missing e.g. {match.missing[:5]}); "
            "check the gene names (symbols, or Ensembl IDs with --gene-map) or lower "
            "--min-coverage"
        )
    x = frame[list(match.columns)].rename(columns=match.columns).reindex(columns=inputs)
    n_samples = len(x)
    mean, scale = _scaling(x, reference, record, scaling, reference_cohort, where)
    standardised = (x - mean) / scale
    missing_cells = int(x[list(match.methods)].isna().to_numpy().sum())
    values = np.zeros((n_samples, len(record["inputs"])), dtype=np.float32)
    values[:, : len(inputs)] = np.nan_to_num(standardised.to_numpy(dtype=float), nan=0.0)
    output = network_predict(model, values)
    predictions = pd.DataFrame(output.T, index=record["outputs"], columns=list(x.index))
    predictions.index.name = "protein"

    own = record["own_mrna"]
    with_own = [p for p in record["outputs"] if own.get(p)]
    own_found = [p for p in with_own if own[p] in match.methods]
    report: dict[str, Any] = {
        "table": where,
        "samples": n_samples,
        "inputs": {
            "model": len(inputs),
            "found": match.found,
            "missing": len(match.missing),
            "coverage": round(coverage, 4),
            "methods": match.method_counts(),
            "missing_examples": match.missing[:20],
            "table_columns_unused": len(match.unused),
            "ambiguous_columns": match.ambiguous[:20],
            "gene_map": map_source,
        },
        "own_mrna": {
            "proteins": len(record["outputs"]),
            "with_own_mrna_input": len(with_own),
            "own_mrna_found": len(own_found),
            "own_mrna_missing_examples": [p for p in with_own if own[p] not in match.methods][:20],
        },
        "missing_values_filled": missing_cells,
        "scaling": scaling if scaling == "own" else f"training ({mean.attrs.get('cohort')})",
        "scaling_policy": record["scaling"]["policy"],
        "missing_input_policy": record["missing_inputs"],
        "min_coverage": float(min_coverage),
    }
    if match.missing or missing_cells:
        lost = len(with_own) - len(own_found)
        warnings.warn(
            f"{where}: {len(match.missing)} of {len(inputs)} model inputs "
            f"({1 - coverage:.0%}) missing and {missing_cells} missing values: set to 0 after "
            f"scaling (no information); {lost} of {len(with_own)} proteins lose their own mRNA",
            PredictionWarning,
            stacklevel=2,
        )
    result = PredictResult(predictions=predictions, coverage=report)
    if protein is not None:
        _score(result, protein, standardised, reference, record, genes_in_rows, duplicates, where)
    return result


def _scaling(
    x: pd.DataFrame,
    reference: dict[str, np.ndarray],
    record: dict[str, Any],
    scaling: str,
    reference_cohort: str | None,
    where: str,
) -> tuple[pd.Series, pd.Series]:
    """Mean and scale of every input under the chosen policy."""
    if scaling == "own":
        if len(x) < 2:
            raise DataError(
                f"{where}: one sample cannot be standardised with its own statistics; use "
                "scaling='training' (--scaling training)"
            )
        if len(x) < MIN_OWN_SAMPLES:
            warnings.warn(
                f"{where}: {len(x)} samples standardised with their own mean and SD; with fewer "
                f"than {MIN_OWN_SAMPLES} these statistics are noisy",
                PredictionWarning,
                stacklevel=3,
            )
        mean = x.mean(axis=0)
        std = x.std(axis=0, ddof=0)
        return mean.fillna(0.0), std.where(std > 1e-12, 1.0)
    cohorts = list(record["scaling"]["cohorts"])
    if reference_cohort is None:
        if len(cohorts) != 1:
            raise ConfigError(
                f"the run was trained on cohorts {cohorts}: name the one whose scaling to use "
                "(reference_cohort= / --reference-cohort)"
            )
        reference_cohort = cohorts[0]
    if reference_cohort not in cohorts:
        raise ConfigError(f"reference cohort {reference_cohort!r} is not one of {cohorts}")
    mean = pd.Series(reference[f"rna_mean:{reference_cohort}"], index=x.columns, dtype=float)
    scale = pd.Series(reference[f"rna_scale:{reference_cohort}"], index=x.columns, dtype=float)
    mean.attrs["cohort"] = reference_cohort
    return mean, scale


def _score(
    result: PredictResult,
    protein: pd.DataFrame | str | os.PathLike[str],
    standardised: pd.DataFrame,
    reference: dict[str, np.ndarray],
    record: dict[str, Any],
    genes_in_rows: bool,
    duplicates: str,
    rna_where: str,
) -> None:
    """Per-protein r of the network and the two references against measured proteins."""
    from omicsnet.t2p.evaluate import per_protein_metrics
    from omicsnet.t2p.genes import match_genes
    from omicsnet.t2p.tables import check_pairing

    measured, where = _table(
        protein, genes_in_rows=genes_in_rows, duplicates=duplicates, what="protein"
    )
    samples = check_pairing(
        standardised, measured, rna_file=rna_where, protein_file=where, genes=False
    )  # proteins are matched to the model's outputs below, by their spelling
    outputs = record["outputs"]
    match = match_genes(list(measured.columns), outputs, where=where)
    if not match.columns:
        raise DataError(
            f"{where}: none of its proteins is an output of the model (e.g. "
            f"{list(measured.columns[:3])} vs {outputs[:3]})"
        )
    proteins = [p for p in outputs if p in match.methods]
    truth = measured.loc[samples, list(match.columns)].rename(columns=match.columns)[proteins]
    x = np.nan_to_num(
        standardised.loc[samples].reindex(columns=record["inputs"]).to_numpy(dtype=float), nan=0.0
    )
    column = {name: i for i, name in enumerate(outputs)}
    chosen = np.asarray([column[p] for p in proteins])
    own_index = np.asarray(
        [record["inputs"].index(record["own_mrna"][p]) if record["own_mrna"].get(p) else -1
         for p in outputs]
    )  # fmt: skip
    own_values = np.where(own_index[None, :] >= 0, x[:, np.clip(own_index, 0, None)], 0.0)
    own_pred = reference["own_intercept"] + reference["own_slope"] * own_values
    ridge_pred = (
        reference["ridge_intercept"]
        + reference["ridge_slope"] * own_values
        + ((x - reference["ridge_x_mean"]) @ reference["ridge_xc"].T) @ reference["ridge_dual"]
        + reference["ridge_y_mean"]
    )
    network = result.predictions.loc[proteins, samples].to_numpy().T
    y = truth.to_numpy(dtype=float)
    tables = {
        "network_r": per_protein_metrics(y, network, proteins),
        "own_mrna_r": per_protein_metrics(y, own_pred[:, chosen], proteins),
        "two_stage_ridge_r": per_protein_metrics(y, ridge_pred[:, chosen], proteins),
    }
    scores = pd.DataFrame({"protein": proteins, "n": tables["network_r"]["n"].to_numpy()})
    for name, table in tables.items():
        scores[name] = table["pearson_r"].to_numpy()
    own_found = {
        p
        for p in proteins
        if record["own_mrna"].get(p) and standardised[record["own_mrna"][p]].notna().any()
    }
    scores["own_mrna_available"] = [p in own_found for p in proteins]
    scores = scores[scores["n"] >= 3].reset_index(drop=True)
    result.scores = scores
    result.summary = {
        "proteins_scored": float(len(scores)),
        "samples_scored": float(len(samples)),
        **{f"{name}_median": float(scores[name].median()) for name in tables},
    }
    result.coverage["scored"] = {
        "table": where,
        "samples": len(samples),
        "proteins_matched": len(proteins),
        "proteins_scored": len(scores),
    }


__all__ = [
    "DEFAULT_MIN_COVERAGE",
    "MISSING_POLICY",
    "REFERENCE_FILE",
    "SCALINGS",
    "SCALING_POLICY",
    "PredictResult",
    "PredictionWarning",
    "load_run",
    "predict_cohort",
    "restrict_to_table",
    "run_reference",
    "save_reference",
]
