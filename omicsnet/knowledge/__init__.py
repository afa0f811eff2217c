"""Knowledge graphs built from public biology: metabolic models, masses, interactomes.

``omicsnet.knowledge`` turns genome-scale metabolic models (COBRA) into metabolite–protein
graphs, computes neutral monoisotopic masses of metabolite formulas, matches measured m/z
values to metabolites under ion adducts, and reads protein–protein interactomes. It knows
nothing of models or trainers. Importing it is cheap: cobra, pyteomics, networkx and
torch_geometric load only inside the functions that need them.

Examples
--------
>>> import omicsnet.knowledge as kn
>>> round(kn.adduct_mz(180.06339, "[M+H]+"), 5)
181.07067
"""

from __future__ import annotations

# public name -> module that defines it (imported on first access)
from omicsnet.utils.lazy import lazy_exports

_LAZY: dict[str, str] = {
    "monoisotopic_mass": "omicsnet.knowledge.masses",
    "monoisotopic_masses": "omicsnet.knowledge.masses",
    "Adduct": "omicsnet.knowledge.adducts",
    "MatchResult": "omicsnet.knowledge.adducts",
    "adduct_mz": "omicsnet.knowledge.adducts",
    "match_mz": "omicsnet.knowledge.adducts",
    "parse_adduct": "omicsnet.knowledge.adducts",
    "resolve_adducts": "omicsnet.knowledge.adducts",
    "MetaboliteProteinGraph": "omicsnet.knowledge.metabolic_graph",
    "DEFAULT_CURRENCY_METABOLITES": "omicsnet.knowledge.metabolic_graph",
    "load_human_gem": "omicsnet.knowledge.metabolic_graph",
    "load_cobra_graph": "omicsnet.knowledge.metabolic_graph",
    "read_interactome": "omicsnet.knowledge.interactome",
    "read_bioplex": "omicsnet.knowledge.interactome",
    "merge_edge_tables": "omicsnet.knowledge.interactome",
    "PhenotypeGraph": "omicsnet.knowledge.phenotype_graph",
    "build_phenotype_graph": "omicsnet.knowledge.phenotype_graph",
    "load_phenotype_graph": "omicsnet.knowledge.phenotype_graph",
    "essentiality_screen": "omicsnet.knowledge.essentiality",
    "screening_model": "omicsnet.knowledge.essentiality",
}

__all__ = sorted(_LAZY)


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
