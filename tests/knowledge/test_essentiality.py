"""The FBA knockout screen on e_coli_core, checked against direct FBA and cobra's deletions."""

from __future__ import annotations

import math

import numpy as np
import pytest

cobra = pytest.importorskip("cobra")

from omicsnet.errors import ConfigError, DataError  # noqa: E402
from omicsnet.knowledge.essentiality import (  # noqa: E402
    ScreenResult,
    essentiality_screen,
    gene_knockout_units,
    phenotype_capacities,
    screening_model,
)

BIOMASS = "Biomass_Ecoli_core"


@pytest.fixture(scope="module")
def core() -> cobra.Model:
    return screening_model(cobra.io.load_model("textbook"))


@pytest.fixture(scope="module")
def phenotypes(core) -> list[str]:
    caps = phenotype_capacities(core, [BIOMASS] + [r.id for r in core.exchanges])
    return [p for p, v in caps.items() if v > 1e-9]


def _direct_ratio(model: cobra.Model, reactions: list[str], objective: str) -> float:
    with model:
        model.objective = objective
        wild = model.slim_optimize()
        for rxn_id in reactions:
            model.reactions.get_by_id(rxn_id).knock_out()
        return model.slim_optimize(error_value=math.nan) / wild


def test_condition_fixes_glucose_and_reports_bad_ids():
    model = cobra.io.load_model("textbook")
    fixed = screening_model(model)
    assert fixed.reactions.EX_glc__D_e.bounds == (-10.0, -10.0)
    assert model.reactions.EX_glc__D_e.bounds == (-10.0, 1000.0)  # the input is untouched
    free = screening_model(model, fixed_uptake=None)
    assert free.reactions.EX_glc__D_e.bounds == (-10.0, 1000.0)
    richer = screening_model(model, medium={**model.medium, "EX_glc__D_e": 20.0}, fixed_uptake=None)
    assert richer.slim_optimize() > fixed.slim_optimize() * 1.5
    with pytest.raises(DataError, match="EX_nothing_e"):
        screening_model(model, fixed_uptake={"EX_nothing_e": 1.0})
    with pytest.raises(DataError, match="infeasible"):
        screening_model(model, fixed_uptake={"EX_glc__D_e": 0.0})  # ATP maintenance needs carbon


def test_blocked_phenotypes_have_no_capacity(core, phenotypes):
    caps = phenotype_capacities(core, ["EX_o2_e", "EX_glc__D_e", "EX_ac_e"])
    assert caps["EX_o2_e"] <= 1e-9 and caps["EX_glc__D_e"] == pytest.approx(-10.0)
    assert phenotypes[0] == BIOMASS and "EX_ac_e" in phenotypes and "EX_o2_e" not in phenotypes
    with pytest.raises(DataError, match="EX_o2_e cannot carry flux"):
        essentiality_screen(core, ["EX_o2_e"], progress=False)


def test_reaction_screen_matches_direct_fba(core):
    """Hand-checked: enolase and PGK are essential for growth, the PFL isozymes are not."""
    result = essentiality_screen(core, [BIOMASS], progress=False)
    essential = set(result.table()["unit"])
    for rxn_id in ("ENO", "PGK", "GLCpts", "PGM"):
        assert rxn_id in essential
        ratio = _direct_ratio(core, [rxn_id], BIOMASS)
        assert math.isnan(ratio) or ratio <= 0.95
    for rxn_id in ("PFL", "ACALD", "PYK", "TALA"):
        assert rxn_id not in essential
        assert _direct_ratio(core, [rxn_id], BIOMASS) > 0.95
    # GLCpts knockout makes fixed glucose uptake impossible: infeasible -> ratio NaN
    table = result.table().set_index("unit")
    assert bool(table.loc["GLCpts", "infeasible"]) and math.isnan(table.loc["GLCpts", "ratio"])
    assert table.loc["FBA", "ratio"] == pytest.approx(
        _direct_ratio(core, ["FBA"], BIOMASS), rel=1e-6
    )


def test_reaction_screen_equals_cobra_single_reaction_deletion(core):
    from cobra.flux_analysis import single_reaction_deletion

    result = essentiality_screen(core, [BIOMASS], progress=False)
    wild = core.slim_optimize()
    deletion = single_reaction_deletion(core, processes=1)
    growth = {
        next(iter(ids)): g for ids, g in zip(deletion["ids"], deletion["growth"], strict=True)
    }
    expected = {r for r, g in growth.items() if not (g > 0.95 * wild)}  # NaN counts as essential
    assert set(result.table()["unit"]) == expected


def test_gene_screen_equals_cobra_single_gene_deletion(core):
    from cobra.flux_analysis import single_gene_deletion

    units = gene_knockout_units(core)
    assert units["b2779"] == ["ENO"] and units["b1723"] == []  # PFK has a second isozyme
    result = essentiality_screen(core, [BIOMASS], units, unit_type="gene", progress=False)
    wild = core.slim_optimize()
    deletion = single_gene_deletion(core, processes=1)
    growth = {
        next(iter(ids)): g for ids, g in zip(deletion["ids"], deletion["growth"], strict=True)
    }
    expected = {g for g, v in growth.items() if not (v > 0.95 * wild)}
    assert set(result.table()["unit"]) == expected
    assert "b2779" in expected and "b1723" not in expected


def test_pruning_and_workers_give_the_unpruned_answer(core, phenotypes):
    pruned = essentiality_screen(core, phenotypes, progress=False)
    full = essentiality_screen(core, phenotypes, prune=False, progress=False)
    assert np.array_equal(pruned.matrix(), full.matrix())
    assert sum(pruned.lp_count.values()) < sum(full.lp_count.values()) / 2
    parallel = essentiality_screen(core, phenotypes, workers=2, progress=False)
    assert np.array_equal(parallel.matrix(), full.matrix())
    assert parallel.wild_type == pytest.approx(full.wild_type)


def _maintenance_toy() -> cobra.Model:
    """A -> P secretion; ATP made from A, and a forced maintenance drain (lower bound 1)."""
    model = cobra.Model("toy")
    a, atp, p = (cobra.Metabolite(m, compartment="c") for m in ("a", "atp", "p"))
    reactions = {
        "EX_a": ({a: 1}, (10.0, 10.0)),  # fixed uptake
        "ATPM": ({atp: -1}, (1.0, 1000.0)),  # forced maintenance, screened before ATPS
        "ATPS": ({a: -1, atp: 1}, (0.0, 1000.0)),
        "PROD": ({a: -1, p: 1}, (0.0, 1000.0)),
        "EX_p": ({p: -1}, (0.0, 1000.0)),
    }
    for rxn_id, (stoichiometry, bounds) in reactions.items():
        rxn = cobra.Reaction(rxn_id)
        rxn.add_metabolites(stoichiometry)
        rxn.bounds = bounds
        model.add_reactions([rxn])
    return model


def test_forced_reaction_knockouts_certify_nothing():
    """Knocking out ATP maintenance frees 1 A (secretion 10 > 9) with ATPS at zero, but that
    vector violates ATPM's lower bound: it must not prune ATPS, whose knockout is infeasible."""
    model = _maintenance_toy()
    pruned = essentiality_screen(model, ["EX_p"], progress=False)
    full = essentiality_screen(model, ["EX_p"], prune=False, progress=False)
    assert pruned.wild_type["EX_p"] == pytest.approx(9.0)
    assert set(full.table()["unit"]) == {"EX_a", "ATPS", "PROD", "EX_p"}
    assert np.array_equal(pruned.matrix(), full.matrix())


def test_threshold_changes_the_calls(core):
    strict = essentiality_screen(core, [BIOMASS], threshold=0.0, progress=False)
    loose = essentiality_screen(core, [BIOMASS], threshold=0.95, progress=False)
    strict_units, loose_units = set(strict.table()["unit"]), set(loose.table()["unit"])
    assert strict_units < loose_units
    assert "FBA" in loose_units and "FBA" not in strict_units  # FBA knockout keeps 81 % growth


def test_bad_arguments(core):
    with pytest.raises(ConfigError, match="threshold"):
        essentiality_screen(core, [BIOMASS], threshold=1.5, progress=False)
    with pytest.raises(ConfigError, match="workers"):
        essentiality_screen(core, [BIOMASS], workers=0, progress=False)
    with pytest.raises(DataError, match="EX_bogus"):
        essentiality_screen(core, [BIOMASS, "EX_bogus"], progress=False)
    with pytest.raises(DataError, match="'k1' names unknown reactions"):
        essentiality_screen(core, [BIOMASS], {"k1": ["NOPE"]}, progress=False)


def test_result_views():
    result = ScreenResult(
        ["a", "b", "c"],
        ["p", "q"],
        "reaction",
        0.95,
        {"p": 1.0, "q": 2.0},
        np.array([0, 2]),
        np.array([1, 0]),
        np.array([np.nan, 0.25]),
    )
    assert result.matrix().tolist() == [[False, True], [False, False], [True, False]]
    assert result.table()["infeasible"].tolist() == [True, False]
    assert "2 essential pairs" in repr(result)


@pytest.mark.slow
def test_ijo1366_pruning_is_exact():
    """Gluconate secretion needs ATP synthase (v_KO = 0.921 v_WT) although ATPM's knockout
    optimum runs without it: the pruned screen must still solve ATPS4rpp."""
    model = screening_model(cobra.io.load_model("iJO1366"))
    phenotypes = ["EX_glcn_e", "EX_ac_e"]
    pruned = essentiality_screen(model, phenotypes, workers=2, progress=False)
    full = essentiality_screen(model, phenotypes, prune=False, workers=2, progress=False)
    assert np.array_equal(pruned.matrix(), full.matrix())
    table = pruned.table().set_index(["unit", "phenotype"])
    assert table.loc[("ATPS4rpp", "EX_glcn_e"), "ratio"] == pytest.approx(0.92125, abs=1e-5)
