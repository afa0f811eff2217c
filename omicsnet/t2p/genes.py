"""Gene identifiers of a user's table matched to a trained model's inputs.

A model trained on one cohort names its inputs by the symbols of that cohort's tables
(``TP53``, ``HLA-A``, ``2'-PDE``). A new cohort's table may spell the same genes
differently: in another case (``tp53``), mangled by R (``read.csv`` and ``data.frame``
turn ``HLA-A`` into ``HLA.A`` and ``2'-PDE`` into ``X2..PDE``), or as Ensembl gene IDs
with a version suffix (``ENSG00000141510.16``). :func:`match_genes` maps each of the
table's columns to at most one model input, trying in order:

1. ``exact``: the same string;
2. ``case``: the same string ignoring case;
3. ``r_names``: the table's name is what R's ``make.names`` makes of the input's name
   (case ignored);
4. ``ensembl``: an Ensembl gene ID (version suffix dropped) that a mapping table
   (:func:`read_gene_map`, e.g. Human-GEM's ``genes.tsv.gz``) translates to a symbol,
   which then matches as in 1–3; or, for a model whose inputs are Ensembl IDs, the same
   ID without its version.

A model input that two of the table's columns reach at the same (best) level is an
error naming both; every other choice is reported (:class:`GeneMatch`).

Examples
--------
>>> match = match_genes(["tp53", "HLA.A", "X2..PDE", "MYC"], ["TP53", "HLA-A", "2'-PDE", "EGFR"])
>>> match.columns
{'tp53': 'TP53', 'HLA.A': 'HLA-A', 'X2..PDE': "2'-PDE"}
>>> match.methods
{'TP53': 'case', 'HLA-A': 'r_names', "2'-PDE": 'r_names'}
>>> match.missing, match.unused
(['EGFR'], ['MYC'])
>>> r_make_names("2'-PDE"), r_make_names("HLA-A"), r_make_names("TP53")
('X2..PDE', 'HLA.A', 'TP53')
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from omicsnet.errors import DataError, DataNotFoundError

logger = logging.getLogger(__name__)

METHODS = ("exact", "case", "r_names", "ensembl")
"""Ways a table's column can reach a model input, best first."""

HUMAN_GEM_GENES = "metabolic_models/human_gem/genes.tsv.gz"
"""Human-GEM's gene table in the data directory (Ensembl ↔ symbol for its ~2,900 genes)."""

_ENSEMBL = re.compile(r"^(ENS[A-Z]*G\d{6,})(?:\.\d+)?$", re.IGNORECASE)
_R_RESERVED = frozenset(
    ["if", "else", "repeat", "while", "function", "for", "next", "break", "TRUE", "FALSE",
     "NULL", "Inf", "NaN", "NA", "NA_integer_", "NA_real_", "NA_character_", "NA_complex_",
     "in"]
)  # fmt: skip
_ID_COLUMNS = ("genes", "ensembl", "ensembl_gene_id", "gene_id", "ensembl_id", "ensg")
_SYMBOL_COLUMNS = ("genesymbols", "symbol", "gene_symbol", "hgnc_symbol", "gene_name", "name")


def r_make_names(name: str) -> str:
    """What R's ``make.names`` makes of ``name`` (ASCII letters; ``make.unique`` not applied).

    Characters other than letters, digits, ``.`` and ``_`` become ``.``; an ``X`` is put in
    front of a name that does not start with a letter or with a dot not followed by a digit;
    reserved words get a trailing dot.

    Examples
    --------
    >>> [r_make_names(n) for n in ["2'-PDE", "HLA-DRB1", "NKX2-1", ".5x", "TRUE", ""]]
    ['X2..PDE', 'HLA.DRB1', 'NKX2.1', 'X.5x', 'TRUE.', 'X']
    """
    text = re.sub(r"[^A-Za-z0-9._]", ".", str(name))
    if not re.match(r"^([A-Za-z]|\.(?![0-9]))", text):
        text = "X" + text
    if text in _R_RESERVED:
        text += "."
    return text


def ensembl_gene_id(name: str) -> str | None:
    """The Ensembl gene ID of ``name`` without its version suffix, or ``None``.

    Examples
    --------
    >>> ensembl_gene_id("ENSG00000141510.16"), ensembl_gene_id("TP53")
    ('ENSG00000141510', None)
    """
    found = _ENSEMBL.match(str(name).strip())
    return found.group(1).upper() if found else None


def read_gene_map(path: str | os.PathLike[str]) -> dict[str, str]:
    """Read an Ensembl gene ID → symbol table (Human-GEM's ``genes.tsv.gz`` or your own).

    The table is tab-separated (comma-separated for ``.csv``), optionally gzipped, with a
    header. The ID column is the first one named ``genes``, ``ensembl``,
    ``ensembl_gene_id``, ``gene_id``, ``ensembl_id`` or ``ensg`` (else the first column);
    the symbol column the first named ``geneSymbols``, ``symbol``, ``gene_symbol``,
    ``hgnc_symbol``, ``gene_name`` or ``name`` (else the second). Rows without a symbol
    are skipped; version suffixes are dropped.

    Raises
    ------
    DataNotFoundError
        The file does not exist.
    DataError
        Unreadable, fewer than two columns, or no Ensembl gene ID in the ID column.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "map.tsv"
    >>> _ = p.write_text("genes\\tgeneSymbols\\nENSG00000141510.16\\tTP53\\nENSG1\\t\\n")
    >>> read_gene_map(p)
    {'ENSG00000141510': 'TP53'}
    """
    import pandas as pd

    file = Path(path)
    if not file.is_file():
        raise DataNotFoundError(f"gene mapping table {file} does not exist")
    sep = "," if file.name.removesuffix(".gz").endswith(".csv") else "\t"
    try:
        table = pd.read_csv(file, sep=sep, dtype=str, keep_default_na=False)
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as err:
        raise DataError(f"cannot read gene mapping table {file}: {type(err).__name__}") from err
    if table.shape[1] < 2:
        raise DataError(f"gene mapping table {file} needs an ID and a symbol column")
    lower = {str(c).lower(): c for c in table.columns}
    id_column = next((lower[c] for c in _ID_COLUMNS if c in lower), table.columns[0])
    symbol_column = next((lower[c] for c in _SYMBOL_COLUMNS if c in lower), table.columns[1])
    mapping: dict[str, str] = {}
    for raw_id, symbol in zip(table[id_column], table[symbol_column], strict=True):
        gene = ensembl_gene_id(raw_id)
        symbol = str(symbol).strip()
        if gene and symbol:
            mapping.setdefault(gene, symbol)
    if not mapping:
        raise DataError(
            f"gene mapping table {file}: no Ensembl gene ID (ENSG...) with a symbol in column "
            f"{id_column!r}"
        )
    return mapping


def default_gene_map(data_dir: str | os.PathLike[str] | None = None) -> Path | None:
    """Human-GEM's ``genes.tsv.gz`` in the data directory, or ``None`` when it is absent.

    Examples
    --------
    >>> default_gene_map("/no/such/folder") is None
    True
    """
    from omicsnet.utils.paths import resolve_data_file

    try:
        return resolve_data_file(HUMAN_GEM_GENES, data_dir=data_dir)
    except DataNotFoundError:
        return None


@dataclass
class GeneMatch:
    """How a table's columns reach a model's inputs.

    Attributes
    ----------
    columns
        Table column → model input, for the columns used (in the table's order).
    methods
        Model input → how it was reached (one of :data:`METHODS`).
    missing
        Model inputs no column reaches (in the model's order).
    unused
        Table columns that reach no model input.
    ambiguous
        Table columns left out because their name reaches several model inputs at the
        same level (e.g. two inputs that R would mangle to the same name).
    """

    columns: dict[str, str] = field(default_factory=dict)
    methods: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)

    @property
    def found(self) -> int:
        """Number of model inputs reached."""
        return len(self.methods)

    def coverage(self) -> float:
        """Share of the model's inputs reached (0–1).

        Examples
        --------
        >>> match_genes(["A"], ["A", "B"]).coverage()
        0.5
        """
        total = self.found + len(self.missing)
        return self.found / total if total else 0.0

    def method_counts(self) -> dict[str, int]:
        """Inputs reached by each method.

        Examples
        --------
        >>> match_genes(["a", "B"], ["A", "B"]).method_counts()
        {'exact': 1, 'case': 1, 'r_names': 0, 'ensembl': 0}
        """
        return {m: sum(1 for v in self.methods.values() if v == m) for m in METHODS}


def _index(names: Sequence[str], key: object) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name in names:
        k = key(name)  # type: ignore[operator]
        if k:
            out.setdefault(k, []).append(name)
    return out


def match_genes(
    table_names: Sequence[str],
    model_names: Sequence[str],
    *,
    gene_map: Mapping[str, str] | None = None,
    where: str = "the table",
) -> GeneMatch:
    """Map a table's gene columns to a model's inputs (see the module docstring).

    Parameters
    ----------
    table_names
        The table's gene names (columns of a samples × genes table).
    model_names
        The model's input names.
    gene_map
        Ensembl gene ID (no version) → symbol, for tables named by Ensembl IDs
        (:func:`read_gene_map`).
    where
        The table's name for error messages (its file).

    Raises
    ------
    DataError
        Two of the table's columns reach one model input at the same level (the message
        names the file, both columns and the input).

    Examples
    --------
    >>> m = match_genes(["ENSG00000141510.16"], ["TP53"],
    ...                 gene_map={"ENSG00000141510": "TP53"})
    >>> m.columns, m.methods
    ({'ENSG00000141510.16': 'TP53'}, {'TP53': 'ensembl'})
    >>> match_genes(["TP53", "tp53"], ["TP53"]).columns  # the exact match wins
    {'TP53': 'TP53'}
    >>> match_genes(["tp53", "Tp53"], ["TP53"], where="rna.csv")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    omicsnet.errors.DataError: rna.csv: columns 'tp53' and 'Tp53' both match model input 'TP53'; ...
    """
    table_names = [str(n) for n in table_names]
    model_names = [str(n) for n in model_names]
    by_key = {
        "exact": _index(model_names, lambda n: n),
        "case": _index(model_names, lambda n: n.upper()),
        "r_names": _index(model_names, lambda n: r_make_names(n).upper()),
        "model_ensembl": _index(model_names, ensembl_gene_id),
    }
    symbols = {str(k).upper(): v for k, v in (gene_map or {}).items()}
    ambiguous: list[str] = []
    # each model input: (level, table column) of its best match so far
    best: dict[str, tuple[int, str]] = {}
    chosen: dict[str, str] = {}
    for column in table_names:
        candidates = _candidates(column, by_key, symbols)
        if candidates is None:
            continue
        level, targets = candidates
        if len(targets) > 1:
            ambiguous.append(column)
            continue
        target = targets[0]
        previous = best.get(target)
        if previous is None or level < previous[0]:
            best[target] = (level, column)
        elif level == previous[0]:
            raise DataError(
                f"{where}: columns {previous[1]!r} and {column!r} both match model input "
                f"{target!r}; keep one of them"
            )
    for target, (_, column) in best.items():
        chosen[column] = target
    columns = {c: chosen[c] for c in table_names if c in chosen}
    methods = {target: METHODS[level] for target, (level, _) in best.items()}
    methods = {n: methods[n] for n in model_names if n in methods}
    return GeneMatch(
        columns=columns,
        methods=methods,
        missing=[n for n in model_names if n not in methods],
        unused=[c for c in table_names if c not in chosen and c not in ambiguous],
        ambiguous=ambiguous,
    )


def _candidates(
    column: str, by_key: dict[str, dict[str, list[str]]], symbols: Mapping[str, str]
) -> tuple[int, list[str]] | None:
    """(level, model inputs) that ``column`` reaches first, or ``None``."""
    for level, (method, key) in enumerate(
        (("exact", column), ("case", column.upper()), ("r_names", column.upper()))
    ):
        targets = by_key[method].get(key)
        if targets:
            return level, targets
    gene = ensembl_gene_id(column)
    if gene is None:
        return None
    targets = by_key["model_ensembl"].get(gene)
    if targets:
        return METHODS.index("ensembl"), targets
    symbol = symbols.get(gene)
    if symbol is None:
        return None
    for method, key in (("exact", symbol), ("case", symbol.upper()), ("r_names", symbol.upper())):
        targets = by_key[method].get(key)
        if targets:
            return METHODS.index("ensembl"), targets
    return None


__all__ = [
    "HUMAN_GEM_GENES",
    "METHODS",
    "GeneMatch",
    "default_gene_map",
    "ensembl_gene_id",
    "match_genes",
    "r_make_names",
    "read_gene_map",
]
