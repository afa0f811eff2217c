"""Reading samples × features tables (CSV/TSV, optionally gzipped) with clear errors."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from omicsnet.errors import ConfigError, DataError, DataNotFoundError, shown


def read_table(
    path: str | os.PathLike[str],
    *,
    index_col: int | str = 0,
    transpose: bool = False,
    numeric: bool = True,
    missing: str = "allow",
) -> pd.DataFrame:
    """Read a table with sample IDs in the first column (CSV, TSV, ``.gz`` allowed).

    Parameters
    ----------
    path
        ``.csv``, ``.tsv``, ``.txt`` or ``.cct`` file, optionally gzipped. The separator
        is a comma for ``.csv`` and a tab otherwise.
    index_col
        Column holding the row IDs.
    transpose
        Set for genes-in-rows tables (as CPTAC's), to get samples in rows.
    numeric
        Require every value to be numeric (the error names the first bad cell).
        Infinite values are refused too: nothing measured is infinite.
    missing
        ``"allow"`` keeps empty cells as NaN (missing measurements); ``"refuse"`` makes
        the first one an error naming its row and column.

    Raises
    ------
    DataNotFoundError
        The file does not exist.
    DataError
        Unreadable file, duplicated row or column IDs, non-numeric or infinite values, or
        (with ``missing="refuse"``) a missing value. The message names the file, the row
        and the column, never the cell's content.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
    >>> _ = p.write_text("sample,TP53,MYC\\nS1,1.5,2\\nS2,0.1,3\\n")
    >>> float(read_table(p).loc["S2", "MYC"])
    3.0
    >>> _ = p.write_text("sample,TP53,TP53\\nS1,1.5,2\\n")
    >>> read_table(p)
    Traceback (most recent call last):
    ...
    omicsnet.errors.DataError: ...x.csv: column ID 'TP53' appears more than once
    """
    path = Path(path)
    if not path.is_file():
        raise DataNotFoundError(f"table {path} does not exist")
    name = path.name.removesuffix(".gz")
    sep = "," if name.endswith(".csv") else "\t"
    if missing not in ("allow", "refuse"):
        raise ConfigError(f"missing must be 'allow' or 'refuse', got {missing!r}")
    try:
        header = pd.read_csv(path, sep=sep, header=None, nrows=1, dtype=str)
        frame = pd.read_csv(path, sep=sep, index_col=index_col)
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as err:
        raise DataError(f"cannot read table {path}: {_first_line(err)}") from err
    names = [str(c) for c in header.iloc[0].tolist()] if len(header) else []
    repeated = sorted({c for c in names if names.count(c) > 1})
    if repeated:  # pandas would silently rename the second one ('g0.1')
        axis = "row" if transpose else "column"
        raise DataError(f"{path}: {axis} ID {shown(repeated[0])} appears more than once")
    if transpose:
        frame = frame.T
    frame.index = frame.index.map(str)
    frame.columns = frame.columns.map(str)
    for ids, axis in ((frame.index, "row"), (frame.columns, "column")):
        if ids.has_duplicates:  # named as in the file, whichever way it is turned
            in_file = {"row": "column", "column": "row"}[axis] if transpose else axis
            raise DataError(
                f"{path}: {in_file} ID {shown(ids[ids.duplicated()][0])} appears more than once"
            )
    if numeric:
        converted = frame.apply(pd.to_numeric, errors="coerce")
        values = converted.to_numpy(dtype=float)
        non_numeric = converted.isna().to_numpy() & frame.notna().to_numpy()
        _refuse_cells(path, frame, non_numeric, "non-numeric value", transpose)
        _refuse_cells(path, frame, np.isinf(values), "infinite value", transpose)
        if missing == "refuse":
            _refuse_cells(path, frame, np.isnan(values), "missing value", transpose)
        frame = converted.astype(float)
    return frame


def _refuse_cells(
    path: Path, frame: pd.DataFrame, bad: np.ndarray, what: str, transposed: bool
) -> None:
    """A DataError naming the first bad cell's row and column as they are in the file."""
    if bool(bad.any()):
        rows, cols = bad.nonzero()
        row_id, col_id = frame.index[rows[0]], frame.columns[cols[0]]
        if transposed:
            row_id, col_id = col_id, row_id
        more = f" ({len(rows) - 1} more)" if len(rows) > 1 else ""
        raise DataError(f"{path}: {what} at row {shown(row_id)}, column {shown(col_id)}{more}")


def _first_line(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0]
