"""Seeded train / validation / test splits of samples, and stratified fold assignments."""

from __future__ import annotations

from typing import Any

import numpy as np

from omicsnet.errors import ConfigError


def train_val_test_split(
    n_samples: int,
    *,
    val: float = 0.1,
    test: float = 0.1,
    seed: int = 0,
    stratify: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split ``range(n_samples)`` into disjoint train/val/test index arrays.

    Parameters
    ----------
    n_samples
        Number of samples.
    val, test
        Fractions for validation and test (the rest trains).
    seed
        Random seed; the same seed gives the same split.
    stratify
        Optional class labels: each class is split in the same proportions.

    Examples
    --------
    >>> tr, va, te = train_val_test_split(10, val=0.2, test=0.2, seed=1)
    >>> len(tr), len(va), len(te)
    (6, 2, 2)
    >>> sorted(np.concatenate([tr, va, te]).tolist()) == list(range(10))
    True
    """
    if not (0 <= val < 1 and 0 <= test < 1 and val + test < 1):
        raise ConfigError(
            f"split fractions must be in [0, 1) and sum below 1: val={val}, test={test}"
        )
    rng = np.random.default_rng(seed)
    groups = (
        [np.arange(n_samples)]
        if stratify is None
        else [np.flatnonzero(np.asarray(stratify) == c) for c in np.unique(stratify)]
    )
    parts: list[list[np.ndarray]] = [[], [], []]
    for group in groups:
        order = rng.permutation(group)
        n_test = round(test * len(order))
        n_val = round(val * len(order))
        parts[2].append(order[:n_test])
        parts[1].append(order[n_test : n_test + n_val])
        parts[0].append(order[n_test + n_val :])
    train, valid, held = (np.sort(np.concatenate(p)).astype(np.int64) for p in parts)
    if len(train) == 0:
        raise ConfigError(f"no training samples left from {n_samples} with val={val}, test={test}")
    return train, valid, held


def stratified_folds(y: Any, n_splits: int | str, *, seed: int = 0) -> np.ndarray:
    """Assign each sample to a fold, every class spread evenly over the folds.

    Within each class the samples are shuffled (seeded) and dealt to the folds in turn,
    continuing where the previous class stopped, so fold sizes differ by at most one.

    Parameters
    ----------
    y
        Class labels.
    n_splits
        Number of folds (2 or more, at most the number of samples), or ``"loo"``:
        one fold per sample.
    seed
        Shuffling seed.

    Returns
    -------
    numpy.ndarray
        The fold number (0-based) of each sample.

    Examples
    --------
    >>> folds = stratified_folds([0, 0, 0, 1, 1, 1], 3, seed=1)
    >>> sorted(folds[:3].tolist()), sorted(folds[3:].tolist())
    ([0, 1, 2], [0, 1, 2])
    >>> stratified_folds([0, 1, 1], "loo").tolist()
    [0, 1, 2]
    """
    labels = np.asarray(y).ravel()
    n = len(labels)
    if n_splits == "loo":
        return np.arange(n)
    if isinstance(n_splits, str) or not 2 <= int(n_splits) <= n:
        raise ConfigError(f"n_splits must be 'loo' or an integer in [2, {n}], got {n_splits!r}")
    k = int(n_splits)
    rng = np.random.default_rng(seed)
    folds = np.empty(n, dtype=np.int64)
    start = 0
    for value in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == value))
        folds[members] = (start + np.arange(len(members))) % k
        start = (start + len(members)) % k
    return folds


__all__ = ["stratified_folds", "train_val_test_split"]
