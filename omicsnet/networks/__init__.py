"""Network inference: prize-collecting Steiner forests and pathway enrichment.

* :mod:`omicsnet.networks.pcsf` — the OmicsIntegrator2 formulation of the
  prize-collecting Steiner forest over ``pcst_fast`` (dummy root, ``w``/``b``/``g``,
  rooted or unrooted, robustness and specificity reruns in parallel), with networkx and
  GraphML export; ``solver="exact"`` proves optimality or a gap
  (:mod:`~omicsnet.networks.pcsf_exact`, branch-and-cut on SCIP after the reduction tests
  of :mod:`~omicsnet.networks.pcsf_reduce`), and a never-worse local-improvement pass
  (:mod:`~omicsnet.networks.pcsf_improve`) follows pcst_fast.
* :mod:`omicsnet.networks.enrichment` — hypergeometric over-representation with
  Benjamini–Hochberg against a stated background, over GMT files, the WikiPathways table
  shipped in the ``cptac`` wheel, or any ``{set: members}`` mapping.

Everything takes plain pandas tables, Series and dicts, so the knowledge layer's graphs
and subsystem sets plug in directly. Importing this package is cheap: the modules (and
numpy, pandas, scipy, networkx, pcst_fast) load on first use of a name.

Examples
--------
>>> import pandas as pd
>>> from omicsnet import networks
>>> edges = pd.DataFrame({"source": ["A", "B"], "target": ["B", "C"], "cost": [1.0, 1.0]})
>>> networks.solve_pcsf(edges, {"A": 4.0, "C": 4.0}, g=None).hidden
['B']
>>> table = networks.enrich(["A", "B"], {"set1": {"A", "B"}, "set2": {"C", "D"}})
>>> table["set"].tolist()
['set1', 'set2']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from omicsnet.utils.lazy import lazy_exports

_LAZY: dict[str, str] = {
    "PCSFResult": "omicsnet.networks.pcsf",
    "PreparedGraph": "omicsnet.networks.pcsf",
    "SolverError": "omicsnet.networks.pcsf",
    "check_solver": "omicsnet.networks.pcsf",
    "solve_pcsf": "omicsnet.networks.pcsf",
    "prepare_graph": "omicsnet.networks.pcsf",
    "read_interactome": "omicsnet.knowledge.interactome",
    "read_prizes": "omicsnet.networks.pcsf",
    "to_networkx": "omicsnet.networks.pcsf",
    "write_graphml": "omicsnet.networks.pcsf",
    "solve_exact": "omicsnet.networks.pcsf_exact",
    "improve_forest": "omicsnet.networks.pcsf_improve",
    "benjamini_hochberg": "omicsnet.networks.enrichment",
    "enrich": "omicsnet.networks.enrichment",
    "read_gmt": "omicsnet.networks.enrichment",
    "wikipathways_gene_sets": "omicsnet.networks.enrichment",
}

__all__ = sorted(_LAZY)

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from omicsnet.knowledge.interactome import read_interactome as read_interactome
    from omicsnet.networks.enrichment import benjamini_hochberg as benjamini_hochberg
    from omicsnet.networks.enrichment import enrich as enrich
    from omicsnet.networks.enrichment import read_gmt as read_gmt
    from omicsnet.networks.enrichment import wikipathways_gene_sets as wikipathways_gene_sets
    from omicsnet.networks.pcsf import PCSFResult as PCSFResult
    from omicsnet.networks.pcsf import PreparedGraph as PreparedGraph
    from omicsnet.networks.pcsf import SolverError as SolverError
    from omicsnet.networks.pcsf import check_solver as check_solver
    from omicsnet.networks.pcsf import prepare_graph as prepare_graph
    from omicsnet.networks.pcsf import read_prizes as read_prizes
    from omicsnet.networks.pcsf import solve_pcsf as solve_pcsf
    from omicsnet.networks.pcsf import to_networkx as to_networkx
    from omicsnet.networks.pcsf import write_graphml as write_graphml
    from omicsnet.networks.pcsf_exact import solve_exact as solve_exact
    from omicsnet.networks.pcsf_improve import improve_forest as improve_forest


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
