"""m/z whitelists: keep only the signals of known compounds (DeepMSProfiler Fig. 4f).

To ask whether a model needs the whole raw data or only known biomarkers, DeepMSProfiler
retrained on matrices in which everything but the m/z of published biomarkers was
removed. This module turns a list of biomarkers into m/z targets and masks matrices:

* :func:`whitelist_targets` — items given as m/z values, element formulas or HMDB IDs
  (formulas → monoisotopic mass with :mod:`omicsnet.knowledge.masses`; HMDB IDs → the
  formula/mass of a lookup table such as Human-GEM's metabolites) → one target m/z per
  item and adduct;
* :func:`whitelist_columns` — which m/z columns of a matrix overlap a ± ``ppm`` window
  around any target; a column is the half-open bin ``[lower edge, upper edge)``;
* :func:`apply_whitelist` — zero every other column.

:func:`omicsnet.lcms.study.whitelist_ablation` then cross-validates the same
ensemble on the full and on the whitelisted matrices with the same folds.

Examples
--------
>>> import numpy as np
>>> targets = whitelist_targets(["C6H12O6", 118.0863], adducts=["[M+H]+"])
>>> targets[["item", "kind", "mz"]].round(4).values.tolist()
[['C6H12O6', 'formula', 181.0707], ['118.0863', 'mz', 118.0863]]
>>> edges = np.arange(100.0, 201.0)          # 1-Da bins from 100 to 200
>>> keep = whitelist_columns(edges, targets["mz"], ppm=10)
>>> np.flatnonzero(keep).tolist()             # bins [118, 119) and [181, 182)
[18, 81]
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from omicsnet.errors import ConfigError, DataError

logger = logging.getLogger(__name__)

_HMDB = re.compile(r"^HMDB\d+$", re.IGNORECASE)


def _normalise_hmdb(value: str) -> str:
    """``HMDB0000122`` and ``HMDB00122`` name the same compound: use the 7-digit form."""
    digits = value.upper().removeprefix("HMDB")
    return f"HMDB{int(digits):07d}"


def _as_float(item: Any) -> float | None:
    if isinstance(item, (int, float, np.integer, np.floating)) and not isinstance(item, bool):
        return float(item)
    try:
        return float(str(item).strip())
    except ValueError:
        return None


def whitelist_targets(
    items: Iterable[Any],
    *,
    adducts: Sequence[str] | str | None = None,
    mode: str = "positive",
    hmdb_masses: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Target m/z values for a list of biomarkers.

    Parameters
    ----------
    items
        Each an m/z value (a number, kept as is: it is already an ion's m/z), an element
        formula of the neutral compound (``"C6H12O6"``) or an HMDB ID (``"HMDB0000122"``).
    adducts
        Adducts for formulas and HMDB IDs (see :func:`omicsnet.knowledge.adducts.
        resolve_adducts`); default: the mode's usual adducts.
    mode
        ``"positive"`` or ``"negative"``.
    hmdb_masses
        HMDB ID → neutral monoisotopic mass, needed when an item is an HMDB ID (e.g.
        :func:`hmdb_masses_from_graph` of Human-GEM).

    Returns
    -------
    pandas.DataFrame
        Columns ``item``, ``kind`` (``mz``/``formula``/``hmdb``), ``adduct`` (empty for m/z
        items), ``neutral_mass`` and ``mz``; one row per item and adduct.

    Raises
    ------
    DataError
        Items that are neither numbers, parsable formulas nor known HMDB IDs (all named).
    """
    from omicsnet.knowledge.adducts import resolve_adducts
    from omicsnet.knowledge.masses import monoisotopic_mass

    ions = resolve_adducts(adducts, mode=mode)
    lookup = {_normalise_hmdb(k): float(v) for k, v in (hmdb_masses or {}).items()}
    rows: list[dict[str, Any]] = []
    bad: list[str] = []
    for item in items:
        text = str(item).strip()
        value = _as_float(item)
        if value is not None:
            if not np.isfinite(value) or value <= 0:
                bad.append(f"{text} (not a positive m/z)")
                continue
            rows.append(
                {"item": text, "kind": "mz", "adduct": "", "neutral_mass": np.nan, "mz": value}
            )
            continue
        if _HMDB.match(text):
            key = _normalise_hmdb(text)
            if key not in lookup:
                bad.append(f"{text} (unknown HMDB ID{'' if lookup else '; no HMDB table given'})")
                continue
            kind, mass = "hmdb", lookup[key]
        else:
            mass = monoisotopic_mass(text)
            if mass is None:
                bad.append(f"{text} (not a number, formula or HMDB ID)")
                continue
            kind = "formula"
        for ion in ions:
            rows.append(
                {
                    "item": text,
                    "kind": kind,
                    "adduct": ion.name,
                    "neutral_mass": mass,
                    "mz": float(ion.mz(mass)),
                }
            )
    if bad:
        raise DataError(f"{len(bad)} whitelist item(s) not understood: " + "; ".join(bad[:20]))
    if not rows:
        raise DataError("the whitelist is empty")
    return pd.DataFrame(rows, columns=["item", "kind", "adduct", "neutral_mass", "mz"])


def hmdb_masses_from_graph(graph: Any) -> dict[str, float]:
    """HMDB ID → neutral mass from a metabolite graph's nodes (``hmdb`` and ``mass`` columns).

    Works with :func:`omicsnet.knowledge.metabolic_graph.load_human_gem` graphs; IDs
    separated by ``;`` are all kept.

    Examples
    --------
    >>> import pandas as pd
    >>> class G:  # any object with a nodes table
    ...     nodes = pd.DataFrame({"hmdb": ["HMDB0000122;HMDB0000516", ""],
    ...                           "mass": [180.06339, 100.0]})
    >>> sorted(hmdb_masses_from_graph(G()).items())
    [('HMDB0000122', 180.06339), ('HMDB0000516', 180.06339)]
    """
    nodes = graph.nodes
    if "hmdb" not in nodes.columns or "mass" not in nodes.columns:
        raise DataError("the graph's nodes have no 'hmdb' and 'mass' columns")
    out: dict[str, float] = {}
    for ids, mass in zip(nodes["hmdb"].fillna(""), nodes["mass"], strict=True):
        if not np.isfinite(mass):
            continue
        for hmdb in str(ids).split(";"):
            if _HMDB.match(hmdb.strip()):
                out.setdefault(_normalise_hmdb(hmdb.strip()), float(mass))
    return out


def mz_edges_from_centres(centres: Sequence[float]) -> np.ndarray:
    """Bin edges of an evenly spaced m/z axis given by its bin centres.

    Examples
    --------
    >>> mz_edges_from_centres([100.5, 101.5, 102.5]).tolist()
    [100.0, 101.0, 102.0, 103.0]
    """
    axis = np.asarray(centres, dtype=float)
    if axis.ndim != 1 or len(axis) < 2:
        raise ConfigError("need at least two m/z bin centres to infer the bin edges")
    step = np.diff(axis)
    if not np.allclose(step, step[0], rtol=1e-6):
        raise ConfigError("m/z centres are not evenly spaced: give the bin edges instead")
    return np.r_[axis - step[0] / 2, axis[-1] + step[0] / 2]


def whitelist_columns(
    mz_edges: Sequence[float], targets: Iterable[float], *, ppm: float = 10.0
) -> np.ndarray:
    """Which m/z columns overlap the ± ``ppm`` window of any target.

    Column ``j`` is the half-open bin ``[edges[j], edges[j + 1])``; the window of a target
    ``t`` is the closed interval ``[t − t·ppm/1e6, t + t·ppm/1e6]``. A column is kept when
    the two intersect: a window ending exactly on a column's lower edge keeps it, one
    starting exactly on its upper edge does not.

    Parameters
    ----------
    mz_edges
        ``n_mz + 1`` increasing bin edges.
    targets
        Target m/z values.
    ppm
        Half-width of the window in parts per million (≥ 0).

    Returns
    -------
    numpy.ndarray
        ``(n_mz,)`` booleans.

    Examples
    --------
    >>> whitelist_columns([100.0, 101.0, 102.0], [101.0], ppm=0).tolist()
    [False, True]
    """
    edges = np.asarray(mz_edges, dtype=float)
    if edges.ndim != 1 or len(edges) < 2 or np.any(np.diff(edges) <= 0):
        raise ConfigError("m/z edges must be an increasing 1-D sequence of at least 2 values")
    if ppm < 0:
        raise ConfigError(f"ppm must be >= 0, got {ppm}")
    mz = np.asarray(list(targets), dtype=float)
    keep = np.zeros(len(edges) - 1, dtype=bool)
    if mz.size == 0:
        return keep
    low = mz * (1 - ppm * 1e-6)
    high = mz * (1 + ppm * 1e-6)
    # first column whose upper edge is above `low`; last column whose lower edge <= `high`
    first = np.searchsorted(edges[1:], low, side="right")
    last = np.searchsorted(edges[:-1], high, side="right") - 1
    outside = (high < edges[0]) | (low >= edges[-1])
    if outside.any():
        logger.info("%d target(s) outside the m/z range %.4f-%.4f", outside.sum(), *edges[[0, -1]])
    for start, stop in zip(first[~outside], last[~outside], strict=True):
        keep[start : stop + 1] = True
    return keep


def apply_whitelist(x: Any, keep: Sequence[bool], *, fill: float = 0.0) -> Any:
    """Set every m/z column (the last axis) not in ``keep`` to ``fill``; returns a copy.

    Works on numpy arrays and torch tensors of shape ``(..., n_mz)``.

    Examples
    --------
    >>> import numpy as np
    >>> apply_whitelist(np.ones((2, 3)), [True, False, True]).tolist()
    [[1.0, 0.0, 1.0], [1.0, 0.0, 1.0]]
    """
    mask = np.asarray(keep, dtype=bool)
    if x.shape[-1] != mask.shape[0]:
        raise DataError(
            f"the whitelist covers {mask.shape[0]} m/z columns but the data have {x.shape[-1]}"
        )
    out = x.clone() if hasattr(x, "clone") else np.array(x, copy=True)
    out[..., ~mask] = fill
    return out
