"""Reading a cohort's transcript and protein tables with one-line errors that name the file.

:func:`read_omics_table` reads one genes × samples (or samples × genes) table and
refuses, naming the file and the IDs (never echoing cell values):

* a gene or sample named twice (pandas would silently rename the second ``TP53.1``);
* a cell that is not a number (empty cells and ``NA``/``NaN`` are missing values);
* a table with no sample or no gene.

:func:`check_pairing` then checks that the transcript and protein tables of one cohort
share samples, and that no sample of the protein table lacks every protein.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "rna.tsv").write_text("gene\\tS1\\tS2\\nTP53\\t1.5\\t2\\nMYC\\t0.1\\tNA\\n")
>>> read_omics_table(folder / "rna.tsv").loc["S2"].tolist()
[2.0, nan]
>>> _ = (folder / "bad.tsv").write_text("gene\\tS1\\tS2\\nTP53\\t1.5\\t2\\nTP53\\t0.1\\t3\\n")
>>> read_omics_table(folder / "bad.tsv")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
omicsnet.errors.DataError: .../bad.tsv: gene 'TP53' appears more than once (1 duplicated ...
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd

from omicsnet.errors import ConfigError, DataError, DataNotFoundError, shown

logger = logging.getLogger(__name__)

DUPLICATE_POLICIES = ("error", "mean", "first")
_MISSING_TOKENS = ["", "NA", "NaN", "nan", "N/A", "NULL", "null", "-"]


def _separator(path: Path) -> str:
    return "," if path.name.removesuffix(".gz").endswith(".csv") else "\t"


def _ids(values: object) -> str:
    """IDs from a user's file for a message: ``['S1', 'S2']``, each through
    :func:`omicsnet.errors.shown` (escaped, long ones cut).

    Examples
    --------
    >>> _ids(["S1", "a" * 70])
    "['S1', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' (70 characters)]"
    """
    return "[" + ", ".join(shown(v) for v in values) + "]"  # type: ignore[attr-defined]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def read_omics_table(
    path: str | os.PathLike[str],
    *,
    genes_in_rows: bool = True,
    duplicates: str = "error",
    what: str = "gene",
) -> pd.DataFrame:
    """Read a transcript or protein table as samples × genes floats.

    Parameters
    ----------
    path
        CSV (``.csv``) or tab-separated file (any other suffix), optionally gzipped; IDs
        in the first column and the header row. Or an AnnData/MuData file,
        ``FILE.h5ad[::ELEMENT]`` / ``FILE.h5mu::MODALITY`` (samples are its ``obs``, so
        ``genes_in_rows`` does not apply), read by :mod:`omicsnet.data.anndata_io`.
    genes_in_rows
        ``True`` for genes × samples (as CPTAC's tables), ``False`` for samples × genes.
    duplicates
        A gene named twice: ``"error"`` (default; the message names it), ``"mean"`` (the
        rows are averaged, missing values skipped) or ``"first"``.
    what
        What the features are called in messages (``"gene"``, ``"protein"``).

    Returns
    -------
    DataFrame
        Samples × genes, float, ``NaN`` where a value is missing.

    Raises
    ------
    DataNotFoundError
        The file does not exist.
    DataError
        Unreadable, empty, a sample named twice, a gene named twice (with
        ``duplicates="error"``), or a non-numeric cell (the message names the gene and
        the sample, and counts them).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
    >>> _ = p.write_text("sample,TP53,MYC\\nS1,1.5,2\\nS2,oops,3\\n")
    >>> read_omics_table(p, genes_in_rows=False)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    omicsnet.errors.DataError: .../x.csv: 1 non-numeric cell, e.g. gene 'TP53' in sample 'S2'
    """
    if duplicates not in DUPLICATE_POLICIES:
        raise ConfigError(f"duplicates must be one of {DUPLICATE_POLICIES}, got {duplicates!r}")
    from omicsnet.utils.paths import is_container_path

    if is_container_path(path):  # FILE.h5ad / FILE.h5mu::MODALITY: samples are its obs
        from omicsnet.data.anndata_io import read_container_table

        return read_container_table(path, numeric=True, missing="allow")
    file = Path(path)
    if not file.is_file():
        raise DataNotFoundError(f"table {file} does not exist")
    sep = _separator(file)
    try:
        # the header on its own: pandas would rename a repeated name "X.1" without a word
        header_row = pd.read_csv(file, sep=sep, header=None, nrows=1, dtype=str,
                                 keep_default_na=False)  # fmt: skip
        body = pd.read_csv(
            file,
            sep=sep,
            header=None,
            skiprows=1,
            index_col=0,
            dtype={0: str},
            na_values=_MISSING_TOKENS,
            keep_default_na=False,
        )
    except pd.errors.EmptyDataError as err:
        raise DataError(f"{file}: no data (a header row and an ID column are needed)") from err
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as err:
        reason = "malformed rows" if isinstance(err, pd.errors.ParserError) else type(err).__name__
        raise DataError(
            f"cannot read table {file} ({reason}): is it CSV or tab-separated?"
        ) from err
    header = [str(v).strip() for v in header_row.iloc[0, 1:]]
    if body.shape[0] < 1 or not header:
        raise DataError(f"{file}: no data (a header row and an ID column are needed)")
    if body.shape[1] != len(header):
        raise DataError(
            f"{file}: the header names {len(header)} columns but the rows hold {body.shape[1]}"
        )
    ids = [str(v).strip() for v in body.index]
    genes, samples = (ids, header) if genes_in_rows else (header, ids)
    _refuse_repeats(samples, file, "sample")
    if not all(genes):
        raise DataError(f"{file}: a {what} has an empty name")
    text = [i for i, t in enumerate(body.dtypes) if not pd.api.types.is_numeric_dtype(t)]
    if text:  # a column with something that is not a number: find the first such cell
        values = body.iloc[:, text].astype(str).apply(lambda col: col.str.strip())
        missing = values.isin(_MISSING_TOKENS) | body.iloc[:, text].isna().to_numpy()
        numbers = values.mask(missing).apply(pd.to_numeric, errors="coerce")
        bad = numbers.isna().to_numpy() & ~missing.to_numpy()
        if bad.any():
            rows, cols = np.nonzero(bad)
            row_id, col_id = ids[rows[0]], header[text[cols[0]]]
            gene, sample = (row_id, col_id) if genes_in_rows else (col_id, row_id)
            raise DataError(
                f"{file}: {_plural(int(bad.sum()), 'non-numeric cell')}, e.g. {what} {shown(gene)} "
                f"in sample {shown(sample)}"
            )
        body = body.copy()
        body.iloc[:, text] = numbers.to_numpy()
    matrix = body.to_numpy(dtype=float)
    infinite = np.isinf(matrix)
    if infinite.any():  # "inf" parses as a number, but no model can learn from it
        rows, cols = np.nonzero(infinite)
        raise DataError(
            f"{file}: infinite value at row {shown(ids[rows[0]])}, column "
            f"{shown(header[cols[0]])} ({_plural(int(infinite.sum()), 'infinite value')} in all)"
        )
    frame = pd.DataFrame(matrix.T if genes_in_rows else matrix, index=samples, columns=genes)
    return _merge_repeats(frame, file, duplicates, what)


def _refuse_repeats(names: list[str], file: Path, what: str) -> None:
    seen: set[str] = set()
    repeated = [n for n in names if n in seen or seen.add(n)]  # type: ignore[func-returns-value]
    if repeated:
        unique = list(dict.fromkeys(repeated))
        raise DataError(
            f"{file}: {what} {shown(unique[0])} appears more than once "
            f"({_plural(len(unique), 'duplicated ' + what)} in all, e.g. {_ids(unique[:5])})"
        )


def _merge_repeats(frame: pd.DataFrame, file: Path, policy: str, what: str) -> pd.DataFrame:
    repeated = frame.columns[frame.columns.duplicated()].unique().tolist()
    if not repeated:
        return frame
    if policy == "error":
        raise DataError(
            f"{file}: {what} {shown(repeated[0])} appears more than once "
            f"({_plural(len(repeated), 'duplicated ' + what)} in all); merge them first, or "
            "pass duplicates='mean' (--duplicates mean) or 'first'"
        )
    logger.warning(
        "%s: %s named more than once merged by %s (e.g. %s)",
        file,
        _plural(len(repeated), what),
        policy,
        repeated[:5],
    )
    if policy == "first":
        return frame.loc[:, ~frame.columns.duplicated()]
    return frame.T.groupby(level=0, sort=False).mean().T


def check_pairing(
    rna: pd.DataFrame,
    protein: pd.DataFrame,
    *,
    rna_file: str = "the transcript table",
    protein_file: str = "the protein table",
    genes: bool = True,
) -> list[str]:
    """Check that a cohort's tables (samples in rows) pair up; return the shared samples.

    ``genes=False`` skips the check that some protein has its own transcript (when the
    proteins are matched to a model's outputs by their spelling instead).

    Raises
    ------
    DataError
        No sample or no gene in both tables (naming both files and example IDs of each),
        or samples of the protein table without a single measured protein (naming them).

    Examples
    --------
    >>> rna = pd.DataFrame({"A": [1.0, 2.0]}, index=["S1", "S2"])
    >>> check_pairing(rna, pd.DataFrame({"A": [1.0, 3.0]}, index=["S2", "S3"]))
    ['S2']
    >>> check_pairing(rna, pd.DataFrame({"A": [np.nan]}, index=["S1"]), protein_file="p.csv")
    Traceback (most recent call last):
    ...
    omicsnet.errors.DataError: p.csv: 1 sample without any measured protein: ['S1']
    """
    empty = protein.index[protein.notna().sum(axis=1).to_numpy() == 0].tolist()
    if empty:
        raise DataError(
            f"{protein_file}: {_plural(len(empty), 'sample')} without any measured protein: "
            f"{_ids(empty[:5])}"
        )
    shared = [s for s in rna.index if s in set(protein.index)]
    if not shared:
        raise DataError(
            f"{rna_file} and {protein_file} share no sample (e.g. {_ids(rna.index[:3])} and "
            f"{_ids(protein.index[:3])}): are both tables oriented the same way?"
        )
    symbols = set(map(str, rna.columns))
    if genes and not any(str(p) in symbols for p in protein.columns):
        raise DataError(
            f"{rna_file} and {protein_file} share no gene (e.g. {_ids(rna.columns[:3])} and "
            f"{_ids(protein.columns[:3])}), so no protein has its own transcript: are both "
            "tables named by the same kind of ID (gene symbols)?"
        )
    only_rna = len(rna.index) - len(shared)
    if only_rna:
        logger.warning(
            "%s: %s have no protein values and are left out",
            rna_file,
            _plural(only_rna, "sample"),
        )
    return shared


__all__ = ["DUPLICATE_POLICIES", "check_pairing", "read_omics_table"]
