"""In-memory datasets of named samples and features, with fast batching.

:class:`ArrayDataset` keeps every array as one tensor and serves batches by slicing with
index tensors, so the trainer does not pay a Python call and a collate per sample.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset

from omicsnet.errors import DataError


class ArrayDataset(Dataset):
    """Samples × features arrays (inputs and optional targets) kept as tensors.

    Parameters
    ----------
    x
        Inputs: DataFrame (samples in rows), NumPy array or tensor; or a mapping of
        several named input arrays with the same number of rows.
    y
        Optional targets with the same samples. When ``x`` and ``y`` are both DataFrames
        their sample IDs (index) must match as sets; ``y`` is reordered to ``x``.
    sample_ids, feature_names, target_names
        Names when the arrays carry none (DataFrames supply their own).
    target_dtype
        dtype of the targets; default float32, or int64 for integer targets
        (class labels).

    Raises
    ------
    DataError
        NaN or infinite values (the message names the first sample and feature), or
        samples that do not match between ``x`` and ``y``.

    Examples
    --------
    >>> import pandas as pd
    >>> x = pd.DataFrame([[1.0, 2.0], [3.0, 4.0]], index=["S1", "S2"], columns=["TP53", "MYC"])
    >>> y = pd.Series([0, 1], index=["S2", "S1"], name="label")
    >>> ds = ArrayDataset(x, y)
    >>> ds.sample_ids, ds.feature_names
    (['S1', 'S2'], ['TP53', 'MYC'])
    >>> ds[0]["y"].item()   # y was reordered to x's samples
    1
    >>> ds.batch(torch.tensor([1, 0]))["x"].shape
    torch.Size([2, 2])
    """

    def __init__(
        self,
        x: Any,
        y: Any = None,
        *,
        sample_ids: Sequence[str] | None = None,
        feature_names: Sequence[str] | None = None,
        target_names: Sequence[str] | None = None,
        target_dtype: torch.dtype | None = None,
    ) -> None:
        if isinstance(y, pd.Series):
            y = y.to_frame()
        if isinstance(x, pd.DataFrame) and isinstance(y, pd.DataFrame):
            y = align_samples(x, y, "inputs", "targets")
        if isinstance(x, pd.DataFrame):
            sample_ids = sample_ids or [str(s) for s in x.index]
            feature_names = feature_names or [str(c) for c in x.columns]
        if isinstance(y, pd.DataFrame):
            target_names = target_names or [str(c) for c in y.columns]
            if sample_ids is None:
                sample_ids = [str(s) for s in y.index]

        self.tensors: dict[str, torch.Tensor] = {}
        if isinstance(x, Mapping):
            for key, value in x.items():
                self.tensors[str(key)] = _as_tensor(value, torch.float32, str(key), sample_ids)
        else:
            self.tensors["x"] = _as_tensor(x, torch.float32, "x", sample_ids, feature_names)
        if y is not None:
            self.tensors["y"] = _as_tensor(y, target_dtype, "y", sample_ids, target_names)
            labels = self.tensors["y"]
            if labels.dtype == torch.int64 and labels.ndim == 2 and labels.shape[1] == 1:
                self.tensors["y"] = labels[:, 0]  # class labels as a vector
        lengths = {key: len(t) for key, t in self.tensors.items()}
        if len(set(lengths.values())) > 1:
            raise DataError(f"arrays have different numbers of samples: {lengths}")
        n = next(iter(lengths.values()))
        self.sample_ids = list(sample_ids) if sample_ids is not None else [str(i) for i in range(n)]
        if len(self.sample_ids) != n:
            raise DataError(f"{len(self.sample_ids)} sample IDs for {n} samples")
        first = next(iter(self.tensors.values()))
        width = first.shape[1] if first.ndim == 2 else 0
        self.feature_names = (
            list(feature_names)
            if feature_names is not None
            else [f"input_{i}" for i in range(width)]
        )
        target = self.tensors.get("y")
        t_width = target.shape[1] if target is not None and target.ndim == 2 else 0
        self.target_names = (
            list(target_names)
            if target_names is not None
            else [f"output_{i}" for i in range(t_width)]
        )

    def __len__(self) -> int:
        return len(next(iter(self.tensors.values())))

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return {key: t[index] for key, t in self.tensors.items()}

    def batch(self, indices: torch.Tensor) -> dict[str, torch.Tensor]:
        """Return the samples at ``indices`` as one batch (no per-sample Python work)."""
        return {key: t.index_select(0, indices) for key, t in self.tensors.items()}

    def subset(self, indices: Sequence[int] | np.ndarray | torch.Tensor) -> ArrayDataset:
        """Return a new dataset with the samples at ``indices`` (names kept).

        Examples
        --------
        >>> ds = ArrayDataset(np.arange(6.0).reshape(3, 2), sample_ids=["a", "b", "c"])
        >>> ds.subset([2, 0]).sample_ids
        ['c', 'a']
        """
        idx = torch.as_tensor(np.asarray(indices), dtype=torch.long)
        new = object.__new__(ArrayDataset)
        new.tensors = {key: t.index_select(0, idx) for key, t in self.tensors.items()}
        new.sample_ids = [self.sample_ids[i] for i in idx.tolist()]
        new.feature_names = list(self.feature_names)
        new.target_names = list(self.target_names)
        return new

    def __repr__(self) -> str:
        shapes = ", ".join(f"{k}={tuple(t.shape)}" for k, t in self.tensors.items())
        return f"ArrayDataset({shapes})"


def align_samples(
    left: pd.DataFrame, right: pd.DataFrame, left_name: str, right_name: str
) -> pd.DataFrame:
    """Return ``right`` reordered to ``left``'s sample IDs; refuse mismatched samples.

    Raises
    ------
    DataError
        When the sample sets differ (the message lists a few IDs on each side) or when
        either table repeats a sample ID.

    Examples
    --------
    >>> a = pd.DataFrame({"g": [1, 2]}, index=["S1", "S2"])
    >>> b = pd.DataFrame({"p": [3, 4]}, index=["S2", "S1"])
    >>> align_samples(a, b, "rna", "protein").index.tolist()
    ['S1', 'S2']
    """
    for frame, name in ((left, left_name), (right, right_name)):
        dup = frame.index[frame.index.duplicated()]
        if len(dup):
            raise DataError(f"{name}: sample ID {dup[0]!r} appears more than once")
    only_left = left.index.difference(right.index)
    only_right = right.index.difference(left.index)
    if len(only_left) or len(only_right):
        raise DataError(
            f"sample IDs differ between {left_name} and {right_name}: "
            f"{len(only_left)} only in {left_name} (e.g. {list(map(str, only_left[:3]))}), "
            f"{len(only_right)} only in {right_name} (e.g. {list(map(str, only_right[:3]))})"
        )
    return right.loc[left.index]


def _as_tensor(
    value: Any,
    dtype: torch.dtype | None,
    name: str,
    sample_ids: Sequence[str] | None,
    columns: Sequence[str] | None = None,
) -> torch.Tensor:
    if isinstance(value, (pd.DataFrame, pd.Series)):
        value = value.to_numpy()
    if isinstance(value, torch.Tensor):
        array = value.detach().cpu()
    else:
        array_np = np.asarray(value)
        if array_np.dtype == object:
            raise DataError(f"{name}: non-numeric values (convert or encode them first)")
        array = torch.from_numpy(np.ascontiguousarray(array_np))
    if dtype is None:
        dtype = (
            torch.int64
            if not array.is_floating_point() and array.dtype != torch.bool
            else torch.float32
        )
    array = array.to(dtype)
    if array.is_floating_point():
        bad = ~torch.isfinite(array)
        if bool(bad.any()):
            pos = bad.nonzero()[0].tolist()
            row = sample_ids[pos[0]] if sample_ids is not None else pos[0]
            col = ""
            if len(pos) > 1:
                col = (
                    f", feature {columns[pos[1]]!r}"
                    if columns is not None
                    else f", column {pos[1]}"
                )
            raise DataError(
                f"{name}: {int(bad.sum())} NaN/infinite value(s), first at sample {row!r}{col}; "
                "impute or drop them before training"
            )
    return array
