"""Protein–protein interactomes as edge tables with costs.

Every reader returns the same edge table as :attr:`MetaboliteProteinGraph.edges
<omicsnet.knowledge.metabolic_graph.MetaboliteProteinGraph.edges>`: columns ``source``,
``target``, ``cost`` (≥ 0; low = confident) and ``kind`` (``"protein-protein"``). Edges are
undirected: self-loops are dropped and an edge listed several times (in either
orientation) is kept once, with its lowest cost.

Supported tables (tab- or comma-separated, optionally gzipped):

* OmicsIntegrator / iRefIndex cost tables: columns ``protein1``, ``protein2``, ``cost``
  (e.g. ``networks/irefindex_v14/iRefIndex_v14_MIScore_interactome_C9.costs.txt.gz``).
* BioPlex (``BioPlex_293T_Network_10K_Dec_2019.tsv.gz`` shipped in the ``cptac`` wheel):
  columns ``SymbolA``, ``SymbolB`` and ``pInt``, the CompPASS-Plus probability that the
  pair interacts. Its cost is ``1 − pInt`` (BioPlex keeps pairs with ``pInt ≥ 0.75``, so
  costs lie in [0, 0.25]; rescale with ``cost_scale`` to sit beside other networks).
* Any table with two id columns and a ``cost`` column, or a ``confidence`` column in
  [0, 1] (cost = 1 − confidence), named with the ``*_col`` arguments.

Files without a header, as the tools our users come from write them (``fmt="auto"``
tells them apart from the first lines; or name ``fmt``):

* **OmicsIntegrator 1** interactomes (``fmt="oi1"``): ``protein1 protein2 confidence``
  (an optional fourth column, OI1's edge direction, is ignored: edges are undirected).
  The rule: **cost = 1 − confidence**, as for BioPlex; a confidence above 1 is clipped
  to 1 (cost 0) with a warning that names the first such line; a negative one is an
  error.
* **SIF** (``fmt="sif"``, or any ``.sif`` file): ``source relation target [target …]``
  per line (a line with one node is an isolated node and is skipped). SIF has no
  weights: every edge costs ``default_cost``.
* **Two-column edge lists** (``fmt="edgelist"``): ``source target`` per line (a first
  line ``source target`` / ``protein1 protein2`` is taken as a header); every edge costs
  ``default_cost``.

Examples
--------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "ppi.txt"
>>> _ = p.write_text("protein1\\tprotein2\\tcost\\nA\\tB\\t0.5\\nB\\tA\\t0.2\\nC\\tC\\t0.1\\n")
>>> read_interactome(p).values.tolist()
[['B', 'A', 0.2, 'protein-protein']]
"""

from __future__ import annotations

import importlib.util
import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd

from omicsnet.errors import ConfigError, DataError, DataNotFoundError

logger = logging.getLogger(__name__)

BIOPLEX_FILE = "BioPlex_293T_Network_10K_Dec_2019.tsv.gz"
EDGE_TABLE_COLUMNS = ["source", "target", "cost", "kind"]
INTERACTOME_FORMATS = ("auto", "table", "oi1", "sif", "edgelist")
_HEADER_WORDS = {
    "source", "target", "protein1", "protein2", "node1", "node2", "from", "to",
    "interactor1", "interactor2", "gene1", "gene2", "symbola", "symbolb", "a", "b",
}  # fmt: skip


def _is_number(text: str) -> bool:
    try:
        return bool(np.isfinite(float(text)))
    except ValueError:
        return False


def _open_text(path: Path):
    import gzip

    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8", errors="strict")
    return open(path, encoding="utf-8", errors="strict")


def _first_lines(path: Path, count: int = 2) -> list[str]:
    """The first ``count`` non-empty, non-comment lines (bounded read)."""
    lines: list[str] = []
    try:
        with _open_text(path) as handle:
            for i, line in enumerate(handle):
                if i > 1000 or len(lines) >= count:
                    break
                text = line.rstrip("\r\n")
                if text.strip() and not text.startswith("#"):
                    lines.append(text)
    except (OSError, UnicodeDecodeError, EOFError) as err:
        raise DataError(f"cannot read interactome {path}: {err}") from err
    return lines


def _split(line: str, sep: str | None) -> list[str]:
    if sep is not None:
        return [f.strip() for f in line.split(sep)]
    return [f.strip() for f in (line.split("\t") if "\t" in line else line.split())]


def _sniff(path: Path, sep: str | None) -> str:
    """Which format a file without named columns is in (see the module notes)."""
    if path.name.removesuffix(".gz").lower().endswith(".sif"):
        return "sif"
    lines = _first_lines(path)
    if not lines:
        raise DataError(f"interactome {path} is empty")
    first = _split(lines[0], sep if sep is not None else ("," if _is_csv(path) else None))
    if len(first) == 2:
        return "edgelist"
    known = {"protein1", "protein2", "cost", "SymbolA", "SymbolB", "pInt", "source", "target"}
    if len(set(first) & known) >= 2:
        return "table"
    if len(first) in (3, 4) and _is_number(first[2]):
        return "oi1"
    rest = [_split(line, sep) for line in lines[1:]] or [first]
    if len(first) >= 3 and all(len(f) >= 3 and not _is_number(f[2]) for f in [first, *rest]):
        return "sif"
    return "table"


def _is_csv(path: Path) -> bool:
    return path.name.removesuffix(".gz").endswith(".csv")


def _read_headerless(path: Path, sep: str | None, fmt: str, default_cost: float) -> pd.DataFrame:
    """OI1 (``a b confidence [direction]``) or two-column edge lists, as source/target/cost."""
    if sep is None:
        sep = "," if _is_csv(path) else "\t"
    lines = _first_lines(path, 1)
    if sep == "\t" and lines and "\t" not in lines[0]:
        sep = r"\s+"  # whitespace-separated
    try:
        table = pd.read_csv(
            path, sep=sep, header=None, dtype=str, keep_default_na=False, na_values=[""],
            comment="#", engine="python" if sep == r"\s+" else "c",
            names=list(range(8)), index_col=False,
        )  # fmt: skip
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as err:
        raise DataError(f"cannot read interactome {path}: {err}") from err
    # ragged rows are padded with missing values: drop all-missing trailing columns
    while table.shape[1] and table[table.columns[-1]].isna().all():
        table = table.drop(columns=table.columns[-1])
    width = 3 if fmt == "oi1" else 2
    if table.shape[1] < width or (fmt == "oi1" and table.shape[1] > 4):
        raise DataError(
            f"{path}: expected {'3 (or 4)' if fmt == 'oi1' else '2'} columns for "
            f"{'an OmicsIntegrator 1 interactome' if fmt == 'oi1' else 'an edge list'}, "
            f"found {table.shape[1]}"
        )
    if fmt == "edgelist" and table.shape[1] > 2:
        raise DataError(f"{path}: an edge list has 2 columns, found {table.shape[1]}")
    if fmt == "oi1" and table.shape[1] == 4:
        logger.info("%s: fourth column (OI1 edge direction) ignored; edges are undirected", path)
    first_line = 1
    if (
        fmt == "edgelist"
        and len(table)
        and {str(table.iat[0, 0]).lower(), str(table.iat[0, 1]).lower()} <= _HEADER_WORDS
    ):
        table = table.iloc[1:].reset_index(drop=True)
        first_line = 2
    for column in range(width):
        missing = table[column].isna() | (table[column].astype(str).str.strip() == "")
        if missing.any():
            row = int(np.flatnonzero(missing.to_numpy())[0])
            raise DataError(
                f"{path}, line {row + first_line}: missing value in column {column + 1}"
            )
    if fmt == "edgelist":
        cost = np.full(len(table), float(default_cost))
    else:
        conf = pd.to_numeric(table[2], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(conf)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"{path}, line {row + 1}: confidence {table.iat[row, 2]!r} is not a number"
            )
        if (conf < 0).any():
            row = int(np.flatnonzero(conf < 0)[0])
            raise DataError(f"{path}, line {row + 1}: confidences must be ≥ 0, got {conf[row]}")
        above = conf > 1
        if above.any():
            row = int(np.flatnonzero(above)[0])
            logger.warning(
                "%s: %d confidence(s) above 1 clipped to 1 (cost 0); first at line %d "
                "(%s - %s: %s)",
                path,
                int(above.sum()),
                row + 1,
                table.iat[row, 0],
                table.iat[row, 1],
                table.iat[row, 2],
            )
            conf = np.minimum(conf, 1.0)
        cost = 1.0 - conf
    return pd.DataFrame(
        {"source": table[0].str.strip(), "target": table[1].str.strip(), "cost": cost}
    )


def _read_sif(path: Path, sep: str | None, default_cost: float) -> pd.DataFrame:
    """SIF: ``source relation target [target ...]`` per line."""
    sources: list[str] = []
    targets: list[str] = []
    relations: list[str] = []
    isolated = 0
    try:
        with _open_text(path) as handle:
            for number, line in enumerate(handle, start=1):
                text = line.rstrip("\r\n")
                if not text.strip() or text.startswith("#"):
                    continue
                fields = [f for f in _split(text, sep) if f]
                if len(fields) == 1:
                    isolated += 1
                    continue
                if len(fields) == 2:
                    raise DataError(
                        f"{path}, line {number}: a SIF line is 'source relation target "
                        f"[target ...]'; this one has 2 fields"
                    )
                for target in fields[2:]:
                    sources.append(fields[0])
                    relations.append(fields[1])
                    targets.append(target)
    except (OSError, UnicodeDecodeError, EOFError) as err:
        raise DataError(f"cannot read interactome {path}: {err}") from err
    if isolated:
        logger.info("%s: %d isolated node line(s) skipped", path, isolated)
    if relations:
        kinds = sorted(set(relations))
        logger.info("%s: relation types %s (all edges undirected)", path, kinds[:10])
    return pd.DataFrame(
        {"source": sources, "target": targets, "cost": np.full(len(sources), default_cost)}
    )


def _detect(columns: list[str]) -> tuple[str, str, str | None, str | None]:
    present = set(columns)
    if {"protein1", "protein2", "cost"} <= present:
        return "protein1", "protein2", "cost", None
    if {"SymbolA", "SymbolB", "pInt"} <= present:
        return "SymbolA", "SymbolB", None, "pInt"
    if {"source", "target", "cost"} <= present:
        return "source", "target", "cost", None
    if {"source", "target", "confidence"} <= present:
        return "source", "target", None, "confidence"
    raise ConfigError(
        f"cannot tell the interactome's columns {columns}: expected protein1/protein2/cost "
        "(iRefIndex), SymbolA/SymbolB/pInt (BioPlex), source/target/cost, or pass "
        "source_col=, target_col= and cost_col= or confidence_col="
    )


def read_interactome(
    path: str | os.PathLike[str],
    *,
    source_col: str | None = None,
    target_col: str | None = None,
    cost_col: str | None = None,
    confidence_col: str | None = None,
    cost_scale: float = 1.0,
    sep: str | None = None,
    fmt: str = "auto",
    default_cost: float = 1.0,
) -> pd.DataFrame:
    """Read a protein–protein interaction table as an edge table with costs.

    Parameters
    ----------
    path
        Table file (``.gz`` allowed). The separator is a comma for ``.csv`` and a tab
        otherwise, unless ``sep`` is given.
    source_col, target_col
        The two protein id columns (default: detected, see the module docstring).
    cost_col
        Column of edge costs (≥ 0).
    confidence_col
        Column of confidences in [0, 1], used when there is no cost column:
        ``cost = 1 − confidence``.
    cost_scale
        Multiply every cost by this factor (> 0).
    sep
        Field separator.
    fmt
        ``"auto"`` (default: a table with named columns, or told from the first lines:
        see the module notes), ``"table"``, ``"oi1"``, ``"sif"`` or ``"edgelist"``.
    default_cost
        Cost of every edge of a SIF file or edge list (they carry no weights).

    Returns
    -------
    pandas.DataFrame
        Columns ``source``, ``target``, ``cost``, ``kind`` (``"protein-protein"``),
        without self-loops or duplicated pairs (lowest cost kept).

    Raises
    ------
    DataNotFoundError
        The file does not exist.
    DataError
        Unreadable file, missing ids or costs, negative costs or confidences outside
        [0, 1]; the message names the file and line.
    ConfigError
        The columns cannot be detected or a named column is absent.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "bioplex.tsv"
    >>> _ = p.write_text("SymbolA\\tSymbolB\\tpInt\\nADA\\tPOTEF\\t0.99\\n")
    >>> read_interactome(p)["cost"].round(2).tolist()
    [0.01]
    """
    path = Path(path)
    if not path.is_file():
        raise DataNotFoundError(f"interactome table {path} does not exist")
    if not isinstance(fmt, str) or fmt not in INTERACTOME_FORMATS:
        raise ConfigError(f"fmt must be one of {list(INTERACTOME_FORMATS)}, got {fmt!r}")
    named = any(c is not None for c in (source_col, target_col, cost_col, confidence_col))
    if fmt == "auto":
        fmt = "table" if named else _sniff(path, sep)
    if fmt != "table":
        default_cost = float(default_cost)
        if not np.isfinite(default_cost) or default_cost < 0:
            raise ConfigError(f"default_cost must be a number >= 0, got {default_cost}")
        cost_scale = float(cost_scale)
        if not np.isfinite(cost_scale) or cost_scale <= 0:
            raise ConfigError(f"cost_scale must be a positive number, got {cost_scale}")
        if fmt == "sif":
            raw = _read_sif(path, sep, default_cost)
        else:
            raw = _read_headerless(path, sep, fmt, default_cost)
        if raw.empty:
            raise DataError(f"interactome {path} has no edges")
        raw["cost"] = raw["cost"] * cost_scale
        raw["kind"] = "protein-protein"
        merged = merge_edge_tables(raw)
        logger.info(
            "read %d interactions from %s (%s): %d edges after dropping self-loops and duplicates",
            len(raw),
            path,
            fmt,
            len(merged),
        )
        return merged
    if sep is None:
        sep = "," if path.name.removesuffix(".gz").endswith(".csv") else "\t"
    try:
        table = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, na_values=[""])
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as err:
        raise DataError(f"cannot read interactome {path}: {err}") from err
    columns = [str(c) for c in table.columns]
    if source_col is None and target_col is None and cost_col is None and confidence_col is None:
        source_col, target_col, cost_col, confidence_col = _detect(columns)
    if source_col is None or target_col is None or (cost_col is None and confidence_col is None):
        raise ConfigError("give source_col, target_col and one of cost_col or confidence_col")
    for column in (source_col, target_col, cost_col, confidence_col):
        if column is not None and column not in table.columns:
            raise ConfigError(f"{path}: no column {column!r} (columns: {columns})")
    cost_scale = float(cost_scale)
    if not np.isfinite(cost_scale) or cost_scale <= 0:
        raise ConfigError(f"cost_scale must be a positive number, got {cost_scale}")

    value_col = cost_col if cost_col is not None else confidence_col
    assert value_col is not None
    for column in (source_col, target_col, value_col):
        values = table[column]
        missing = values.isna() | (values.astype(str).str.strip() == "")
        if missing.any():
            row = int(np.flatnonzero(missing.to_numpy())[0])
            raise DataError(
                f"{path}, line {row + 2}: missing value in column {column!r} "
                f"({int(missing.sum())} row(s) with missing values)"
            )
    numbers = pd.to_numeric(table[value_col], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(numbers)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{path}, line {row + 2}: {value_col!r} value {table[value_col].iloc[row]!r} "
            "is not a number"
        )
    if cost_col is not None:
        wrong = numbers < 0
        what = "costs must be ≥ 0"
        cost = numbers
    else:
        wrong = (numbers < 0) | (numbers > 1)
        what = "confidences must lie in [0, 1]"
        cost = 1.0 - numbers
    if wrong.any():
        row = int(np.flatnonzero(wrong)[0])
        raise DataError(f"{path}, line {row + 2}: {what}, got {numbers[row]}")
    edges = pd.DataFrame(
        {
            "source": table[source_col].str.strip().to_numpy(),
            "target": table[target_col].str.strip().to_numpy(),
            "cost": cost * cost_scale,
            "kind": "protein-protein",
        }
    )
    merged = merge_edge_tables(edges)
    logger.info(
        "read %d interactions from %s: %d edges over %d proteins after dropping self-loops "
        "and duplicates",
        len(table),
        path,
        len(merged),
        len(pd.unique(pd.concat([merged["source"], merged["target"]]))),
    )
    return merged


def bioplex_path() -> Path:
    """Where the BioPlex 293T network shipped in the ``cptac`` wheel lies.

    Finds the installed package without importing it (``import cptac`` fails offline).

    Raises
    ------
    DataNotFoundError
        ``cptac`` is not installed or the file is not in it.

    Examples
    --------
    >>> bioplex_path().name  # doctest: +SKIP
    'BioPlex_293T_Network_10K_Dec_2019.tsv.gz'
    """
    spec = importlib.util.find_spec("cptac")
    if spec is None or not spec.submodule_search_locations:
        raise DataNotFoundError(
            "the BioPlex network ships in the cptac package, which is not installed "
            "(pip install cptac), or pass the path of the BioPlex table"
        )
    for location in spec.submodule_search_locations:
        path = Path(location) / "utils" / "data" / BIOPLEX_FILE
        if path.is_file():
            return path
    raise DataNotFoundError(f"{BIOPLEX_FILE} not found in the cptac package")


def read_bioplex(
    path: str | os.PathLike[str] | None = None, *, cost_scale: float = 1.0
) -> pd.DataFrame:
    """The BioPlex 293T interactome (10K, Dec 2019) as an edge table.

    Gene symbols are the node ids; ``cost = (1 − pInt) × cost_scale``.

    Parameters
    ----------
    path
        The BioPlex table; default the copy in the installed ``cptac`` package.
    cost_scale
        Multiply every cost by this factor.

    Examples
    --------
    >>> edges = read_bioplex()  # doctest: +SKIP
    >>> edges.columns.tolist()  # doctest: +SKIP
    ['source', 'target', 'cost', 'kind']
    """
    return read_interactome(
        path if path is not None else bioplex_path(),
        source_col="SymbolA",
        target_col="SymbolB",
        confidence_col="pInt",
        cost_scale=cost_scale,
    )


def merge_edge_tables(*tables: pd.DataFrame) -> pd.DataFrame:
    """Stack edge tables into one undirected edge table.

    Self-loops are dropped; a pair present more than once (in any table, in either
    orientation) keeps its lowest-cost row (the first one on ties), with that row's
    orientation and other columns. Row order follows the inputs.

    Parameters
    ----------
    *tables
        DataFrames with ``source``, ``target`` and ``cost`` (``kind`` and other columns
        are kept).

    Raises
    ------
    DataError
        A table lacks a column, or has missing or negative costs.

    Examples
    --------
    >>> import pandas as pd
    >>> mp = pd.DataFrame({"source": ["glc"], "target": ["HK1"], "cost": [0.5],
    ...                    "kind": ["metabolite-protein"]})
    >>> ppi = pd.DataFrame({"source": ["HK1", "HK1", "GCK"], "target": ["GCK", "HK1", "HK1"],
    ...                     "cost": [0.4, 0.1, 0.3], "kind": "protein-protein"})
    >>> merge_edge_tables(mp, ppi)[["source", "target", "cost"]].values.tolist()
    [['glc', 'HK1', 0.5], ['GCK', 'HK1', 0.3]]
    """
    parts = []
    for i, table in enumerate(tables):
        missing = [c for c in ("source", "target", "cost") if c not in table.columns]
        if missing:
            raise DataError(f"edge table {i} lacks column(s) {missing}")
        parts.append(table)
    if not parts:
        return pd.DataFrame({c: [] for c in EDGE_TABLE_COLUMNS})
    edges = pd.concat(parts, ignore_index=True)
    edges["source"] = edges["source"].astype(str)
    edges["target"] = edges["target"].astype(str)
    cost = pd.to_numeric(edges["cost"], errors="coerce")
    if cost.isna().any() or (cost < 0).any():
        row = int(np.flatnonzero((cost.isna() | (cost < 0)).to_numpy())[0])
        raise DataError(
            f"edge {edges['source'].iloc[row]!r} - {edges['target'].iloc[row]!r} has a missing "
            f"or negative cost ({edges['cost'].iloc[row]!r})"
        )
    edges["cost"] = cost.astype(float)
    loops = edges["source"] == edges["target"]
    if loops.any():
        logger.info("dropping %d self-loop(s)", int(loops.sum()))
        edges = edges[~loops]
    forward = edges["source"] <= edges["target"]
    low = edges["source"].where(forward, edges["target"])
    high = edges["target"].where(forward, edges["source"])
    keyed = edges.assign(_low=low, _high=high, _row=np.arange(len(edges)))
    best = keyed.sort_values(["cost", "_row"], kind="stable").drop_duplicates(["_low", "_high"])
    n_dup = len(keyed) - len(best)
    if n_dup:
        logger.info("merged %d duplicated edge(s), keeping the lowest cost", n_dup)
    best = best.sort_values("_row", kind="stable").drop(columns=["_low", "_high", "_row"])
    return best.reset_index(drop=True)
