"""The checks every samples × features table passes, wherever it was read from.

:func:`check_table` is what :func:`omicsnet.data.tables.read_table` does after parsing a
CSV/TSV file, and what :mod:`omicsnet.data.anndata_io` does after reading an element of
an AnnData/MuData file: the same errors, naming the source, the row and the column.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from omicsnet.errors import ConfigError, DataError, shown


def check_table(
    frame: pd.DataFrame,
    where: str | os.PathLike[str],
    *,
    numeric: bool = True,
    missing: str = "allow",
    transposed: bool = False,
) -> pd.DataFrame:
    """The checks of :func:`read_table` on a table already in memory (IDs made strings).

    ``where`` names the source in messages (a file, or ``file.h5ad::X``); ``transposed``
    says the frame is the transpose of the file, so that rows and columns are named as
    they are in the file.

    Examples
    --------
    >>> frame = pd.DataFrame({"g1": [1.0, float("inf")]}, index=["s1", "s2"])
    >>> check_table(frame, "cells.h5ad::X")
    Traceback (most recent call last):
    ...
    omicsnet.errors.DataError: cells.h5ad::X: infinite value at row 's2', column 'g1'
    """
    if missing not in ("allow", "refuse"):
        raise ConfigError(f"missing must be 'allow' or 'refuse', got {missing!r}")
    frame.index = frame.index.map(str)
    frame.columns = frame.columns.map(str)
    for ids, axis in ((frame.index, "row"), (frame.columns, "column")):
        if ids.has_duplicates:  # named as in the file, whichever way it is turned
            in_file = {"row": "column", "column": "row"}[axis] if transposed else axis
            raise DataError(
                f"{where}: {in_file} ID {shown(ids[ids.duplicated()][0])} appears more than once"
            )
    if numeric:
        already = all(pd.api.types.is_numeric_dtype(t) for t in frame.dtypes)
        converted = frame if already else frame.apply(pd.to_numeric, errors="coerce")
        values = converted.to_numpy(dtype=float)
        non_numeric = converted.isna().to_numpy() & frame.notna().to_numpy()
        _refuse_cells(where, frame, non_numeric, "non-numeric value", transposed)
        _refuse_cells(where, frame, np.isinf(values), "infinite value", transposed)
        if missing == "refuse":
            _refuse_cells(where, frame, np.isnan(values), "missing value", transposed)
        frame = converted.astype(float)
    return frame


def _refuse_cells(
    path: str | os.PathLike[str],
    frame: pd.DataFrame,
    bad: np.ndarray,
    what: str,
    transposed: bool,
) -> None:
    """A DataError naming the first bad cell's row and column as they are in the file."""
    if bool(bad.any()):
        rows, cols = bad.nonzero()
        row_id, col_id = frame.index[rows[0]], frame.columns[cols[0]]
        if transposed:
            row_id, col_id = col_id, row_id
        more = f" ({len(rows) - 1} more)" if len(rows) > 1 else ""
        raise DataError(f"{path}: {what} at row {shown(row_id)}, column {shown(col_id)}{more}")


__all__ = ["check_table"]
