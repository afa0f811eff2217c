"""Paired transcript → protein data: alignment, splits and leak-free per-cohort scaling.

:class:`T2PData` holds samples × transcripts and samples × proteins tables from one or more
cohorts (CPTAC or user tables), aligned on sample IDs and gene symbols, plus each
protein's own mRNA. :func:`t2p_splits` makes the seeded splits of the Cranney & Meyer
protocol, and :meth:`T2PData.scaled` standardises one split per cohort with statistics of
its training samples only.

Missing values
--------------
* Transcripts: inputs must be complete. Transcripts with a missing value in any kept
  sample, and transcripts constant over all kept samples, are dropped (counted in
  :attr:`T2PData.report`).
* Proteins: a protein missing in more than ``max_missing`` of the kept samples is dropped.
  Remaining missing values stay ``NaN`` in the targets: they are **masked** in the loss
  (:class:`omicsnet.t2p.plans.MaskedRegressionPlan`) and in every metric
  (:mod:`omicsnet.t2p.evaluate`), never imputed. Baselines that cannot take missing
  targets (ridge, random forest) are fitted with them set to the protein's training mean.

These filters use only which values are missing or constant, not their values; every
statistic of the values (means, scales, variances, correlations) is computed from the
training samples of a split.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> samples = [f"S{i}" for i in range(20)]
>>> rna = pd.DataFrame(rng.normal(size=(20, 4)), index=samples, columns=["A", "B", "C", "D"])
>>> protein = pd.DataFrame(rng.normal(size=(20, 2)), index=samples, columns=["B", "X"])
>>> data = t2p_from_tables(rna, protein, genes_in_rows=False)
>>> data.own_mrna.to_dict()
{'B': 'B', 'X': None}
>>> split = next(iter(t2p_splits(data, scheme="standard", seed=0)))
>>> len(split.train), len(split.val), len(split.test)
(16, 2, 2)
>>> scaled = data.scaled(split)
>>> scaled.x_train.shape, scaled.own_index.tolist()
((16, 4), [1, -1])
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from omicsnet.data.scaling import Standardizer
from omicsnet.data.splits import train_val_test_split
from omicsnet.errors import ConfigError, DataError, shown

logger = logging.getLogger(__name__)

SCHEMES = ("standard", "target_cohort", "kx2")
DUPLICATE_POLICIES = ("error", "mean", "first")


# ---------------------------------------------------------------------- containers
@dataclass(frozen=True)
class T2PSplit:
    """One split of the samples into training, validation and test sets (sample IDs).

    Attributes
    ----------
    name
        E.g. ``"standard"``, ``"target_cohort:ucec"`` or ``"5x2/r0/f1"``.
    train, val, test
        Disjoint lists of sample IDs.
    repeat, fold
        Position in a k×2 cross-validation (``None`` otherwise).
    """

    name: str
    train: list[str]
    val: list[str]
    test: list[str]
    repeat: int | None = None
    fold: int | None = None


@dataclass
class ScaledT2P:
    """Arrays of one split, standardised per cohort with training statistics only.

    ``y_*`` hold ``NaN`` where a protein was not measured (see the module's missing-value
    policy); :meth:`dataset` turns a part into an :class:`~omicsnet.data.datasets.ArrayDataset`
    with a mask.

    Attributes
    ----------
    x_train, y_train, x_val, y_val, x_test, y_test
        float32 arrays, samples × transcripts and samples × proteins.
    train_ids, val_ids, test_ids
        Sample IDs of the rows.
    transcripts, proteins
        Column names.
    own_index
        For each protein, the column of its own mRNA in ``x`` (``-1`` when none).
    transcript_variance
        Variance of each transcript on the raw (unscaled) training samples, pooled
        within cohorts; used to pick the most variable transcripts.
    rna_scalers, protein_scalers
        The fitted :class:`~omicsnet.data.scaling.Standardizer` of each cohort.
    split
        The split these arrays come from.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    train_ids: list[str]
    val_ids: list[str]
    test_ids: list[str]
    transcripts: list[str]
    proteins: list[str]
    own_index: np.ndarray
    transcript_variance: pd.Series
    rna_scalers: dict[str, Standardizer] = field(default_factory=dict)
    protein_scalers: dict[str, Standardizer] = field(default_factory=dict)
    split: T2PSplit | None = None

    def part(self, name: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Return ``(x, y, sample_ids)`` of ``"train"``, ``"val"`` or ``"test"``."""
        if name not in ("train", "val", "test"):
            raise ConfigError(f"part must be 'train', 'val' or 'test', got {name!r}")
        return getattr(self, f"x_{name}"), getattr(self, f"y_{name}"), getattr(self, f"{name}_ids")

    def dataset(self, name: str) -> Any:
        """Return one part as an ``ArrayDataset`` with inputs ``x``, ``mask`` and targets ``y``.

        Missing targets are stored as 0 with ``mask`` 0; the masked plan restores them as
        ``NaN`` so that the loss and metrics skip them.
        """
        from omicsnet.data.datasets import ArrayDataset

        x, y, ids = self.part(name)
        observed = np.isfinite(y)
        return ArrayDataset(
            {"x": x, "mask": observed.astype(np.float32)},
            np.where(observed, y, 0.0).astype(np.float32),
            sample_ids=ids,
            feature_names=self.transcripts,
            target_names=self.proteins,
        )


@dataclass
class T2PData:
    """Aligned transcript and protein tables of one or more cohorts.

    Attributes
    ----------
    rna
        Samples × transcripts (complete, log scale).
    protein
        Samples × proteins (``NaN`` where not measured, at most ``max_missing`` per protein).
    cohort
        Sample → cohort name.
    own_mrna
        Protein → the transcript column of its own mRNA (same gene symbol), or ``None``.
    report
        What alignment dropped and why (counts and example IDs).
    """

    rna: pd.DataFrame
    protein: pd.DataFrame
    cohort: pd.Series
    own_mrna: pd.Series
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def own_index(self) -> np.ndarray:
        """For each protein, the column number of its own mRNA in :attr:`rna` (``-1``: none).

        Examples
        --------
        >>> import pandas as pd
        >>> d = T2PData(pd.DataFrame(columns=["A", "B"]), pd.DataFrame(columns=["B", "Z"]),
        ...             pd.Series(dtype=str), pd.Series({"B": "B", "Z": None}))
        >>> d.own_index.tolist()
        [1, -1]
        """
        position = {name: i for i, name in enumerate(self.rna.columns)}
        return np.array(
            [position.get(self.own_mrna.get(p), -1) for p in self.protein.columns], dtype=np.int64
        )

    @property
    def cohorts(self) -> list[str]:
        """Cohort names in order of appearance."""
        return list(dict.fromkeys(self.cohort.tolist()))

    def scaled(self, split: T2PSplit) -> ScaledT2P:
        """Standardise one split per cohort with its training samples' statistics only.

        For each cohort, transcripts and proteins are centred and scaled with the mean and
        standard deviation of that cohort's training samples (proteins: over their
        measured values); validation and test samples of the cohort get the same
        transform. Nothing computed from validation or test values reaches the training
        arrays or the scalers.

        Raises
        ------
        DataError
            Unknown or repeated sample IDs, or a cohort with held-out but no training samples.
        """
        _check_split(split, self.rna.index)
        rna_scalers: dict[str, Standardizer] = {}
        protein_scalers: dict[str, Standardizer] = {}
        variances, weights = [], []
        for name in self.cohorts:
            train_ids = [s for s in split.train if self.cohort[s] == name]
            held = [s for s in split.val + split.test if self.cohort[s] == name]
            if not train_ids:
                if held:
                    raise DataError(
                        f"split {split.name!r}: cohort {name!r} has {len(held)} validation/test "
                        "samples but no training samples to fit its scaling on"
                    )
                continue
            rna_train = self.rna.loc[train_ids]
            rna_scalers[name] = Standardizer().fit(rna_train)
            protein_scalers[name] = Standardizer().fit(self.protein.loc[train_ids])
            if len(train_ids) > 1:
                variances.append(rna_train.var(axis=0, ddof=1))
                weights.append(len(train_ids) - 1)
        if variances:
            variance = sum(v * w for v, w in zip(variances, weights, strict=True)) / sum(weights)
        else:
            variance = pd.Series(0.0, index=self.rna.columns)

        def transform(ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
            x = np.empty((len(ids), self.rna.shape[1]), dtype=np.float32)
            y = np.empty((len(ids), self.protein.shape[1]), dtype=np.float32)
            cohorts = self.cohort.loc[ids].to_numpy() if ids else np.array([])
            for name in np.unique(cohorts):
                rows = np.flatnonzero(cohorts == name)
                members = [ids[i] for i in rows]
                x[rows] = rna_scalers[name].transform(self.rna.loc[members]).to_numpy()
                y[rows] = protein_scalers[name].transform(self.protein.loc[members]).to_numpy()
            return x, y

        x_train, y_train = transform(list(split.train))
        x_val, y_val = transform(list(split.val))
        x_test, y_test = transform(list(split.test))
        return ScaledT2P(
            x_train=x_train,
            y_train=y_train,
            x_val=x_val,
            y_val=y_val,
            x_test=x_test,
            y_test=y_test,
            train_ids=list(split.train),
            val_ids=list(split.val),
            test_ids=list(split.test),
            transcripts=[str(c) for c in self.rna.columns],
            proteins=[str(c) for c in self.protein.columns],
            own_index=self.own_index,
            transcript_variance=variance.rename("variance"),
            rna_scalers=rna_scalers,
            protein_scalers=protein_scalers,
            split=split,
        )

    def subset_proteins(self, proteins: Sequence[str]) -> T2PData:
        """Return a copy restricted to ``proteins`` (e.g. for quick runs), in that order.

        Examples
        --------
        >>> import pandas as pd
        >>> d = T2PData(pd.DataFrame(columns=["A"]), pd.DataFrame(columns=["A", "Z"]),
        ...             pd.Series(dtype=str), pd.Series({"A": "A", "Z": None}))
        >>> d.subset_proteins(["Z"]).protein.columns.tolist()
        ['Z']
        """
        unknown = [p for p in proteins if p not in self.protein.columns]
        if unknown:
            raise DataError(f"unknown proteins {unknown[:5]} ({len(unknown)} in all)")
        return T2PData(
            self.rna,
            self.protein[list(proteins)],
            self.cohort,
            self.own_mrna[list(proteins)],
            dict(self.report),
        )


def _check_split(split: T2PSplit, samples: pd.Index) -> None:
    seen: dict[str, str] = {}
    for part in ("train", "val", "test"):
        for sample in getattr(split, part):
            if sample in seen:
                raise DataError(
                    f"split {split.name!r}: sample {sample!r} is in both {seen[sample]} and {part}"
                )
            seen[sample] = part
    unknown = [s for s in seen if s not in samples]
    if unknown:
        raise DataError(f"split {split.name!r}: unknown sample IDs {unknown[:5]}")


# ---------------------------------------------------------------------- alignment
def _dedupe_columns(frame: pd.DataFrame, what: str, policy: str) -> tuple[pd.DataFrame, list[str]]:
    duplicated = frame.columns[frame.columns.duplicated()].unique().tolist()
    if not duplicated:
        return frame, []
    if policy == "error":
        raise DataError(
            f"{what}: {len(duplicated)} gene symbols appear more than once "
            f"(e.g. {duplicated[:5]}); pass duplicates='mean' or 'first' to merge them"
        )
    if policy == "first":
        return frame.loc[:, ~frame.columns.duplicated()], duplicated
    return frame.T.groupby(level=0, sort=False).mean().T, duplicated


def align_t2p(
    cohorts: Mapping[str, tuple[pd.DataFrame, pd.DataFrame]],
    *,
    tumour: Mapping[str, pd.Series] | None = None,
    tumour_only: bool = True,
    max_missing: float = 0.2,
    duplicates: str = "error",
) -> T2PData:
    """Align samples and genes of one or more cohorts into a :class:`T2PData`.

    Parameters
    ----------
    cohorts
        Cohort name → ``(rna, protein)``, both samples × gene symbols.
    tumour
        Cohort name → sample → ``True`` for tumour samples (cohorts without one keep
        every sample).
    tumour_only
        Keep tumour samples only (needs ``tumour``; ``False`` keeps normals too).
    max_missing
        Largest fraction of kept samples in which a protein may be missing.
    duplicates
        What to do with a gene symbol that names several columns: ``"error"`` (the
        message lists them), ``"mean"`` or ``"first"``.

    Raises
    ------
    DataError
        Repeated sample IDs, a sample ID used by two cohorts, no sample or no gene in
        common, or nothing left after filtering.

    Examples
    --------
    >>> import pandas as pd
    >>> rna = pd.DataFrame([[1.0, 2], [3, 5], [4, 1]], index=["a", "b", "c"], columns=["G1", "G2"])
    >>> prot = pd.DataFrame([[0.5], [0.1]], index=["b", "a"], columns=["G2"])
    >>> data = align_t2p({"demo": (rna, prot)})
    >>> data.rna.index.tolist(), data.report["demo"]["rna_only_samples"]
    (['a', 'b'], ['c'])
    """
    if duplicates not in DUPLICATE_POLICIES:
        raise ConfigError(f"duplicates must be one of {DUPLICATE_POLICIES}, got {duplicates!r}")
    if not 0.0 <= max_missing < 1.0:
        raise ConfigError(f"max_missing must be in [0, 1), got {max_missing}")
    if not cohorts:
        raise DataError("no cohorts given")
    report: dict[str, Any] = {}
    rna_parts, protein_parts, cohort_parts = [], [], []
    owner: dict[str, str] = {}
    for name, (rna, protein) in cohorts.items():
        info: dict[str, Any] = {}
        rna, protein = rna.copy(), protein.copy()
        for frame in (rna, protein):
            frame.index = frame.index.map(str)
            frame.columns = frame.columns.map(str)
        for frame, what in ((rna, "transcriptomics"), (protein, "proteomics")):
            dup = frame.index[frame.index.duplicated()]
            if len(dup):
                raise DataError(f"cohort {name!r} {what}: sample ID {dup[0]!r} appears twice")
        rna, info["rna_duplicate_symbols"] = _dedupe_columns(
            rna, f"cohort {name!r} transcriptomics", duplicates
        )
        protein, info["protein_duplicate_symbols"] = _dedupe_columns(
            protein, f"cohort {name!r} proteomics", duplicates
        )
        shared = rna.index.intersection(protein.index, sort=False)
        info["rna_only_samples"] = sorted(rna.index.difference(protein.index))
        info["protein_only_samples"] = sorted(protein.index.difference(rna.index))
        if len(shared) == 0:
            raise DataError(
                f"cohort {name!r}: no sample is in both tables (transcriptomics e.g. "
                f"{list(rna.index[:3])}, proteomics e.g. {list(protein.index[:3])})"
            )
        if tumour_only and tumour is not None and name in tumour:
            flags = tumour[name].reindex(shared)
            unknown = flags[flags.isna()].index.tolist()
            if unknown:
                raise DataError(
                    f"cohort {name!r}: tumour/normal status unknown for samples {unknown[:5]}"
                )
            info["normal_samples_dropped"] = sorted(flags[~flags.astype(bool)].index)
            shared = flags[flags.astype(bool)].index
        for sample in shared:
            if sample in owner:
                raise DataError(
                    f"sample ID {sample!r} is in cohorts {owner[sample]!r} and {name!r}; "
                    "rename the samples so that IDs are unique across cohorts"
                )
            owner[sample] = name
        info["samples"] = len(shared)
        report[name] = info
        rna_parts.append(rna.loc[shared])
        protein_parts.append(protein.loc[shared])
        cohort_parts.append(pd.Series(name, index=shared))
        logger.info(
            "cohort %s: %d paired samples (%d rna-only, %d protein-only)",
            name,
            len(shared),
            len(info["rna_only_samples"]),
            len(info["protein_only_samples"]),
        )

    transcripts = _common_columns([p.columns for p in rna_parts])
    proteins = _common_columns([p.columns for p in protein_parts])
    every = set().union(*(p.columns for p in rna_parts))
    report["transcripts_not_in_every_cohort"] = len(every) - len(transcripts)
    rna_all = pd.concat([p[transcripts] for p in rna_parts]).astype(float)
    protein_all = pd.concat([p[proteins] for p in protein_parts]).astype(float)
    cohort = pd.concat(cohort_parts).rename("cohort")

    incomplete = rna_all.columns[rna_all.isna().any()]
    complete = rna_all.columns.difference(incomplete, sort=False)
    values = rna_all[complete].to_numpy()
    constant = complete[values.max(axis=0) == values.min(axis=0)]
    rna_all = rna_all.drop(columns=incomplete.union(constant))
    report["transcripts_with_missing_values"] = len(incomplete)
    report["constant_transcripts"] = len(constant)
    missing = protein_all.isna().mean()
    too_sparse = missing.index[missing > max_missing]
    protein_all = protein_all.drop(columns=too_sparse)
    report["proteins_over_max_missing"] = len(too_sparse)
    if rna_all.shape[1] == 0 or protein_all.shape[1] == 0:
        raise DataError(
            f"nothing left to model: {rna_all.shape[1]} transcripts and {protein_all.shape[1]} "
            f"proteins after filtering (max_missing={max_missing})"
        )
    known = set(rna_all.columns)
    own = pd.Series(
        {p: (p if p in known else None) for p in protein_all.columns}, dtype=object, name="own_mrna"
    )
    report["proteins_with_own_mrna"] = int(own.notna().sum())
    if report["proteins_with_own_mrna"] == 0:
        raise DataError(
            f"none of the {protein_all.shape[1]} proteins has its own transcript among the "
            f"{rna_all.shape[1]} transcripts (e.g. protein {shown(protein_all.columns[0])}, "
            f"transcript {shown(rna_all.columns[0])}): are both tables named by the same kind "
            "of ID (gene symbols)?"
        )
    if report["proteins_with_own_mrna"] < 0.5 * protein_all.shape[1]:
        logger.warning(
            "only %d of %d proteins have their own transcript: check that both tables use "
            "the same gene IDs",
            report["proteins_with_own_mrna"],
            protein_all.shape[1],
        )
    report["missing_target_fraction"] = float(protein_all.isna().to_numpy().mean())
    logger.info(
        "t2p data: %d samples, %d transcripts, %d proteins (%d with their own mRNA)",
        len(rna_all),
        rna_all.shape[1],
        protein_all.shape[1],
        report["proteins_with_own_mrna"],
    )
    return T2PData(rna_all, protein_all, cohort, own, report)


def _common_columns(columns: list[pd.Index]) -> list[str]:
    common = columns[0]
    for other in columns[1:]:
        common = common.intersection(other, sort=False)
    if len(common) == 0:
        raise DataError("the cohorts share no gene symbol")
    return [str(c) for c in common]


# ---------------------------------------------------------------------- loading
def t2p_from_tables(
    rna: pd.DataFrame | str | os.PathLike[str],
    protein: pd.DataFrame | str | os.PathLike[str],
    *,
    cohort: str = "user",
    tumour: pd.Series | None = None,
    genes_in_rows: bool = True,
    max_missing: float = 0.2,
    duplicates: str = "error",
) -> T2PData:
    """Build :class:`T2PData` from your own tables (DataFrames or CSV/TSV files).

    Parameters
    ----------
    rna, protein
        Tables or paths to them (read with :func:`omicsnet.data.tables.read_table`; missing
        protein values may be empty cells or ``NA``).
    cohort
        Name given to these samples.
    tumour
        Optional sample → tumour flag; when given, only tumours are kept.
    genes_in_rows
        ``True`` for genes × samples tables (as CPTAC's); ``False`` for samples × genes.
    max_missing, duplicates
        See :func:`align_t2p`.
    """
    from omicsnet.data.tables import read_table

    frames = []
    for table in (rna, protein):
        if isinstance(table, pd.DataFrame):
            frames.append(table.T if genes_in_rows else table)
        else:
            frames.append(read_table(table, transpose=genes_in_rows))
    return align_t2p(
        {cohort: (frames[0], frames[1])},
        tumour=None if tumour is None else {cohort: tumour},
        tumour_only=tumour is not None,
        max_missing=max_missing,
        duplicates=duplicates,
    )


def load_t2p(
    cohorts: str | Sequence[str] = "ucec",
    *,
    data_dir: str | os.PathLike[str] | None = None,
    source: str = "auto",
    release: str | os.PathLike[str] | None = None,
    cache: str | os.PathLike[str] | None = None,
    max_missing: float = 0.2,
    tumour_only: bool = True,
    duplicates: str = "mean",
) -> T2PData:
    """Load CPTAC cohorts as aligned transcript → protein data.

    Parameters
    ----------
    cohorts
        One cohort name or several (``"ucec"``, ``"brca"``, ``"luad"``...).
    data_dir
        Data directory holding ``transcript_protein/cptac_ucec`` (else ``OMICSNET_DATA``).
    source
        ``"files"``: UCEC from the release files only; ``"package"``: every cohort through
        the ``cptac`` package (cached); ``"auto"``: UCEC from the files, others through the
        package.
    release
        A folder or ``cptac`` 0.4.1 wheel with the UCEC files (overrides ``data_dir``).
    cache
        Cache folder of the package source (see :func:`omicsnet.t2p.cptac.cache_dir`).
    max_missing, tumour_only, duplicates
        See :func:`align_t2p`.

    Examples
    --------
    >>> data = load_t2p("ucec")  # doctest: +SKIP
    >>> data.rna.shape, data.protein.shape  # doctest: +SKIP
    ((101, 25886), (101, 9102))
    """
    from omicsnet.t2p.cptac import load_cptac_package, read_ucec_release

    if source not in ("auto", "files", "package"):
        raise ConfigError(f"source must be 'auto', 'files' or 'package', got {source!r}")
    names = [cohorts] if isinstance(cohorts, str) else list(cohorts)
    tables: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}
    flags: dict[str, pd.Series] = {}
    for name in names:
        key = name.lower()
        if key in ("ucec", "endometrial") and source in ("auto", "files"):
            loaded = read_ucec_release(release, data_dir=data_dir)
        elif source == "files":
            raise ConfigError(
                f"cohort {name!r}: only UCEC ships as offline release files; use "
                "source='package' (needs the cptac package and network once) or your own "
                "tables with t2p_from_tables()"
            )
        else:
            loaded = load_cptac_package(key, cache=cache)
        tables[loaded.name] = (loaded.rna, loaded.protein)
        flags[loaded.name] = loaded.tumour
    return align_t2p(
        tables,
        tumour=flags,
        tumour_only=tumour_only,
        max_missing=max_missing,
        duplicates=duplicates,
    )


# ---------------------------------------------------------------------- splits
def t2p_splits(
    data: T2PData,
    *,
    scheme: str = "kx2",
    k: int = 5,
    seed: int = 0,
    val: float = 0.1,
    test: float = 0.1,
    target_cohort: str | None = None,
    target_fractions: tuple[float, float, float] = (0.45, 0.1, 0.45),
) -> Iterator[T2PSplit]:
    """Seeded splits of the samples: standard, target-cohort or k×2 cross-validation.

    Every scheme splits each cohort separately, so each cohort keeps its proportions.

    Parameters
    ----------
    data
        The aligned data (only its sample IDs and cohorts are used).
    scheme
        ``"standard"``: one split, ``1 - val - test`` / ``val`` / ``test`` of every cohort
        (0.8/0.1/0.1 by default). ``"target_cohort"``: the target cohort split
        ``target_fractions`` (train, val, test; 0.45/0.1/0.45 by default) and every other
        cohort entirely in training. ``"kx2"``: ``k`` repeats of 2-fold cross-validation
        (5×2 by default, 100×2 possible); in each repeat the two halves take turns as
        training and test set, and ``val`` of the training half is held out for validation.
    k
        Repeats of the k×2 scheme.
    seed
        The same seed gives the same splits; repeats use independent seeds derived from it.
    val, test
        Fractions of the standard scheme (``val`` is also the k×2 validation share).
    target_cohort
        Cohort to predict in the target-cohort scheme.
    target_fractions
        (train, val, test) fractions of the target cohort.

    Yields
    ------
    T2PSplit

    Examples
    --------
    >>> import pandas as pd
    >>> ids = [f"S{i}" for i in range(10)]
    >>> d = T2PData(pd.DataFrame(index=ids), pd.DataFrame(index=ids),
    ...             pd.Series("c", index=ids), pd.Series(dtype=object))
    >>> splits = list(t2p_splits(d, scheme="kx2", k=2, seed=0, val=0.0))
    >>> [s.name for s in splits], len(splits[0].train), len(splits[0].test)
    (['2x2/r0/f0', '2x2/r0/f1', '2x2/r1/f0', '2x2/r1/f1'], 5, 5)
    """
    if scheme not in SCHEMES:
        raise ConfigError(f"unknown split scheme {scheme!r}; choose one of {SCHEMES}")
    samples = np.asarray(data.rna.index.map(str))
    cohorts = data.cohort.reindex(samples).to_numpy()
    if scheme == "standard":
        tr, va, te = train_val_test_split(
            len(samples), val=val, test=test, seed=seed, stratify=cohorts
        )
        yield T2PSplit("standard", _ids(samples, tr), _ids(samples, va), _ids(samples, te))
        return
    if scheme == "target_cohort":
        yield _target_cohort_split(samples, cohorts, target_cohort, target_fractions, seed)
        return
    if int(k) < 1:
        raise ConfigError(f"k must be >= 1 for kx2 cross-validation, got {k}")
    if not 0.0 <= val < 1.0:
        raise ConfigError(f"val must be in [0, 1), got {val}")
    for repeat in range(int(k)):
        rng = np.random.default_rng([int(seed), repeat])
        halves: list[list[np.ndarray]] = [[], []]
        for name in pd.unique(cohorts):
            members = rng.permutation(np.flatnonzero(cohorts == name))
            cut = (len(members) + int(rng.integers(2))) // 2  # odd sizes: random half larger
            halves[0].append(members[:cut])
            halves[1].append(members[cut:])
        parts = [np.concatenate(h) for h in halves]
        if min(len(p) for p in parts) == 0:
            raise DataError(f"kx2 cross-validation needs at least 2 samples, got {len(samples)}")
        for fold in range(2):
            train_all, held = parts[fold], parts[1 - fold]
            train, valid = _hold_out(train_all, cohorts, val, rng)
            yield T2PSplit(
                f"{k}x2/r{repeat}/f{fold}",
                _ids(samples, train),
                _ids(samples, valid),
                _ids(samples, held),
                repeat=repeat,
                fold=fold,
            )


def _ids(samples: np.ndarray, index: np.ndarray) -> list[str]:
    return [str(s) for s in samples[np.sort(index)]]


def _hold_out(
    index: np.ndarray, cohorts: np.ndarray, fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Move ``fraction`` of each cohort's samples in ``index`` to a validation set."""
    if fraction <= 0:
        return index, np.array([], dtype=np.int64)
    keep, moved = [], []
    for name in pd.unique(cohorts[index]):
        members = rng.permutation(index[cohorts[index] == name])
        n_val = round(fraction * len(members))
        if n_val >= len(members):
            n_val = len(members) - 1
        moved.append(members[:n_val])
        keep.append(members[n_val:])
    return np.concatenate(keep), np.concatenate(moved).astype(np.int64)


def _target_cohort_split(
    samples: np.ndarray,
    cohorts: np.ndarray,
    target: str | None,
    fractions: tuple[float, float, float],
    seed: int,
) -> T2PSplit:
    present = list(pd.unique(cohorts))
    if target is None:
        raise ConfigError(f"scheme 'target_cohort' needs target_cohort= (one of {present})")
    if target not in present:
        raise DataError(f"target cohort {target!r} not in the data (cohorts: {present})")
    if len(fractions) != 3 or abs(sum(fractions) - 1.0) > 1e-9:
        raise ConfigError(f"target_fractions must be 3 numbers summing to 1, got {fractions}")
    members = np.flatnonzero(cohorts == target)
    tr, va, te = train_val_test_split(len(members), val=fractions[1], test=fractions[2], seed=seed)
    others = np.flatnonzero(cohorts != target)
    train = np.concatenate([members[tr], others])
    return T2PSplit(
        f"target_cohort:{target}",
        _ids(samples, train),
        _ids(samples, members[va]),
        _ids(samples, members[te]),
    )


# ---------------------------------------------------------------------- residual sets
def residual_indices(
    scaled: ScaledT2P, kind: str = "own", *, seed: int = 0, chunk: int = 1024
) -> list[int]:
    """One input column per protein for the input → output residual of ``residual_mlp``.

    Parameters
    ----------
    scaled
        A scaled split; correlations use its training samples only.
    kind
        ``"own"``: the protein's own mRNA (``-1`` when it has none); ``"correlated"``:
        the transcript most positively correlated with the protein on the training
        samples (which may be its own mRNA); ``"uncorrelated"``: the transcript with the
        smallest absolute correlation; ``"random"``: a random transcript (seeded).
    seed
        Seed of the ``"random"`` set.
    chunk
        Proteins per block of the correlation computation (memory bound).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(30, 3)).astype("float32")
    >>> y = np.stack([x[:, 2], -x[:, 0]], axis=1)
    >>> s = ScaledT2P(x, y, x[:0], y[:0], x[:0], y[:0], [], [], [], ["a", "b", "c"],
    ...               ["P1", "P2"], np.array([-1, 0]), pd.Series(dtype=float))
    >>> residual_indices(s, "own"), residual_indices(s, "correlated")
    ([-1, 0], [2, 1])
    """
    n_in = scaled.x_train.shape[1]
    if kind == "own":
        return [int(i) for i in scaled.own_index]
    if kind == "random":
        rng = np.random.default_rng(seed)
        return [int(i) for i in rng.integers(0, n_in, size=len(scaled.proteins))]
    if kind not in ("correlated", "uncorrelated"):
        raise ConfigError(
            f"residual set must be 'own', 'correlated', 'uncorrelated' or 'random', got {kind!r}"
        )
    x = scaled.x_train.astype(np.float64)
    x = (x - x.mean(0)) / np.maximum(x.std(0), 1e-12)
    chosen = np.empty(scaled.y_train.shape[1], dtype=np.int64)
    for start in range(0, scaled.y_train.shape[1], chunk):
        y = scaled.y_train[:, start : start + chunk].astype(np.float64)
        observed = np.isfinite(y)
        count = np.maximum(observed.sum(0), 1)
        mean = np.where(observed, y, 0.0).sum(0) / count
        y = np.where(observed, y - mean, 0.0)  # missing targets contribute nothing
        y /= np.maximum(np.sqrt((y**2).sum(0) / count), 1e-12)
        corr = x.T @ y / count  # transcripts × proteins
        if kind == "correlated":
            chosen[start : start + chunk] = corr.argmax(0)
        else:
            chosen[start : start + chunk] = np.abs(corr).argmin(0)
    return [int(i) for i in chosen]


def restrict_transcripts(scaled: ScaledT2P, top_variable: int | None) -> ScaledT2P:
    """Keep the ``top_variable`` transcripts most variable on the training samples, plus
    every protein's own mRNA; ``None`` keeps all.

    Only training statistics choose the inputs (``scaled.transcript_variance``), so the
    test samples play no part. Column order is kept and ``own_index`` is remapped.

    Examples
    --------
    >>> from omicsnet.t2p.workflows import prepare_split, synthetic_t2p
    >>> data = synthetic_t2p(n_samples=40, n_genes=20, n_proteins=3)
    >>> scaled = prepare_split(data, {"seed": 0})
    >>> small = restrict_transcripts(scaled, 5)
    >>> small.x_train.shape[1] <= 8, bool(small.own_index.min() >= 0)
    (True, True)
    """
    if top_variable is None:
        return scaled
    if isinstance(top_variable, bool) or not isinstance(top_variable, int) or top_variable < 1:
        raise ConfigError(f"top_variable must be a positive integer or None, got {top_variable!r}")
    variance = scaled.transcript_variance.reindex(scaled.transcripts).to_numpy(dtype=float)
    order = np.argsort(-np.nan_to_num(variance, nan=-1.0), kind="stable")[:top_variable]
    keep = np.zeros(len(scaled.transcripts), dtype=bool)
    keep[order] = True
    own = np.asarray(scaled.own_index)
    keep[own[own >= 0]] = True
    columns = np.flatnonzero(keep)
    new_position = np.full(len(scaled.transcripts), -1, dtype=np.int64)
    new_position[columns] = np.arange(len(columns))
    return dataclasses.replace(
        scaled,
        x_train=np.ascontiguousarray(scaled.x_train[:, columns]),
        x_val=np.ascontiguousarray(scaled.x_val[:, columns]),
        x_test=np.ascontiguousarray(scaled.x_test[:, columns]),
        transcripts=[scaled.transcripts[i] for i in columns],
        own_index=np.where(own >= 0, new_position[np.clip(own, 0, None)], -1),
        transcript_variance=scaled.transcript_variance.iloc[columns],
    )
