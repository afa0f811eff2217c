"""One call from scored m/z signals to a metabolite–protein subnetwork and its enrichment.

The steps (after DeepMSProfiler's PIUMet analysis, with OmicsIntegrator2's PCSF):

1. match each signal's m/z to candidate metabolites of a genome-scale model (adducts of the
   ionisation mode, tolerance in ppm or Da); every candidate is kept, and signals that match
   nothing are reported;
2. each matched metabolite gets a prize: the highest score of the signals that match it;
3. a prize-collecting Steiner forest over the metabolite–protein graph (plus a
   protein–protein interactome, if given) keeps the cheapest subnetwork connecting the
   valuable metabolites, revealing "hidden" metabolites and proteins;
4. the subnetwork is tested for over-represented subsystems of the model (background: the
   model's subsystem members) and, when the ``cptac`` wheel's WikiPathways table or a GMT
   file is available, pathways (background: the graph's proteins).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from omicsnet.errors import DataError, shown

logger = logging.getLogger(__name__)


@dataclass
class NetworkInference:
    """Everything :func:`infer_network` found.

    Attributes
    ----------
    matches, unmatched
        m/z candidates (one row per signal × metabolite × adduct) and signals with none.
    prizes
        Prize per metabolite node.
    pcsf
        The :class:`~omicsnet.networks.pcsf.PCSFResult`.
    node_info
        Node annotations of the graph (type, name, formula, cross-references) for the
        selected nodes.
    enrichment
        Over-represented sets among the selected nodes (column ``source`` says which
        collection; ``background`` states the background).
    """

    matches: pd.DataFrame
    unmatched: pd.DataFrame
    prizes: pd.Series
    pcsf: Any
    node_info: pd.DataFrame
    enrichment: pd.DataFrame
    params: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """Counts for a quick look (signals matched, nodes selected, hidden nodes, sets)."""
        nodes = self.pcsf.nodes
        selected = nodes[nodes["in_solution"]]
        types = self.node_info.reindex(selected["node"])["type"]
        significant = self.enrichment[self.enrichment["q"] <= 0.05] if len(self.enrichment) else []
        return {
            "signals_matched": int(self.matches["peak_id"].nunique()) if len(self.matches) else 0,
            "signals_unmatched": len(self.unmatched),
            "metabolites_with_prizes": len(self.prizes),
            "prizes_missing_from_graph": len(self.pcsf.missing_prizes),
            "selected_nodes": len(selected),
            "selected_metabolites": int((types == "metabolite").sum()),
            "selected_proteins": int((types == "protein").sum()),
            "hidden_nodes": len(self.pcsf.hidden),
            "trees": int(self.pcsf.n_trees),
            "enriched_sets_q05": len(significant),
            "solver": str(getattr(self.pcsf, "solver", "fast")),
            "objective": float(self.pcsf.objective),
            "bound": _finite_or_none(getattr(self.pcsf, "bound", float("nan"))),
            "gap": _finite_or_none(getattr(self.pcsf, "gap", float("nan"))),
            "optimal": bool(getattr(self.pcsf, "optimal", False)),
        }

    def write(self, folder: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write GraphML, node/edge/match/enrichment tables, a plot and a summary.

        The folder is written atomically: it appears complete or not at all, and an
        existing folder is replaced only with ``overwrite=True``.
        """
        from omicsnet.networks.pcsf import write_graphml
        from omicsnet.utils.io import write_csv
        from omicsnet.utils.output import atomic_directory

        with atomic_directory(folder, overwrite=overwrite) as tmp:
            write_graphml(self.pcsf, tmp / "network.graphml", node_attributes=self.node_info)
            nodes = self.pcsf.nodes.merge(
                self.node_info, left_on="node", right_index=True, how="left"
            )
            # computed numbers rounded (6 significant digits); masses, m/z and the
            # user's own signal rows and edge costs are written as they are
            write_csv(nodes, tmp / "nodes.csv", exact=MASS_COLUMNS)
            write_csv(self.pcsf.edges, tmp / "edges.csv", exact=["cost"])
            write_csv(self.matches, tmp / "matches.csv", exact=[*MASS_COLUMNS, "score"])
            self.unmatched.to_csv(tmp / "unmatched.csv", index=False)
            write_csv(self.enrichment, tmp / "enrichment.csv")
            summary = {**self.summary(), "params": self.params}
            (tmp / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
            plot_network(self, tmp / "network.png")
        return Path(folder)


#: Columns of masses and m/z, written with every digit (6 significant digits are 5 ppm
#: at m/z 200).
MASS_COLUMNS = ("mz", "mass", "neutral_mass", "theoretical_mz", "monoisotopic_mass")

#: Largest signal score accepted: prizes are scores times b, and must stay far from overflow.
MAX_SCORE = 1e12


def _finite_or_none(value: float) -> float | None:
    """JSON has no NaN: a missing bound or gap is written as null."""
    import math

    return float(value) if math.isfinite(value) else None


def read_signals(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a table of scored m/z signals (CSV or TSV): columns ``mz`` and ``score``.

    An ``id`` (or ``peak_id``) column names the signals; otherwise they are numbered.

    Raises
    ------
    DataError
        Missing columns (the message lists those present).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "signals.csv"
    >>> _ = p.write_text("mz,score\\n181.0707,0.9\\n")
    >>> read_signals(p).columns.tolist()
    ['peak_id', 'mz', 'score']
    """
    from omicsnet.data.tables import read_table

    frame = read_table(path, index_col=None, numeric=False)  # type: ignore[arg-type]
    columns = {c.lower(): c for c in frame.columns}
    missing = [c for c in ("mz", "score") if c not in columns]
    if missing:
        raise DataError(
            f"{path}: signal table needs columns mz and score; it has {list(frame.columns)}"
        )
    id_col = columns.get("peak_id") or columns.get("id")
    ids = (
        frame[id_col].astype(str)
        if id_col
        else pd.Series([f"signal_{i}" for i in range(len(frame))])
    )
    out = pd.DataFrame({"peak_id": ids.to_numpy()})
    repeated = out["peak_id"][out["peak_id"].duplicated()]
    if len(repeated):
        raise DataError(f"{path}: signal ID {shown(repeated.iloc[0])} appears more than once")
    for name in ("mz", "score"):
        values = pd.to_numeric(frame[columns[name]], errors="coerce").to_numpy(dtype=float)
        problems = (
            ("non-numeric", np.isnan(values)),
            ("infinite", np.isinf(values)),
            ("negative" if name == "score" else "non-positive",
             values < 0 if name == "score" else values <= 0),
            (f"too large (above {MAX_SCORE:g})", np.abs(values) > MAX_SCORE),
        )  # fmt: skip
        for problem, bad in problems:
            if bad.any():
                row = int(bad.nonzero()[0][0])
                hint = (
                    "; scores must be >= 0 (e.g. |log fold change|)"
                    if problem == "negative"
                    else ""
                )
                raise DataError(
                    f"{path}: {problem} {name} in row {row + 1} "
                    f"(signal {shown(out['peak_id'][row])}){hint}"
                )
        out[name] = values
    return out


def infer_network(
    signals: pd.DataFrame,
    graph: Any,
    *,
    mode: str = "positive",
    adducts: list[str] | None = None,
    tol: float = 10.0,
    unit: str = "ppm",
    min_score: float | None = None,
    w: float = 5.0,
    b: float = 10.0,
    g: float | None = 3.0,
    robustness: int = 0,
    specificity: int = 0,
    seed: int = 0,
    gene_sets: dict[str, set[str]] | None = None,
    progress: bool = True,
    solver: str = "auto",
    time_limit: float = 60.0,
    backend: Any = None,
    store: str | os.PathLike[str] | None = None,
) -> NetworkInference:
    """Match signals, solve the prize-collecting Steiner forest and test enrichment.

    Parameters
    ----------
    signals
        Table with ``mz`` and ``score`` (and optionally ``peak_id``), e.g. RISE output.
    graph
        A :class:`~omicsnet.knowledge.metabolic_graph.MetaboliteProteinGraph`, with an
        interactome added if wanted (``graph.add_interactome``).
    mode, adducts, tol, unit
        Ionisation mode (its default adducts) or explicit adduct names, and the m/z
        tolerance.
    min_score
        Keep only signals scoring at least this (DeepMSProfiler used 0.7).
    w, b, g, robustness, specificity, seed
        PCSF settings (see :func:`omicsnet.networks.pcsf.solve_pcsf`). Scores in [0, 1]
        (RISE contributions) times the default ``b=10`` give prizes of the order of the
        cost ``w=5`` of starting a new tree, so a metabolite joins the forest when its
        score is high or it sits close to other prized metabolites.
    gene_sets
        Extra pathway gene sets (e.g. from :func:`~omicsnet.networks.enrichment.read_gmt`);
        by default the WikiPathways table of the ``cptac`` wheel when it is installed.
    solver, time_limit
        ``"fast"``, ``"exact"`` or ``"auto"`` and the exact solver's time limit (see
        :func:`omicsnet.networks.pcsf.solve_pcsf`); the proven gap is in the summary.
    backend
        Where the robustness/specificity reruns run: ``None``/``"local"`` (worker
        processes) or ``"ray"`` (see :func:`omicsnet.networks.pcsf.solve_pcsf`).
    store
        Folder that keeps each finished rerun so that a killed run can resume (see
        :func:`omicsnet.networks.pcsf.solve_pcsf`).

    Returns
    -------
    NetworkInference

    Examples
    --------
    >>> import pandas as pd
    >>> from omicsnet.knowledge.metabolic_graph import MetaboliteProteinGraph
    >>> nodes = pd.DataFrame({"id": ["glc", "g6p", "HK1"], "type": ["metabolite", "metabolite",
    ...                       "protein"], "mass": [180.06339, 260.02972, None]})
    >>> edges = pd.DataFrame({"source": ["glc", "g6p"], "target": ["HK1", "HK1"],
    ...                       "cost": [0.5, 0.5]})
    >>> signals = pd.DataFrame({"mz": [181.0707, 261.0370], "score": [0.9, 0.8]})
    >>> result = infer_network(signals, MetaboliteProteinGraph(nodes, edges), g=None,
    ...                        progress=False)
    >>> sorted(result.pcsf.selected), result.pcsf.hidden
    (['HK1', 'g6p', 'glc'], ['HK1'])
    """
    from omicsnet.networks.enrichment import enrich, wikipathways_gene_sets
    from omicsnet.networks.pcsf import solve_pcsf

    if min_score is not None:
        signals = signals[signals["score"] >= min_score]
        if signals.empty:
            raise DataError(f"no signal has a score >= {min_score}")
    matched = graph.match_mz(
        signals, mode=None if adducts else mode, adducts=adducts, tol=tol, unit=unit
    )
    if matched.matches.empty:
        raise DataError(
            f"none of the {len(signals)} signals matches a metabolite of the model within "
            f"{tol} {unit} ({mode} mode); check the mode, the adducts and the tolerance"
        )
    prizes = matched.metabolite_scores(how="max")
    result = solve_pcsf(
        graph.edges,
        prizes,
        w=w,
        b=b,
        g=g,
        robustness=robustness,
        specificity=specificity,
        seed=seed,
        progress=progress,
        solver=solver,
        time_limit=time_limit,
        backend=backend,
        store=store,
    )
    info_columns = [
        c for c in ("type", "name", "formula", "kegg", "hmdb", "chebi") if c in graph.nodes
    ]
    node_info = graph.nodes.drop_duplicates("id").set_index("id")[info_columns]
    selected = set(result.selected)

    tables = []
    subsystems = graph.subsystem_sets()
    if subsystems:
        table = enrich(selected, subsystems, background_label="members of the model's subsystems")
        tables.append(table.assign(source="model subsystems"))
    if gene_sets is None:
        try:
            gene_sets = wikipathways_gene_sets()
        except (OSError, DataError) as err:  # cptac not installed: say so, go on
            logger.info("no WikiPathways gene sets (%s); pathway enrichment skipped", err)
    proteins = set(graph.nodes.loc[graph.nodes["type"] == "protein", "id"])
    if gene_sets and not any(proteins & set(members) for members in gene_sets.values()):
        logger.info(
            "no pathway gene set shares a protein with the network (are the protein ids of the "
            "same kind, e.g. symbols?); pathway enrichment skipped"
        )
        gene_sets = None
    if gene_sets:
        table = enrich(
            selected & proteins,
            gene_sets,
            background=proteins,
            background_label="proteins of the network",
        )
        tables.append(table.assign(source="pathways"))
    enrichment = (
        pd.concat(tables, ignore_index=True).sort_values("p", kind="stable")
        if tables
        else pd.DataFrame()
    )
    params = {
        "mode": mode,
        "adducts": adducts,
        "tol": tol,
        "unit": unit,
        "min_score": min_score,
        "w": w,
        "b": b,
        "g": g,
        "robustness": robustness,
        "specificity": specificity,
        "seed": seed,
        "solver": solver,
        "time_limit": time_limit,
        "graph": getattr(graph, "name", None),
    }
    return NetworkInference(
        matched.matches, matched.unmatched, prizes, result, node_info, enrichment, params
    )


def draw_network(inference: NetworkInference, *, max_labels: int = 80) -> Any:
    """The subnetwork as a figure: metabolites as circles, proteins as squares, hidden nodes hollow.

    Node size follows the prize. Labels are placed without overlaps (see
    :func:`omicsnet.utils.plotting.place_labels`), metabolites and proteins taking turns
    in order of importance (prize, then number of neighbours), up to ``max_labels``;
    proteins are labelled with their gene symbol when they have one, and long names are
    wrapped, not cut. The title says how many nodes could be labelled.

    Parameters
    ----------
    inference
        A result of :func:`infer_network`.
    max_labels
        Label budget.

    Returns
    -------
    matplotlib.figure.Figure
        Not registered with pyplot; write it with
        :func:`omicsnet.utils.plotting.save_figure`.
    """
    import networkx as nx
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    from omicsnet.networks.pcsf import to_networkx
    from omicsnet.utils.plotting import place_labels, style

    graph = to_networkx(inference.pcsf, node_attributes=inference.node_info)
    n = graph.number_of_nodes()
    summary = inference.summary()
    title = (
        f"{summary['selected_metabolites']} metabolites, {summary['selected_proteins']} proteins "
        f"({summary['hidden_nodes']} hidden) from {summary['signals_matched']} matched signals"
    )
    with style():
        width = float(min(18.0, 8.0 + n / 12))
        fig = Figure(figsize=(width, width * 0.8), dpi=120)
        ax = fig.add_axes((0.01, 0.01, 0.98, 0.92))
        ax.set_axis_off()
        if n == 0:
            ax.text(0.5, 0.5, "empty forest", ha="center", va="center")
            fig.suptitle(title)
            return fig
        layout = _forest_layout(graph)
        nodes = list(graph.nodes)
        xy = np.array([layout[v] for v in nodes])
        span = np.ptp(xy, axis=0).max() if n > 1 else 1.0
        pad = 0.08 * max(span, 1e-9)
        ax.set_xlim(xy[:, 0].min() - pad, xy[:, 0].max() + pad)
        ax.set_ylim(xy[:, 1].min() - pad, xy[:, 1].max() + pad)
        nx.draw_networkx_edges(graph, layout, ax=ax, alpha=0.35, width=0.8)
        colours = {"metabolite": "#1f77b4", "protein": "#d62728"}
        shapes = {"metabolite": "o", "protein": "s"}
        kind = {v: _node_kind(graph.nodes[v]) for v in nodes}
        prize = {v: float(graph.nodes[v].get("prize", 0.0) or 0.0) for v in nodes}
        top = max([*prize.values(), 1e-12])
        area = {v: 50.0 + 250.0 * prize[v] / top for v in nodes}  # scatter size: points^2
        legend = []
        for k in ("metabolite", "protein"):
            for hidden in (False, True):
                members = [
                    v
                    for v in nodes
                    if kind[v] == k and bool(graph.nodes[v].get("hidden")) == hidden
                ]
                if not members:
                    continue
                nx.draw_networkx_nodes(
                    graph, layout, nodelist=members, node_shape=shapes[k], ax=ax,
                    node_size=[area[v] for v in members],
                    node_color="white" if hidden else colours[k],
                    edgecolors=colours[k], linewidths=1.2,
                )  # fmt: skip
                legend.append(
                    Line2D([], [], linestyle="none", marker=shapes[k], markersize=7,
                           markerfacecolor="white" if hidden else colours[k],
                           markeredgecolor=colours[k],
                           label=f"{k}{' (hidden: no prize)' if hidden else ' (prize: size)'}")
                )  # fmt: skip
        ax.legend(handles=legend, loc="upper right", fontsize=8)
        labels = [_node_label(v, graph.nodes[v], kind[v]) for v in nodes]
        placed = place_labels(
            ax,
            xy[:, 0],
            xy[:, 1],
            labels,
            budget=max_labels,
            priority=_label_priority(graph, nodes, kind, prize),
            marker_size=[float(np.sqrt(area[v])) for v in nodes],
            fontsize=6.5,
            wrap=16,
        )
        if placed.skipped:
            title += f"; {len(placed.placed)} of {n} nodes labelled (no room for the rest)"
        fig.suptitle(title, fontsize=10)
    return fig


def plot_network(inference: NetworkInference, path: Path, *, max_labels: int = 80) -> Path:
    """Draw the subnetwork (:func:`draw_network`) and write it to ``path`` atomically."""
    from omicsnet.utils.plotting import save_figure

    return save_figure(draw_network(inference, max_labels=max_labels), path, dpi=120)


def _node_kind(attrs: dict[str, Any]) -> str:
    return "metabolite" if attrs.get("type") == "metabolite" else "protein"


def _node_label(node: Any, attrs: dict[str, Any], kind: str) -> str:
    """A metabolite's name; a protein's gene symbol (its name or its ID, whichever is one)."""
    node, name = str(node), str(attrs.get("name") or "").strip()
    if kind == "protein":
        for candidate in (name, node):  # e.g. name "pykF" (id b1676); id "ASAH2" (long name)
            if candidate and len(candidate) <= 12 and " " not in candidate:
                return candidate
    return name or node


def _label_priority(
    graph: Any, nodes: list[Any], kind: dict[Any, str], prize: dict[Any, float]
) -> list[float]:
    """Metabolites and proteins take turns: each ranked by prize, then by neighbours."""
    priority = {}
    for k in ("metabolite", "protein"):
        members = sorted(
            (v for v in nodes if kind[v] == k),
            key=lambda v: (-prize[v], -graph.degree(v), str(v)),
        )
        for rank, v in enumerate(members):
            priority[v] = 1.0 - rank / max(1, len(members))
    return [priority[v] for v in nodes]


def _forest_layout(graph: Any) -> dict[Any, np.ndarray]:
    """Kamada-Kawai for each tree (spring layout beyond 400 nodes), trees packed in rows."""
    import networkx as nx

    components = sorted(
        nx.connected_components(graph), key=lambda c: (-len(c), sorted(map(str, c)))
    )
    placed: dict[Any, np.ndarray] = {}
    boxes = []
    for members in components:
        sub = graph.subgraph(members)
        if len(members) == 1:
            pos = {next(iter(members)): np.zeros(2)}
        elif len(members) <= 400:
            pos = nx.kamada_kawai_layout(sub)
        else:
            pos = nx.spring_layout(sub, seed=0, k=1.5 / len(members) ** 0.5)
        xy = np.array(list(pos.values()), dtype=float)
        xy -= xy.min(axis=0)
        extent = xy.max(axis=0)
        scale = np.sqrt(len(members)) / max(float(extent.max()), 1e-9)
        if len(members) == 1:
            scale = 1.0
        boxes.append((list(pos), xy * scale, extent * scale + 1.0))
    total = sum(float(np.prod(b[2])) for b in boxes)
    row_width = max(max(b[2][0] for b in boxes), np.sqrt(total) * 1.3)
    x = y = row_height = 0.0
    for names, xy, size in boxes:
        if x > 0 and x + size[0] > row_width:
            x, y, row_height = 0.0, y - row_height, 0.0
        for name, point in zip(names, xy, strict=True):
            placed[name] = point + np.array([x, y - size[1]])
        x += size[0]
        row_height = max(row_height, size[1])
    return placed
