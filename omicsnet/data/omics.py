"""Several omics tables of the same samples joined into one input, with a stated policy for
samples missing a modality.

Multi-omics models (``early_fusion``, ``intermediate_fusion`` in :mod:`omicsnet.multiomics`)
take one flat input: the omics side by side, each feature named ``OMICS:FEATURE`` (so that
a gene measured as mRNA and as protein stays two features), plus the block layout
``[[omics, width], ...]`` that tells an intermediate-fusion model where each omics starts.
The tables come from CSV/TSV files, AnnData files or one MuData file (one modality per
omics; :func:`omicsnet.data.anndata_io.read_modalities`).

Samples missing a modality (a MuData modality measured on fewer samples, or tables with
different samples) follow one of three policies:

``"drop"`` (default)
    Keep the samples measured in every omics; the others are dropped and counted
    (:attr:`JoinedOmics.dropped`).
``"impute"``
    Keep every sample; a missing modality's features are missing values, filled later
    with the **training** samples' mean of each feature (:func:`impute_training_means`,
    called after the split so that no test sample informs it). Single missing cells are
    filled the same way.
``"error"``
    Refuse samples that differ between tables, naming a few on each side (the message of
    :func:`omicsnet.data.datasets.align_samples`).

Examples
--------
>>> import pandas as pd
>>> rna = pd.DataFrame({"TP53": [1.0, 2.0, 3.0]}, index=["s1", "s2", "s3"])
>>> prot = pd.DataFrame({"TP53": [0.5, 0.7]}, index=["s3", "s1"])
>>> joined = join_omics({"rna": rna, "prot": prot})
>>> joined.x.columns.tolist(), joined.x.index.tolist(), joined.dropped
(['rna:TP53', 'prot:TP53'], ['s1', 's3'], ['s2'])
>>> joined.blocks
[['rna', 1], ['prot', 1]]
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from omicsnet.errors import ConfigError, DataError, shown

logger = logging.getLogger(__name__)

MISSING_POLICIES = ("drop", "impute", "error")
SEPARATOR = ":"


@dataclass
class JoinedOmics:
    """Omics tables joined side by side.

    Attributes
    ----------
    x
        Samples × features, columns ``OMICS:FEATURE``, omics in the order given.
    blocks
        ``[[omics, width], ...]``: the column blocks of ``x`` (the ``omics`` option of the
        fusion models).
    present
        Samples × omics, ``True`` where the sample was measured in that omics.
    dropped
        Samples left out by ``policy="drop"`` (measured in some omics but not all).
    policy
        The policy applied.
    """

    x: pd.DataFrame
    blocks: list[list[str | int]]
    present: pd.DataFrame
    dropped: list[str] = field(default_factory=list)
    policy: str = "drop"

    def block(self, name: str) -> pd.DataFrame:
        """The columns of one omics, with their original feature names.

        Examples
        --------
        >>> j = join_omics({"a": pd.DataFrame({"g": [1.0]}, index=["s"])})
        >>> j.block("a").columns.tolist()
        ['g']
        """
        names = [str(b[0]) for b in self.blocks]
        if name not in names:
            raise ConfigError(f"no omics {name!r}; omics: {', '.join(names)}")
        prefix = f"{name}{SEPARATOR}"
        frame = self.x[[c for c in self.x.columns if c.startswith(prefix)]]
        return frame.rename(columns=lambda c: c[len(prefix) :])


def join_omics(tables: Mapping[str, pd.DataFrame], *, policy: str = "drop") -> JoinedOmics:
    """Join omics tables (samples in rows) side by side (see the module docstring).

    Parameters
    ----------
    tables
        ``{omics name: samples × features}``, in the order the blocks should have.
    policy
        ``"drop"``, ``"impute"`` or ``"error"`` for samples missing a modality.

    Raises
    ------
    ConfigError
        Unknown policy, no tables, or an omics name containing ``:``.
    DataError
        A repeated sample ID in a table, no sample measured in every omics (``"drop"``),
        or differing samples (``"error"``).

    Examples
    --------
    >>> a = pd.DataFrame({"g": [1.0, 2.0]}, index=["s1", "s2"])
    >>> b = pd.DataFrame({"p": [5.0]}, index=["s2"])
    >>> j = join_omics({"rna": a, "prot": b}, policy="impute")
    >>> j.x.loc["s1"].tolist(), j.present.loc["s1"].tolist()
    ([1.0, nan], [True, False])
    >>> join_omics({"rna": a, "prot": b}, policy="error")
    Traceback (most recent call last):
    ...
    omicsnet.errors.DataError: sample IDs differ between rna and prot: 1 only in rna ...
    """
    from omicsnet.data.datasets import align_samples

    if policy not in MISSING_POLICIES:
        raise ConfigError(
            f"missing_modality must be one of {', '.join(MISSING_POLICIES)}, got {policy!r}"
        )
    if not tables:
        raise ConfigError("no omics tables to join")
    names = [str(n) for n in tables]
    for name in names:
        if SEPARATOR in name or not name:
            raise ConfigError(f"omics name {name!r} must be non-empty and without {SEPARATOR!r}")
    frames: dict[str, pd.DataFrame] = {}
    for name, frame in tables.items():
        frame = frame.copy()
        frame.index = frame.index.map(str)
        dup = frame.index[frame.index.duplicated()]
        if len(dup):
            raise DataError(f"{name}: sample ID {shown(dup[0])} appears more than once")
        frames[str(name)] = frame
    first = frames[names[0]]
    if policy == "error":
        for name in names[1:]:
            align_samples(first, frames[name], names[0], name)
        samples = first.index
    elif policy == "drop":
        samples = first.index
        for name in names[1:]:
            samples = samples[samples.isin(frames[name].index)]
        if len(samples) == 0:
            raise DataError(f"no sample is measured in every omics ({', '.join(names)})")
    else:
        seen: dict[str, None] = {}
        for name in names:
            seen.update(dict.fromkeys(frames[name].index))
        samples = pd.Index(list(seen))
    union: dict[str, None] = {}
    for name in names:
        union.update(dict.fromkeys(frames[name].index))
    kept = set(samples)
    dropped = [s for s in union if s not in kept]
    if dropped:
        logger.warning(
            "%d of %d samples are not measured in every omics and are dropped "
            "(missing_modality='drop'), e.g. %s",
            len(dropped), len(union), dropped[:3],
        )  # fmt: skip
    parts = []
    present = {}
    for name in names:
        frame = frames[name].reindex(samples)
        present[name] = samples.isin(frames[name].index)
        frame.columns = [f"{name}{SEPARATOR}{c}" for c in frame.columns]
        parts.append(frame)
    x = pd.concat(parts, axis=1)
    return JoinedOmics(
        x=x.astype(float),
        blocks=[[name, int(frames[name].shape[1])] for name in names],
        present=pd.DataFrame(present, index=samples),
        dropped=dropped,
        policy=policy,
    )


def impute_training_means(x: pd.DataFrame, train: np.ndarray | list[int]) -> pd.DataFrame:
    """Fill missing values with each feature's mean over the training rows only.

    A feature missing in every training sample is filled with 0. Rows are positions.

    Examples
    --------
    >>> x = pd.DataFrame({"g": [1.0, 3.0, np.nan, 100.0]})
    >>> impute_training_means(x, [0, 1, 2])["g"].tolist()
    [1.0, 3.0, 2.0, 100.0]
    """
    values = x.to_numpy(dtype=float)
    if not np.isnan(values).any():
        return x
    train_values = values[np.asarray(train, dtype=int)]
    with np.errstate(all="ignore"):
        counts = (~np.isnan(train_values)).sum(axis=0)
        means = np.where(counts > 0, np.nansum(train_values, axis=0) / np.maximum(counts, 1), 0.0)
    filled = np.where(np.isnan(values), means[None, :], values)
    return pd.DataFrame(filled, index=x.index, columns=x.columns)


__all__ = ["MISSING_POLICIES", "JoinedOmics", "impute_training_means", "join_omics"]
