"""Reading samples × features tables (CSV/TSV, optionally gzipped) with clear errors."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from omicsnet.errors import DataError, DataNotFoundError


def read_table(
    path: str | os.PathLike[str],
    *,
    index_col: int | str = 0,
    transpose: bool = False,
    numeric: bool = True,
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

    Raises
    ------
    DataNotFoundError
        The file does not exist.
    DataError
        Unreadable file, duplicated IDs or non-numeric values.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
    >>> _ = p.write_text("sample,TP53,MYC\\nS1,1.5,2\\nS2,0.1,3\\n")
    >>> float(read_table(p).loc["S2", "MYC"])
    3.0
    """
    path = Path(path)
    if not path.is_file():
        raise DataNotFoundError(f"table {path} does not exist")
    name = path.name.removesuffix(".gz")
    sep = "," if name.endswith(".csv") else "\t"
    try:
        frame = pd.read_csv(path, sep=sep, index_col=index_col)
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as err:
        raise DataError(f"cannot read table {path}: {err}") from err
    if transpose:
        frame = frame.T
    frame.index = frame.index.map(str)
    frame.columns = frame.columns.map(str)
    if frame.index.has_duplicates:
        dup = frame.index[frame.index.duplicated()][0]
        raise DataError(f"{path}: row ID {dup!r} appears more than once")
    if numeric:
        converted = frame.apply(pd.to_numeric, errors="coerce")
        bad = converted.isna() & frame.notna()
        if bool(bad.to_numpy().any()):
            row, col = next(zip(*bad.to_numpy().nonzero(), strict=True))
            raise DataError(
                f"{path}: non-numeric value {frame.iat[row, col]!r} at row {frame.index[row]!r}, "
                f"column {frame.columns[col]!r}"
            )
        frame = converted.astype(float)
    return frame
