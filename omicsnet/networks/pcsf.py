"""Prize-collecting Steiner forests (PCSF) over ``pcst_fast``, as in OmicsIntegrator2.

The problem
-----------
Given an undirected interactome with edge costs :math:`c_e \\ge 0` and node prizes
:math:`p_v`, find a forest :math:`F` that collects valuable nodes cheaply. Following
OmicsIntegrator2 (OI2, BSD-3), the forest is found as a *tree* on an augmented graph:

* prizes are scaled, :math:`p_v \\leftarrow b\\,p_v` (parameter ``b``);
* every edge gets a degree penalty that discourages hubs (parameter ``g``),
  :math:`c_{uv} \\leftarrow c_{uv} + 10^{g}\\, d_u d_v /
  \\big((N-d_u-1)(N-d_v-1) + d_u d_v\\big)`, where :math:`d` are node degrees in the
  interactome and :math:`N` its number of nodes (``g=None`` switches the penalty off;
  note that ``g=0`` still adds :math:`10^0` times the degree term, exactly as OI2 does);
* a dummy node is joined to the terminals (nodes with a positive prize; or to all nodes,
  the non-terminals, or an explicit list: ``dummy_mode``) by edges of cost ``w``.

``pcst_fast`` (Hegde, Indyk & Schmidt's Goemans–Williamson variant) then minimises the
GW objective on that augmented instance,

.. math:: \\sum_{e \\in T} c_e + \\sum_{v \\notin T} p_v ,

over trees :math:`T` that contain the dummy (``rooted=True``, OI2's choice) or over any
tree (``rooted=False``, pcst_fast's ``root=-1``: the dummy is then an ordinary node that
may or may not be used, ``num_clusters`` trees are kept, and runs are often 2× faster).
Removing the dummy leaves a forest; each of its trees hung from the dummy by one edge, so
``w`` is the price of every extra tree. :attr:`PCSFResult.objective` is this objective on
the augmented instance. ``pcst_fast`` is a 2-approximation followed by pruning
(``"strong"``: the best subtree of the GW tree; ``"gw"``: the classic GW pruning).

Negative prizes
---------------
``pcst_fast`` refuses negative prizes. With ``negative_prizes="penalize"`` (default), a
node with prize :math:`p < 0` gets solver prize 0 and each of its edges costs
:math:`|b\\,p|/2` more. A forest passing *through* such a node (two forest edges) then
pays exactly :math:`|b\\,p|`, a branch point with :math:`k` forest edges pays
:math:`k|b\\,p|/2` (more than :math:`|b\\,p|`: conservative), and a leaf never pays off,
so pruning drops it. This is the node-penalty idea of OI2's ``_penalize_nodes`` (which
raises the costs of a node's edges) in a form that is exact for pass-through nodes.
Negative-prize nodes are not terminals: they are not joined to the dummy.
``negative_prizes="clip"`` treats them as 0 and ``"error"`` refuses them.

Randomisations
--------------
Robustness reruns add noise to the (penalised) edge costs (Gaussian with standard
deviation ``noise``, or uniform on ``[-noise, noise]``; clipped at 1e-4 as in OI2);
specificity reruns move the prizes to other nodes (``"degree_matched"``: OI2's random
terminals, each prize goes to a node of similar degree rank; ``"shuffle"``: to uniformly
random nodes). Node columns ``robustness`` and ``specificity`` give the fraction of
reruns of each kind that selected the node (OI2's names: a *high* ``specificity`` means
the node also shows up with random prizes, i.e. it is *not* specific to the data). Reruns
run in worker processes that receive the prepared arrays once (pool initializer); every
rerun draws from its own child of ``numpy.random.SeedSequence(seed)``, so results do not
depend on the number of workers or on scheduling.

Examples
--------
>>> import pandas as pd
>>> edges = pd.DataFrame({"source": ["A", "B", "C"], "target": ["B", "C", "D"],
...                       "cost": [1.0, 1.0, 1.0]})
>>> result = solve_pcsf(edges, pd.Series({"A": 5.0, "D": 5.0}), w=4, g=None)
>>> sorted(result.nodes.loc[result.nodes.in_solution, "node"])
['A', 'B', 'C', 'D']
>>> sorted(result.nodes.loc[result.nodes.hidden, "node"])
['B', 'C']
>>> result.optimal, result.gap, result.solver  # proven by the exact solver (auto)
(True, 0.0, 'exact')

With ``w=2`` two lone trees (2 + 2) beat the path (3 + 2); ``pcst_fast`` alone misses it:

>>> solve_pcsf(edges, {"A": 5.0, "D": 5.0}, w=2, g=None, solver="fast",
...            improve=False).objective
5.0
>>> exact = solve_pcsf(edges, {"A": 5.0, "D": 5.0}, w=2, g=None, solver="exact")
>>> exact.objective, exact.n_trees, exact.optimal
(4.0, 2, True)
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from omicsnet.errors import ConfigError, DataError, DataNotFoundError, shown
from omicsnet.networks.pcsf_exact import SolverError

if TYPE_CHECKING:
    import networkx as nx

logger = logging.getLogger(__name__)

__all__ = [
    "PCSFResult",
    "PreparedGraph",
    "SolverError",
    "check_solver",
    "prepare_graph",
    "read_prizes",
    "solve_pcsf",
    "to_networkx",
    "to_pyg",
    "write_graphml",
]

PRUNING_METHODS = ("strong", "gw", "simple", "none")
DUMMY_MODES = ("terminals", "all", "others", "none")
NEGATIVE_PRIZE_MODES = ("penalize", "clip", "error")
NOISE_KINDS = ("gaussian", "uniform")
SPECIFICITY_MODES = ("degree_matched", "shuffle")
SOLVERS = ("fast", "exact", "auto")
#: ``solver="auto"`` runs the branch-and-cut when the instance has at most this many
#: edges after all reduction tests (from measurements: reduced instances of a few
#: hundred edges are proven optimal in seconds, ones of ~5,000 edges left a gap after
#: 60 s; see docs/networks.md)
AUTO_MAX_EDGES = 2_000
#: work limit of the improvement pass in randomisation reruns (one round, the 100 longest
#: key paths): on iRefIndex + example_prizes it takes ~0.3 s and lowers pcst_fast's
#: objective by 3.6 % (the full pass: 5.2 %, in ~2 s)
RERUN_IMPROVE: dict[str, Any] = {"max_rounds": 1, "max_paths": 100}
#: perturbed restarts of ``solver="exact"`` when the instance is too large for the
#: branch-and-cut (on iRefIndex + example_prizes, quiet machine: 264.53 after 20 in 25 s,
#: 264.29 after 60 in 53 s; protein_TF_prizes 206.85 / 206.83); then the
#: RECOMBINE_FORESTS best forests found are recombined
MAX_RESTARTS = 20
#: recombination (after SCIP-Jack's): the exact solver on the subgraph spanned by the
#: nodes of this many of the best forests found (on iRefIndex + example_prizes: 3,595
#: edges after its reductions; its optimum, 263.79, is below every forest put in, the
#: best of which is 264.58)
RECOMBINE_FORESTS = 5
#: recombination runs only when at least this many seconds of the time limit are left
RECOMBINE_MIN_SECONDS = 5.0
MIN_NOISY_COST = 1e-4  # OI2 clips noisy costs here so that pcst_fast never sees a negative
DEGREE_RANK_SD = 10.0  # OI2: random terminals move by N(0, 10) positions in the degree ranking


# --------------------------------------------------------------------------------------
# The prepared graph
# --------------------------------------------------------------------------------------


@dataclass(eq=False)
class PreparedGraph:
    """An interactome as integer arrays, built once by :func:`prepare_graph`.

    Attributes
    ----------
    nodes
        Node ids (strings); a node's position is its integer index.
    edges
        ``(E, 2)`` int64 array of node indices (C order, as ``pcst_fast`` wants it).
    costs
        ``(E,)`` float64 input costs, in the order of ``edges``.
    degrees
        ``(N,)`` number of distinct neighbours of every node.
    edge_table
        The de-duplicated edge table (``source``, ``target``, ``cost`` and any extra
        columns of the input), row ``i`` is edge ``i``.
    """

    nodes: pd.Index
    edges: np.ndarray
    costs: np.ndarray
    degrees: np.ndarray
    edge_table: pd.DataFrame
    _penalty_cache: dict[float | None, np.ndarray] = field(
        default_factory=dict, repr=False, compare=False
    )

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.nodes)

    @property
    def n_edges(self) -> int:
        """Number of (de-duplicated, loop-free) edges."""
        return len(self.edges)

    def penalized_costs(self, g: float | None) -> np.ndarray:
        """Edge costs plus the OI2 degree penalty for ``g`` (cached per ``g``).

        Parameters
        ----------
        g
            Exponent of the penalty's scale (``10**g``); ``None`` returns the input costs.

        Returns
        -------
        numpy.ndarray
            ``(E,)`` float64 costs; treat as read-only.

        Examples
        --------
        >>> import pandas as pd
        >>> graph = prepare_graph(pd.DataFrame(
        ...     {"source": ["A", "A"], "target": ["B", "C"], "cost": [1.0, 1.0]}))
        >>> graph.penalized_costs(None).tolist()
        [1.0, 1.0]
        >>> [round(c, 3) for c in graph.penalized_costs(0).tolist()]  # d_A=2, d_B=1, N=3
        [2.0, 2.0]
        """
        key = None if g is None else float(g)
        cached = self._penalty_cache.get(key)
        if cached is None:
            if key is None:
                cached = self.costs
            else:
                if not np.isfinite(key):
                    raise ConfigError(f"g must be a finite number or None, got {g!r}")
                n = float(self.n_nodes)
                du = self.degrees[self.edges[:, 0]].astype(np.float64)
                dv = self.degrees[self.edges[:, 1]].astype(np.float64)
                both = du * dv
                penalty = (10.0**key) * both / ((n - du - 1.0) * (n - dv - 1.0) + both)
                cached = self.costs + penalty
            cached.setflags(write=False)
            self._penalty_cache[key] = cached
        return cached

    def index_of(self, names: Iterable[str]) -> np.ndarray:
        """Integer indices of ``names`` (``-1`` for names not in the graph).

        Examples
        --------
        >>> import pandas as pd
        >>> graph = prepare_graph(pd.DataFrame({"source": ["A"], "target": ["B"], "cost": [1.0]}))
        >>> graph.index_of(["B", "Z"]).tolist()
        [1, -1]
        """
        return np.asarray(self.nodes.get_indexer(pd.Index(list(names), dtype=object)))

    def __repr__(self) -> str:
        return f"PreparedGraph({self.n_nodes} nodes, {self.n_edges} edges)"


def prepare_graph(
    edges: pd.DataFrame,
    *,
    source: str = "source",
    target: str = "target",
    cost: str = "cost",
) -> PreparedGraph:
    """Turn an undirected edge table into the integer arrays that every solve reuses.

    Node ids are converted to strings. Self-loops are dropped and an edge listed several
    times (in either direction) is kept once, at its lowest cost; both are logged as
    warnings. Degrees count distinct neighbours.

    Parameters
    ----------
    edges
        One row per edge; extra columns (e.g. an edge ``kind``) are kept in
        :attr:`PreparedGraph.edge_table` and end up in the result's edge table.
    source, target, cost
        Column names of the endpoints and of the non-negative edge cost.

    Returns
    -------
    PreparedGraph

    Raises
    ------
    DataError
        Missing columns, empty table, missing endpoints, or costs that are missing,
        non-numeric, infinite or negative.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"source": ["A", "B", "B", "C"], "target": ["B", "A", "C", "C"],
    ...                       "cost": [0.5, 0.2, 1.0, 1.0]})
    >>> graph = prepare_graph(table)  # B-A duplicates A-B; C-C is a loop
    >>> graph
    PreparedGraph(3 nodes, 2 edges)
    >>> graph.edge_table[["source", "target", "cost"]].values.tolist()
    [['B', 'A', 0.2], ['B', 'C', 1.0]]
    >>> dict(zip(graph.nodes, graph.degrees.tolist()))
    {'A': 1, 'B': 2, 'C': 1}
    """
    if not isinstance(edges, pd.DataFrame):
        raise DataError(f"edges must be a pandas DataFrame, got {type(edges).__name__}")
    missing = [col for col in (source, target, cost) if col not in edges.columns]
    if missing:
        raise DataError(
            f"edge table lacks column(s) {missing}; it has {list(edges.columns)} "
            f"(pass source=, target=, cost= to name them)"
        )
    if len(edges) == 0:
        raise DataError("edge table is empty")
    if edges[source].isna().any() or edges[target].isna().any():
        row = int(np.flatnonzero((edges[source].isna() | edges[target].isna()).to_numpy())[0])
        raise DataError(f"edge table row {row} has a missing endpoint")
    costs = pd.to_numeric(edges[cost], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(costs)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"edge table has {int(bad.sum())} missing, non-numeric or infinite cost(s); "
            f"first at row {row}"
        )
    if (costs < 0).any():
        row = int(np.flatnonzero(costs < 0)[0])
        raise DataError(
            f"edge costs must be >= 0 (pcst_fast refuses negative costs); row {row} has "
            f"{costs[row]!r}"
        )
    src = edges[source].astype(str).to_numpy(dtype=object)
    dst = edges[target].astype(str).to_numpy(dtype=object)
    n_rows = len(src)
    codes, nodes = pd.factorize(np.concatenate([src, dst]))
    u = codes[:n_rows].astype(np.int64)
    v = codes[n_rows:].astype(np.int64)

    keep = u != v
    n_loops = int(n_rows - keep.sum())
    if n_loops:
        logger.warning("dropped %d self-loop(s) from the edge table", n_loops)
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    pair = lo * np.int64(len(nodes)) + hi
    # keep, per unordered pair, the cheapest row (first among equals), in input order
    order = np.lexsort((np.arange(n_rows), costs, pair))
    order = order[keep[order]]
    first = np.ones(len(order), dtype=bool)
    first[1:] = pair[order][1:] != pair[order][:-1]
    chosen = np.sort(order[first])
    n_dups = int(keep.sum() - len(chosen))
    if n_dups:
        logger.warning(
            "edge table lists %d edge(s) more than once (in either direction); kept the "
            "lowest cost of each",
            n_dups,
        )
    table = pd.DataFrame({"source": src[chosen], "target": dst[chosen], "cost": costs[chosen]})
    extras = [c for c in edges.columns if c not in (source, target, cost, *table.columns)]
    if extras:
        extra_table = edges[extras].iloc[chosen].reset_index(drop=True)
        table = pd.concat([table, extra_table], axis=1)
    edge_array = np.ascontiguousarray(np.column_stack([u[chosen], v[chosen]]), dtype=np.int64)
    degrees = np.bincount(edge_array.ravel(), minlength=len(nodes)).astype(np.int64)
    cost_array = np.ascontiguousarray(costs[chosen])
    edge_array.setflags(write=False)
    cost_array.setflags(write=False)
    degrees.setflags(write=False)
    return PreparedGraph(
        nodes=pd.Index(nodes, dtype=object, name="node"),
        edges=edge_array,
        costs=cost_array,
        degrees=degrees,
        edge_table=table,
    )


# --------------------------------------------------------------------------------------
# Readers
# --------------------------------------------------------------------------------------


def _sep_for(path: Path) -> str:
    return "," if path.name.removesuffix(".gz").endswith(".csv") else "\t"


def read_prizes(
    path: str | os.PathLike[str], *, column: str = "prize", name_column: str | None = None
) -> pd.Series:
    """Read node prizes: names in the first column (or ``name_column``), prizes in ``column``.

    This is OI2's prize-file format (a header row; first column the node, a ``prize``
    column; other columns ignored). A file without a ``column`` column but with exactly
    two columns uses the second; a two-column file whose first line already holds a
    number in the second field has no header (OmicsIntegrator 1's ``name prize``
    files), and its first line is data. Whitespace-separated files are read too.

    Returns
    -------
    pandas.Series
        Float prizes named ``"prize"``, indexed by node id (strings). Duplicated names
        are kept; :func:`solve_pcsf` keeps the largest prize of each and says so.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "prizes.tsv"
    >>> _ = p.write_text("\\tprize\\tlog2FC\\nTP53\\t2.5\\t1.1\\nMDM2\\t0.5\\t-2\\n")
    >>> read_prizes(p).to_dict()
    {'TP53': 2.5, 'MDM2': 0.5}
    >>> _ = p.write_text("TP53\\t2.5\\nMDM2\\t0.5\\n")  # OmicsIntegrator 1: no header
    >>> read_prizes(p).to_dict()
    {'TP53': 2.5, 'MDM2': 0.5}
    """
    path = Path(path)
    if not path.is_file():
        raise DataNotFoundError(f"prize file {path} does not exist")
    try:
        sep = _sep_for(path)
        table = pd.read_csv(path, sep=sep, keep_default_na=False, na_values=[""])
        if table.shape[1] == 1 and sep == "\t":  # whitespace-separated
            sep = r"\s+"
            table = pd.read_csv(path, sep=sep, keep_default_na=False, na_values=[""])
        header = [str(c) for c in table.columns]
        if (
            column not in header
            and name_column is None
            and len(header) == 2
            and pd.notna(pd.to_numeric(header[1], errors="coerce"))
        ):
            # no header row (OmicsIntegrator 1 prize files): the first line is data
            table = pd.read_csv(
                path, sep=sep, header=None, names=["name", column], dtype={"name": str},
                keep_default_na=False, na_values=[""],
            )  # fmt: skip
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as err:
        raise DataError(f"cannot read prize file {path}: {err}") from err
    names_col = name_column if name_column is not None else table.columns[0]
    if names_col not in table.columns:
        raise DataError(f"{path}: name column {names_col!r} not among {list(table.columns)}")
    if column in table.columns:
        values_col = column
    elif table.shape[1] == 2:
        values_col = table.columns[1]
    else:
        raise DataError(f"{path}: no {column!r} column among {list(table.columns)} (pass column=)")
    values = pd.to_numeric(table[values_col], errors="coerce")
    if values.isna().any():
        row = int(np.flatnonzero(values.isna().to_numpy())[0])
        raise DataError(
            f"{path}: missing or non-numeric prize for "
            f"{shown(table[names_col].iloc[row])} (data row {row})"
        )
    return pd.Series(
        values.to_numpy(dtype=np.float64),
        index=pd.Index(table[names_col].astype(str), name="node"),
        name="prize",
    )


# --------------------------------------------------------------------------------------
# The solver and its known-answer guard
# --------------------------------------------------------------------------------------


def _pcst_fast() -> Any:
    try:
        from pcst_fast import pcst_fast
    except ImportError as err:
        raise SolverError(
            "pcst_fast is not installed; install it from source: "
            "`pip install --no-binary pcst_fast pcst_fast==1.0.10` (its PyPI wheel returns "
            "wrong answers under numpy 2)"
        ) from err
    return pcst_fast


@functools.lru_cache(maxsize=1)
def check_solver() -> bool:
    """Run ``pcst_fast`` on a tiny instance with a known answer; raise if it is wrong.

    The PyPI wheel of ``pcst_fast`` 1.0.10 silently returns all-zero node lists under
    numpy 2. :func:`solve_pcsf` calls this once per process.

    Returns
    -------
    bool
        ``True`` when the solver is sound.

    Raises
    ------
    SolverError
        The solver is missing or gives a wrong answer.

    Examples
    --------
    >>> check_solver()
    True
    """
    solve = _pcst_fast()
    # path 0-1-2-3 with prizes on 1 and 3: the best tree is {1, 2, 3} (cost 2, misses 0)
    edges = np.array([[0, 1], [1, 2], [2, 3]], dtype=np.int64)
    prizes = np.array([0.0, 5.0, 0.0, 5.0])
    costs = np.array([1.0, 1.0, 1.0])
    nodes, chosen = solve(edges, prizes, costs, -1, 1, "strong", 0)
    if sorted(np.asarray(nodes).tolist()) != [1, 2, 3] or sorted(np.asarray(chosen).tolist()) != [
        1,
        2,
    ]:
        raise SolverError(
            "pcst_fast gives a wrong answer on a known instance (nodes "
            f"{np.asarray(nodes).tolist()}, expected [1, 2, 3]): this is the broken PyPI "
            "wheel under numpy 2; reinstall with "
            "`pip install --force-reinstall --no-binary pcst_fast pcst_fast==1.0.10`"
        )
    return True


@dataclass(frozen=True)
class _Options:
    """Solver settings shared by the main solve and the reruns (picklable)."""

    w: float
    b: float
    g: float | None
    dummy_mode: str
    dummy_nodes: np.ndarray | None
    rooted: bool
    num_clusters: int
    pruning: str
    negative_prizes: str
    improve: bool = False


@dataclass
class _Instance:
    edges: np.ndarray
    costs: np.ndarray
    prizes: np.ndarray
    root: int
    num_clusters: int
    n_nodes: int
    n_edges: int


def _build_instance(
    edges: np.ndarray, costs: np.ndarray, prizes: np.ndarray, opts: _Options
) -> _Instance:
    """Augment the graph with the dummy node and make prizes/costs solver-ready.

    ``prizes`` are already scaled by ``b``; ``costs`` already carry the degree penalty.
    """
    n = len(prizes)
    n_edges = len(edges)
    positive = prizes > 0
    solver_prizes = np.where(positive, prizes, 0.0)
    negative = prizes < 0
    if opts.negative_prizes == "penalize" and negative.any():
        half = np.where(negative, -prizes / 2.0, 0.0)
        costs = costs + half[edges[:, 0]] + half[edges[:, 1]]
    if opts.dummy_mode == "none":
        return _Instance(
            edges=edges,
            costs=np.ascontiguousarray(costs, dtype=np.float64),
            prizes=np.ascontiguousarray(solver_prizes),
            root=-1,
            num_clusters=opts.num_clusters,
            n_nodes=n,
            n_edges=n_edges,
        )
    if opts.dummy_mode == "terminals":
        endpoints = np.flatnonzero(positive)
    elif opts.dummy_mode == "others":
        endpoints = np.flatnonzero(~positive)
    elif opts.dummy_mode == "all":
        endpoints = np.arange(n)
    else:  # explicit list
        endpoints = np.asarray(opts.dummy_nodes, dtype=np.int64)
    n_dummy = len(endpoints)
    full_edges = np.empty((n_edges + n_dummy, 2), dtype=np.int64)
    full_edges[:n_edges] = edges
    full_edges[n_edges:, 0] = n
    full_edges[n_edges:, 1] = endpoints
    full_costs = np.empty(n_edges + n_dummy, dtype=np.float64)
    full_costs[:n_edges] = costs
    full_costs[n_edges:] = opts.w
    full_prizes = np.zeros(n + 1, dtype=np.float64)
    full_prizes[:n] = solver_prizes
    return _Instance(
        edges=full_edges,
        costs=full_costs,
        prizes=full_prizes,
        root=n if opts.rooted else -1,
        num_clusters=1 if opts.rooted else opts.num_clusters,
        n_nodes=n,
        n_edges=n_edges,
    )


def _raw_solve(instance: _Instance, pruning: str) -> tuple[np.ndarray, np.ndarray]:
    """pcst_fast's forest on the augmented instance (dummy node and edges included)."""
    solve = _pcst_fast()
    nodes, chosen = solve(
        instance.edges,
        instance.prizes,
        instance.costs,
        instance.root,
        instance.num_clusters,
        pruning,
        0,
    )
    return np.asarray(nodes, dtype=np.int64), np.asarray(chosen, dtype=np.int64)


def _instance_root(instance: _Instance) -> int:
    return int(instance.root) if instance.root >= 0 else -1


def _improve(
    instance: _Instance,
    nodes: np.ndarray,
    chosen: np.ndarray,
    *,
    light: bool = False,
    base: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The improvement pass; ``light`` (randomisation reruns) bounds its work; ``base``
    is a :class:`~omicsnet.networks.pcsf_improve.ForestGraph` of the same edges whose
    sparse structure is reused."""
    from omicsnet.networks.pcsf_improve import ForestGraph, improve_forest

    if instance.root < 0 and len(nodes) == 0:
        return nodes, chosen
    if base is not None:
        graph = base.with_weights(costs=instance.costs, prizes=instance.prizes)
    else:
        graph = ForestGraph.build(
            instance.edges, instance.costs, instance.prizes, _instance_root(instance)
        )
    better_nodes, better_edges, _ = improve_forest(
        graph,
        None,
        None,
        nodes,
        chosen,
        root=_instance_root(instance),
        num_clusters=instance.num_clusters,
        **(RERUN_IMPROVE if light else {}),
    )
    return better_nodes, better_edges


def _split(
    instance: _Instance, nodes: np.ndarray, chosen: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float]:
    """Real (non-dummy) nodes and edges of an instance solution, and its objective."""
    objective = float(
        instance.costs[chosen].sum() + instance.prizes.sum() - instance.prizes[nodes].sum()
    )
    real_nodes = np.sort(nodes[nodes < instance.n_nodes])
    real_edges = np.sort(chosen[chosen < instance.n_edges])
    return real_nodes, real_edges, objective


def _solve(
    instance: _Instance, pruning: str, improve: bool = False, base: Any = None
) -> tuple[np.ndarray, np.ndarray, float]:
    """Run pcst_fast (and the improvement pass); return the real (non-dummy) node and edge
    indices and the objective."""
    nodes, chosen = _raw_solve(instance, pruning)
    if improve:
        nodes, chosen = _improve(instance, nodes, chosen, light=True, base=base)
    return _split(instance, nodes, chosen)


def _restarts(
    instance: _Instance,
    pruning: str,
    nodes: np.ndarray,
    chosen: np.ndarray,
    *,
    deadline: float,
    subset: np.ndarray | None = None,
) -> tuple[list[tuple[float, np.ndarray, np.ndarray]], int]:
    """Up to :data:`MAX_RESTARTS` pcst_fast runs on costs perturbed by ±10 % (seeded, so
    reproducible unless the deadline cuts them short), each followed by the improvement
    pass on the true costs. ``subset``: run pcst_fast on these edges only (the dual
    ascent's guide subgraph, where its forests are better: on iRefIndex +
    protein_TF_prizes 206.98 after 10 restarts there, 208.31 after 20 on the whole graph).

    Returns the distinct forests found, the given one included, as ``(objective, nodes,
    edges)`` from the cheapest, and the number of restarts run."""
    import time

    pool = {tuple(chosen.tolist()): (_split(instance, nodes, chosen)[2], nodes, chosen)}
    rng = np.random.default_rng(0)
    done = 0
    base, edge_ids = _restricted(instance, subset)
    for _ in range(MAX_RESTARTS):
        if time.perf_counter() > deadline - 2.0:
            break
        factor = rng.uniform(0.9, 1.1, size=len(base.costs))
        noisy = dataclasses.replace(base, costs=np.ascontiguousarray(base.costs * factor))
        cand_nodes, cand_edges = _raw_solve(noisy, pruning)
        cand_nodes, cand_edges = _improve(instance, cand_nodes, edge_ids[cand_edges])
        value = _split(instance, cand_nodes, cand_edges)[2]
        done += 1
        pool.setdefault(tuple(cand_edges.tolist()), (value, cand_nodes, cand_edges))
    return sorted(pool.values(), key=lambda item: item[0]), done


def _recombine(
    instance: _Instance,
    pruning: str,
    forests: list[tuple[float, np.ndarray, np.ndarray]],
    *,
    deadline: float,
    info: dict[str, Any],
) -> tuple[np.ndarray, np.ndarray]:
    """The exact solver, until ``deadline``, on the subgraph spanned by the nodes of the
    :data:`RECOMBINE_FORESTS` cheapest ``forests`` (recombination, as in SCIP-Jack): the
    good forests agree on most nodes, so that subgraph is small and holds forests cheaper
    than each of them. A cheaper forest found joins the pool and the recombination is
    repeated while time is left and the subgraph changes. Returns the best forest (the
    first of ``forests`` unless a cheaper one was found); a subgraph's bound is no bound
    on the instance and is not used."""
    import time

    forests = list(forests)
    start = time.perf_counter()
    tried: set[bytes] = set()
    rounds = 0
    while True:
        left = deadline - time.perf_counter() - 1.0
        keep = np.zeros(len(instance.prizes), dtype=bool)
        for _, forest_nodes, _ in forests[:RECOMBINE_FORESTS]:
            keep[forest_nodes] = True
        if left < RECOMBINE_MIN_SECONDS or keep.tobytes() in tried:
            break
        tried.add(keep.tobytes())
        value, nodes, chosen = forests[0]
        subset = np.flatnonzero(keep[instance.edges[:, 0]] & keep[instance.edges[:, 1]])
        sub, edge_ids = _restricted(instance, subset)
        result = _exact_on(
            sub, pruning, (nodes, np.searchsorted(edge_ids, chosen)), time_limit=left
        )
        rounds += 1
        info.setdefault("recombination_edges", []).append(len(subset))
        if result.objective >= value - 1e-12 * max(1.0, abs(value)):
            break
        forests.insert(0, (result.objective, result.nodes, edge_ids[result.edges]))
    info["recombination_rounds"] = rounds
    info["recombination_seconds"] = time.perf_counter() - start
    info["recombination_objective"] = forests[0][0]
    return forests[0][1], forests[0][2]


def _restricted(instance: _Instance, subset: np.ndarray | None) -> tuple[_Instance, np.ndarray]:
    """The instance with only the edges ``subset`` (all when ``None``), and the instance
    edge index of each of its edges."""
    if subset is None:
        return instance, np.arange(len(instance.edges))
    edge_ids = np.unique(np.asarray(subset, dtype=np.int64))
    sub = dataclasses.replace(
        instance,
        edges=np.ascontiguousarray(instance.edges[edge_ids]),
        costs=np.ascontiguousarray(instance.costs[edge_ids]),
    )
    return sub, edge_ids


def _exact_on(
    instance: _Instance,
    pruning: str,
    warm_start: tuple[np.ndarray, np.ndarray],
    **options: Any,
) -> Any:
    """:func:`~omicsnet.networks.pcsf_exact.solve_exact` on ``instance`` from
    ``warm_start`` (``(nodes, edge indices)``), with ascend-and-prune as its heuristic;
    ``options`` go to ``solve_exact`` (``time_limit``, ``mip_gap``, ...)."""
    from omicsnet.networks.pcsf_exact import solve_exact

    return solve_exact(
        instance.edges,
        instance.costs,
        instance.prizes,
        root=_instance_root(instance),
        num_clusters=instance.num_clusters,
        warm_start=warm_start,
        heuristic=lambda subset: _ascend_and_prune(instance, pruning, subset),
        **options,
    )


def _ascend_and_prune(
    instance: _Instance, pruning: str, subset: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """pcst_fast on the dual ascent's guide subgraph, then the improvement pass on the
    whole instance (the *ascend-and-prune* heuristic of Steiner tree solvers)."""
    sub, edge_ids = _restricted(instance, subset)
    nodes, chosen = _raw_solve(sub, pruning)
    return _improve(instance, nodes, edge_ids[chosen])


@dataclass
class _SolveReport:
    nodes: np.ndarray
    edges: np.ndarray
    objective: float
    bound: float
    optimal: bool
    solver: str
    info: dict[str, Any]


def _solve_main(
    instance: _Instance,
    pruning: str,
    solver: str,
    *,
    improve: bool,
    time_limit: float,
    mip_gap: float,
    auto_max_edges: int,
) -> _SolveReport:
    """The main solve: pcst_fast (+ improvement), then the exact solver or a bound."""
    import time

    start = time.perf_counter()
    nodes, chosen = _raw_solve(instance, pruning)
    fast_objective = _split(instance, nodes, chosen)[2]
    info: dict[str, Any] = {"pcst_fast_objective": fast_objective}
    if improve or solver != "fast":
        nodes, chosen = _improve(instance, nodes, chosen)
        info["improved_objective"] = _split(instance, nodes, chosen)[2]
    info["fast_seconds"] = time.perf_counter() - start
    if solver == "fast":
        real_nodes, real_edges, objective = _split(instance, nodes, chosen)
        return _SolveReport(real_nodes, real_edges, objective, float("nan"), False, "fast", info)
    exact = _exact_on(
        instance,
        pruning,
        (nodes, chosen),
        time_limit=time_limit,
        mip_gap=mip_gap,
        max_edges=auto_max_edges if solver == "auto" else None,
        reduction_time=min(time_limit / 3.0, 30.0),
    )
    best_nodes, best_edges = exact.nodes, exact.edges
    if solver == "exact" and exact.status == "too_large":
        # no branch-and-cut: spend the rest of the time on perturbed pcst_fast restarts,
        # each improved on the true costs (the proven bound is unchanged)
        forests, restarts = _restarts(
            instance,
            pruning,
            best_nodes,
            best_edges,
            deadline=start + time_limit,
            subset=exact.guide_edges,
        )
        info["restarts"] = restarts
        best_nodes, best_edges = _recombine(
            instance, pruning, forests, deadline=start + time_limit, info=info
        )
    real_nodes, real_edges, objective = _split(instance, best_nodes, best_edges)
    info.update(
        {
            "status": exact.status,
            "seconds": exact.seconds,
            "reduced_nodes": exact.reduced_nodes,
            "reduced_edges": exact.reduced_edges,
            **{k: v for k, v in exact.info.items() if k != "reductions"},
            "reductions": dict(exact.info.get("reductions", {})),
        }
    )
    used = "fast+bound" if exact.status == "too_large" else "exact"
    return _SolveReport(
        real_nodes, real_edges, objective, float(exact.bound), bool(exact.optimal), used, info
    )


# --------------------------------------------------------------------------------------
# Randomisations (run in worker processes)
# --------------------------------------------------------------------------------------


@dataclass
class _Replicator:
    """Everything a rerun needs; sent once to each worker process."""

    edges: np.ndarray
    costs: np.ndarray  # penalised costs
    prizes: np.ndarray  # scaled prizes (b applied), length N
    degrees: np.ndarray
    opts: _Options
    noise: float
    noise_kind: str
    specificity_mode: str
    _forest_cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def noisy_costs(self, rng: np.random.Generator) -> np.ndarray:
        if self.noise_kind == "gaussian":
            jitter = rng.normal(0.0, self.noise, size=len(self.costs))
        else:
            jitter = rng.uniform(-self.noise, self.noise, size=len(self.costs))
        return np.clip(self.costs + jitter, MIN_NOISY_COST, None)

    def random_prizes(self, rng: np.random.Generator) -> np.ndarray:
        n = len(self.prizes)
        holders = np.flatnonzero(self.prizes != 0)
        values = self.prizes[holders]
        new = np.zeros(n, dtype=np.float64)
        if len(holders) == 0:
            return new
        if self.specificity_mode == "shuffle":
            targets = rng.choice(n, size=len(holders), replace=False)
            new[targets] = rng.permutation(values)
            return new
        order = np.argsort(self.degrees, kind="stable")  # node at each degree rank
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.arange(n)
        wanted = np.clip(np.rint(rng.normal(rank[holders], DEGREE_RANK_SD)), 0, n - 1).astype(
            np.int64
        )
        taken = np.zeros(n, dtype=bool)
        for i in rng.permutation(len(holders)):
            r = int(wanted[i])
            step = 0
            # nearest free rank, alternating up and down (collisions lose no prize)
            while True:
                for cand in (r + step, r - step):
                    if 0 <= cand < n and not taken[cand]:
                        r = cand
                        break
                else:
                    step += 1
                    continue
                break
            taken[r] = True
            new[order[r]] = values[i]
        return new

    def run(self, kind: str, seed: np.random.SeedSequence) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(seed)
        if kind == "robustness":
            instance = _build_instance(self.edges, self.noisy_costs(rng), self.prizes, self.opts)
        else:
            instance = _build_instance(self.edges, self.costs, self.random_prizes(rng), self.opts)
        base = None
        if self.opts.improve:
            # the graph's edges are the same in every rerun, but the dummy root's edges
            # follow the prizes (specificity reruns move them): reuse the sparse
            # structure only when every edge is the same, and only swap the numbers
            base = self._forest_cache.get("base")
            if base is None or not np.array_equal(base.edges, instance.edges):
                from omicsnet.networks.pcsf_improve import ForestGraph

                base = ForestGraph.build(
                    instance.edges, instance.costs, instance.prizes, _instance_root(instance)
                )
                self._forest_cache["base"] = base
        nodes, chosen, _ = _solve(instance, self.opts.pruning, self.opts.improve, base)
        return nodes, chosen


_WORKER: _Replicator | None = None


def _init_worker(replicator: _Replicator) -> None:
    global _WORKER
    _WORKER = replicator
    check_solver()


def _run_in_worker(
    task: int, kind: str, seed: np.random.SeedSequence
) -> tuple[int, str, np.ndarray, np.ndarray]:
    if _WORKER is None:  # pragma: no cover - the initializer always runs first
        raise RuntimeError("PCSF worker was not initialised")
    nodes, chosen = _WORKER.run(kind, seed)
    return task, kind, nodes, chosen


def _default_workers() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def _indices_within(values: Any, size: int) -> bool:
    """Whether ``values`` is a 1-D integer array of distinct positions below ``size``."""
    return (
        isinstance(values, np.ndarray)
        and values.ndim == 1
        and np.issubdtype(values.dtype, np.integer)
        and (len(values) == 0 or (values.min() >= 0 and values.max() < size))
        and len(np.unique(values)) == len(values)
    )


def _run_replicates(
    replicator: _Replicator,
    tasks: list[tuple[str, np.random.SeedSequence]],
    workers: int,
    progress: bool,
    backend: Any = None,
    store: Any = None,
) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Run the reruns; with a :class:`~omicsnet.utils.units.UnitStore`, keep each one.

    Reruns already in ``store`` are read back instead of being run again; every rerun
    that finishes is written there at once, by this process, whichever backend ran it.
    """
    from tqdm.auto import tqdm

    results: list[tuple[str, np.ndarray, np.ndarray] | None] = [None] * len(tasks)
    if store is not None:
        sizes = {"nodes": len(replicator.prizes), "edges": len(replicator.edges)}
        for i, (kind, _) in enumerate(tasks):
            unit = store.read(i)
            if unit is None:
                continue
            if not all(_indices_within(unit.get(key), size) for key, size in sizes.items()):
                logger.warning("rerun %d in %s is damaged: it is run again", i, store.folder)
                continue
            results[i] = (kind, unit["nodes"], unit["edges"])
        done = sum(r is not None for r in results)
        if done:
            logger.info(
                "PCSF randomisations: %d of %d reruns read back from %s",
                done,
                len(tasks),
                store.folder,
            )
    todo = [i for i, r in enumerate(results) if r is None]
    bar = tqdm(
        total=len(tasks),
        initial=len(tasks) - len(todo),
        desc="PCSF randomisations",
        unit="run",
        disable=not progress,
    )

    def finish(i: int, nodes: np.ndarray, chosen: np.ndarray) -> None:
        nodes = np.asarray(nodes, dtype=np.int64)
        chosen = np.asarray(chosen, dtype=np.int64)
        if store is not None:
            store.write(i, nodes=nodes, edges=chosen)
        results[i] = (tasks[i][0], nodes, chosen)
        bar.update(1)

    try:
        if backend is not None and backend.name == "ray":
            from omicsnet.utils.executors import UnitExecutor

            # the replicator travels once to each Ray worker; each rerun has its own seed
            with UnitExecutor(backend, desc="PCSF randomisations") as executor:
                units = [tasks[i] for i in todo]
                for position, (nodes, chosen) in executor.run(replicator.run, units):
                    finish(todo[position], nodes, chosen)
        elif workers <= 1 or len(todo) <= 1:
            for i in todo:
                finish(i, *replicator.run(*tasks[i]))
        else:
            from omicsnet.utils.workers import WorkerPool  # workers stop with this process

            with WorkerPool(
                max_workers=min(workers, len(todo)),
                initializer=_init_worker,
                initargs=(replicator,),
            ) as pool:
                futures = [pool.submit(_run_in_worker, i, *tasks[i]) for i in todo]
                for future in as_completed(futures):
                    i, _, nodes, chosen = future.result()
                    finish(i, nodes, chosen)
    finally:
        bar.close()
    return [r for r in results if r is not None]


# --------------------------------------------------------------------------------------
# The result
# --------------------------------------------------------------------------------------


@dataclass
class PCSFResult:
    """A prize-collecting Steiner forest and what went into it.

    Attributes
    ----------
    nodes
        One row per node that has a prize, is in the forest, or (after randomisations)
        was selected in a robustness rerun: ``node``, ``prize`` (as given, 0 when none),
        ``terminal`` (prize > 0), ``in_solution``, ``hidden`` (in the forest without a
        positive prize: a Steiner node), ``degree`` (in the interactome), and after
        randomisations ``robustness`` and ``specificity`` (fractions of reruns).
        Sorted: forest first, then by decreasing prize.
    edges
        The forest's edges: the input edge columns (``source``, ``target``, ``cost``,
        extras) plus ``solver_cost`` (with degree and negative-prize penalties) and,
        after robustness reruns, ``robustness``.
    missing_prizes
        Prize names that are not nodes of the graph (they could not be used).
    objective
        GW objective of the solution on the augmented instance (see the module notes).
    n_trees
        Number of trees in the forest.
    params
        The settings used.
    bound
        Proven lower bound on the optimal objective (``nan`` with ``solver="fast"``,
        which proves nothing: ``pcst_fast`` may return up to twice the optimum).
    gap
        ``(objective − bound) / objective``: how far above the optimum the forest can
        be at most (0 when proven optimal; ``nan`` without a bound).
    optimal
        Whether the forest is proven optimal (``gap`` within the solver tolerance).
    solver
        What produced the forest: ``"fast"`` (pcst_fast, plus the improvement pass when
        on), ``"exact"`` (reductions and branch-and-cut) or ``"fast+bound"`` (an
        instance too large for the branch-and-cut: more than ``AUTO_MAX_EDGES`` edges
        after the reductions with ``solver="auto"``, or more than
        ``pcsf_exact.EXACT_MAX_EDGES`` after all reduction tests with either; then the
        forest is pcst_fast's after the improvement pass (and, with ``"exact"``,
        perturbed restarts), with the reductions' dual-ascent bound).
    solve_info
        Numbers from the solve: pcst_fast's own objective, the improved one, reduced
        instance size, reduction log, seconds, SCIP status and nodes.
    """

    nodes: pd.DataFrame
    edges: pd.DataFrame
    missing_prizes: list[str]
    objective: float
    n_trees: int
    params: dict[str, Any] = field(default_factory=dict)
    bound: float = float("nan")
    optimal: bool = False
    solver: str = "fast"
    solve_info: dict[str, Any] = field(default_factory=dict)

    @property
    def gap(self) -> float:
        """Relative gap between the objective and the proven bound (``nan``: no bound)."""
        if not np.isfinite(self.bound):
            return float("nan")
        diff = max(0.0, self.objective - self.bound)
        return diff / max(abs(self.objective), 1e-9)

    @property
    def selected(self) -> list[str]:
        """Names of the nodes in the forest."""
        return self.nodes.loc[self.nodes["in_solution"], "node"].tolist()

    @property
    def hidden(self) -> list[str]:
        """Names of the Steiner ("hidden") nodes: in the forest without a positive prize."""
        return self.nodes.loc[self.nodes["hidden"], "node"].tolist()

    def __repr__(self) -> str:
        return (
            f"PCSFResult({int(self.nodes['in_solution'].sum())} nodes, {len(self.edges)} "
            f"edges, {self.n_trees} tree(s), {len(self.hidden)} hidden, "
            f"{len(self.missing_prizes)} missing prize(s), objective {self.objective:.4g}"
            + (
                f", bound {self.bound:.4g}, gap {100 * self.gap:.3g}%"
                if np.isfinite(self.bound)
                else ""
            )
            + ")"
        )


def _clean_prizes(prizes: pd.Series | Mapping[str, float] | pd.DataFrame) -> pd.Series:
    if isinstance(prizes, pd.DataFrame):
        if "prize" not in prizes.columns:
            raise DataError(
                f"a prize DataFrame needs a 'prize' column (names in the index); it has "
                f"{list(prizes.columns)}"
            )
        prizes = prizes["prize"]
    if isinstance(prizes, Mapping):
        prizes = pd.Series(dict(prizes), dtype=object if prizes else np.float64)
    if not isinstance(prizes, pd.Series):
        raise DataError(
            f"prizes must be a pandas Series or a mapping of node -> prize, got "
            f"{type(prizes).__name__}"
        )
    values = pd.to_numeric(prizes, errors="coerce")
    bad = values.isna() | ~np.isfinite(values.fillna(0.0))
    if bad.any():
        names = [str(n) for n in prizes.index[bad.to_numpy()][:5]]
        raise DataError(
            f"{int(bad.sum())} prize(s) are missing, non-numeric or infinite, e.g. for {names}"
        )
    series = pd.Series(values.to_numpy(dtype=np.float64), index=prizes.index.map(str), name="prize")
    if series.index.has_duplicates:
        dups = series.index[series.index.duplicated()].unique().tolist()
        logger.warning(
            "%d node name(s) have several prizes; keeping the largest of each: %s",
            len(dups),
            _preview(dups),
        )
        series = series.groupby(level=0, sort=False).max()
    return series


def _preview(names: Sequence[str], limit: int = 10) -> str:
    shown = ", ".join(map(str, names[:limit]))
    return shown + (f", … ({len(names) - limit} more)" if len(names) > limit else "")


def _check_choice(name: str, value: str, allowed: Sequence[str]) -> str:
    if not isinstance(value, str) or value.lower() not in allowed:
        raise ConfigError(f"{name} must be one of {list(allowed)}, got {value!r}")
    return value.lower()


def _check_number(name: str, value: float, *, minimum: float = 0.0) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number, got {value!r}") from None
    if not np.isfinite(number) or number < minimum:
        raise ConfigError(f"{name} must be a finite number >= {minimum:g}, got {value!r}")
    return number


def solve_pcsf(
    graph: PreparedGraph | pd.DataFrame,
    prizes: pd.Series | Mapping[str, float] | pd.DataFrame,
    *,
    w: float = 5.0,
    b: float = 1.0,
    g: float | None = 3.0,
    dummy_mode: str | Sequence[str] = "terminals",
    rooted: bool = True,
    num_clusters: int = 1,
    pruning: Literal["strong", "gw", "simple", "none"] = "strong",
    negative_prizes: Literal["penalize", "clip", "error"] = "penalize",
    robustness: int = 0,
    specificity: int = 0,
    noise: float = 0.1,
    noise_kind: Literal["gaussian", "uniform"] = "gaussian",
    specificity_mode: Literal["degree_matched", "shuffle"] = "degree_matched",
    seed: int | None = 0,
    workers: int | None = None,
    progress: bool = True,
    backend: Any = None,
    solver: Literal["fast", "exact", "auto"] = "auto",
    time_limit: float = 60.0,
    mip_gap: float = 0.0,
    improve: bool = True,
    store: str | os.PathLike[str] | None = None,
) -> PCSFResult:
    """Find a prize-collecting Steiner forest (OmicsIntegrator2 formulation).

    See the module notes for the objective, the dummy node, negative prizes and the
    randomisations.

    Parameters
    ----------
    graph
        A :class:`PreparedGraph` (prepare once, solve many times) or an edge table with
        ``source``, ``target``, ``cost`` columns (prepared on the fly).
    prizes
        Prize per node id (Series, mapping, or DataFrame with a ``prize`` column). Names
        not in the graph are listed in :attr:`PCSFResult.missing_prizes` and logged as a
        warning; duplicated names keep their largest prize.
    w
        Cost of each dummy edge: the price of one more tree (OI2 default 5).
    b
        Prize scale (OI2 default 1).
    g
        Degree-penalty exponent: adds ``10**g * d_u d_v / ((N-d_u-1)(N-d_v-1) + d_u d_v)``
        to every edge (OI2 default 3); ``None`` for no penalty.
    dummy_mode
        Which nodes the dummy joins: ``"terminals"`` (positive prize, OI2's default),
        ``"others"``, ``"all"``, a list of node ids, or ``"none"`` (no dummy; only with
        ``rooted=False``: a plain PCSF with ``num_clusters`` trees).
    rooted
        Root the tree at the dummy (OI2). ``False`` runs pcst_fast unrooted (``root=-1``).
    num_clusters
        Number of trees pcst_fast keeps in the unrooted case (must be 1 when rooted).
    pruning
        pcst_fast's pruning: ``"strong"`` (default), ``"gw"``, ``"simple"`` or ``"none"``.
    negative_prizes
        ``"penalize"`` (default; see the module notes), ``"clip"`` (treat as 0) or
        ``"error"``.
    robustness, specificity
        Number of noisy-cost and random-prize reruns (0 = none).
    noise
        Noise scale of the robustness reruns (standard deviation, or half-width for
        ``noise_kind="uniform"``), in cost units (OI2 default 0.1).
    noise_kind
        ``"gaussian"`` or ``"uniform"`` noise.
    specificity_mode
        ``"degree_matched"`` (OI2's random terminals) or ``"shuffle"``.
    seed
        Seed of the reruns (``None``: fresh entropy, not reproducible).
    workers
        Processes for the reruns; default: the CPUs this process may use. ``1`` runs
        them in this process.
    progress
        Show a progress bar over the reruns.
    backend
        ``None``/``"local"``: the worker processes above. ``"ray"`` (or a
        :class:`~omicsnet.utils.executors.Backend` with an ``address``): each rerun is a
        Ray task; the results are the same as locally (each rerun draws from its own
        child seed).
    solver
        ``"fast"``: ``pcst_fast`` (a 2-approximation, no bound; plus the improvement pass
        when ``improve``). ``"exact"``: branch-and-cut on SCIP after reduction tests,
        started from pcst_fast's improved forest; proves optimality or, at the time
        limit, reports a certified gap. ``"auto"`` (default): exact when the reduced
        instance has at most :data:`AUTO_MAX_EDGES` edges, else pcst_fast, the
        improvement pass and the reductions' dual-ascent lower bound. See
        ``docs/networks.md``.
    time_limit
        Seconds for the exact solver (reductions, bound and search).
    mip_gap
        Relative gap at which the exact solver may stop (0: prove optimality).
    improve
        Run the never-worse local-improvement pass
        (:func:`omicsnet.networks.pcsf_improve.improve_forest`) after every
        ``pcst_fast`` call, randomisation reruns included.
    store
        Folder of finished reruns (created): each rerun's selected nodes and edges are
        written there as soon as it finishes, and reruns already there are read back
        instead of being run again, so that a killed run goes on where it stopped and
        ends with the same tables as an uninterrupted one. The folder records the
        settings the reruns depend on and fingerprints of the graph and the prizes; a
        run with other settings, inputs, counts or seed is refused (ConfigError). Needs
        an integer ``seed``. The caller removes the folder when it no longer needs it.

    Returns
    -------
    PCSFResult

    Raises
    ------
    ConfigError
        Invalid settings.
    DataError
        Invalid edges or prizes, unknown ``dummy_mode`` node names, or negative prizes
        with ``negative_prizes="error"``.
    SolverError
        ``pcst_fast`` is missing or broken.

    Examples
    --------
    >>> import pandas as pd
    >>> edges = pd.DataFrame({"source": ["A", "B", "C", "X"], "target": ["B", "C", "D", "Y"],
    ...                       "cost": [0.5, 0.5, 0.5, 1.0]})
    >>> prizes = pd.Series({"A": 5.0, "D": 5.0, "X": 3.0, "NOT_IN_GRAPH": 1.0})
    >>> result = solve_pcsf(edges, prizes, w=2.0, g=None)
    >>> result.selected, result.n_trees
    (['A', 'D', 'X', 'B', 'C'], 2)
    >>> result.missing_prizes
    ['NOT_IN_GRAPH']
    >>> result.edges[["source", "target"]].values.tolist()
    [['A', 'B'], ['B', 'C'], ['C', 'D']]
    >>> reruns = solve_pcsf(edges, prizes, w=2.0, g=None, robustness=4, specificity=4,
    ...                     workers=1, progress=False)
    >>> float(reruns.nodes.set_index("node").loc["A", "robustness"])
    1.0

    Keep the reruns in a folder as they finish (a killed run, started again with the
    same folder, reads them back):

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp()) / "reruns"
    >>> kept = solve_pcsf(edges, prizes, w=2.0, g=None, robustness=4, specificity=4,
    ...                   workers=1, progress=False, store=folder)
    >>> len(list(folder.glob("unit_*.npz")))
    8
    >>> kept.nodes.equals(reruns.nodes)
    True
    """
    check_solver()
    if not isinstance(graph, PreparedGraph):
        graph = prepare_graph(graph)
    w = _check_number("w", w)
    b = _check_number("b", b)
    if g is not None:
        g = _check_number("g", g, minimum=-np.inf)
    pruning_name = _check_choice("pruning", pruning, PRUNING_METHODS)
    negative_mode = _check_choice("negative_prizes", negative_prizes, NEGATIVE_PRIZE_MODES)
    noise_name = _check_choice("noise_kind", noise_kind, NOISE_KINDS)
    spec_mode = _check_choice("specificity_mode", specificity_mode, SPECIFICITY_MODES)
    noise = _check_number("noise", noise)
    for name, count in (("robustness", robustness), ("specificity", specificity)):
        if not isinstance(count, (int, np.integer)) or isinstance(count, bool) or count < 0:
            raise ConfigError(f"{name} must be a non-negative integer, got {count!r}")
    if not isinstance(num_clusters, (int, np.integer)) or num_clusters < 1:
        raise ConfigError(f"num_clusters must be a positive integer, got {num_clusters!r}")
    if rooted and num_clusters != 1:
        raise ConfigError("num_clusters must be 1 when rooted=True (pcst_fast's rule)")
    solver_name = _check_choice("solver", solver, SOLVERS)
    time_limit = _check_number("time_limit", time_limit)
    mip_gap = _check_number("mip_gap", mip_gap)

    dummy_nodes: np.ndarray | None = None
    if isinstance(dummy_mode, str):
        mode = _check_choice("dummy_mode", dummy_mode, DUMMY_MODES)
    else:
        mode = "list"
        names = [str(n) for n in dummy_mode]
        dummy_nodes = graph.index_of(names)
        if (dummy_nodes < 0).any():
            unknown = [n for n, i in zip(names, dummy_nodes, strict=True) if i < 0]
            raise DataError(f"dummy_mode names nodes not in the graph: {_preview(unknown)}")
        dummy_nodes = np.unique(dummy_nodes)
    if mode == "none" and rooted:
        raise ConfigError("dummy_mode='none' needs rooted=False (the root is the dummy node)")

    clean = _clean_prizes(prizes)
    index = graph.index_of(clean.index)
    missing = clean.index[index < 0].tolist()
    if missing:
        logger.warning(
            "%d of %d prize name(s) are not nodes of the graph and cannot be used: %s",
            len(missing),
            len(clean),
            _preview(missing),
        )
    present = index >= 0
    raw = np.zeros(graph.n_nodes, dtype=np.float64)
    raw[index[present]] = clean.to_numpy()[present]
    if (raw < 0).any():
        if negative_mode == "error":
            bad = graph.nodes[raw < 0].tolist()
            raise DataError(
                f"{len(bad)} negative prize(s) (e.g. {_preview(bad, 5)}) and "
                "negative_prizes='error'"
            )
        logger.info(
            "%d negative prize(s): %s",
            int((raw < 0).sum()),
            "raising the costs of their edges" if negative_mode == "penalize" else "treated as 0",
        )
    scaled = raw * b
    if not (scaled > 0).any():
        logger.warning("no positive prize on any node of the graph: the forest will be empty")

    opts = _Options(
        w=w,
        b=b,
        g=g,
        dummy_mode=mode,
        dummy_nodes=dummy_nodes,
        rooted=bool(rooted),
        num_clusters=int(num_clusters),
        pruning=pruning_name,
        negative_prizes=negative_mode,
        improve=bool(improve),
    )
    costs = graph.penalized_costs(g)
    instance = _build_instance(graph.edges, costs, scaled, opts)
    report = _solve_main(
        instance,
        pruning_name,
        solver_name,
        improve=bool(improve),
        time_limit=time_limit,
        mip_gap=mip_gap,
        auto_max_edges=AUTO_MAX_EDGES,
    )
    nodes_idx, edges_idx, objective = report.nodes, report.edges, report.objective

    n_runs = int(robustness) + int(specificity)
    robust_nodes = spec_nodes = robust_edges = None
    if n_runs:
        n_workers = _default_workers() if workers is None else int(workers)
        n_workers = max(1, min(n_workers, n_runs))
        seeds = np.random.SeedSequence(seed).spawn(n_runs)
        tasks = [("robustness", s) for s in seeds[: int(robustness)]] + [
            ("specificity", s) for s in seeds[int(robustness) :]
        ]
        replicator = _Replicator(
            edges=graph.edges,
            costs=np.asarray(costs),
            prizes=scaled,
            degrees=graph.degrees,
            opts=opts,
            noise=noise,
            noise_kind=noise_name,
            specificity_mode=spec_mode,
        )
        logger.info(
            "running %d robustness and %d specificity rerun(s) on %d process(es)",
            robustness,
            specificity,
            n_workers,
        )
        run_on = None
        if backend is not None:
            from omicsnet.utils.executors import Backend

            run_on = Backend.parse(backend, workers=n_workers)
        unit_store = None
        if store is not None:
            unit_store = _rerun_store(store, graph, replicator, robustness, specificity, seed)
        outputs = _run_replicates(replicator, tasks, n_workers, progress, run_on, unit_store)
        robust_nodes = np.zeros(graph.n_nodes, dtype=np.int64)
        spec_nodes = np.zeros(graph.n_nodes, dtype=np.int64)
        robust_edges = np.zeros(graph.n_edges, dtype=np.int64)
        for kind, run_nodes, run_edges in outputs:
            if kind == "robustness":
                robust_nodes[run_nodes] += 1
                robust_edges[run_edges] += 1
            else:
                spec_nodes[run_nodes] += 1

    in_solution = np.zeros(graph.n_nodes, dtype=bool)
    in_solution[nodes_idx] = True
    rows_mask = in_solution.copy()
    rows_mask[index[present]] = True
    if robust_nodes is not None:
        rows_mask |= robust_nodes > 0
    rows = np.flatnonzero(rows_mask)
    node_table = pd.DataFrame(
        {
            "node": graph.nodes[rows].to_numpy(dtype=object),
            "prize": raw[rows],
            "terminal": raw[rows] > 0,
            "in_solution": in_solution[rows],
            "hidden": in_solution[rows] & ~(raw[rows] > 0),
            "degree": graph.degrees[rows],
        }
    )
    if robust_nodes is not None and spec_nodes is not None:
        node_table["robustness"] = robust_nodes[rows] / robustness if robustness else np.nan
        node_table["specificity"] = spec_nodes[rows] / specificity if specificity else np.nan
    node_table = node_table.sort_values(
        ["in_solution", "prize", "node"], ascending=[False, False, True], kind="stable"
    ).reset_index(drop=True)

    edge_table = graph.edge_table.iloc[edges_idx].reset_index(drop=True)
    edge_table["solver_cost"] = instance.costs[edges_idx]
    if robust_edges is not None:
        edge_table["robustness"] = robust_edges[edges_idx] / robustness if robustness else np.nan

    params = {
        "w": w,
        "b": b,
        "g": g,
        "dummy_mode": mode if dummy_nodes is None else list(graph.nodes[dummy_nodes]),
        "rooted": bool(rooted),
        "num_clusters": int(num_clusters),
        "pruning": pruning_name,
        "negative_prizes": negative_mode,
        "robustness": int(robustness),
        "specificity": int(specificity),
        "noise": noise,
        "noise_kind": noise_name,
        "specificity_mode": spec_mode,
        "seed": seed,
        "solver": solver_name,
        "time_limit": time_limit,
        "mip_gap": mip_gap,
        "improve": bool(improve),
    }
    if np.isfinite(report.bound):
        logger.info(
            "PCSF (%s): objective %.6g, proven bound %.6g, gap %.3g%%%s",
            report.solver,
            objective,
            report.bound,
            100 * max(0.0, objective - report.bound) / max(abs(objective), 1e-9),
            " (optimal)" if report.optimal else "",
        )
    return PCSFResult(
        nodes=node_table,
        edges=edge_table,
        missing_prizes=missing,
        objective=objective,
        n_trees=int(len(nodes_idx) - len(edges_idx)),
        params=params,
        bound=report.bound,
        optimal=report.optimal,
        solver=report.solver,
        solve_info=report.info,
    )


def _rerun_store(
    folder: str | os.PathLike[str],
    graph: PreparedGraph,
    replicator: _Replicator,
    robustness: int,
    specificity: int,
    seed: int | None,
) -> Any:
    """The :class:`~omicsnet.utils.units.UnitStore` of these reruns (see ``store``)."""
    from omicsnet.utils.units import UnitStore, fingerprint

    if seed is None or isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ConfigError(
            f"store= keeps reruns to resume them and needs an integer seed, got {seed!r}"
        )
    opts = replicator.opts
    settings = {
        "what": "PCSF randomisations",
        "graph": fingerprint(graph.nodes.to_numpy(dtype=str), graph.edges),
        "costs": fingerprint(replicator.costs),
        "prizes": fingerprint(replicator.prizes),
        "w": opts.w,
        "b": opts.b,
        "g": opts.g,
        "dummy_mode": opts.dummy_mode,
        "dummy_nodes": None if opts.dummy_nodes is None else fingerprint(opts.dummy_nodes),
        "rooted": opts.rooted,
        "num_clusters": opts.num_clusters,
        "pruning": opts.pruning,
        "negative_prizes": opts.negative_prizes,
        "improve": opts.improve,
        "noise": replicator.noise,
        "noise_kind": replicator.noise_kind,
        "specificity_mode": replicator.specificity_mode,
        "robustness": int(robustness),
        "specificity": int(specificity),
        "seed": int(seed),
    }
    return UnitStore.open(folder, settings)


# --------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------


def _native(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def to_networkx(result: PCSFResult, *, node_attributes: pd.DataFrame | None = None) -> nx.Graph:
    """The forest as a :class:`networkx.Graph` with node and edge attributes.

    Parameters
    ----------
    result
        A :func:`solve_pcsf` result.
    node_attributes
        Optional extra node attributes (index = node id), e.g. a node ``type`` to style
        metabolites and proteins apart; missing values are left out.

    Returns
    -------
    networkx.Graph
        The forest's nodes (attributes: the columns of ``result.nodes``) and edges
        (attributes: the columns of ``result.edges``); graph attributes ``objective``,
        ``solver``, ``optimal``, ``n_trees`` and, when a bound is known, ``bound`` and
        ``gap``.

    Examples
    --------
    >>> import pandas as pd
    >>> edges = pd.DataFrame({"source": ["A", "B"], "target": ["B", "C"], "cost": [1.0, 1.0]})
    >>> forest = to_networkx(solve_pcsf(edges, {"A": 4.0, "C": 4.0}, g=None))
    >>> sorted(forest.nodes), forest.nodes["B"]["hidden"]
    (['A', 'B', 'C'], True)
    """
    import networkx as nx

    graph = nx.Graph()
    # the optimality certificate travels with the forest (graph-level GraphML data)
    graph.graph["objective"] = float(result.objective)
    graph.graph["solver"] = str(result.solver)
    graph.graph["optimal"] = bool(result.optimal)
    graph.graph["n_trees"] = int(result.n_trees)
    if np.isfinite(result.bound):
        graph.graph["bound"] = float(result.bound)
        graph.graph["gap"] = float(result.gap)
    chosen = result.nodes[result.nodes["in_solution"]]
    extra = None
    if node_attributes is not None:
        extra = node_attributes.copy()
        extra.index = extra.index.map(str)
    for record in chosen.to_dict(orient="records"):
        name = record.pop("node")
        attrs = {k: _native(v) for k, v in record.items() if not _is_missing(v)}
        if extra is not None and name in extra.index:
            for key, value in extra.loc[name].items():
                if not _is_missing(value):
                    attrs[str(key)] = _native(value)
        graph.add_node(name, **attrs)
    for record in result.edges.to_dict(orient="records"):
        u = record.pop("source")
        v = record.pop("target")
        graph.add_edge(
            u, v, **{str(k): _native(x) for k, x in record.items() if not _is_missing(x)}
        )
    return graph


def to_pyg(
    result: PCSFResult,
    *,
    node_attributes: pd.DataFrame | None = None,
    node_features: Sequence[str] | None = None,
    edge_features: Sequence[str] | None = None,
) -> Any:
    """The forest as a PyTorch Geometric :class:`~torch_geometric.data.Data` graph.

    Built from :func:`to_networkx` with ``torch_geometric.utils.from_networkx``: each
    undirected edge becomes two directed ones in ``edge_index``.

    Parameters
    ----------
    result
        A :func:`solve_pcsf` result.
    node_attributes
        Extra node attributes, as in :func:`to_networkx`.
    node_features, edge_features
        Numeric attributes stacked into ``x`` and ``edge_attr`` (default: every
        attribute that is a number, or a boolean, on all nodes / all edges; booleans
        become 0/1).

    Returns
    -------
    torch_geometric.data.Data
        ``x`` (nodes × node features), ``edge_index``, ``edge_attr``; ``node_names``
        (row ``i`` of ``x`` is node ``node_names[i]``), ``node_features``,
        ``edge_features``; and the forest's ``objective``, ``solver``, ``optimal``,
        ``n_trees`` (``bound`` and ``gap`` when known).

    Examples
    --------
    >>> import pandas as pd
    >>> edges = pd.DataFrame({"source": ["A", "B"], "target": ["B", "C"], "cost": [1.0, 1.0]})
    >>> data = to_pyg(solve_pcsf(edges, {"A": 4.0, "C": 4.0}, g=None))
    >>> data.node_names, data.node_features, data.edge_index.shape[1]
    (['A', 'C', 'B'], ['prize', 'terminal', 'in_solution', 'hidden', 'degree'], 4)
    """
    import networkx as nx
    from torch_geometric.utils import from_networkx

    graph = to_networkx(result, node_attributes=node_attributes)
    nodes = list(graph.nodes)

    def numeric(
        records: list[dict[str, Any]], chosen: Sequence[str] | None, what: str
    ) -> list[str]:
        if chosen is not None:
            for key in chosen:
                bad = [r for r in records if not isinstance(r.get(key), (bool, int, float))]
                if bad:
                    raise ConfigError(f"{what} feature {key!r} is not a number on every {what}")
            return list(chosen)
        if not records:
            return []
        keys = [k for k in records[0] if isinstance(records[0][k], (bool, int, float))]
        return [k for k in keys if all(isinstance(r.get(k), (bool, int, float)) for r in records)]

    node_keys = numeric([graph.nodes[n] for n in nodes], node_features, "node")
    edge_records = [graph.edges[e] for e in graph.edges]
    edge_keys = numeric(edge_records, edge_features, "edge")
    clean = nx.Graph()
    clean.add_nodes_from((n, {k: float(graph.nodes[n][k]) for k in node_keys}) for n in nodes)
    clean.add_edges_from(
        (u, v, {k: float(graph.edges[u, v][k]) for k in edge_keys}) for u, v in graph.edges
    )
    data = from_networkx(
        clean,
        group_node_attrs=node_keys or None,
        group_edge_attrs=(edge_keys or None) if clean.number_of_edges() else None,
    )
    data.node_names = nodes
    data.node_features = node_keys
    data.edge_features = edge_keys
    for key, value in graph.graph.items():
        setattr(data, key, value)
    return data


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def write_graphml(
    result: PCSFResult,
    path: str | os.PathLike[str],
    *,
    node_attributes: pd.DataFrame | None = None,
    overwrite: bool = True,
) -> Path:
    """Write the forest as GraphML (atomically: the file appears complete or not at all).

    Parameters
    ----------
    result
        A :func:`solve_pcsf` result.
    path
        Destination ``.graphml`` file; its folder is created if needed.
    node_attributes
        Extra node attributes, as in :func:`to_networkx`.
    overwrite
        Replace an existing file (else :class:`~omicsnet.utils.io.OutputExistsError`).

    Returns
    -------
    pathlib.Path
        The written file.

    Examples
    --------
    >>> import tempfile, pathlib, networkx as nx, pandas as pd
    >>> edges = pd.DataFrame({"source": ["A", "B"], "target": ["B", "C"], "cost": [1.0, 1.0]})
    >>> out = write_graphml(solve_pcsf(edges, {"A": 4.0, "C": 4.0}, g=None),
    ...                     pathlib.Path(tempfile.mkdtemp()) / "forest.graphml")
    >>> sorted(nx.read_graphml(out).nodes)
    ['A', 'B', 'C']
    """
    import networkx as nx

    from omicsnet.utils.io import atomic_write_text

    graph = to_networkx(result, node_attributes=node_attributes)
    text = "\n".join(nx.generate_graphml(graph)) + "\n"
    return atomic_write_text(path, text, overwrite=overwrite)
