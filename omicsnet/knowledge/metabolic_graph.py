"""Metabolite–protein graphs from genome-scale metabolic models (COBRA).

A :class:`MetaboliteProteinGraph` is two tables and a membership list:

``nodes``
    One row per node: ``id``, ``type`` (``"metabolite"`` or ``"protein"``), ``name``,
    ``formula``, ``charge`` (as stored in the model), ``mass`` (neutral monoisotopic mass,
    see :mod:`omicsnet.knowledge.masses`; ``NaN`` for generic formulas and proteins),
    ``currency`` (excluded cofactor, see below), ``compartments``, cross-references
    ``kegg``, ``hmdb``, ``chebi``, ``bigg`` (``;``-separated when several; HMDB ids in
    the current 7-digit form), and for proteins ``genes`` (the model's gene ids) and
    ``uniprot``.
``edges``
    ``source``, ``target``, ``cost``, ``kind`` and ``reactions``. Metabolic edges have
    ``kind="metabolite-protein"``, the metabolite as ``source`` and the enzyme as
    ``target``; the graph is undirected, so the orientation is only a convention. Each
    metabolite–enzyme pair appears once; ``reactions`` lists the reactions that link them.
    Edges added from an interactome have ``kind="protein-protein"``.
``memberships``
    ``node`` and ``subsystem`` pairs: the proteins and (non-currency) metabolites of each
    reaction's subsystem, for enrichment (:meth:`MetaboliteProteinGraph.subsystem_sets`).

How a model becomes a graph
---------------------------
* **Compartments collapse.** Copies of a metabolite in different compartments are one
  node: Human-GEM ``MAM00001c``/``MAM00001e`` → ``MAM00001``, BiGG ``glc__D_c``/``glc__D_e``
  → ``glc__D``. By default (``base_id="auto"``) the metabolite's compartment suffix is
  removed when the model follows one of these conventions; a mapping or a function can be
  given instead (Human-GEM's ``metsNoComp`` column is used by :func:`load_human_gem`).
  A transporter is therefore linked to the transported metabolite once, not per side.
* **Enzymes come from gene–protein–reaction rules.** Every gene in a reaction's GPR
  becomes a protein node linked to every non-currency metabolite of that reaction. The
  AND/OR structure is deliberately flattened: subunits of a complex (AND) and isozymes
  (OR) are all enzymes of the reaction. Reactions without genes add no edges (their
  metabolites remain nodes and subsystem members). Gene ids can be renamed to symbols
  with ``gene_map`` (interactomes use symbols); genes mapping to the same symbol become
  one node.
* **Currency metabolites are left out of edges.** Water, protons, ATP/ADP, NAD(P)(H),
  CO2, phosphate, CoA, O2, … take part in hundreds of reactions; linking them would put
  every enzyme two steps from every other one and drown any network search. They stay in
  ``nodes`` (``currency=True``, so m/z matching still finds them) but get no edges and no
  subsystem membership. The list is matched against the collapsed id, the BiGG
  cross-reference and the name, so the default list of BiGG ids
  (:data:`DEFAULT_CURRENCY_METABOLITES`) works for BiGG models and Human-GEM alike; pass
  ``currency=`` to change it.

Examples
--------
>>> import pandas as pd
>>> g = MetaboliteProteinGraph(
...     nodes=pd.DataFrame({"id": ["pyr", "PYK"], "type": ["metabolite", "protein"]}),
...     edges=pd.DataFrame({"source": ["pyr"], "target": ["PYK"], "cost": [0.5],
...                         "kind": ["metabolite-protein"]}),
... )
>>> g
MetaboliteProteinGraph(1 metabolites, 1 proteins, 1 edges, 0 subsystems)
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from omicsnet.errors import ConfigError, DataError, DataNotFoundError
from omicsnet.knowledge.masses import monoisotopic_mass
from omicsnet.knowledge.pyg import pyg_hetero_data

if TYPE_CHECKING:  # pragma: no cover
    import cobra
    import networkx
    from torch_geometric.data import HeteroData

    from omicsnet.knowledge.adducts import MatchResult

logger = logging.getLogger(__name__)

#: BiGG ids of the currency/cofactor metabolites left out of edges by default.
DEFAULT_CURRENCY_METABOLITES: frozenset[str] = frozenset(
    {
        "h2o",  # water
        "h",  # proton
        "atp",
        "adp",
        "amp",
        "gtp",
        "gdp",
        "nad",
        "nadh",
        "nadp",
        "nadph",
        "fad",
        "fadh2",
        "co2",
        "hco3",
        "pi",  # phosphate
        "ppi",  # diphosphate
        "o2",
        "h2o2",
        "coa",
        "nh4",
        "q8",  # ubiquinone-8 / ubiquinol-8 (E. coli)
        "q8h2",
        "q10",  # ubiquinone-10 / ubiquinol-10 (human)
        "q10h2",
        "na1",  # Na+
        "k",  # K+
    }
)

#: Default cost of a metabolite–protein edge: about the median cost of the iRefIndex
#: MI-score interactome (0.6), so metabolic links are neither favoured nor penalised
#: against protein–protein links in a Steiner-forest search.
DEFAULT_METABOLITE_PROTEIN_COST = 0.5

NODE_COLUMNS = [
    "id",
    "type",
    "name",
    "formula",
    "charge",
    "mass",
    "currency",
    "compartments",
    "kegg",
    "hmdb",
    "chebi",
    "bigg",
    "genes",
    "uniprot",
]
EDGE_COLUMNS = ["source", "target", "cost", "kind", "reactions"]
_TEXT_NODE_COLUMNS = [
    "formula",
    "compartments",
    "kegg",
    "hmdb",
    "chebi",
    "bigg",
    "genes",
    "uniprot",
]
_CACHE_FORMAT = 1
CACHE_ENV_VAR = "OMICSNET_CACHE"
HUMAN_GEM_DIR = "metabolic_models/human_gem"


def _join(values: Iterable[Any]) -> str:
    """``;``-join unique, non-empty values, keeping their first order."""
    seen: dict[str, None] = {}
    for value in values:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        for part in str(value).split(";"):
            part = part.strip()
            if part:
                seen.setdefault(part, None)
    return ";".join(seen)


def _normalise_hmdb(value: str) -> str:
    """HMDB ids in the 7-digit form: ``HMDB00243`` → ``HMDB0000243``."""
    out = []
    for part in value.split(";"):
        match = re.fullmatch(r"HMDB(\d+)", part.strip())
        out.append(f"HMDB{int(match.group(1)):07d}" if match else part.strip())
    return _join(out)


def _annotation(metabolite: Any, key: str) -> str:
    value = (getattr(metabolite, "annotation", None) or {}).get(key)
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return _join(value)
    return _join([value])


def _base_id_function(
    model: cobra.Model, base_id: str | Mapping[str, str] | Callable[[Any], str] | None
) -> Callable[[Any], str]:
    """How to turn a compartment-specific metabolite into its collapsed id."""
    if base_id is None:
        return lambda met: met.id
    if callable(base_id):
        return base_id
    if isinstance(base_id, Mapping):
        mapping = dict(base_id)
        return lambda met: mapping.get(met.id, met.id)
    if base_id != "auto":
        raise ConfigError(f"base_id must be 'auto', None, a mapping or a function, got {base_id!r}")
    mets = list(model.metabolites)
    if not mets:
        return lambda met: met.id
    underscore = sum(bool(m.compartment) and m.id.endswith("_" + m.compartment) for m in mets)
    plain = sum(bool(m.compartment) and m.id.endswith(m.compartment) for m in mets)
    compartments = sorted(
        {m.compartment for m in mets if m.compartment} | set(model.compartments),
        key=len,
        reverse=True,
    )
    if underscore >= 0.75 * len(mets):
        sep = "_"
    elif plain >= 0.75 * len(mets):
        sep = ""
    else:
        logger.info(
            "metabolite ids of %s carry no compartment suffix; compartments are not collapsed",
            model.id,
        )
        return lambda met: met.id

    def strip(met: Any) -> str:
        if met.compartment and met.id.endswith(sep + met.compartment):
            return met.id[: len(met.id) - len(sep + met.compartment)]
        for comp in compartments:  # a suffix that disagrees with the compartment field
            if met.id.endswith(sep + comp) and len(met.id) > len(sep + comp):
                logger.debug(
                    "metabolite %s is in compartment %r but its id ends with %r",
                    met.id,
                    met.compartment,
                    comp,
                )
                return met.id[: len(met.id) - len(sep + comp)]
        return met.id

    return strip


def _gene_mapper(
    gene_map: Mapping[str, str] | pd.Series | None, protein_ids: str
) -> Callable[[Any], str]:
    if protein_ids not in ("id", "name"):
        raise ConfigError(f"protein_ids must be 'id' or 'name', got {protein_ids!r}")
    mapping: dict[str, str] = {}
    if gene_map is not None:
        items = gene_map.items() if isinstance(gene_map, (Mapping, pd.Series)) else None
        if items is None:
            raise ConfigError("gene_map must be a mapping or a pandas Series (gene id → symbol)")
        mapping = {str(k): str(v).strip() for k, v in items if isinstance(v, str) and v.strip()}

    def protein_id(gene: Any) -> str:
        if gene.id in mapping:
            return mapping[gene.id]
        if protein_ids == "name" and getattr(gene, "name", ""):
            return str(gene.name).strip()
        return gene.id

    return protein_id


def _subsystems(model: cobra.Model) -> dict[str, list[str]]:
    """Reaction id → subsystems, from ``reaction.subsystem`` and SBML groups."""
    out: dict[str, list[str]] = {}
    for reaction in model.reactions:
        value = reaction.subsystem
        values = value if isinstance(value, (list, tuple, np.ndarray)) else [value]
        names = [str(v).strip() for v in values if v is not None and str(v).strip()]
        if names:
            out[reaction.id] = names
    for group in getattr(model, "groups", []):
        name = (group.name or group.id or "").strip()
        if not name:
            continue
        for member in group.members:
            if getattr(member, "id", None) in model.reactions:
                out.setdefault(member.id, [])
                if name not in out[member.id]:
                    out[member.id].append(name)
    return out


@dataclass
class MetaboliteProteinGraph:
    """A metabolite–protein graph: ``nodes``, ``edges`` and subsystem ``memberships``.

    See the module docstring for the columns and for how a COBRA model becomes a graph.
    Build one with :meth:`from_cobra_model`, :func:`load_human_gem` or
    :func:`load_cobra_graph`; add a protein–protein interactome with
    :meth:`add_interactome`; export with :meth:`to_networkx` or :meth:`to_pyg`.

    Examples
    --------
    >>> import pandas as pd
    >>> g = MetaboliteProteinGraph(
    ...     nodes=pd.DataFrame({"id": ["glc", "HK1"], "type": ["metabolite", "protein"]}),
    ...     edges=pd.DataFrame({"source": ["glc"], "target": ["HK1"], "cost": [0.5],
    ...                         "kind": ["metabolite-protein"]}),
    ...     memberships=pd.DataFrame({"node": ["glc", "HK1"], "subsystem": ["Glycolysis"] * 2}),
    ... )
    >>> sorted(g.subsystem_sets()["Glycolysis"])
    ['HK1', 'glc']
    >>> g.edges.columns.tolist()
    ['source', 'target', 'cost', 'kind', 'reactions']
    """

    nodes: pd.DataFrame
    edges: pd.DataFrame
    memberships: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame({"node": [], "subsystem": []}, dtype=object)
    )
    name: str = ""

    def __post_init__(self) -> None:
        nodes = self.nodes.copy()
        if "id" not in nodes.columns or "type" not in nodes.columns:
            raise DataError("graph nodes need 'id' and 'type' columns")
        for column in NODE_COLUMNS:
            if column not in nodes.columns:
                nodes[column] = False if column == "currency" else np.nan
        nodes["id"] = nodes["id"].astype(str)
        for column in _TEXT_NODE_COLUMNS:
            nodes[column] = [v if isinstance(v, str) else "" for v in nodes[column]]
        nodes["name"] = [
            name if isinstance(name, str) and name else node
            for name, node in zip(nodes["name"], nodes["id"], strict=True)
        ]
        nodes["charge"] = pd.to_numeric(nodes["charge"], errors="coerce").astype(float)
        nodes["mass"] = pd.to_numeric(nodes["mass"], errors="coerce").astype(float)
        nodes["currency"] = [_truthy(v) for v in nodes["currency"]]
        extra = [c for c in nodes.columns if c not in NODE_COLUMNS]
        self.nodes = nodes[NODE_COLUMNS + extra].reset_index(drop=True)
        if self.nodes["id"].duplicated().any():
            dup = self.nodes["id"][self.nodes["id"].duplicated(keep=False)]
            clash = self.nodes[self.nodes["id"].isin(dup)]
            raise DataError(
                "node ids must be unique across metabolites and proteins; duplicated: "
                f"{sorted(set(dup))[:10]} (types {sorted(set(clash['type']))}). "
                "Rename genes with gene_map= or metabolites with base_id="
            )
        bad_types = set(self.nodes["type"]) - {"metabolite", "protein"}
        if bad_types:
            raise DataError(f"node type must be 'metabolite' or 'protein', got {bad_types}")
        edges = self.edges.copy()
        for column in ("source", "target", "cost"):
            if column not in edges.columns:
                raise DataError(f"graph edges need a {column!r} column")
        if "kind" not in edges.columns:  # infer from the node types
            type_of = dict(zip(self.nodes["id"], self.nodes["type"], strict=True))
            edges["kind"] = [
                "-".join(sorted((type_of.get(str(s), "?"), type_of.get(str(t), "?"))))
                for s, t in zip(edges["source"], edges["target"], strict=True)
            ]
        if "reactions" not in edges.columns:
            edges["reactions"] = ""
        edges["source"] = edges["source"].astype(str)
        edges["target"] = edges["target"].astype(str)
        edges["cost"] = pd.to_numeric(edges["cost"], errors="coerce").astype(float)
        bad_cost = edges["cost"].isna() | (edges["cost"] < 0)
        if bad_cost.any():
            row = edges[bad_cost].iloc[0]
            raise DataError(
                f"edge costs must be numbers ≥ 0; {int(bad_cost.sum())} are not, first "
                f"{row['source']!r} - {row['target']!r}"
            )
        edges["reactions"] = edges["reactions"].fillna("").astype(str)
        extra = [c for c in edges.columns if c not in EDGE_COLUMNS]
        self.edges = edges[EDGE_COLUMNS + extra].reset_index(drop=True)
        unknown = ~(self.edges["source"].isin(self.nodes["id"])) | ~(
            self.edges["target"].isin(self.nodes["id"])
        )
        if unknown.any():
            row = self.edges[unknown].iloc[0]
            raise DataError(
                f"{int(unknown.sum())} edge(s) name nodes that are not in the node table, "
                f"first {row['source']!r} - {row['target']!r}"
            )
        memberships = self.memberships
        if not {"node", "subsystem"} <= set(memberships.columns):
            raise DataError("memberships need 'node' and 'subsystem' columns")
        self.memberships = memberships[["node", "subsystem"]].astype(str).reset_index(drop=True)

    def __repr__(self) -> str:
        counts = self.nodes["type"].value_counts()
        label = f"{self.name}: " if self.name else ""
        return (
            f"MetaboliteProteinGraph({label}{int(counts.get('metabolite', 0))} metabolites, "
            f"{int(counts.get('protein', 0))} proteins, {len(self.edges)} edges, "
            f"{self.memberships['subsystem'].nunique()} subsystems)"
        )

    # ------------------------------------------------------------------ building
    @classmethod
    def from_cobra_model(
        cls,
        model: cobra.Model,
        *,
        currency: Iterable[str] | None = None,
        gene_map: Mapping[str, str] | pd.Series | None = None,
        protein_ids: str = "id",
        base_id: str | Mapping[str, str] | Callable[[Any], str] | None = "auto",
        metabolite_xrefs: pd.DataFrame | None = None,
        gene_info: pd.DataFrame | None = None,
        cost: float = DEFAULT_METABOLITE_PROTEIN_COST,
    ) -> MetaboliteProteinGraph:
        """Build the graph of any COBRA model (see the module docstring for the rules).

        Parameters
        ----------
        model
            A :class:`cobra.Model`.
        currency
            Metabolites to leave out of edges, matched against the collapsed id, the BiGG
            cross-reference and the name. Default :data:`DEFAULT_CURRENCY_METABOLITES`;
            ``[]`` keeps every metabolite.
        gene_map
            Gene id → protein node id (e.g. Ensembl → symbol). Unmapped genes keep their
            id (or name, see ``protein_ids``).
        protein_ids
            ``"id"`` (default: the model's gene ids, e.g. E. coli b-numbers) or ``"name"``
            (the gene's name, e.g. ``adhE``, where the model has one).
        base_id
            How compartment copies are collapsed: ``"auto"`` (strip the compartment
            suffix), ``None`` (no collapsing), a mapping metabolite id → node id, or a
            function of a :class:`cobra.Metabolite`.
        metabolite_xrefs
            Extra cross-references indexed by node id (collapsed) or model metabolite id,
            with any of the columns ``kegg``, ``hmdb``, ``chebi``, ``bigg``; they take
            precedence over the model's annotations.
        gene_info
            Extra protein attributes indexed by gene id, with any of ``name`` and
            ``uniprot``.
        cost
            Cost of every metabolite–protein edge (≥ 0).

        Returns
        -------
        MetaboliteProteinGraph

        Raises
        ------
        ConfigError
            Bad ``protein_ids``, ``base_id`` or cost.
        DataError
            A protein and a metabolite end up with the same node id.

        Examples
        --------
        >>> from cobra.io import load_model
        >>> g = MetaboliteProteinGraph.from_cobra_model(load_model("textbook"))
        >>> pfk = g.edges[g.edges["reactions"].str.split(";").map(lambda r: "PFK" in r)]
        >>> sorted(zip(pfk["source"], pfk["target"]))  # atp + f6p -> adp + fdp + h
        [('f6p', 'b1723'), ('f6p', 'b3916'), ('fdp', 'b1723'), ('fdp', 'b3916')]
        >>> bool(g.nodes.set_index("id").loc["atp", "currency"])
        True
        """
        cost = float(cost)
        if not math.isfinite(cost) or cost < 0:
            raise ConfigError(f"metabolite-protein edge cost must be ≥ 0, got {cost}")
        currency_set = set(DEFAULT_CURRENCY_METABOLITES if currency is None else currency)
        base_of = _base_id_function(model, base_id)
        protein_of = _gene_mapper(gene_map, protein_ids)
        xrefs: dict[str, dict[str, Any]] = {}
        if metabolite_xrefs is not None and len(metabolite_xrefs):
            table = metabolite_xrefs[~metabolite_xrefs.index.duplicated()]
            table = table[[c for c in ("kegg", "hmdb", "chebi", "bigg") if c in table.columns]]
            xrefs = {str(k): v for k, v in table.to_dict("index").items()}
        info = gene_info if gene_info is not None else pd.DataFrame()

        # Metabolite nodes (compartment copies collapsed).
        met_rows: dict[str, dict[str, Any]] = {}
        node_of_met: dict[str, str] = {}
        for met in model.metabolites:
            node = str(base_of(met))
            node_of_met[met.id] = node
            row = met_rows.get(node)
            if row is None:
                row = {
                    "id": node,
                    "type": "metabolite",
                    "name": met.name or node,
                    "formula": met.formula or "",
                    "charge": met.charge,
                    "comps": [],
                    "kegg": [],
                    "hmdb": [],
                    "chebi": [],
                    "bigg": [],
                }
                met_rows[node] = row
            elif (met.formula or "") != row["formula"] and met.formula:
                logger.debug(
                    "metabolite %s: formula %s differs from %s of its other compartment copy",
                    met.id,
                    met.formula,
                    row["formula"],
                )
            if met.compartment:
                row["comps"].append(met.compartment)
            for column, key in (
                ("kegg", "kegg.compound"),
                ("hmdb", "hmdb"),
                ("chebi", "chebi"),
                ("bigg", "bigg.metabolite"),
            ):
                for lookup in (node, met.id):
                    value = xrefs.get(lookup, {}).get(column)
                    if isinstance(value, str) and value.strip():
                        row[column].append(value)
                row[column].append(_annotation(met, key))
        met_nodes = []
        mass_cache: dict[tuple[str, Any], float | None] = {}
        for row in met_rows.values():
            key = (row["formula"], row["charge"])
            if key not in mass_cache:
                mass_cache[key] = monoisotopic_mass(row["formula"], row["charge"])
            mass = mass_cache[key]
            bigg = _join(row["bigg"])
            names = {row["id"], row["name"], *bigg.split(";")}
            charge = row["charge"]
            met_nodes.append(
                {
                    "id": row["id"],
                    "type": "metabolite",
                    "name": row["name"],
                    "formula": row["formula"],
                    "charge": float(charge) if charge is not None else np.nan,
                    "mass": np.nan if mass is None else mass,
                    "currency": bool(names & currency_set),
                    "compartments": _join(sorted(set(row["comps"]))),
                    "kegg": _join(row["kegg"]),
                    "hmdb": _normalise_hmdb(_join(row["hmdb"])),
                    "chebi": _join(row["chebi"]),
                    "bigg": bigg,
                }
            )
        met_frame = pd.DataFrame(met_nodes)
        currency_nodes = (
            set(met_frame.loc[met_frame["currency"], "id"]) if len(met_frame) else set()
        )

        # Protein nodes from GPR genes.
        prot_rows: dict[str, dict[str, Any]] = {}
        node_of_gene: dict[str, str] = {}
        for gene in model.genes:
            node = protein_of(gene)
            node_of_gene[gene.id] = node
            row = prot_rows.setdefault(
                node, {"id": node, "type": "protein", "genes": [], "names": [], "uniprot": []}
            )
            row["genes"].append(gene.id)
            if "name" in info.columns and gene.id in info.index:
                row["names"].append(info.at[gene.id, "name"])
            if getattr(gene, "name", ""):
                row["names"].append(gene.name)
            if "uniprot" in info.columns and gene.id in info.index:
                row["uniprot"].append(info.at[gene.id, "uniprot"])
            row["uniprot"].append(_annotation(gene, "uniprot"))
        prot_frame = pd.DataFrame(
            [
                {
                    "id": row["id"],
                    "type": "protein",
                    "name": (_join(row["names"]).split(";")[0] or row["id"]),
                    "genes": _join(row["genes"]),
                    "uniprot": _join(row["uniprot"]),
                }
                for row in prot_rows.values()
            ],
            columns=["id", "type", "name", "genes", "uniprot"],
        )

        # Edges and subsystem memberships from reactions.
        reaction_subsystems = _subsystems(model)
        pairs: list[tuple[str, str, str]] = []
        members: set[tuple[str, str]] = set()
        for reaction in model.reactions:
            mets = sorted({node_of_met[m.id] for m in reaction.metabolites} - currency_nodes)
            proteins = sorted({node_of_gene[g.id] for g in reaction.genes})
            for met in mets:
                for protein in proteins:
                    pairs.append((met, protein, reaction.id))
            for subsystem in reaction_subsystems.get(reaction.id, []):
                members.update((node, subsystem) for node in (*mets, *proteins))
        if pairs:
            raw = pd.DataFrame(pairs, columns=["source", "target", "reaction"])
            edges = (
                raw.groupby(["source", "target"], sort=True)["reaction"]
                .agg(";".join)
                .rename("reactions")
                .reset_index()
            )
        else:
            edges = pd.DataFrame({"source": [], "target": [], "reactions": []}, dtype=object)
        edges["cost"] = cost
        edges["kind"] = "metabolite-protein"
        memberships = pd.DataFrame(sorted(members), columns=["node", "subsystem"])
        nodes = pd.concat([met_frame, prot_frame], ignore_index=True)
        graph = cls(nodes=nodes, edges=edges, memberships=memberships, name=str(model.id or ""))
        logger.info("built %r", graph)
        return graph

    # ------------------------------------------------------------------ queries
    @property
    def metabolites(self) -> pd.DataFrame:
        """The metabolite rows of :attr:`nodes`.

        Examples
        --------
        >>> import pandas as pd
        >>> g = MetaboliteProteinGraph(pd.DataFrame({"id": ["a"], "type": ["metabolite"]}),
        ...                            pd.DataFrame({"source": [], "target": [], "cost": []}))
        >>> g.metabolites["id"].tolist()
        ['a']
        """
        return self.nodes[self.nodes["type"] == "metabolite"].reset_index(drop=True)

    @property
    def proteins(self) -> pd.DataFrame:
        """The protein rows of :attr:`nodes`.

        Examples
        --------
        >>> import pandas as pd
        >>> g = MetaboliteProteinGraph(pd.DataFrame({"id": ["P"], "type": ["protein"]}),
        ...                            pd.DataFrame({"source": [], "target": [], "cost": []}))
        >>> len(g.proteins)
        1
        """
        return self.nodes[self.nodes["type"] == "protein"].reset_index(drop=True)

    def subsystem_sets(
        self, node_type: str | None = None, min_size: int = 1
    ) -> dict[str, set[str]]:
        """Subsystem → set of node ids, a gene-set collection for enrichment.

        Members of a subsystem are the proteins (from GPRs) and non-currency metabolites of
        its reactions. The natural background is :attr:`nodes` of the same type
        (excluding currency metabolites).

        Parameters
        ----------
        node_type
            ``"protein"``, ``"metabolite"`` or ``None`` (both).
        min_size
            Drop subsystems with fewer members.

        Examples
        --------
        >>> import pandas as pd
        >>> g = MetaboliteProteinGraph(
        ...     pd.DataFrame({"id": ["a", "P"], "type": ["metabolite", "protein"]}),
        ...     pd.DataFrame({"source": ["a"], "target": ["P"], "cost": [0.5]}),
        ...     pd.DataFrame({"node": ["a", "P"], "subsystem": ["TCA", "TCA"]}))
        >>> g.subsystem_sets("protein")
        {'TCA': {'P'}}
        """
        if node_type not in (None, "protein", "metabolite"):
            raise ConfigError(
                f"node_type must be 'protein', 'metabolite' or None, got {node_type!r}"
            )
        members = self.memberships
        if node_type is not None:
            ids = set(self.nodes.loc[self.nodes["type"] == node_type, "id"])
            members = members[members["node"].isin(ids)]
        sets: dict[str, set[str]] = {}
        for subsystem, node in zip(members["subsystem"], members["node"], strict=True):
            sets.setdefault(subsystem, set()).add(node)
        return {k: v for k, v in sorted(sets.items()) if len(v) >= min_size}

    def match_mz(
        self, peaks: pd.DataFrame, mode: str | None = "positive", **kwargs: Any
    ) -> MatchResult:
        """Match m/z peaks to this graph's metabolites (see :func:`.adducts.match_mz`).

        Examples
        --------
        >>> import pandas as pd
        >>> g = MetaboliteProteinGraph(
        ...     pd.DataFrame({"id": ["glc"], "type": ["metabolite"], "mass": [180.06339]}),
        ...     pd.DataFrame({"source": [], "target": [], "cost": []}))
        >>> g.match_mz(pd.DataFrame({"mz": [181.0707]})).matches["metabolite_id"].tolist()
        ['glc']
        """
        from omicsnet.knowledge.adducts import match_mz

        return match_mz(peaks, self.nodes, mode, **kwargs)

    # ------------------------------------------------------------------ combining
    def add_interactome(
        self, interactome: pd.DataFrame, metabolite_protein_cost: float | None = None
    ) -> MetaboliteProteinGraph:
        """Return a new graph with protein–protein edges added.

        Proteins of the interactome that the model lacks become protein nodes. Parallel
        edges keep the lowest cost (see :func:`~omicsnet.knowledge.interactome.merge_edge_tables`).

        Parameters
        ----------
        interactome
            Edge table with ``source``, ``target``, ``cost`` (as returned by
            :func:`~omicsnet.knowledge.interactome.read_interactome`).
        metabolite_protein_cost
            New cost of the metabolite–protein edges; ``None`` keeps the current costs.

        Raises
        ------
        DataError
            An interactome node has the id of a metabolite.

        Examples
        --------
        >>> import pandas as pd
        >>> g = MetaboliteProteinGraph(
        ...     pd.DataFrame({"id": ["glc", "HK1"], "type": ["metabolite", "protein"]}),
        ...     pd.DataFrame({"source": ["glc"], "target": ["HK1"], "cost": [0.5]}))
        >>> ppi = pd.DataFrame({"source": ["HK1"], "target": ["TP53"], "cost": [0.2]})
        >>> g2 = g.add_interactome(ppi, metabolite_protein_cost=0.3)
        >>> g2.edges[["source", "target", "cost", "kind"]].values.tolist()
        [['glc', 'HK1', 0.3, 'metabolite-protein'], ['HK1', 'TP53', 0.2, 'protein-protein']]
        """
        from omicsnet.knowledge.interactome import merge_edge_tables

        ppi = interactome.copy()
        if "kind" not in ppi.columns:
            ppi["kind"] = "protein-protein"
        ppi_nodes = pd.unique(pd.concat([ppi["source"], ppi["target"]]).astype(str))
        met_ids = set(self.nodes.loc[self.nodes["type"] == "metabolite", "id"])
        clash = [n for n in ppi_nodes if n in met_ids]
        if clash:
            raise DataError(
                f"interactome nodes {clash[:10]} have the ids of metabolites in the graph"
            )
        known = set(self.nodes["id"])
        new = [n for n in ppi_nodes if n not in known]
        nodes = pd.concat(
            [self.nodes, pd.DataFrame({"id": new, "type": "protein", "name": new})],
            ignore_index=True,
        )
        own = self.edges.copy()
        if metabolite_protein_cost is not None:
            cost = float(metabolite_protein_cost)
            if not math.isfinite(cost) or cost < 0:
                raise ConfigError(f"metabolite-protein edge cost must be ≥ 0, got {cost}")
            own.loc[own["kind"] == "metabolite-protein", "cost"] = cost
        edges = merge_edge_tables(own, ppi)
        logger.info("added %d interactome edges and %d new proteins", len(ppi), len(new))
        return MetaboliteProteinGraph(
            nodes=nodes, edges=edges, memberships=self.memberships, name=self.name
        )

    # ------------------------------------------------------------------ export
    def to_networkx(self) -> networkx.Graph:
        """An undirected :class:`networkx.Graph` with node and edge attributes.

        Missing (``NaN``/empty) attributes are left out, so the graph writes to GraphML.

        Examples
        --------
        >>> import pandas as pd
        >>> g = MetaboliteProteinGraph(
        ...     pd.DataFrame({"id": ["glc", "HK1"], "type": ["metabolite", "protein"],
        ...                   "mass": [180.06339, None]}),
        ...     pd.DataFrame({"source": ["glc"], "target": ["HK1"], "cost": [0.5]}))
        >>> G = g.to_networkx()
        >>> G.nodes["glc"]["mass"], G.edges["glc", "HK1"]["cost"]
        (180.06339, 0.5)
        """
        import networkx as nx

        graph = nx.Graph(name=self.name)
        for record in self.nodes.to_dict("records"):
            attrs = {k: _plain(v) for k, v in record.items() if k != "id" and not _missing(v)}
            graph.add_node(record["id"], **attrs)
        sources, targets = self.edges["source"].tolist(), self.edges["target"].tolist()
        graph.add_edges_from(zip(sources, targets, strict=True))
        for column in self.edges.columns.drop(["source", "target"]):
            values = self.edges[column]
            keep = ~(values.isna() | (values.astype(str) == "")).to_numpy()
            pairs = zip(np.asarray(sources)[keep], np.asarray(targets)[keep], strict=True)
            nx.set_edge_attributes(
                graph, dict(zip(pairs, values[keep].tolist(), strict=True)), name=column
            )
        return graph

    def to_pyg(self, undirected: bool = True) -> HeteroData:
        """A :class:`torch_geometric.data.HeteroData` with node types metabolite/protein.

        Node order is that of :attr:`nodes` within each type and is stored as
        ``data[type].node_id`` (a list of ids); metabolites carry ``data["metabolite"].mass``
        (``NaN`` where unknown). Edge types are ``("metabolite", "reacts_with", "protein")``
        and ``("protein", "interacts_with", "protein")`` (other kinds use their name), each
        with a ``cost`` vector. With ``undirected=True`` the reverse of every edge is added:
        ``("protein", "rev_reacts_with", "metabolite")``, and both directions of
        protein–protein edges.

        Examples
        --------
        >>> import pandas as pd
        >>> g = MetaboliteProteinGraph(
        ...     pd.DataFrame({"id": ["glc", "HK1"], "type": ["metabolite", "protein"]}),
        ...     pd.DataFrame({"source": ["glc"], "target": ["HK1"], "cost": [0.5]}))
        >>> data = g.to_pyg()
        >>> data["metabolite", "reacts_with", "protein"].edge_index.tolist()
        [[0], [0]]
        >>> data["protein"].node_id
        ['HK1']
        """
        import torch

        HeteroData = pyg_hetero_data()
        data = HeteroData()
        type_of: dict[str, str] = {}
        index_of: dict[str, int] = {}
        for node_type in ("metabolite", "protein"):
            rows = self.nodes[self.nodes["type"] == node_type]
            ids = rows["id"].tolist()
            data[node_type].num_nodes = len(ids)
            data[node_type].node_id = ids
            type_of.update(dict.fromkeys(ids, node_type))
            index_of.update({node: i for i, node in enumerate(ids)})
            if node_type == "metabolite":
                data[node_type].mass = torch.tensor(
                    pd.to_numeric(rows["mass"], errors="coerce").to_numpy(dtype=float),
                    dtype=torch.float32,
                )
        relation_of = {"metabolite-protein": "reacts_with", "protein-protein": "interacts_with"}
        edges = self.edges
        s_type = edges["source"].map(type_of).to_numpy(dtype=object)
        t_type = edges["target"].map(type_of).to_numpy(dtype=object)
        s_pos = edges["source"].map(index_of).to_numpy(dtype=np.int64)
        t_pos = edges["target"].map(index_of).to_numpy(dtype=np.int64)
        # metabolite–protein edges always run metabolite → protein
        swap = (s_type == "protein") & (t_type == "metabolite")
        s_type[swap], t_type[swap] = t_type[swap], s_type[swap]
        s_pos[swap], t_pos[swap] = t_pos[swap], s_pos[swap]
        relation = np.array(
            [
                relation_of.get(k, re.sub(r"\W+", "_", k) or "links")
                for k in edges["kind"].astype(str)
            ],
            dtype=object,
        )
        cost = edges["cost"].to_numpy(dtype=float)
        keys = pd.DataFrame({"s": s_type, "r": relation, "t": t_type})
        for (src, rel, dst), rows in keys.groupby(["s", "r", "t"], sort=True).indices.items():
            fwd = np.stack([s_pos[rows], t_pos[rows]])
            weights = cost[rows]
            if undirected and src == dst:
                fwd = np.concatenate([fwd, fwd[::-1]], axis=1)
                weights = np.concatenate([weights, weights])
            elif undirected:
                data[dst, "rev_" + rel, src].edge_index = torch.as_tensor(fwd[::-1].copy())
                data[dst, "rev_" + rel, src].cost = torch.as_tensor(weights, dtype=torch.float32)
            data[src, rel, dst].edge_index = torch.as_tensor(fwd)
            data[src, rel, dst].cost = torch.as_tensor(weights, dtype=torch.float32)
        return data

    # ------------------------------------------------------------------ persistence
    def save(self, folder: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write ``nodes.csv.gz``, ``edges.csv.gz``, ``memberships.csv.gz`` atomically.

        Examples
        --------
        >>> import pandas as pd, tempfile, pathlib
        >>> g = MetaboliteProteinGraph(pd.DataFrame({"id": ["a"], "type": ["metabolite"]}),
        ...                            pd.DataFrame({"source": [], "target": [], "cost": []}))
        >>> folder = g.save(pathlib.Path(tempfile.mkdtemp()) / "graph")
        >>> MetaboliteProteinGraph.load(folder).nodes["id"].tolist()
        ['a']
        """
        from omicsnet.utils.output import atomic_directory

        folder = Path(folder)
        with atomic_directory(folder, overwrite=overwrite) as tmp:
            for table_name in ("nodes", "edges", "memberships"):
                getattr(self, table_name).to_csv(tmp / f"{table_name}.csv.gz", index=False)
            (tmp / "graph.json").write_text(
                json.dumps({"name": self.name, "format": _CACHE_FORMAT}), encoding="utf-8"
            )
        return folder

    @classmethod
    def load(cls, folder: str | os.PathLike[str]) -> MetaboliteProteinGraph:
        """Read a graph written by :meth:`save`.

        Raises
        ------
        DataNotFoundError
            A table is missing.
        DataError
            A table cannot be read.

        Examples
        --------
        >>> import pandas as pd, tempfile, pathlib
        >>> g = MetaboliteProteinGraph(pd.DataFrame({"id": ["NA"], "type": ["metabolite"]}),
        ...                            pd.DataFrame({"source": [], "target": [], "cost": []}))
        >>> MetaboliteProteinGraph.load(g.save(pathlib.Path(tempfile.mkdtemp()) / "g")).nodes.id[0]
        'NA'
        """
        folder = Path(folder)
        tables = {}
        for table_name in ("nodes", "edges", "memberships"):
            path = folder / f"{table_name}.csv.gz"
            if not path.is_file():
                raise DataNotFoundError(f"graph table {path} does not exist")
            try:
                tables[table_name] = pd.read_csv(
                    path,
                    keep_default_na=False,
                    na_values=[""],
                    dtype={
                        "id": str,
                        "source": str,
                        "target": str,
                        "node": str,
                        "subsystem": str,
                        "name": str,
                        "formula": str,
                    },
                )
            except (ValueError, OSError, pd.errors.ParserError) as err:
                raise DataError(f"cannot read graph table {path}: {err}") from err
        meta_path = folder / "graph.json"
        name = json.loads(meta_path.read_text())["name"] if meta_path.is_file() else ""
        tables["edges"]["reactions"] = tables["edges"].get("reactions", "").fillna("")
        return cls(
            nodes=tables["nodes"],
            edges=tables["edges"],
            memberships=tables["memberships"],
            name=name,
        )


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return not _missing(value) and bool(value)


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value == ""


def _plain(value: Any) -> Any:
    """numpy scalars → Python scalars (networkx/GraphML want plain types)."""
    return value.item() if isinstance(value, np.generic) else value


# ---------------------------------------------------------------------- loaders with a cache
def cache_dir() -> Path:
    """The folder for built knowledge tables: ``OMICSNET_CACHE`` or ``~/.cache/omicsnet``.

    Examples
    --------
    >>> import os
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {"OMICSNET_CACHE": "/tmp/omicsnet-cache"}):
    ...     print(cache_dir().as_posix())
    /tmp/omicsnet-cache
    """
    env = os.environ.get(CACHE_ENV_VAR)
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "omicsnet"


def _cache_key(inputs: dict[str, str], params: dict[str, Any]) -> str:
    payload = json.dumps(
        {"format": _CACHE_FORMAT, "inputs": inputs, "params": params}, sort_keys=True, default=str
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:20]


def _params_for_key(kwargs: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in sorted(kwargs.items()):
        if key == "currency" and value is not None:
            value = sorted(value)
        elif isinstance(value, (pd.DataFrame, pd.Series, Mapping)) or callable(value):
            raise ConfigError(
                f"{key}= cannot be cached; pass cache=False to build with a custom {key}"
            )
        out[key] = value
    return out


def _cached(
    stem: str,
    inputs: dict[str, str],
    params: dict[str, Any],
    build: Callable[[], MetaboliteProteinGraph],
    cache: bool,
) -> MetaboliteProteinGraph:
    if not cache:
        return build()
    folder = cache_dir() / "knowledge" / f"{stem}-{_cache_key(inputs, params)}"
    if (folder / "graph.json").is_file():
        try:
            graph = MetaboliteProteinGraph.load(folder)
        except (DataError, DataNotFoundError, KeyError, ValueError) as err:
            logger.warning("ignoring unreadable graph cache %s (%s); rebuilding", folder, err)
        else:
            logger.info("loaded %r from the cache %s", graph, folder)
            return graph
    graph = build()
    try:
        graph.save(folder, overwrite=True)
        logger.info("cached the graph in %s", folder)
    except OSError as err:
        logger.warning("could not write the graph cache %s: %s", folder, err)
    return graph


def read_human_gem_metabolites(path: str | os.PathLike[str]) -> tuple[pd.DataFrame, dict[str, str]]:
    """Read Human-GEM's ``metabolites.tsv(.gz)``: cross-references and collapsed ids.

    Returns
    -------
    xrefs : pandas.DataFrame
        Indexed by the compartment-free id (``metsNoComp``) with columns ``kegg``, ``hmdb``,
        ``chebi``, ``bigg``.
    base_ids : dict
        Compartment-specific id (``mets``) → ``metsNoComp``.

    Raises
    ------
    DataError
        The file lacks the ``mets``/``metsNoComp`` columns or cannot be read.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "metabolites.tsv"
    >>> _ = p.write_text("mets\\tmetsNoComp\\tmetKEGGID\\tmetHMDBID\\n"
    ...                  "MAM01c\\tMAM01\\tC00031\\tHMDB0000122\\n")
    >>> xrefs, base = read_human_gem_metabolites(p)
    >>> xrefs.loc["MAM01", "kegg"], base["MAM01c"]
    ('C00031', 'MAM01')
    """
    path = Path(path)
    try:
        table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    except (ValueError, OSError, pd.errors.ParserError) as err:
        raise DataError(f"cannot read Human-GEM metabolite table {path}: {err}") from err
    if not {"mets", "metsNoComp"} <= set(table.columns):
        raise DataError(
            f"{path}: expected columns 'mets' and 'metsNoComp', got {list(table.columns)}"
        )
    rename = {"metKEGGID": "kegg", "metHMDBID": "hmdb", "metChEBIID": "chebi", "metBiGGID": "bigg"}
    xrefs = table.rename(columns=rename)
    columns = [c for c in rename.values() if c in xrefs.columns]
    xrefs = xrefs.groupby("metsNoComp", sort=False)[columns].agg(_join)
    base_ids = dict(zip(table["mets"], table["metsNoComp"], strict=True))
    return xrefs, base_ids


def read_human_gem_genes(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read Human-GEM's ``genes.tsv(.gz)`` as a table indexed by Ensembl gene id.

    Returns
    -------
    pandas.DataFrame
        Columns ``symbol``, ``name``, ``uniprot``.

    Raises
    ------
    DataError
        The file lacks the ``genes``/``geneSymbols`` columns or cannot be read.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "genes.tsv"
    >>> _ = p.write_text("genes\\tgeneSymbols\\tgeneUniProtID\\nENSG00000156515\\tHK1\\tP19367\\n")
    >>> read_human_gem_genes(p).loc["ENSG00000156515", "symbol"]
    'HK1'
    """
    path = Path(path)
    try:
        table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    except (ValueError, OSError, pd.errors.ParserError) as err:
        raise DataError(f"cannot read Human-GEM gene table {path}: {err}") from err
    if not {"genes", "geneSymbols"} <= set(table.columns):
        raise DataError(
            f"{path}: expected columns 'genes' and 'geneSymbols', got {list(table.columns)}"
        )
    out = pd.DataFrame(index=table["genes"].str.strip())
    out["symbol"] = table["geneSymbols"].str.strip().to_numpy()
    out["name"] = table["geneNames"].to_numpy() if "geneNames" in table.columns else ""
    out["uniprot"] = table["geneUniProtID"].to_numpy() if "geneUniProtID" in table.columns else ""
    return out[~out.index.duplicated()]


def load_human_gem(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    cache: bool = True,
    protein_ids: str = "symbol",
    currency: Iterable[str] | None = None,
    cost: float = DEFAULT_METABOLITE_PROTEIN_COST,
) -> MetaboliteProteinGraph:
    """The Human-GEM metabolite–protein graph, built once and then read from a cache.

    Reads ``metabolic_models/human_gem/Human-GEM.mat`` from the data directory with
    :func:`cobra.io.load_matlab_model` (about 30 s), plus ``metabolites.tsv.gz``
    (cross-references, compartment-free ids) and ``genes.tsv.gz`` (Ensembl → symbol) beside
    it when present. The built tables are cached under :func:`cache_dir` in a folder keyed
    by the SHA-256 of the three input files and the build parameters, written atomically;
    later calls read the cache (about a second).

    Parameters
    ----------
    data_dir
        Data directory (else ``OMICSNET_DATA``).
    cache
        Use and fill the cache.
    protein_ids
        ``"symbol"`` (default; what interactomes such as iRefIndex use) or ``"ensembl"``.
    currency, cost
        See :meth:`MetaboliteProteinGraph.from_cobra_model`.

    Raises
    ------
    DataNotFoundError
        No data directory or no ``Human-GEM.mat`` in it.

    Examples
    --------
    >>> g = load_human_gem()  # doctest: +SKIP
    >>> g.nodes.set_index("id").loc["MAM01965", ["name", "kegg"]].tolist()  # doctest: +SKIP
    ['glucose', 'C00031']
    """
    from omicsnet.utils.io import sha256_file
    from omicsnet.utils.paths import resolve_data_file

    if protein_ids not in ("symbol", "ensembl"):
        raise ConfigError(f"protein_ids must be 'symbol' or 'ensembl', got {protein_ids!r}")
    mat = resolve_data_file(f"{HUMAN_GEM_DIR}/Human-GEM.mat", data_dir)
    extras: dict[str, Path | None] = {}
    for name in ("metabolites.tsv.gz", "genes.tsv.gz"):
        path = mat.parent / name
        extras[name] = path if path.is_file() else None
        if extras[name] is None:
            logger.warning("%s not found beside %s; building without it", name, mat)
    inputs = {"Human-GEM.mat": sha256_file(mat)}
    inputs.update({k: sha256_file(v) for k, v in extras.items() if v is not None})
    params = _params_for_key({"protein_ids": protein_ids, "currency": currency, "cost": cost})

    def build() -> MetaboliteProteinGraph:
        import cobra

        logger.info("loading %s with cobra (about 30 s; cached afterwards)", mat)
        start = time.perf_counter()
        model = cobra.io.load_matlab_model(str(mat))
        logger.info("loaded Human-GEM in %.1f s", time.perf_counter() - start)
        xrefs, base_ids = None, "auto"
        if extras["metabolites.tsv.gz"] is not None:
            xrefs, mapping = read_human_gem_metabolites(extras["metabolites.tsv.gz"])
            base_ids = mapping  # type: ignore[assignment]
        gene_map, gene_info = None, None
        if extras["genes.tsv.gz"] is not None:
            gene_info = read_human_gem_genes(extras["genes.tsv.gz"])
            if protein_ids == "symbol":
                gene_map = gene_info["symbol"]
        graph = MetaboliteProteinGraph.from_cobra_model(
            model,
            currency=currency,
            gene_map=gene_map,
            base_id=base_ids,
            metabolite_xrefs=xrefs,
            gene_info=gene_info,
            cost=cost,
        )
        graph.name = "Human-GEM"
        return graph

    return _cached("human_gem", inputs, params, build, cache)


_BUNDLED = ("textbook", "iJO1366", "salmonella")


def read_cobra_model_file(path: str | os.PathLike[str]) -> cobra.Model:
    """Read a metabolic model file: SBML (``.xml``, ``.sbml``, gzipped too), JSON, YAML or MATLAB.

    Raises
    ------
    DataError
        The file cannot be read as a model.

    Examples
    --------
    >>> import cobra, pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "core.json"
    >>> cobra.io.save_json_model(cobra.io.load_model("textbook"), str(path))
    >>> len(read_cobra_model_file(path).reactions)
    95
    """
    import cobra

    path = Path(path)
    name = path.name.lower().removesuffix(".gz")
    try:
        if name.endswith(".mat"):
            return cobra.io.load_matlab_model(str(path))
        if name.endswith(".json"):
            return cobra.io.load_json_model(str(path))
        if name.endswith((".yml", ".yaml")):
            return cobra.io.load_yaml_model(str(path))
        return cobra.io.read_sbml_model(str(path))
    except Exception as err:  # cobra raises many types for bad files
        raise DataError(f"cannot read the metabolic model {path}: {err}") from err


def load_cobra_graph(
    source: str | os.PathLike[str],
    *,
    cache: bool = True,
    currency: Iterable[str] | None = None,
    protein_ids: str = "id",
    cost: float = DEFAULT_METABOLITE_PROTEIN_COST,
) -> MetaboliteProteinGraph:
    """The graph of a model file (SBML, JSON, YAML, MATLAB) or of a model bundled with cobra.

    ``source`` is a path to a model file, or a name that :func:`cobra.io.load_model`
    resolves offline: ``"textbook"`` (e_coli_core), ``"iJO1366"``, ``"salmonella"``.
    Built tables are cached like :func:`load_human_gem` (key: the file's SHA-256, or the
    model name and the cobra version).

    Parameters
    ----------
    source
        Model file or bundled model name.
    cache
        Use and fill the cache.
    currency, protein_ids, cost
        See :meth:`MetaboliteProteinGraph.from_cobra_model`.

    Raises
    ------
    DataNotFoundError
        ``source`` is neither an existing file nor a bundled model.
    DataError
        The file cannot be read as a model.

    Examples
    --------
    >>> g = load_cobra_graph("textbook", cache=False)
    >>> g.nodes["type"].value_counts().to_dict()
    {'protein': 137, 'metabolite': 54}
    """
    import cobra

    path = Path(source)
    params = _params_for_key({"currency": currency, "protein_ids": protein_ids, "cost": cost})
    if path.is_file():
        from omicsnet.utils.io import sha256_file

        inputs = {path.name: sha256_file(path)}
        stem = re.sub(r"\W+", "_", path.name.split(".")[0]) or "model"

        def build() -> MetaboliteProteinGraph:
            return MetaboliteProteinGraph.from_cobra_model(
                read_cobra_model_file(path), currency=currency, protein_ids=protein_ids, cost=cost
            )

    elif str(source) in _BUNDLED:
        inputs = {"bundled": str(source), "cobra": cobra.__version__}
        stem = str(source)

        def build() -> MetaboliteProteinGraph:
            model = cobra.io.load_model(str(source))
            return MetaboliteProteinGraph.from_cobra_model(
                model, currency=currency, protein_ids=protein_ids, cost=cost
            )

    else:
        raise DataNotFoundError(
            f"{str(source)!r} is neither a model file nor a model bundled with cobra "
            f"({', '.join(_BUNDLED)})"
        )
    return _cached(stem, inputs, params, build, cache)
