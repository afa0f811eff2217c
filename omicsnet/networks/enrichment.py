"""Over-representation analysis: hypergeometric tests with Benjamini–Hochberg.

For a query (e.g. the nodes of a Steiner forest), a background universe and gene sets,
every set is tested for over-representation with the one-sided hypergeometric test

.. math:: p = P(X \\ge k), \\quad X \\sim \\mathrm{Hypergeom}(M, n, N),

where :math:`M` is the background size, :math:`n` the set's size *within the
background*, :math:`N` the query's size within the background and :math:`k` the overlap.
p-values are adjusted over all tested sets with Benjamini–Hochberg.

The background is explicit and stated in the output (column ``background`` and
``DataFrame.attrs``): by default the union of all gene-set members; pass the interactome's
nodes (``graph.nodes``) or the measured genes when that is the right universe — the
choice changes the p-values.

Gene-set sources: a GMT file (:func:`read_gmt`), the WikiPathways table shipped in the
``cptac`` wheel (:func:`wikipathways_gene_sets`, read without importing ``cptac``, which
fails offline), or any ``{set name: members}`` mapping, such as a metabolic model's
subsystems.

Examples
--------
>>> sets = {"glycolysis": {"HK1", "PFKM", "PKM", "ENO1"}, "tca": {"CS", "IDH2", "MDH2"}}
>>> table = enrich(["HK1", "PFKM", "PKM", "CS"], sets)
>>> table[["set", "set_size", "overlap", "members"]].values.tolist()
[['glycolysis', 4, 3, 'HK1;PFKM;PKM'], ['tca', 3, 1, 'CS']]
"""

from __future__ import annotations

import gzip
import importlib.util
import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from omicsnet.errors import ConfigError, DataError, DataNotFoundError

logger = logging.getLogger(__name__)

__all__ = ["benjamini_hochberg", "enrich", "read_gmt", "wikipathways_gene_sets"]

WIKIPATHWAYS_RELATIVE = Path("utils") / "data" / "WikiPathwaysDataframe.tsv.gz"

RESULT_COLUMNS = [
    "set",
    "set_size",
    "overlap",
    "members",
    "query_size",
    "background_size",
    "expected",
    "fold_enrichment",
    "odds_ratio",
    "p",
    "q",
    "background",
]


def benjamini_hochberg(pvalues: Iterable[float]) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values), in the input order.

    :math:`q_{(i)} = \\min_{j \\ge i} \\min(1, m\\,p_{(j)}/j)` for the sorted p-values
    :math:`p_{(1)} \\le \\dots \\le p_{(m)}`. Same as
    ``scipy.stats.false_discovery_control(p, method="bh")``.

    Parameters
    ----------
    pvalues
        p-values in ``[0, 1]``.

    Returns
    -------
    numpy.ndarray
        Adjusted values, same order and length as the input.

    Raises
    ------
    DataError
        NaN or out-of-range p-values.

    Examples
    --------
    >>> benjamini_hochberg([0.01, 0.04, 0.03, 0.5]).round(4).tolist()
    [0.04, 0.0533, 0.0533, 0.5]
    """
    p = np.asarray(list(pvalues) if not isinstance(pvalues, np.ndarray) else pvalues, float)
    if p.ndim != 1:
        raise DataError(f"p-values must be one-dimensional, got shape {p.shape}")
    if p.size == 0:
        return p.copy()
    if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise DataError("p-values must lie in [0, 1] and not be NaN")
    m = p.size
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty(m, dtype=np.float64)
    out[order] = np.minimum(adjusted, 1.0)
    return out


def read_gmt(path: str | os.PathLike[str]) -> dict[str, set[str]]:
    """Read gene sets from a GMT file (``.gz`` allowed).

    Each line is ``name<TAB>description<TAB>member<TAB>member…``; the description is
    ignored, empty members are skipped, blank lines and lines starting with ``#`` are
    skipped.

    Returns
    -------
    dict
        ``{set name: set of members}``.

    Raises
    ------
    DataNotFoundError
        The file does not exist.
    DataError
        A malformed line (its number is in the message): fewer than three tab-separated
        fields, an empty name, no members, or a set name given twice.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "sets.gmt"
    >>> _ = p.write_text("glycolysis\\thttp://x\\tHK1\\tPKM\\ntca\\t-\\tCS\\n")
    >>> read_gmt(p) == {"glycolysis": {"HK1", "PKM"}, "tca": {"CS"}}
    True
    """
    path = Path(path)
    if not path.is_file():
        raise DataNotFoundError(f"GMT file {path} does not exist")
    opener = gzip.open if path.name.endswith(".gz") else open
    sets: dict[str, set[str]] = {}
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                text = line.rstrip("\r\n")
                if not text.strip() or text.startswith("#"):
                    continue
                fields = text.split("\t")
                if len(fields) < 3:
                    raise DataError(
                        f"{path}, line {number}: a GMT line needs a name, a description and "
                        f"members separated by tabs; got {len(fields)} field(s): {text[:80]!r}"
                    )
                name = fields[0].strip()
                if not name:
                    raise DataError(f"{path}, line {number}: empty gene-set name")
                members = {m.strip() for m in fields[2:] if m.strip()}
                if not members:
                    raise DataError(f"{path}, line {number}: gene set {name!r} has no members")
                if name in sets:
                    raise DataError(f"{path}, line {number}: gene set {name!r} appears twice")
                sets[name] = members
    except (OSError, UnicodeDecodeError) as err:
        raise DataError(f"cannot read GMT file {path}: {err}") from err
    if not sets:
        raise DataError(f"{path}: no gene sets found")
    return sets


def _cptac_wikipathways_path() -> Path:
    spec = importlib.util.find_spec("cptac")  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise DataNotFoundError(
            "the cptac package is not installed, so its WikiPathways table cannot be found; "
            "install `cptac` (pip install 'omicsnet[cptac]') or pass path="
        )
    for location in spec.submodule_search_locations:
        candidate = Path(location) / WIKIPATHWAYS_RELATIVE
        if candidate.is_file():
            return candidate
    raise DataNotFoundError(
        f"cptac is installed but {WIKIPATHWAYS_RELATIVE.as_posix()} is not in it "
        f"(looked in {list(spec.submodule_search_locations)}); pass path="
    )


def wikipathways_gene_sets(path: str | os.PathLike[str] | None = None) -> dict[str, set[str]]:
    """WikiPathways gene sets from the table shipped in the ``cptac`` wheel.

    The file (``cptac/utils/data/WikiPathwaysDataframe.tsv.gz``) is a genes × pathways
    table of booleans (gene symbols in the first column). It is found through
    ``importlib.util.find_spec`` without importing ``cptac`` (whose import fails offline).

    Parameters
    ----------
    path
        Read this file instead of the one in the installed ``cptac``.

    Returns
    -------
    dict
        ``{pathway name: set of gene symbols}``; pathways without members are left out.

    Raises
    ------
    DataNotFoundError
        ``cptac`` is not installed (and no path given) or the file is missing.
    DataError
        The table is not a genes × pathways boolean table.

    Examples
    --------
    >>> sets = wikipathways_gene_sets()  # doctest: +SKIP
    >>> len(sets), "TP53" in sets["DNA Damage Response"]  # doctest: +SKIP
    (607, True)
    """
    file = Path(path) if path is not None else _cptac_wikipathways_path()
    if not file.is_file():
        raise DataNotFoundError(f"WikiPathways table {file} does not exist")
    try:
        table = pd.read_csv(file, sep="\t", index_col=0, keep_default_na=False, na_values=[""])
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as err:
        raise DataError(f"cannot read WikiPathways table {file}: {err}") from err
    values = table
    if not all(pd.api.types.is_bool_dtype(dtype) for dtype in values.dtypes):
        values = table.replace({"True": True, "False": False, "TRUE": True, "FALSE": False})
    if not all(pd.api.types.is_bool_dtype(values[c]) for c in values.columns):
        bad = [c for c in values.columns if not pd.api.types.is_bool_dtype(values[c])][:3]
        raise DataError(
            f"{file}: expected a genes x pathways table of True/False; column(s) {bad} are not"
        )
    genes = table.index.astype(str).to_numpy()
    matrix = values.to_numpy(dtype=bool)
    sets = {
        str(name): set(genes[matrix[:, j]].tolist())
        for j, name in enumerate(table.columns)
        if matrix[:, j].any()
    }
    return sets


def enrich(
    query: Iterable[str],
    gene_sets: Mapping[str, Iterable[str]],
    *,
    background: Iterable[str] | None = None,
    background_label: str | None = None,
    min_size: int = 1,
    max_size: int | None = None,
) -> pd.DataFrame:
    """Hypergeometric over-representation of ``query`` in each gene set, with BH q-values.

    Parameters
    ----------
    query
        The selected genes/nodes (e.g. ``result.selected`` of a PCSF).
    gene_sets
        ``{set name: members}``: from :func:`read_gmt`, :func:`wikipathways_gene_sets`,
        a metabolic model's subsystems, or any dict.
    background
        The universe. Default: the union of all gene-set members. Query genes and set
        members outside it are ignored (query genes dropped this way are counted in
        ``attrs["query_outside_background"]`` and logged).
    background_label
        How to describe the background in the output (default: says which of the two).
    min_size, max_size
        Test only sets whose size within the background lies in this range; the BH
        correction runs over exactly the tested sets.

    Returns
    -------
    pandas.DataFrame
        One row per tested set, sorted by p (then name): ``set``, ``set_size`` (within
        the background), ``overlap``, ``members`` (the overlap, sorted, ``;``-joined),
        ``query_size``, ``background_size``, ``expected`` (overlap expected by chance),
        ``fold_enrichment``, ``odds_ratio`` (sample odds ratio of the 2×2 table; ``inf``
        when a cell is 0), ``p``, ``q`` (BH), ``background`` (its description).
        ``attrs`` holds ``background``, ``background_size``, ``query_size`` and
        ``query_outside_background``.

    Raises
    ------
    ConfigError
        Invalid size limits.
    DataError
        Empty background, or no set left to test.

    Examples
    --------
    >>> sets = {"S1": {"a", "b", "c"}, "S2": {"c", "d"}, "S3": {"e", "f", "g", "h"}}
    >>> table = enrich(["a", "b", "x"], sets, background="abcdefghij")
    >>> table[["set", "overlap", "p"]].round(4).values.tolist()
    [['S1', 2, 0.0667], ['S2', 0, 1.0], ['S3', 0, 1.0]]
    >>> table.attrs["query_outside_background"], table["background"].iloc[0]
    (1, 'user-supplied background (10 genes)')
    """
    from scipy.stats import hypergeom

    if not isinstance(min_size, (int, np.integer)) or min_size < 0:
        raise ConfigError(f"min_size must be a non-negative integer, got {min_size!r}")
    if max_size is not None and (not isinstance(max_size, (int, np.integer)) or max_size < 1):
        raise ConfigError(f"max_size must be a positive integer or None, got {max_size!r}")
    if max_size is not None and max_size < min_size:
        raise ConfigError(f"max_size ({max_size}) is smaller than min_size ({min_size})")
    if isinstance(query, str):
        raise DataError("query must be a collection of names, not a single string")
    sets = {str(name): {str(m) for m in members} for name, members in gene_sets.items()}
    if background is None:
        universe: set[str] = set().union(*sets.values()) if sets else set()
        label = background_label or f"union of all gene-set members ({len(universe)} genes)"
    else:
        universe = {str(g) for g in background}
        label = background_label or f"user-supplied background ({len(universe)} genes)"
    if not universe:
        raise DataError("the background is empty")
    query_all = {str(q) for q in query}
    hits = query_all & universe
    outside = len(query_all) - len(hits)
    if outside:
        logger.warning(
            "%d of %d query gene(s) are not in the background and are ignored",
            outside,
            len(query_all),
        )
    M = len(universe)
    N = len(hits)
    rows = []
    for name, members in sets.items():
        in_bg = members & universe
        n = len(in_bg)
        if n < max(min_size, 1) or (max_size is not None and n > max_size):
            continue
        overlap = sorted(in_bg & hits)
        rows.append((name, n, len(overlap), ";".join(overlap)))
    if not rows:
        raise DataError(
            "no gene set left to test (sizes within the background outside "
            f"[{min_size}, {max_size if max_size is not None else 'inf'}])"
        )
    table = pd.DataFrame(rows, columns=["set", "set_size", "overlap", "members"])
    n_arr = table["set_size"].to_numpy(dtype=np.int64)
    k_arr = table["overlap"].to_numpy(dtype=np.int64)
    table["query_size"] = N
    table["background_size"] = M
    expected = n_arr * N / M
    table["expected"] = expected
    with np.errstate(divide="ignore", invalid="ignore"):
        table["fold_enrichment"] = np.where(expected > 0, k_arr / expected, np.nan)
        a = k_arr.astype(float)  # in set and query
        b_ = (n_arr - k_arr).astype(float)  # in set, not in query
        c = (N - k_arr).astype(float)  # in query, not in set
        d = (M - n_arr - N + k_arr).astype(float)  # neither
        numerator, denominator = a * d, b_ * c
        table["odds_ratio"] = np.where(
            denominator > 0,
            numerator / np.where(denominator > 0, denominator, 1.0),
            np.where(numerator > 0, np.inf, np.nan),
        )
    # P(X >= k) = sf(k - 1); clip tiny negative rounding
    pvalues = np.clip(hypergeom.sf(k_arr - 1, M, n_arr, N), 0.0, 1.0)
    table["p"] = pvalues
    table["q"] = benjamini_hochberg(pvalues)
    table["background"] = label
    table = table.sort_values(["p", "set"], kind="stable").reset_index(drop=True)
    table = table[RESULT_COLUMNS]
    table.attrs.update(
        {
            "background": label,
            "background_size": M,
            "query_size": N,
            "query_outside_background": outside,
        }
    )
    return table
