"""Gene → protein → phenotype graphs from genome-scale metabolic models (DeepMetabolism).

A :class:`PhenotypeGraph` is a typed graph with five node types — ``gene``, ``protein``,
``reaction``, ``metabolite`` and ``phenotype`` — built from any cobra model (the bundled
``"textbook"`` (e_coli_core) and ``"iJO1366"``, or a user's SBML/JSON/YAML/MAT file) by
:func:`build_phenotype_graph`, and read from a cached artefact by
:func:`load_phenotype_graph`.

Node types
----------
``gene``
    Every gene of the model, in the model's order (b-numbers for E. coli models).
``protein``
    One node per distinct **enzyme complex**. Each reaction's GPR rule (cobra's
    :class:`~cobra.core.gene.GPR` syntax tree) is expanded to disjunctive normal form: an
    OR of ANDs. Each AND term is a complex whose subunits are its genes (``b1 and b2`` →
    one protein ``b1+b2`` with genes b1 and b2); the OR terms are **isozymes**, separate
    protein nodes catalysing the same reaction (``b1 or b2`` → proteins ``b1`` and
    ``b2``). Terms absorbed by smaller ones are dropped (``b1 or (b1 and b2)`` is ``b1``).
    A protein's id is its sorted gene ids joined by ``+``, so a monomer's id is its gene id,
    and a complex used by several reactions is one node. Reactions without a GPR
    (exchanges, spontaneous reactions) have no protein.
``reaction``, ``metabolite``
    All reactions and metabolites of the model.
``phenotype``
    Reactions whose maximal flux is a phenotype: by default the model's objective
    (biomass) reactions first, then every exchange reaction (cobra's
    :attr:`~cobra.Model.exchanges`) in model order, maximised, i.e. secretion. Phenotypes
    that cannot carry positive flux under the screening condition (for example glucose
    or oxygen exchanges, which can only take up) are dropped and reported
    (:attr:`PhenotypeGraph.dropped_phenotypes`, and a log message). A list of reaction
    ids can be given instead.

Edge types (``src_dst`` name → PyG triple)
-------------------------------------------
* ``gene_protein`` (gene, subunit_of, protein): the complex's subunits.
* ``protein_reaction`` (protein, catalyses, reaction).
* ``metabolite_reaction`` (metabolite, substrate_of, reaction) and ``reaction_metabolite``
  (reaction, produces, metabolite), with the stoichiometric ``coefficient`` (absolute).
* ``phenotype_reaction`` (phenotype, flux_of, reaction): the phenotype's own reaction.
* ``protein_phenotype`` (protein, essential_for, phenotype): from the knockout screen.
* ``reaction_phenotype`` or ``gene_phenotype`` (…, essential_for, phenotype): the
  screen's own units when knocking out reactions or genes, with the ``ratio``
  ``v_KO / v_WT`` (``NaN`` when infeasible).

The knockout screen (:mod:`omicsnet.knowledge.essentiality`)
------------------------------------------------------------
Each phenotype in turn is maximised under the screening condition (the model's medium
with glucose uptake fixed at 10 by default, as DeepMetabolism), and each unit knocked out:

* ``knockout="reaction"`` (default, DeepMetabolism): when a reaction is essential for a
  phenotype, every protein catalysing it (all its complexes and isozymes) is linked to
  the phenotype;
* ``knockout="gene"``: a gene knockout disables the reactions whose GPR is false without
  it; when essential, every protein containing the gene is linked;
* ``knockout="protein"``: removing one complex disables the reactions it alone
  catalyses; an isozyme whose partner can take over is therefore never essential.

Examples
--------
>>> g = build_phenotype_graph("textbook", progress=False)
>>> g
PhenotypeGraph(textbook: 137 genes, 93 proteins, 95 reactions, 72 metabolites, 13 phenotypes)
>>> g.phenotypes[0]
'Biomass_Ecoli_core'
>>> g.proteins[g.gene_protein_edges[1, g.genes.index("b0351")]]
'b0351'
>>> g.mask("protein_phenotype").shape
(93, 13)
"""

from __future__ import annotations

import ast
import logging
import math
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from omicsnet.errors import ConfigError, DataError, DataNotFoundError
from omicsnet.knowledge import artefacts as art
from omicsnet.knowledge.pyg import pyg_hetero_data

if TYPE_CHECKING:  # pragma: no cover
    import cobra
    import scipy.sparse
    import torch
    from torch_geometric.data import HeteroData

logger = logging.getLogger(__name__)

SCHEMA = "omicsnet.phenotype_graph"
SCHEMA_VERSION = 1
#: The builder and its version; bump the version whenever the built graph would change.
RECIPE: dict[str, Any] = {
    "function": "omicsnet.knowledge.phenotype_graph.build_phenotype_graph",
    # 2: knockouts of forced reactions no longer prune others; 3: every phenotype screened
    # from the same solver state (results independent of workers), node names stored
    "version": 3,
}
#: Decimals of the edge values (essentiality ratios, stoichiometric coefficients) that
#: :attr:`PhenotypeGraph.checksum` sees: differences below 1e-4 (solver tolerance) do not
#: change it.
CHECKSUM_DECIMALS = 4
NODE_TYPES = ("gene", "protein", "reaction", "metabolite", "phenotype")
#: Edge name → (source type, relation, destination type), as in torch_geometric.
EDGE_TYPES: dict[str, tuple[str, str, str]] = {
    "gene_protein": ("gene", "subunit_of", "protein"),
    "protein_reaction": ("protein", "catalyses", "reaction"),
    "metabolite_reaction": ("metabolite", "substrate_of", "reaction"),
    "reaction_metabolite": ("reaction", "produces", "metabolite"),
    "phenotype_reaction": ("phenotype", "flux_of", "reaction"),
    "protein_phenotype": ("protein", "essential_for", "phenotype"),
    "reaction_phenotype": ("reaction", "essential_for", "phenotype"),
    "gene_phenotype": ("gene", "essential_for", "phenotype"),
}
KNOCKOUTS = ("reaction", "gene", "protein")
BUNDLED_MODELS = ("textbook", "iJO1366", "salmonella")
FOLDER = "phenotype_graphs"


# ------------------------------------------------------------------------------------- GPR
def gpr_complexes(gpr: Any) -> list[tuple[str, ...]]:
    """The enzyme complexes of a GPR rule: its disjunctive normal form, absorbed and sorted.

    ``gpr`` is a :class:`cobra.core.gene.GPR` (or a GPR string). Each complex is a sorted
    tuple of gene ids; isozymes are separate complexes.

    Examples
    --------
    >>> gpr_complexes("b1 and (b2 or b3)")
    [('b1', 'b2'), ('b1', 'b3')]
    >>> gpr_complexes("b1 or (b1 and b2) or b4")
    [('b1',), ('b4',)]
    >>> gpr_complexes("")
    []
    """
    from cobra.core.gene import GPR

    if isinstance(gpr, str):
        gpr = GPR.from_string(gpr)
    if gpr.body is None:
        return []

    def expand(node: ast.AST) -> set[frozenset[str]]:
        if isinstance(node, ast.Name):
            return {frozenset([node.id])}
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            return set().union(*(expand(v) for v in node.values))
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
            terms: set[frozenset[str]] = {frozenset()}
            for value in node.values:
                terms = {a | b for a in terms for b in expand(value)}
                if len(terms) > 100_000:
                    raise DataError(f"GPR {gpr.to_string()!r} expands to too many complexes")
            return terms
        raise DataError(f"unsupported GPR element {ast.dump(node)} in {gpr.to_string()!r}")

    terms = expand(gpr.body)
    minimal = [t for t in terms if not any(o < t for o in terms)]
    return sorted(tuple(sorted(t)) for t in minimal)


def protein_id(genes: tuple[str, ...]) -> str:
    """A protein node's id: its sorted gene ids joined by ``+``.

    Examples
    --------
    >>> protein_id(("b0002",)), protein_id(("b0118", "b0117"))
    ('b0002', 'b0117+b0118')
    """
    return "+".join(sorted(genes))


# --------------------------------------------------------------------------------- models
def resolve_model(source: Any) -> tuple[cobra.Model, str]:
    """``(model, name)`` of a cobra model, a bundled model name or a model file.

    Raises
    ------
    DataNotFoundError
        ``source`` is neither a model, an existing file nor a bundled name.

    Examples
    --------
    >>> model, name = resolve_model("textbook")
    >>> name, len(model.reactions)
    ('textbook', 95)
    """
    import cobra

    from omicsnet.knowledge.metabolic_graph import read_cobra_model_file

    if isinstance(source, cobra.Model):
        return source, source.id or "model"
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.is_file():
            stem = path.name.split(".")[0] or "model"
            return read_cobra_model_file(path), stem
        if str(source) in BUNDLED_MODELS:
            return cobra.io.load_model(str(source)), str(source)
    raise DataNotFoundError(
        f"{source!r} is neither a cobra.Model, a model file nor a model bundled with cobra "
        f"({', '.join(BUNDLED_MODELS)})"
    )


def model_checksum(model: cobra.Model) -> str:
    """SHA-256 of the model's canonical JSON export (sorted), before any medium change.

    Examples
    --------
    >>> import cobra
    >>> a, b = cobra.io.load_model("textbook"), cobra.io.load_model("textbook")
    >>> model_checksum(a) == model_checksum(b)
    True
    >>> a.reactions.PGK.bounds = (0, 0)
    >>> model_checksum(a) == model_checksum(b)
    False
    """
    import cobra

    return art.sha256_text(cobra.io.to_json(model, sort=True))


def default_phenotypes(model: cobra.Model) -> list[str]:
    """The objective (biomass) reactions, then every exchange reaction, in model order.

    Examples
    --------
    >>> import cobra
    >>> default_phenotypes(cobra.io.load_model("textbook"))[:3]
    ['Biomass_Ecoli_core', 'EX_ac_e', 'EX_acald_e']
    """
    from cobra.util.solver import linear_reaction_coefficients

    objective = {r.id for r in linear_reaction_coefficients(model)}
    first = [r.id for r in model.reactions if r.id in objective]
    return first + [r.id for r in model.exchanges if r.id not in objective]


def graph_params(
    source_name: str,
    *,
    phenotypes: list[str] | tuple[str, ...] | None = None,
    knockout: str = "reaction",
    threshold: float = 0.95,
    medium: dict[str, float] | None = None,
    fixed_uptake: dict[str, float] | str | None = "default",
) -> dict[str, Any]:
    """The recipe parameters in canonical form (what artefacts store and compare).

    Raises
    ------
    ConfigError
        An option is out of range.

    Examples
    --------
    >>> graph_params("textbook")["threshold"]
    0.95
    """
    if knockout not in KNOCKOUTS:
        raise ConfigError(f"knockout must be one of {', '.join(KNOCKOUTS)}, got {knockout!r}")
    threshold = float(threshold)
    if not 0.0 <= threshold < 1.0:
        raise ConfigError(f"threshold must be in [0, 1), got {threshold}")
    if phenotypes is not None:
        phenotypes = [str(p) for p in phenotypes]
        dupes = sorted({p for p in phenotypes if phenotypes.count(p) > 1})
        if dupes:
            raise ConfigError(f"phenotypes listed twice: {', '.join(dupes)}")
        if not phenotypes:
            raise ConfigError("phenotypes is empty; pass None for the default phenotypes")
    if isinstance(fixed_uptake, str) and fixed_uptake != "default":
        raise ConfigError(
            f"fixed_uptake must be a mapping, None or 'default', got {fixed_uptake!r}"
        )
    return {
        "model": source_name,
        "phenotypes": phenotypes,
        "knockout": knockout,
        "threshold": threshold,
        "medium": None if medium is None else {k: float(medium[k]) for k in sorted(medium)},
        "fixed_uptake": fixed_uptake
        if isinstance(fixed_uptake, str)
        else {k: float(v) for k, v in sorted((fixed_uptake or {}).items())},
    }


# ---------------------------------------------------------------------------------- graph
@dataclass
class PhenotypeGraph:
    """Typed gene/protein/reaction/metabolite/phenotype graph (see the module docstring).

    Attributes
    ----------
    name
        The model's name (``"textbook"``, ``"iJO1366"``, a file stem or the model id).
    genes, proteins, reactions, metabolites, phenotypes
        Node ids per type; edge indices refer to positions in these lists.
    edges
        Edge name (``"gene_protein"``, …, see :data:`EDGE_TYPES`) → ``int64`` array of
        shape ``(2, E)``: row 0 source index, row 1 destination index.
    edge_attrs
        Edge name → attribute name → float array of length ``E``.
    params
        The recipe parameters (:func:`graph_params`).
    model_checksum
        SHA-256 of the input model (:func:`model_checksum`).
    wild_type
        Phenotype → its wild-type maximal flux under the screening condition.
    dropped_phenotypes
        Requested phenotypes left out because they cannot carry flux → their maximum.
    provenance
        How and when it was built (versions, screen time, LP counts); not part of
        :attr:`checksum`.
    names
        Readable names from the model: ``{"gene": {id: name}, "reaction": {id: name}}``
        (gene symbols such as ``thrA``, reaction names such as ``Acetate exchange``), for
        labels (:meth:`label`); not part of :attr:`checksum`.
    """

    name: str
    genes: list[str]
    proteins: list[str]
    reactions: list[str]
    metabolites: list[str]
    phenotypes: list[str]
    edges: dict[str, np.ndarray]
    edge_attrs: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    model_checksum: str = ""
    wild_type: dict[str, float] = field(default_factory=dict)
    dropped_phenotypes: dict[str, float] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    names: dict[str, dict[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        sizes = self.num_nodes()
        for node_type, size in sizes.items():
            ids = self.nodes(node_type)
            if len(set(ids)) != size:
                raise DataError(f"duplicate {node_type} ids in graph {self.name}")
        for edge_name, index in list(self.edges.items()):
            if edge_name not in EDGE_TYPES:
                raise DataError(f"unknown edge type {edge_name!r}; known: {', '.join(EDGE_TYPES)}")
            index = np.asarray(index, dtype=np.int64).reshape(2, -1)
            src, _, dst = EDGE_TYPES[edge_name]
            for row, node_type in ((0, src), (1, dst)):
                if index.shape[1] and (
                    index[row].min() < 0 or index[row].max() >= sizes[node_type]
                ):
                    raise DataError(
                        f"{edge_name} edges index {node_type} nodes outside "
                        f"0..{sizes[node_type] - 1}"
                    )
            self.edges[edge_name] = index
            for attr, values in self.edge_attrs.get(edge_name, {}).items():
                values = np.asarray(values, dtype=float)
                if values.shape != (index.shape[1],):
                    raise DataError(
                        f"edge attribute {edge_name}.{attr} has shape {values.shape}, "
                        f"expected ({index.shape[1]},)"
                    )
                self.edge_attrs[edge_name][attr] = values

    def __repr__(self) -> str:
        counts = ", ".join(f"{n} {t}s" for t, n in self.num_nodes().items())
        return f"PhenotypeGraph({self.name}: {counts})"

    # ------------------------------------------------------------------ contract accessors
    @property
    def gene_protein_edges(self) -> np.ndarray:
        """``int64 (2, E)``: gene index, protein index (complex subunits)."""
        return self.edges["gene_protein"]

    @property
    def protein_phenotype_edges(self) -> np.ndarray:
        """``int64 (2, E)``: protein index, phenotype index (essential for)."""
        return self.edges["protein_phenotype"]

    @property
    def knockout(self) -> str:
        """The screen's knockout unit: ``"reaction"``, ``"gene"`` or ``"protein"``."""
        return str(self.params.get("knockout", "reaction"))

    @property
    def checksum(self) -> str:
        """SHA-256 of what a model wired from the graph depends on: the structure (node ids
        of every type, every edge list) and the edge values rounded to
        :data:`CHECKSUM_DECIMALS` decimals.

        Models wired from the graph store it, so a changed graph is detected on load
        (``omicsnet.load(path, expected_knowledge_checksum=...)``). How the graph was made
        (recipe version, parameters, input model checksum, LP counts, times, node names)
        is recorded in the artefact's manifest but is not part of the checksum: two
        builds that give the same graph give the same checksum. Rounding makes noise at
        the 6th decimal of a ratio invisible except at a rounding boundary; the screen
        itself gives identical ratios whatever the number of workers (see
        :func:`omicsnet.knowledge.essentiality.reset_solver_state`).

        Examples
        --------
        >>> g = PhenotypeGraph("toy", ["g1"], ["g1"], ["r"], [], ["r"],
        ...     {"gene_protein": [[0], [0]], "protein_phenotype": [[0], [0]],
        ...      "reaction_phenotype": [[0], [0]]},
        ...     edge_attrs={"reaction_phenotype": {"ratio": [0.921231]}})
        >>> noisy = PhenotypeGraph(**{**g.__dict__,
        ...     "edge_attrs": {"reaction_phenotype": {"ratio": np.array([0.921233])}}})
        >>> noisy.checksum == g.checksum
        True
        """
        payload = {
            "nodes": {t: self.nodes(t) for t in NODE_TYPES},
            "edges": {k: v.tolist() for k, v in sorted(self.edges.items())},
            "edge_attrs": {
                k: {a: _rounded(v, CHECKSUM_DECIMALS) for a, v in sorted(attrs.items())}
                for k, attrs in sorted(self.edge_attrs.items())
            },
        }
        return art.sha256_text(art.canonical_json(payload))

    def label(self, node_type: str, node_id: str, *, width: int = 40) -> str:
        """A readable label of a node for figures and tables.

        Phenotypes and reactions: ``id (reaction name)``; proteins: the gene symbols of
        the complex's subunits joined by ``+`` (``atpA+atpB+...``); genes: ``symbol
        (id)``. Falls back to the id where the model gave no name; long labels are cut
        to ``width`` characters.

        Examples
        --------
        >>> g = PhenotypeGraph("toy", ["b1", "b2"], ["b1+b2"], ["EX_ac_e"], [], ["EX_ac_e"],
        ...     {"gene_protein": [[0, 1], [0, 0]], "protein_phenotype": [[0], [0]]},
        ...     names={"gene": {"b1": "ackA", "b2": "pta"},
        ...            "reaction": {"EX_ac_e": "Acetate exchange"}})
        >>> g.label("phenotype", "EX_ac_e"), g.label("protein", "b1+b2"), g.label("gene", "b2")
        ('EX_ac_e (Acetate exchange)', 'ackA+pta', 'pta (b2)')
        """
        genes = self.names.get("gene", {})
        reactions = self.names.get("reaction", {})
        if node_type in ("phenotype", "reaction"):
            name = reactions.get(node_id, "")
            text = f"{node_id} ({name})" if name and name != node_id else node_id
        elif node_type == "protein":
            text = "+".join(genes.get(g, "") or g for g in node_id.split("+"))
        elif node_type == "gene":
            name = genes.get(node_id, "")
            text = f"{name} ({node_id})" if name and name != node_id else node_id
        else:
            self.nodes(node_type)  # raises for unknown types
            text = node_id
        return text if len(text) <= width else text[: width - 1] + "…"

    def nodes(self, node_type: str) -> list[str]:
        """Node ids of one type.

        Raises
        ------
        ConfigError
            Unknown node type.
        """
        if node_type not in NODE_TYPES:
            raise ConfigError(f"unknown node type {node_type!r}; known: {', '.join(NODE_TYPES)}")
        return getattr(self, node_type + "s")

    def num_nodes(self) -> dict[str, int]:
        """Node type → number of nodes."""
        return {t: len(self.nodes(t)) for t in NODE_TYPES}

    def num_edges(self) -> dict[str, int]:
        """Edge name → number of edges."""
        return {k: int(v.shape[1]) for k, v in self.edges.items()}

    def _edge(self, name: str) -> tuple[np.ndarray, str, str]:
        if name not in self.edges:
            raise ConfigError(
                f"graph {self.name} has no {name!r} edges; it has: {', '.join(self.edges)}"
            )
        src, _, dst = EDGE_TYPES[name]
        return self.edges[name], src, dst

    def mask(self, name: str) -> scipy.sparse.csr_matrix:
        """Boolean ``source x destination`` CSR matrix of an edge type.

        Examples
        --------
        >>> g = PhenotypeGraph("toy", ["g1", "g2"], ["p1"], [], [], ["growth"],
        ...                    {"gene_protein": [[0, 1], [0, 0]], "protein_phenotype": [[0], [0]]})
        >>> g.mask("gene_protein").toarray().tolist()
        [[True], [True]]
        """
        import scipy.sparse

        index, src, dst = self._edge(name)
        shape = (len(self.nodes(src)), len(self.nodes(dst)))
        data = np.ones(index.shape[1], dtype=bool)
        matrix = scipy.sparse.csr_matrix((data, (index[0], index[1])), shape=shape)
        matrix.sum_duplicates()
        return matrix

    def edge_index(self, name: str) -> torch.Tensor:
        """The ``(2, E)`` edge index of an edge type as a ``torch.long`` tensor.

        Examples
        --------
        >>> g = PhenotypeGraph("toy", ["g1"], ["p1"], [], [], ["growth"],
        ...                    {"gene_protein": [[0], [0]], "protein_phenotype": [[0], [0]]})
        >>> g.edge_index("gene_protein").tolist()
        [[0], [0]]
        """
        import torch

        return torch.from_numpy(self._edge(name)[0].copy())

    def torch_mask(self, name: str) -> torch.Tensor:
        """The mask as a coalesced ``torch.sparse_coo`` float tensor (``source x destination``).

        Examples
        --------
        >>> g = PhenotypeGraph("toy", ["g1", "g2"], ["p1"], [], [], ["growth"],
        ...                    {"gene_protein": [[1], [0]], "protein_phenotype": [[0], [0]]})
        >>> g.torch_mask("gene_protein").to_dense().tolist()
        [[0.0], [1.0]]
        """
        import torch

        index, src, dst = self._edge(name)
        shape = (len(self.nodes(src)), len(self.nodes(dst)))
        values = torch.ones(index.shape[1])
        return torch.sparse_coo_tensor(
            torch.from_numpy(index.copy()), values, shape, check_invariants=True
        ).coalesce()

    def protein_genes(self) -> dict[str, list[str]]:
        """Protein id → its genes (the complex's subunits, sorted by id).

        Examples
        --------
        >>> g = PhenotypeGraph("toy", ["g1", "g2"], ["g1+g2"], [], [], ["growth"],
        ...                    {"gene_protein": [[0, 1], [0, 0]], "protein_phenotype": [[0], [0]]})
        >>> g.protein_genes()
        {'g1+g2': ['g1', 'g2']}
        """
        out: dict[str, list[str]] = {p: [] for p in self.proteins}
        for gene, protein in self.gene_protein_edges.T:
            out[self.proteins[protein]].append(self.genes[gene])
        return {p: sorted(genes) for p, genes in out.items()}

    def essential_table(self) -> Any:
        """The protein → phenotype links as a DataFrame (``protein``, ``phenotype``).

        Examples
        --------
        >>> g = PhenotypeGraph("toy", ["g1"], ["g1"], [], [], ["growth"],
        ...                    {"gene_protein": [[0], [0]], "protein_phenotype": [[0], [0]]})
        >>> g.essential_table().to_dict("records")
        [{'protein': 'g1', 'phenotype': 'growth'}]
        """
        import pandas as pd

        src, dst = self.protein_phenotype_edges
        return pd.DataFrame(
            {
                "protein": [self.proteins[i] for i in src],
                "phenotype": [self.phenotypes[j] for j in dst],
            }
        )

    def summary(self) -> dict[str, Any]:
        """Node and edge counts, and the checksum (JSON-ready).

        Examples
        --------
        >>> g = PhenotypeGraph("toy", ["g1"], ["g1"], [], [], ["growth"],
        ...                    {"gene_protein": [[0], [0]], "protein_phenotype": [[0], [0]]})
        >>> g.summary()["edges"]
        {'gene_protein': 1, 'protein_phenotype': 1}
        """
        return {
            "name": self.name,
            "nodes": self.num_nodes(),
            "edges": self.num_edges(),
            "dropped_phenotypes": len(self.dropped_phenotypes),
            "checksum": self.checksum,
        }

    def to_pyg(self) -> HeteroData:
        """A :class:`torch_geometric.data.HeteroData` with all node and edge types.

        Node stores hold ``num_nodes`` and ``ids`` (the id list); edge stores hold
        ``edge_index`` and, where present, ``edge_attr`` (one column per attribute, named
        in ``edge_attr_names``). Edges are directed as in :data:`EDGE_TYPES`; apply
        ``torch_geometric.transforms.ToUndirected`` for message passing both ways.

        Examples
        --------
        >>> g = PhenotypeGraph("toy", ["g1"], ["g1"], [], [], ["growth"],
        ...                    {"gene_protein": [[0], [0]], "protein_phenotype": [[0], [0]]})
        >>> data = g.to_pyg()
        >>> data["gene", "subunit_of", "protein"].edge_index.tolist()
        [[0], [0]]
        >>> data["phenotype"].ids
        ['growth']
        """
        import torch

        HeteroData = pyg_hetero_data()
        data = HeteroData()
        for node_type in NODE_TYPES:
            data[node_type].num_nodes = len(self.nodes(node_type))
            data[node_type].ids = list(self.nodes(node_type))
        for name, index in self.edges.items():
            store = data[EDGE_TYPES[name]]
            store.edge_index = torch.from_numpy(index.copy())
            attrs = self.edge_attrs.get(name)
            if attrs:
                names = sorted(attrs)
                store.edge_attr = torch.from_numpy(
                    np.stack([attrs[a] for a in names], axis=1).astype(np.float32)
                )
                store.edge_attr_names = names
        return data

    # ------------------------------------------------------------------------- artefacts
    def save(self, folder: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write the graph as a versioned artefact (``manifest.json`` + ``data.json.gz``).

        Raises
        ------
        OutputExistsError
            ``folder`` exists and ``overwrite`` is false.
        """
        import cobra

        from omicsnet._version import __version__

        data = {
            "name": self.name,
            "nodes": {t: self.nodes(t) for t in NODE_TYPES},
            "edges": {k: v.tolist() for k, v in self.edges.items()},
            "edge_attrs": {
                k: {a: _json_floats(v) for a, v in attrs.items()}
                for k, attrs in self.edge_attrs.items()
            },
            "wild_type": self.wild_type,
            "dropped_phenotypes": {k: _json_float(v) for k, v in self.dropped_phenotypes.items()},
            "names": self.names,
        }
        manifest = {
            "schema": SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "recipe": RECIPE,
            "params": self.params,
            "inputs": {"model": self.model_checksum},
            "graph_checksum": self.checksum,
            "omicsnet_version": __version__,
            "cobra_version": cobra.__version__,
            "counts": {"nodes": self.num_nodes(), "edges": self.num_edges()},
            "provenance": self.provenance,
        }
        return art.write_artefact(folder, manifest, data, overwrite=overwrite)

    @classmethod
    def load(cls, folder: str | os.PathLike[str]) -> PhenotypeGraph:
        """Read a graph artefact written by :meth:`save` (schema and file checksum checked).

        Raises
        ------
        DataNotFoundError
            The folder or a file is missing.
        DataError
            Wrong schema version, damaged file, or a graph checksum that does not match.
        """
        manifest, data = art.read_artefact(folder, schema=SCHEMA, schema_version=SCHEMA_VERSION)
        try:
            nodes = data["nodes"]
            graph = cls(
                name=data["name"],
                genes=nodes["gene"],
                proteins=nodes["protein"],
                reactions=nodes["reaction"],
                metabolites=nodes["metabolite"],
                phenotypes=nodes["phenotype"],
                edges={k: np.asarray(v, dtype=np.int64) for k, v in data["edges"].items()},
                edge_attrs={
                    k: {a: _from_json_floats(v) for a, v in attrs.items()}
                    for k, attrs in data.get("edge_attrs", {}).items()
                },
                params=manifest["params"],
                model_checksum=manifest["inputs"]["model"],
                wild_type=data.get("wild_type", {}),
                dropped_phenotypes={
                    k: math.nan if v is None else v
                    for k, v in data.get("dropped_phenotypes", {}).items()
                },
                provenance=manifest.get("provenance", {}),
                names={
                    str(t): {str(k): str(v) for k, v in ids.items()}
                    for t, ids in (data.get("names") or {}).items()
                },
            )
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise DataError(f"knowledge artefact {folder} is malformed: {err!r}") from err
        if graph.checksum != manifest.get("graph_checksum"):
            raise DataError(
                f"knowledge artefact {folder}: graph checksum does not match its manifest"
            )
        return graph


def _json_float(value: float) -> float | None:
    return None if not math.isfinite(value) else float(value)


def _json_floats(values: np.ndarray) -> list[float | None]:
    return [_json_float(v) for v in np.asarray(values, dtype=float).tolist()]


def _rounded(values: np.ndarray, decimals: int) -> list[float | None]:
    """Values rounded to ``decimals`` (``-0.0`` as ``0.0``; NaN as ``None``) for checksums."""
    rounded = np.round(np.asarray(values, dtype=float), decimals) + 0.0
    return _json_floats(rounded)


def _from_json_floats(values: list[float | None]) -> np.ndarray:
    return np.array([math.nan if v is None else v for v in values], dtype=float)


# -------------------------------------------------------------------------------- building
def build_phenotype_graph(
    source: Any = "textbook",
    *,
    phenotypes: list[str] | tuple[str, ...] | None = None,
    knockout: str = "reaction",
    threshold: float = 0.95,
    medium: dict[str, float] | None = None,
    fixed_uptake: dict[str, float] | str | None = "default",
    workers: int = 1,
    prune: bool = True,
    progress: bool = True,
    name: str | None = None,
) -> PhenotypeGraph:
    """Build the typed graph of a cobra model, running the essentiality screen.

    Parameters
    ----------
    source
        A :class:`cobra.Model`, a bundled model name (``"textbook"``, ``"iJO1366"``,
        ``"salmonella"``) or a model file (SBML, JSON, YAML, MAT).
    phenotypes
        Phenotype reaction ids; ``None``: objective (biomass) + exchange reactions.
    knockout
        Screen unit: ``"reaction"`` (DeepMetabolism), ``"gene"`` or ``"protein"``.
    threshold
        Essential when ``v_KO <= threshold * v_WT`` or infeasible.
    medium, fixed_uptake
        The screening condition, see :func:`omicsnet.knowledge.essentiality.screening_model`.
    workers
        Processes for the screen.
    prune
        Skip knockouts certified non-essential (exact; see the essentiality module).
    progress
        Show a progress bar.
    name
        The graph's name (default: the bundled name, the file stem or the model id).

    Raises
    ------
    DataError
        Phenotype ids not in the model (all named), no phenotype can carry flux, or the
        model is infeasible under the condition.
    ConfigError
        An option is out of range.

    Examples
    --------
    >>> g = build_phenotype_graph("textbook", phenotypes=["Biomass_Ecoli_core"], progress=False)
    >>> g.phenotypes, g.num_edges()["protein_phenotype"] > 0
    (['Biomass_Ecoli_core'], True)
    """
    from omicsnet.knowledge import essentiality as ess

    model, default_name = resolve_model(source)
    name = name or default_name
    params = graph_params(
        name,
        phenotypes=phenotypes,
        knockout=knockout,
        threshold=threshold,
        medium=medium,
        fixed_uptake=fixed_uptake,
    )
    checksum = model_checksum(model)
    start = time.perf_counter()

    # gene -> protein (complexes) -> reaction
    genes = [g.id for g in model.genes]
    gene_set = set(genes)
    reaction_complexes: dict[str, list[tuple[str, ...]]] = {}
    for rxn in model.reactions:
        complexes = gpr_complexes(rxn.gpr)
        unknown = sorted({g for c in complexes for g in c} - gene_set)
        if unknown:
            raise DataError(f"GPR of reaction {rxn.id} names genes not in the model: {unknown}")
        reaction_complexes[rxn.id] = complexes
    proteins = sorted({protein_id(c) for cs in reaction_complexes.values() for c in cs})
    protein_index = {p: i for i, p in enumerate(proteins)}
    gene_index = {g: i for i, g in enumerate(genes)}
    reactions = [r.id for r in model.reactions]
    reaction_index = {r: i for i, r in enumerate(reactions)}
    metabolites = [m.id for m in model.metabolites]
    metabolite_index = {m: i for i, m in enumerate(metabolites)}

    gene_protein = sorted(
        {
            (gene_index[g], protein_index[protein_id(c)])
            for cs in reaction_complexes.values()
            for c in cs
            for g in c
        }
    )
    protein_reaction = sorted(
        {
            (protein_index[protein_id(c)], reaction_index[r])
            for r, cs in reaction_complexes.items()
            for c in cs
        }
    )
    substrate: list[tuple[int, int, float]] = []
    product: list[tuple[int, int, float]] = []
    for rxn in model.reactions:
        for met, coef in rxn.metabolites.items():
            if coef < 0:
                substrate.append((metabolite_index[met.id], reaction_index[rxn.id], -coef))
            else:
                product.append((reaction_index[rxn.id], metabolite_index[met.id], coef))
    substrate.sort()
    product.sort()

    # phenotypes under the screening condition
    condition = ess.screening_model(model, medium=medium, fixed_uptake=fixed_uptake)
    requested = (
        list(params["phenotypes"])
        if params["phenotypes"] is not None
        else default_phenotypes(model)
    )
    missing = [p for p in requested if p not in reaction_index]
    if missing:
        raise DataError(f"phenotype reactions not in model {name}: {', '.join(missing)}")
    capacity = ess.phenotype_capacities(condition, requested)
    kept = [p for p in requested if math.isfinite(capacity[p]) and capacity[p] > ess.FLUX_TOLERANCE]
    dropped = {p: capacity[p] for p in requested if p not in kept}
    if dropped:
        logger.warning(
            "%d of %d phenotypes of %s cannot carry flux under the screening condition and are "
            "dropped: %s",
            len(dropped),
            len(requested),
            name,
            ", ".join(dropped),
        )
    if not kept:
        raise DataError(f"no phenotype of {name} can carry flux under the screening condition")

    # knockout units -> blocked reactions, and the proteins each unit credits
    if knockout == "reaction":
        units = {r: [r] for r in reactions}
        credits = {
            r: [protein_index[protein_id(c)] for c in reaction_complexes[r]] for r in reactions
        }
    elif knockout == "gene":
        units = ess.gene_knockout_units(model)
        credits = {g: [] for g in genes}
        for gene, protein in gene_protein:
            credits[genes[gene]].append(protein)
    else:
        units = {p: [] for p in proteins}
        for rxn_id, complexes in reaction_complexes.items():
            if len(complexes) == 1:
                units[protein_id(complexes[0])].append(rxn_id)
        credits = {p: [protein_index[p]] for p in proteins}
    screen = ess.essentiality_screen(
        condition,
        kept,
        units,
        unit_type=knockout,
        threshold=params["threshold"],
        workers=workers,
        prune=prune,
        progress=progress,
    )
    protein_phenotype = sorted(
        {
            (protein, int(j))
            for i, j in zip(screen.unit_index, screen.phenotype_index, strict=True)
            for protein in credits[screen.units[int(i)]]
        }
    )
    edges: dict[str, Any] = {
        "gene_protein": _pairs(gene_protein),
        "protein_reaction": _pairs(protein_reaction),
        "metabolite_reaction": _pairs([t[:2] for t in substrate]),
        "reaction_metabolite": _pairs([t[:2] for t in product]),
        "phenotype_reaction": _pairs([(j, reaction_index[p]) for j, p in enumerate(kept)]),
        "protein_phenotype": _pairs(protein_phenotype),
    }
    edge_attrs: dict[str, dict[str, Any]] = {
        "metabolite_reaction": {"coefficient": np.array([t[2] for t in substrate])},
        "reaction_metabolite": {"coefficient": np.array([t[2] for t in product])},
    }
    if knockout in ("reaction", "gene"):
        unit_ids = reactions if knockout == "reaction" else genes
        position = {u: i for i, u in enumerate(unit_ids)}
        rows = sorted(
            (position[screen.units[int(i)]], int(j), float(r))
            for i, j, r in zip(screen.unit_index, screen.phenotype_index, screen.ratio, strict=True)
        )
        edges[f"{knockout}_phenotype"] = _pairs([t[:2] for t in rows])
        edge_attrs[f"{knockout}_phenotype"] = {"ratio": np.array([t[2] for t in rows], dtype=float)}

    import cobra

    from omicsnet._version import __version__

    graph = PhenotypeGraph(
        name=name,
        genes=genes,
        proteins=proteins,
        reactions=reactions,
        metabolites=metabolites,
        phenotypes=kept,
        edges=edges,
        edge_attrs=edge_attrs,
        params=params,
        model_checksum=checksum,
        wild_type={p: float(screen.wild_type[p]) for p in kept},
        dropped_phenotypes=dropped,
        names={
            "gene": {g.id: str(g.name) for g in model.genes if g.name and g.name != g.id},
            "reaction": {r.id: str(r.name) for r in model.reactions if r.name and r.name != r.id},
        },
        provenance={
            "built": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "omicsnet_version": __version__,
            "cobra_version": cobra.__version__,
            "solver": type(condition.solver).__module__,
            "build_seconds": round(time.perf_counter() - start, 2),
            "screen_seconds": round(screen.seconds, 2),
            "screen_lps": int(sum(screen.lp_count.values())),
            "workers": int(workers),
            "prune": bool(prune),
        },
    )
    logger.info(
        "built %r in %.1f s (%d LPs)",
        graph,
        time.perf_counter() - start,
        graph.provenance["screen_lps"],
    )
    return graph


def build_artefact(
    source: Any,
    out: str | os.PathLike[str] | None = None,
    *,
    phenotypes: list[str] | tuple[str, ...] | None = None,
    knockout: str = "reaction",
    threshold: float = 0.95,
    medium: dict[str, float] | None = None,
    fixed_uptake: dict[str, float] | str | None = "default",
    workers: int = 1,
    prune: bool = True,
    progress: bool = True,
    name: str | None = None,
    overwrite: bool = False,
) -> tuple[PhenotypeGraph, Path]:
    """Build a phenotype graph and write it as a versioned artefact (``omicsnet knowledge build``).

    Parameters
    ----------
    source
        A :class:`cobra.Model` object, a bundled model name or a model file.
    out
        Folder holding artefact folders; the artefact goes to
        ``out/<name>[-<params key>]``. Default: the user's artefact cache
        (``$OMICSNET_CACHE/knowledge/phenotype_graphs`` or
        ``~/.cache/omicsnet/knowledge/phenotype_graphs``), where
        :func:`load_phenotype_graph` finds it; never the installed package or a source
        checkout (to update the artefacts committed in a checkout, pass
        ``out="knowledge/phenotype_graphs"``).
    phenotypes, knockout, threshold, medium, fixed_uptake, workers, prune, progress, name
        As :func:`build_phenotype_graph`.
    overwrite
        Replace an artefact omicsnet wrote before (a folder of other files is refused).

    Returns
    -------
    (PhenotypeGraph, Path)
        The graph and the artefact folder.

    Raises
    ------
    OutputExistsError
        The artefact folder exists and ``overwrite`` is false (checked before the screen).

    Examples
    --------
    >>> import cobra, tempfile
    >>> model = cobra.io.load_model("textbook")
    >>> model.reactions.ACALD.bounds = (0.0, 0.0)      # a user's edited model object
    >>> g, folder = build_artefact(model, tempfile.mkdtemp(), phenotypes=["Biomass_Ecoli_core"],
    ...                            progress=False)
    >>> folder.name.startswith("e_coli_core-"), PhenotypeGraph.load(folder).checksum == g.checksum
    (True, True)
    """
    from omicsnet.utils.output import check_output_dir

    model, default_name = resolve_model(source)
    name = name or default_name
    options: dict[str, Any] = {
        "phenotypes": phenotypes,
        "knockout": knockout,
        "threshold": threshold,
        "medium": medium,
        "fixed_uptake": fixed_uptake,
    }
    root = Path(out) if out is not None else art.user_knowledge_dir() / FOLDER
    folder = root / artefact_folder_name(name, graph_params(name, **options))
    check_output_dir(folder, overwrite=overwrite)  # before the (long) screen
    graph = build_phenotype_graph(
        model, name=name, workers=workers, prune=prune, progress=progress, **options
    )
    graph.save(folder, overwrite=overwrite)
    return graph, folder


def _pairs(pairs: list[tuple[int, int]] | list[tuple[int, ...]]) -> np.ndarray:
    return np.asarray(pairs, dtype=np.int64).reshape(-1, 2).T.copy()


# --------------------------------------------------------------------------------- loading
def artefact_folder_name(name: str, params: dict[str, Any]) -> str:
    """Folder name of a graph artefact: the model name, plus a parameter key when not default.

    Examples
    --------
    >>> artefact_folder_name("iJO1366", graph_params("iJO1366"))
    'iJO1366'
    >>> artefact_folder_name("iJO1366", graph_params("iJO1366", threshold=0.5))[:8]
    'iJO1366-'
    """
    if art.canonical_json(params) == art.canonical_json(graph_params(name)):
        return name
    return f"{name}-{art.params_key(params)}"


def artefact_locations(name: str, params: dict[str, Any], knowledge_dir: Any = None) -> list[Path]:
    """Where :func:`load_phenotype_graph` looks, in order: ``knowledge_dir``, the source
    checkout's ``knowledge/phenotype_graphs``, then the user cache.

    Examples
    --------
    >>> [p.name for p in artefact_locations("textbook", graph_params("textbook"), "/tmp/k")][0]
    'textbook'
    """
    folder = artefact_folder_name(name, params)
    roots = [Path(knowledge_dir)] if knowledge_dir is not None else []
    repo = art.repo_knowledge_dir()
    if repo is not None:
        roots.append(repo / FOLDER)
    roots.append(art.user_knowledge_dir() / FOLDER)
    out: list[Path] = []
    for root in roots:
        if root / folder not in out:
            out.append(root / folder)
    return out


def load_phenotype_graph(
    source: Any = "textbook",
    *,
    phenotypes: list[str] | tuple[str, ...] | None = None,
    knockout: str = "reaction",
    threshold: float = 0.95,
    medium: dict[str, float] | None = None,
    fixed_uptake: dict[str, float] | str | None = "default",
    workers: int = 1,
    prune: bool = True,
    progress: bool = True,
    cache: bool = True,
    knowledge_dir: str | os.PathLike[str] | None = None,
) -> PhenotypeGraph:
    """The graph of a model: from a matching cached artefact, else built (and cached).

    An artefact matches when its schema version, recipe, parameters and input model
    checksum all equal the wanted ones; each mismatch is logged with its reason and the
    next location is tried (see :func:`artefact_locations`). When none matches the graph
    is built with :func:`build_phenotype_graph` and, with ``cache=True``, written to the
    user cache (never into the source checkout).

    Parameters
    ----------
    source, phenotypes, knockout, threshold, medium, fixed_uptake, workers, prune, progress
        As :func:`build_phenotype_graph`.
    cache
        Read and write artefacts; ``False`` always builds.
    knowledge_dir
        An extra folder to look in first (holding ``<name>/`` artefact folders).

    Examples
    --------
    >>> g = load_phenotype_graph("textbook", progress=False)
    >>> g.name, g.phenotypes[0]
    ('textbook', 'Biomass_Ecoli_core')
    """
    model, name = resolve_model(source)
    params = graph_params(
        name,
        phenotypes=phenotypes,
        knockout=knockout,
        threshold=threshold,
        medium=medium,
        fixed_uptake=fixed_uptake,
    )
    kwargs = dict(
        phenotypes=phenotypes,
        knockout=knockout,
        threshold=threshold,
        medium=medium,
        fixed_uptake=fixed_uptake,
        workers=workers,
        prune=prune,
        progress=progress,
    )
    if not cache:
        return build_phenotype_graph(model, name=name, **kwargs)
    inputs = {"model": model_checksum(model)}
    for folder in artefact_locations(name, params, knowledge_dir):
        if not (folder / art.MANIFEST).is_file():
            continue
        try:
            manifest = art.read_manifest(folder)
            reason = art.artefact_mismatch(manifest, RECIPE, params, inputs)
            if reason is None and manifest.get("schema_version") != SCHEMA_VERSION:
                reason = f"schema version {manifest.get('schema_version')} != {SCHEMA_VERSION}"
            if reason is None:
                graph = PhenotypeGraph.load(folder)
                logger.info("loaded %r from %s", graph, folder)
                return graph
        except (DataError, DataNotFoundError) as err:
            reason = str(err)
        logger.warning("not using the knowledge artefact %s: %s", folder, reason)
    logger.warning("building the %s phenotype graph (essentiality screen; can take minutes)", name)
    graph = build_phenotype_graph(model, name=name, **kwargs)
    target = art.user_knowledge_dir() / FOLDER / artefact_folder_name(name, params)
    try:
        graph.save(target, overwrite=True)
        logger.info("cached the graph in %s", target)
    except OSError as err:
        logger.warning("could not write the knowledge artefact %s: %s", target, err)
    return graph
