"""Transcriptome compendia (genes x samples tables) for knowledge-constrained models.

What is here:

* :func:`read_compendium`: a genes x samples table (CSV/TSV, optionally gzipped) read
  into a samples x genes frame;
* :func:`map_genes`: the columns reordered to a model's genes (a knowledge graph's),
  with an optional ID map (e.g. gene names -> b-numbers), a report of how many matched,
  and a clear error when too few do;
* :class:`RangeScaler`: the [-1, 1] normalisation of DeepMetabolism, fitted on training
  samples only;
* :func:`load_precise278`: the real E. coli PRECISE-278 compendium (3,923 genes x 278
  samples, log2 fold change, b-numbers; growth rates for 195 samples in 15 studies);
* :func:`leave_study_out` and :func:`study_folds`: splits by study, so that no study has
  samples on both sides;
* :func:`synthetic_compendium`: a generated compendium with study effects and a growth
  phenotype (demo and tests, no data needed);
* :func:`synthetic_programs`: expression from known gene programmes with a phenotype
  planted on one of them (checks that interpretation finds the right node).

Examples
--------
>>> comp = synthetic_compendium(["g1", "g2", "g3", "g4"], n_samples=12, n_studies=3, seed=0)
>>> comp.expression.shape, comp.studies.nunique()
((12, 4), 3)
>>> [len(test) for _, test, _ in leave_study_out(comp.studies)]
[4, 4, 4]
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from omicsnet.data.tables import read_table
from omicsnet.errors import ConfigError, DataError

logger = logging.getLogger(__name__)

PRECISE_DIR = "ecoli_compendium"
PRECISE_GROWTH_COLUMN = "Growth Rate (1/hr)"
SCALING_METHODS = ("maxabs", "minmax", "global")


@dataclass
class Compendium:
    """A transcriptome compendium with sample annotations.

    Attributes
    ----------
    expression
        Samples x genes values (e.g. log2 fold change).
    studies
        Study of each sample (index = sample IDs), for study-wise splits.
    phenotypes
        Samples x measured phenotypes (NaN where not measured), e.g. growth rate.
    samples
        The full sample table, when there is one.
    name
        Where it came from.
    """

    expression: pd.DataFrame
    studies: pd.Series
    phenotypes: pd.DataFrame
    samples: pd.DataFrame = field(default_factory=pd.DataFrame)
    name: str = "compendium"

    def labelled(self, phenotype: str) -> Compendium:
        """The samples with a measured value of ``phenotype`` (a column of ``phenotypes``)."""
        if phenotype not in self.phenotypes:
            raise DataError(
                f"{self.name} has no phenotype {phenotype!r} "
                f"(it has {list(self.phenotypes.columns)})"
            )
        keep = self.phenotypes[phenotype].notna()
        ids = self.phenotypes.index[keep]
        return Compendium(
            self.expression.loc[ids],
            self.studies.loc[ids],
            self.phenotypes.loc[ids],
            self.samples.loc[ids] if len(self.samples) else self.samples,
            self.name,
        )


def read_compendium(path: str | os.PathLike[str], *, genes_in_rows: bool = True) -> pd.DataFrame:
    """Read a compendium table into samples x genes.

    Parameters
    ----------
    path
        CSV/TSV (``.gz`` allowed) with gene IDs in the first column and one column per
        sample (``genes_in_rows=True``, the usual layout of compendia), or the transpose.
    genes_in_rows
        Whether genes are rows in the file.

    Raises
    ------
    DataNotFoundError, DataError
        Missing file, duplicated IDs, non-numeric or missing values (the message names
        the sample and gene).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "lfc.csv"
    >>> _ = p.write_text("gene,s1,s2\\nb0001,0.5,-1\\nb0002,2,0\\n")
    >>> read_compendium(p)
        b0001  b0002
    s1    0.5    2.0
    s2   -1.0    0.0
    """
    frame = read_table(path, transpose=genes_in_rows)
    frame.index.name = None
    frame.columns.name = None
    if frame.empty:
        raise DataError(f"{path}: the compendium has no values")
    missing = frame.isna()
    if bool(missing.to_numpy().any()):
        row, col = next(zip(*missing.to_numpy().nonzero(), strict=True))
        raise DataError(
            f"{path}: missing value for sample {frame.index[row]!r}, gene {frame.columns[col]!r} "
            "(impute or drop it before training)"
        )
    return frame


@dataclass(frozen=True)
class GeneMatch:
    """How a compendium's genes matched a model's genes (see :func:`map_genes`)."""

    n_model_genes: int
    n_data_genes: int
    n_matched: int
    unmatched_model: tuple[str, ...]
    unmatched_data: tuple[str, ...]

    @property
    def fraction(self) -> float:
        """Share of the model's genes found in the data."""
        return self.n_matched / self.n_model_genes if self.n_model_genes else 0.0

    def summary(self) -> str:
        """One line for logs and reports."""
        return (
            f"{self.n_matched} of {self.n_model_genes} model genes found in the data "
            f"({self.fraction:.1%}); {len(self.unmatched_data)} of {self.n_data_genes} data "
            f"genes are not in the model; {len(self.unmatched_model)} model genes filled with "
            "0 (no change)"
        )


def map_genes(
    expression: pd.DataFrame,
    model_genes: Sequence[str],
    *,
    id_map: Mapping[str, str] | None = None,
    min_fraction: float = 0.5,
    fill_value: float = 0.0,
) -> tuple[pd.DataFrame, GeneMatch]:
    """Reorder a samples x genes frame to a model's genes.

    Parameters
    ----------
    expression
        Samples x genes.
    model_genes
        The model's gene IDs, in its input order (``graph.genes``).
    id_map
        Optional data ID -> model ID map (e.g. ``{"thrA": "b0002"}``), applied before
        matching; unmapped IDs are kept as they are. Several data genes mapping to one
        model gene are averaged.
    min_fraction
        Smallest share of model genes that must be found, else :class:`DataError`.
    fill_value
        Value for model genes absent from the data (0 = no change for fold changes).

    Returns
    -------
    (DataFrame, GeneMatch)
        Samples x model genes, and the match report (also logged).

    Raises
    ------
    DataError
        When fewer than ``min_fraction`` of the model's genes are in the data; the message
        shows IDs from both sides, which usually reveals an ID-type mismatch.

    Examples
    --------
    >>> x = pd.DataFrame([[1.0, 2.0, 3.0]], index=["s1"], columns=["b2", "b1", "other"])
    >>> mapped, match = map_genes(x, ["b1", "b2", "b3"], min_fraction=0.5)
    >>> mapped
         b1   b2   b3
    s1  2.0  1.0  0.0
    >>> match.n_matched, match.unmatched_data
    (2, ('other',))
    """
    if not 0.0 <= min_fraction <= 1.0:
        raise ConfigError(f"min_fraction must be in [0, 1], got {min_fraction}")
    genes = [str(g) for g in model_genes]
    if len(set(genes)) != len(genes):
        raise DataError("the model's gene list repeats an ID")
    frame = expression.copy()
    frame.columns = [str(c) for c in frame.columns]
    if id_map:
        frame.columns = [str(id_map.get(c, c)) for c in frame.columns]
        if frame.columns.has_duplicates:
            frame = frame.T.groupby(level=0, sort=False).mean().T
    present = set(frame.columns)
    matched = [g for g in genes if g in present]
    model_set = set(genes)
    report = GeneMatch(
        n_model_genes=len(genes),
        n_data_genes=frame.shape[1],
        n_matched=len(matched),
        unmatched_model=tuple(g for g in genes if g not in present),
        unmatched_data=tuple(c for c in frame.columns if c not in model_set),
    )
    if report.fraction < min_fraction or report.n_matched == 0:
        raise DataError(
            f"only {report.n_matched} of {report.n_model_genes} model genes "
            f"({report.fraction:.1%}) are in the data (need {min_fraction:.0%}); model IDs "
            f"look like {genes[:3]}, data IDs like {list(frame.columns[:3])}. Pass an ID map "
            "(id_map= / --id-map) if they use different gene identifiers"
        )
    logger.info("gene mapping: %s", report.summary())
    out = frame.reindex(columns=genes).fillna(fill_value).astype(np.float32)
    return out, report


@dataclass
class RangeScaler:
    """Scale each gene to [-1, 1] with statistics of the training samples only.

    Parameters
    ----------
    method
        ``"maxabs"`` (default): divide by the largest absolute training value, which keeps
        0 (no change) at 0 — the natural choice for log fold changes and the value given
        to unmeasured genes. ``"minmax"``: map the training minimum to -1 and maximum to 1.
        ``"global"``: divide every gene by one factor, the largest absolute training value
        of any gene: values stay in [-1, 1] and 0 stays 0, but genes keep their relative
        variances (as PCA sees them), so an autoencoder's squared error weighs genes as
        the log2 scale does.
    clip
        Clip transformed values to [-1, 1] (held-out samples can exceed the training range).

    Examples
    --------
    >>> train = pd.DataFrame({"g": [-2.0, 1.0], "h": [0.0, 4.0]})
    >>> scaler = RangeScaler().fit(train)
    >>> scaler.transform(train)["g"].tolist()
    [-1.0, 0.5]
    >>> RangeScaler("minmax").fit(train).transform(train)["h"].tolist()
    [-1.0, 1.0]
    >>> RangeScaler("global").fit(train).transform(train)["g"].tolist()
    [-0.5, 0.25]
    >>> RangeScaler.from_dict(scaler.to_dict()).transform(pd.DataFrame({"g": [4.0], "h": [2.0]}))
         g    h
    0  2.0  0.5
    """

    method: str = "maxabs"
    clip: bool = False
    center_: pd.Series | None = None
    scale_: pd.Series | None = None

    def __post_init__(self) -> None:
        if self.method not in SCALING_METHODS:
            raise ConfigError(
                f"unknown scaling {self.method!r}; choose one of {', '.join(SCALING_METHODS)}"
            )

    def fit(self, frame: pd.DataFrame) -> RangeScaler:
        """Learn per-gene centre and scale from the (training) samples in ``frame``."""
        if len(frame) == 0:
            raise DataError("cannot fit the [-1, 1] scaling on zero samples")
        if self.method == "maxabs":
            center = pd.Series(0.0, index=frame.columns)
            half_range = frame.abs().max(axis=0)
        elif self.method == "global":
            center = pd.Series(0.0, index=frame.columns)
            half_range = pd.Series(float(np.nanmax(np.abs(frame.to_numpy()))), index=frame.columns)
        else:
            low, high = frame.min(axis=0), frame.max(axis=0)
            center = (high + low) / 2
            half_range = (high - low) / 2
        self.center_ = center.astype(float)
        self.scale_ = half_range.where(half_range > 1e-12, 1.0).astype(float)
        return self

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Apply the fitted scaling (columns must match the fitted genes)."""
        if self.center_ is None or self.scale_ is None:
            raise ConfigError("RangeScaler.transform() called before fit()")
        if list(frame.columns) != list(self.scale_.index):
            missing = [g for g in self.scale_.index if g not in set(frame.columns)]
            raise DataError(
                f"the scaler was fitted on {len(self.scale_)} genes; the data has "
                f"{frame.shape[1]} columns (missing e.g. {missing[:3]})"
            )
        out = (frame - self.center_) / self.scale_
        return out.clip(-1.0, 1.0) if self.clip else out

    def fit_transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Fit on ``frame`` and transform it."""
        return self.fit(frame).transform(frame)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable state (saved with a model's metadata)."""
        if self.center_ is None or self.scale_ is None:
            raise ConfigError("RangeScaler.to_dict() called before fit()")
        return {
            "method": self.method,
            "clip": self.clip,
            "genes": [str(g) for g in self.scale_.index],
            "center": [float(v) for v in self.center_],
            "scale": [float(v) for v in self.scale_],
        }

    @classmethod
    def from_dict(cls, state: Mapping[str, Any]) -> RangeScaler:
        """Rebuild a fitted scaler from :meth:`to_dict`."""
        try:
            genes = list(state["genes"])
            scaler = cls(str(state["method"]), bool(state.get("clip", False)))
            scaler.center_ = pd.Series(state["center"], index=genes, dtype=float)
            scaler.scale_ = pd.Series(state["scale"], index=genes, dtype=float)
        except (KeyError, TypeError, ValueError) as err:
            raise DataError(f"invalid saved scaler: {err}") from err
        return scaler


def load_precise278(data_dir: str | os.PathLike[str] | None = None) -> Compendium:
    """The E. coli PRECISE-278 compendium (log2 fold change vs the glucose control).

    Parameters
    ----------
    data_dir
        The data directory holding ``ecoli_compendium/`` (else ``OMICSNET_DATA``).

    Returns
    -------
    Compendium
        3,923 genes (b-numbers) x 278 samples, the study of each sample (21 studies) and
        the growth rate (``growth_rate``, 1/h; measured for 195 samples).

    Raises
    ------
    DataNotFoundError
        When the folder is not there (the message says how to point omicsnet at it).

    Examples
    --------
    >>> comp = load_precise278("/path/to/data")  # doctest: +SKIP
    >>> comp.expression.shape, int(comp.phenotypes["growth_rate"].notna().sum())  # doctest: +SKIP
    ((278, 3923), 195)
    """
    from omicsnet.utils.paths import resolve_data_file

    folder = resolve_data_file(PRECISE_DIR, data_dir)
    expression = read_compendium(_first_existing(folder, ["X.csv.gz", "X.csv"]))
    samples = read_table(folder / "sample_table.csv", numeric=False)
    if "Study" not in samples or PRECISE_GROWTH_COLUMN not in samples:
        raise DataError(
            f"{folder / 'sample_table.csv'} lacks the 'Study' or {PRECISE_GROWTH_COLUMN!r} column"
        )
    missing = [s for s in expression.index if s not in samples.index]
    if missing:
        raise DataError(f"samples {missing[:3]} of X.csv are not in sample_table.csv")
    samples = samples.loc[expression.index]
    growth = pd.to_numeric(samples[PRECISE_GROWTH_COLUMN], errors="coerce")
    phenotypes = pd.DataFrame({"growth_rate": growth}, index=expression.index)
    return Compendium(
        expression=expression,
        studies=samples["Study"].astype(str),
        phenotypes=phenotypes,
        samples=samples,
        name="PRECISE-278",
    )


def precise_gene_names(data_dir: str | os.PathLike[str] | None = None) -> dict[str, str]:
    """Gene name -> b-number from PRECISE's ``gene_table.csv`` (an ``id_map`` for names).

    Examples
    --------
    >>> precise_gene_names("/path/to/data")["thrA"]  # doctest: +SKIP
    'b0002'
    """
    from omicsnet.utils.paths import resolve_data_file

    table = read_table(resolve_data_file(f"{PRECISE_DIR}/gene_table.csv", data_dir), numeric=False)
    names = table["gene_name"].dropna().astype(str)
    return {name: bnum for bnum, name in names.items()}


def _first_existing(folder: Path, names: Sequence[str]) -> Path:
    for name in names:
        if (folder / name).is_file():
            return folder / name
    return folder / names[0]  # read_table names it in its error


def leave_study_out(
    studies: pd.Series | Sequence[str], *, min_samples: int = 1
) -> Iterator[tuple[np.ndarray, np.ndarray, str]]:
    """Yield ``(train_indices, test_indices, study)``, holding out one study at a time.

    Parameters
    ----------
    studies
        Study of each sample (positions are the indices yielded).
    min_samples
        Skip studies with fewer samples.

    Examples
    --------
    >>> folds = list(leave_study_out(["a", "a", "b", "c", "c"]))
    >>> [(tr.tolist(), te.tolist(), s) for tr, te, s in folds]
    [([2, 3, 4], [0, 1], 'a'), ([0, 1, 3, 4], [2], 'b'), ([0, 1, 2], [3, 4], 'c')]
    """
    labels = np.asarray([str(s) for s in studies])
    unique = list(dict.fromkeys(sorted(labels)))
    if len(unique) < 2:
        raise DataError(f"leave-study-out needs at least 2 studies, got {unique}")
    for study in unique:
        test = np.flatnonzero(labels == study)
        if len(test) < min_samples:
            continue
        yield np.flatnonzero(labels != study), test, str(study)


def study_folds(
    studies: pd.Series | Sequence[str], n_folds: int, *, seed: int = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Split samples into ``n_folds`` folds of whole studies (greedy balance of sizes).

    Studies are shuffled with ``seed`` and each goes to the currently smallest fold, so
    the folds are about equal in samples and no study is in two folds.

    Examples
    --------
    >>> folds = study_folds(["a", "a", "b", "b", "c", "d"], 2, seed=0)
    >>> sorted(len(test) for _, test in folds)
    [3, 3]
    """
    labels = np.asarray([str(s) for s in studies])
    unique = sorted(set(labels))
    if not 2 <= n_folds <= len(unique):
        raise ConfigError(f"n_folds must be between 2 and the number of studies ({len(unique)})")
    rng = np.random.default_rng(seed)
    order = [unique[i] for i in rng.permutation(len(unique))]
    order.sort(key=lambda s: -int((labels == s).sum()))  # largest first, ties shuffled
    members: list[list[str]] = [[] for _ in range(n_folds)]
    sizes = [0] * n_folds
    for study in order:
        k = int(np.argmin(sizes))
        members[k].append(study)
        sizes[k] += int((labels == study).sum())
    folds = []
    for chosen in members:
        test = np.flatnonzero(np.isin(labels, chosen))
        folds.append((np.flatnonzero(~np.isin(labels, chosen)), test))
    return folds


def synthetic_compendium(
    genes: Sequence[str],
    *,
    n_samples: int = 120,
    n_studies: int = 6,
    n_factors: int = 4,
    noise: float = 0.3,
    seed: int = 0,
) -> Compendium:
    """A generated compendium: latent programmes + study offsets + noise, and a growth rate.

    Expression is ``Z @ L + study offset + noise`` with ``n_factors`` latent programmes
    ``Z``; the growth rate is a positive function of the first two programmes (so it is
    predictable from expression), ``0.6 + 0.2 z1 - 0.1 z2`` plus small noise, clipped at
    0.05.

    Examples
    --------
    >>> comp = synthetic_compendium([f"b{i:04d}" for i in range(30)], n_samples=40, seed=1)
    >>> bool(comp.phenotypes["growth_rate"].min() > 0)
    True
    """
    if n_samples < n_studies or n_studies < 1:
        raise ConfigError(f"need n_samples >= n_studies >= 1, got {n_samples}, {n_studies}")
    rng = np.random.default_rng(seed)
    genes = [str(g) for g in genes]
    z = rng.normal(size=(n_samples, n_factors))
    loadings = rng.normal(size=(n_factors, len(genes))) * (
        rng.random((n_factors, len(genes))) < 0.4
    )
    study_index = np.arange(n_samples) % n_studies
    offsets = rng.normal(scale=0.3, size=(n_studies, len(genes)))
    values = (
        z @ loadings + offsets[study_index] + rng.normal(scale=noise, size=(n_samples, len(genes)))
    )
    ids = [f"sample_{i:04d}" for i in range(n_samples)]
    growth = 0.6 + 0.2 * z[:, 0] - 0.1 * z[:, 1] + rng.normal(scale=0.02, size=n_samples)
    growth = np.clip(growth, 0.05, None)
    studies = pd.Series([f"study_{s}" for s in study_index], index=ids, name="study")
    return Compendium(
        expression=pd.DataFrame(values.astype(np.float32), index=ids, columns=genes),
        studies=studies,
        phenotypes=pd.DataFrame({"growth_rate": growth}, index=ids),
        name=f"synthetic(seed={seed})",
    )


@dataclass
class ProgramData:
    """Generated expression with known gene programs and a phenotype driven by one of them.

    Attributes
    ----------
    expression
        Samples x genes (programme genes first, then genes outside every programme).
    phenotypes
        Samples x ``growth_rate``.
    program_edges
        ``[[gene index], [programme index]]`` (a ``kgae``'s ``program_edges``).
    node_names
        Programme names, ``pathway_0`` ...
    driver
        The programme whose activity drives the phenotype.
    activity
        Samples x programmes: the true programme activities.
    """

    expression: pd.DataFrame
    phenotypes: pd.DataFrame
    program_edges: list[list[int]]
    node_names: list[str]
    driver: str
    activity: pd.DataFrame


def synthetic_programs(
    *,
    n_programs: int = 8,
    genes_per_program: int = 12,
    overlap: int = 2,
    n_outside: int = 40,
    n_hidden: int = 3,
    n_samples: int = 160,
    driver: int = 3,
    noise: float = 0.3,
    seed: int = 0,
) -> ProgramData:
    """Expression from gene programmes, with a phenotype planted on one programme.

    Programme ``k`` has ``genes_per_program`` genes, sharing ``overlap`` genes with
    programme ``k + 1`` (as pathways share enzymes); each sample has an activity per
    programme (standard normal), and each programme gene is its programmes' activities
    times a loading (0.5 to 1.5) plus noise. ``n_outside`` genes belong to no programme and
    follow ``n_hidden`` other factors. The phenotype (``growth_rate``) is
    ``0.6 + 0.2 * activity[driver]`` plus small noise: a model whose knowledge nodes mean
    the programmes must find ``pathway_<driver>`` as the node driving it.

    Examples
    --------
    >>> d = synthetic_programs(n_programs=4, genes_per_program=5, overlap=1, n_outside=6,
    ...                        n_samples=30, driver=2, seed=0)
    >>> d.expression.shape, d.driver, d.node_names[0]
    ((30, 23), 'pathway_2', 'pathway_0')
    >>> float(np.corrcoef(d.activity["pathway_2"], d.phenotypes["growth_rate"])[0, 1]) > 0.9
    True
    """
    if not 0 <= driver < n_programs:
        raise ConfigError(f"driver must be a programme index in [0, {n_programs})")
    if not 0 <= overlap < genes_per_program:
        raise ConfigError("overlap must be smaller than genes_per_program")
    rng = np.random.default_rng(seed)
    step = genes_per_program - overlap
    n_program_genes = step * (n_programs - 1) + genes_per_program
    members = [list(range(k * step, k * step + genes_per_program)) for k in range(n_programs)]
    n_genes = n_program_genes + n_outside
    activity = rng.normal(size=(n_samples, n_programs))
    hidden = rng.normal(size=(n_samples, n_hidden))
    values = rng.normal(scale=noise, size=(n_samples, n_genes))
    for k, genes in enumerate(members):
        loading = rng.uniform(0.5, 1.5, size=len(genes)) * rng.choice([-1, 1], size=len(genes))
        values[:, genes] += activity[:, [k]] * loading[None, :]
    outside = np.arange(n_program_genes, n_genes)
    loadings = rng.normal(size=(n_hidden, n_outside))
    values[:, outside] += hidden @ loadings
    ids = [f"sample_{i:04d}" for i in range(n_samples)]
    genes = [f"g{i:04d}" for i in range(n_genes)]
    names = [f"pathway_{k}" for k in range(n_programs)]
    growth = 0.6 + 0.2 * activity[:, driver] + rng.normal(scale=0.01, size=n_samples)
    return ProgramData(
        expression=pd.DataFrame(values.astype(np.float32), index=ids, columns=genes),
        phenotypes=pd.DataFrame({"growth_rate": growth}, index=ids),
        program_edges=[
            [g for genes_k in members for g in genes_k],
            [k for k, genes_k in enumerate(members) for _ in genes_k],
        ],
        node_names=names,
        driver=names[driver],
        activity=pd.DataFrame(activity, index=ids, columns=names),
    )
