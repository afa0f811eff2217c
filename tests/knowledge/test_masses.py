"""Formula → neutral monoisotopic mass, ion adducts and m/z matching."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from omicsnet.errors import ConfigError, DataError
from omicsnet.knowledge.adducts import (
    DEFAULT_ADDUCTS,
    KNOWN_ADDUCTS,
    NEGATIVE_ADDUCTS,
    POSITIVE_ADDUCTS,
    Adduct,
    adduct_mz,
    match_mz,
    parse_adduct,
    resolve_adducts,
)
from omicsnet.knowledge.masses import (
    ELECTRON_MASS,
    HYDROGEN_MASS,
    PROTON_MASS,
    monoisotopic_mass,
    monoisotopic_masses,
    parse_formula,
)

GLUCOSE = 180.0633881022

# ----------------------------------------------------------------------------- masses


@pytest.mark.parametrize(
    ("formula", "charge", "expected"),
    [
        ("C6H12O6", 0, 180.06339),  # glucose
        ("H2O", 0, 18.01056),
        ("C3H3O3", -1, 88.01604),  # pyruvate (model form) → pyruvic acid C3H4O3
        ("C10H12N5O13P3", -4, 506.99575),  # ATP4- → ATP C10H16N5O13P3
        ("H4N", 1, 17.02655),  # ammonium → ammonia
        ("C5H14NO", 1, 103.09971),  # choline (permanent cation) → C5H13NO bookkeeping mass
        ("C2H5NO2", 0, 75.03203),  # glycine
    ],
)
def test_known_neutral_masses(formula, charge, expected):
    assert monoisotopic_mass(formula, charge) == pytest.approx(expected, abs=1e-5)


def test_neutral_mass_agrees_with_pyteomics_on_the_neutral_formula():
    from pyteomics import mass

    # citrate as stored in BiGG (C6H5O7, -3) and citric acid C6H8O7
    assert monoisotopic_mass("C6H5O7", -3) == pytest.approx(
        mass.calculate_mass(formula="C6H8O7"), abs=1e-9
    )
    assert monoisotopic_mass("C6H12O6") == pytest.approx(GLUCOSE, abs=1e-9)


def test_charged_form_round_trips_through_adducts():
    # The anion C3H3O3- has m/z mass(atoms) + one electron; [M-H]- of the neutral mass
    # must give exactly that (the known [M-H]- of pyruvic acid, 87.00877).
    from pyteomics import mass

    anion = mass.calculate_mass(formula="C3H3O3") + ELECTRON_MASS
    neutral = monoisotopic_mass("C3H3O3", -1)
    assert adduct_mz(neutral, "[M-H]-") == pytest.approx(anion, abs=1e-9)
    assert anion == pytest.approx(87.00877, abs=1e-5)
    # and the cation NH4+ is [M+H]+ of NH3
    cation = mass.calculate_mass(formula="H4N") - ELECTRON_MASS
    assert adduct_mz(monoisotopic_mass("H4N", 1), "[M+H]+") == pytest.approx(cation, abs=1e-9)


@pytest.mark.parametrize(
    ("formula", "charge"),
    [
        ("R", 0),
        ("C5H8OR", 0),
        ("C20H30O2X", -1),
        ("(C5H8O)n", 0),
        ("C6H12O6n", 0),
        ("C17H25N4O10P2S3-", 0),  # charge written inside the formula (Human-GEM has some)
        ("", 0),
        (None, 0),
        ("C*", 0),
        ("Na", 1),  # no protons to lose
        ("Fe", 2),
        ("H", 1),  # the proton
        ("C6H12O6", 0.5),  # non-integer charge
        (42, 0),
    ],
)
def test_generic_or_impossible_formulas_give_none(formula, charge):
    assert monoisotopic_mass(formula, charge) is None


def test_missing_charge_means_neutral():
    assert monoisotopic_mass("C6H12O6", None) == pytest.approx(GLUCOSE)
    assert monoisotopic_mass("C6H12O6", float("nan")) == pytest.approx(GLUCOSE)
    assert monoisotopic_mass(" C6H12O6 ", -0.0) == pytest.approx(GLUCOSE)


def test_vector_masses_and_formula_parsing():
    out = monoisotopic_masses(["C6H12O6", "R", "C3H3O3"], [0, 0, -1])
    assert out[0] == pytest.approx(GLUCOSE)
    assert math.isnan(out[1])
    assert out[2] == pytest.approx(88.01604, abs=1e-5)
    assert parse_formula("CH3CH2OH") == {"C": 2, "H": 6, "O": 1}
    with pytest.raises(DataError, match="2 formulas but 1 charges"):
        monoisotopic_masses(["H2O", "CO2"], [0])


def test_physical_constants():
    assert abs(PROTON_MASS - 1.007276467) < 1e-9
    assert (
        abs(HYDROGEN_MASS - PROTON_MASS - ELECTRON_MASS) < 1e-7
    )  # H atom = proton + electron − binding energy


# ----------------------------------------------------------------------------- adducts

# Reference mass shifts (Fiehn lab ESI adduct table; 2+ ions written as M/2 + x there).
REFERENCE_SHIFTS = {
    "[M+H]+": 1.007276,
    "[M+Na]+": 22.989218,
    "[M+K]+": 38.963158,
    "[M+NH4]+": 18.033823,
    "[M+H-H2O]+": -17.003288,
    "[M+ACN+H]+": 42.033823,
    "[M+MeOH+H]+": 33.033489,
    "[M+2Na-H]+": 44.971160,
    "[M+2H]2+": 2 * 1.007276,
    "[M+H+Na]2+": 2 * 11.998247,
    "[2M+H]+": 1.007276,
    "[M-H]-": -1.007276,
    "[M+Cl]-": 34.969402,
    "[M+FA-H]-": 44.998201,
    "[M+Hac-H]-": 59.013851,
    "[M-H2O-H]-": -19.017841,  # the Fiehn table's 19.01839 is a typo: H2O + H+ = 19.017841
    "[M+Na-2H]-": 20.974666,
    "[M+K-2H]-": 36.948606,
    "[M+Br]-": 78.918885,
    "[M-2H]2-": -2 * 1.007276,
    "[2M-H]-": -1.007276,
}


@pytest.mark.parametrize(("name", "shift"), sorted(REFERENCE_SHIFTS.items()))
def test_adduct_mass_shifts_match_the_reference_table(name, shift):
    assert KNOWN_ADDUCTS[name].mass_shift == pytest.approx(shift, abs=1e-5)


def test_adduct_tables_have_the_right_polarity_and_defaults_exist():
    assert all(a.charge > 0 for a in POSITIVE_ADDUCTS.values())
    assert all(a.charge < 0 for a in NEGATIVE_ADDUCTS.values())
    for mode, names in DEFAULT_ADDUCTS.items():
        assert all(KNOWN_ADDUCTS[n].mode == mode for n in names)


def test_element_masses_agree_with_pyteomics():
    from pyteomics import mass

    from omicsnet.knowledge.adducts import _ELEMENT_MASS

    for element, value in _ELEMENT_MASS.items():
        assert value == pytest.approx(mass.nist_mass[element][0][0], abs=1e-8), element


def test_glucose_ion_mz():
    assert adduct_mz(GLUCOSE, "[M+H]+") == pytest.approx(181.070665, abs=1e-6)
    assert adduct_mz(GLUCOSE, "[M+Na]+") == pytest.approx(203.052609, abs=1e-5)
    assert adduct_mz(GLUCOSE, "[M-H]-") == pytest.approx(179.056112, abs=1e-6)
    assert adduct_mz(GLUCOSE, "[M+2H]2+") == pytest.approx((GLUCOSE + 2 * PROTON_MASS) / 2)
    assert adduct_mz(GLUCOSE, "[2M+H]+") == pytest.approx(2 * GLUCOSE + PROTON_MASS)
    assert adduct_mz(GLUCOSE, "[M-2H]2-") == pytest.approx((GLUCOSE - 2 * PROTON_MASS) / 2)
    masses = np.array([GLUCOSE, 100.0])
    np.testing.assert_allclose(adduct_mz(masses, "[M+H]+"), masses + PROTON_MASS)
    a = parse_adduct("[2M+Na]+")
    assert a.neutral_mass(a.mz(GLUCOSE)) == pytest.approx(GLUCOSE)


def test_parse_adduct_forms():
    assert parse_adduct("[m+na]+").name == "[M+Na]+"
    assert parse_adduct(" M + H ").name == "[M+H]+"
    assert parse_adduct("M-H").name == "[M-H]-"
    assert parse_adduct("[M+H]").name == "[M+H]+"  # unambiguous without the charge
    assert parse_adduct("[M+HCOO]-").name == "[M+FA-H]-"
    assert parse_adduct("[M+CH3OH+H]+").name == "[M+MeOH+H]+"
    custom = parse_adduct("[M+C2H3N+Na]+")
    assert custom.charge == 1
    assert custom.mass_shift == pytest.approx(41.026549 + 22.989221, abs=1e-5)
    a = Adduct("[M+X]+", 5.0, 1)
    assert parse_adduct(a) is a


@pytest.mark.parametrize("bad", ["[M+Foo]+", "M+Q", "[M]", "sodium", "[M+H]0+", 3])
def test_unknown_adducts_list_the_known_ones(bad):
    with pytest.raises(ConfigError) as err:
        parse_adduct(bad)
    if bad in ("sodium", "[M]"):
        assert "[M+H]+" in str(err.value) and "[M-H]-" in str(err.value)


def test_resolve_adducts_checks_mode():
    assert [a.name for a in resolve_adducts(mode="positive")] == list(DEFAULT_ADDUCTS["positive"])
    assert len(resolve_adducts("all-negative")) == len(NEGATIVE_ADDUCTS)
    assert [a.name for a in resolve_adducts(["[M+H]+", "M+H"])] == ["[M+H]+"]
    with pytest.raises(ConfigError, match="do not fit negative mode"):
        resolve_adducts(["[M+H]+"], mode="negative")
    with pytest.raises(ConfigError, match="'positive' or 'negative'"):
        resolve_adducts(mode="neutral")
    with pytest.raises(ConfigError, match="give an ionisation mode"):
        resolve_adducts()
    with pytest.raises(ConfigError, match="charge 0"):
        Adduct("[M]", 0.0, 0)


# ----------------------------------------------------------------------------- matching


@pytest.fixture
def hexoses() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["glc", "fru", "gal", "pyr", "generic"],
            "name": ["glucose", "fructose", "galactose", "pyruvate", "a lipid"],
            "mass": [GLUCOSE, GLUCOSE, GLUCOSE, 88.0160439, np.nan],
            "formula": ["C6H12O6", "C6H12O6", "C6H12O6", "C3H4O3", "C5H8OR"],
        }
    )


def test_ppm_tolerance_edges(hexoses):
    theo = adduct_mz(GLUCOSE, "[M+H]+")
    peaks = pd.DataFrame(
        {
            "mz": [
                theo * (1 + 9.99e-6),
                theo * (1 + 10.01e-6),
                theo * (1 - 9.99e-6),
                theo * (1 - 10.01e-6),
            ]
        },
        index=["in_hi", "out_hi", "in_lo", "out_lo"],
    )
    r = match_mz(peaks, hexoses, adducts=["[M+H]+"], tol=10, unit="ppm")
    assert set(r.matches["peak_id"]) == {"in_hi", "in_lo"}
    assert r.unmatched["peak_id"].tolist() == ["out_hi", "out_lo"]
    hi = r.matches[r.matches["peak_id"] == "in_hi"]
    assert hi["error_ppm"].to_numpy() == pytest.approx(9.99, abs=1e-6)
    assert hi["error_da"].to_numpy() == pytest.approx(theo * 9.99e-6, abs=1e-9)
    assert (hi["theoretical_mz"] == theo).all()


def test_dalton_tolerance_edges(hexoses):
    theo = adduct_mz(GLUCOSE, "[M+Na]+")
    peaks = pd.DataFrame(
        {
            "peak_id": ["a", "b", "c", "d"],
            "mz": [theo + 0.00499, theo + 0.00501, theo - 0.00499, theo - 0.00501],
        }
    )
    r = match_mz(peaks, hexoses, mode="positive", adducts="[M+Na]+", tol=0.005, unit="Da")
    assert sorted(set(r.matches["peak_id"])) == ["a", "c"]
    assert r.unmatched["peak_id"].tolist() == ["b", "d"]
    assert r.unit == "Da"


def test_negative_mode_and_ambiguity(hexoses):
    peaks = pd.DataFrame(
        {
            "mz": [
                adduct_mz(GLUCOSE, "[M-H]-"),
                adduct_mz(GLUCOSE, "[M+Cl]-"),
                adduct_mz(88.0160439, "[M-H]-") + 0.0001,
                500.0,
            ],
            "score": [0.9, 0.8, 0.75, 0.99],
        },
        index=["hexose", "chloride", "pyruvate", "nothing"],
    )
    r = match_mz(peaks, hexoses, mode="negative", tol=5)
    hex_rows = r.matches[r.matches["peak_id"] == "hexose"]
    # one peak, three isomers: all kept, each with the same adduct and error
    assert sorted(hex_rows["metabolite_id"]) == ["fru", "gal", "glc"]
    assert set(hex_rows["adduct"]) == {"[M-H]-"}
    assert (hex_rows["n_candidates"] == 3).all()
    assert set(r.matches.loc[r.matches["peak_id"] == "chloride", "adduct"]) == {"[M+Cl]-"}
    pyr = r.matches[r.matches["peak_id"] == "pyruvate"].iloc[0]
    assert pyr["metabolite_id"] == "pyr" and pyr["error_da"] == pytest.approx(0.0001, abs=1e-9)
    assert pyr["error_ppm"] == pytest.approx(0.0001 / pyr["theoretical_mz"] * 1e6)
    assert r.unmatched.to_dict("records") == [{"peak_id": "nothing", "mz": 500.0, "score": 0.99}]
    assert list(r.matches.columns) == [
        "peak_id",
        "mz",
        "score",
        "metabolite_id",
        "name",
        "formula",
        "neutral_mass",
        "adduct",
        "theoretical_mz",
        "error_ppm",
        "error_da",
        "n_candidates",
    ]
    scores = r.metabolite_scores()
    assert scores["glc"] == pytest.approx(0.9) and scores["pyr"] == pytest.approx(0.75)
    assert r.metabolite_scores(how="sum")["glc"] == pytest.approx(1.7)


def test_one_peak_several_adducts_and_graph_nodes():
    # A peak that is both [M+H]+ of X and [M+Na]+ of Y; protein rows are ignored.
    nodes = pd.DataFrame(
        {
            "id": ["X", "Y", "P1"],
            "type": ["metabolite", "metabolite", "protein"],
            "name": ["x", "y", "enzyme"],
            "mass": [200.0, 200.0 + PROTON_MASS - (22.9892207), np.nan],
        }
    )
    r = match_mz(pd.DataFrame({"mz": [200.0 + PROTON_MASS]}), nodes, mode="positive", tol=1)
    assert sorted(zip(r.matches["metabolite_id"], r.matches["adduct"], strict=True)) == [
        ("X", "[M+H]+"),
        ("Y", "[M+Na]+"),
    ]
    assert "score" not in r.matches.columns


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (np.nan, r"first at row 1 \(peak 'p2', value nan\)"),
        ("abc", r"first at row 1 \(peak 'p2', value 'abc'\)"),
        (-5.0, r"row 1 \(peak 'p2'\) has -5.0"),
    ],
)
def test_bad_mz_names_the_row(hexoses, value, message):
    peaks = pd.DataFrame({"mz": [181.07, value]}, index=["p1", "p2"], dtype=object)
    with pytest.raises(DataError, match=message):
        match_mz(peaks, hexoses)


def test_bad_inputs(hexoses):
    with pytest.raises(DataError, match="no 'mz' column"):
        match_mz(pd.DataFrame({"m/z": [1.0]}), hexoses)
    with pytest.raises(DataError, match="no 'mass' column"):
        match_mz(pd.DataFrame({"mz": [1.0]}), hexoses.drop(columns="mass"))
    with pytest.raises(ConfigError, match="tol must be a positive"):
        match_mz(pd.DataFrame({"mz": [1.0]}), hexoses, tol=0)
    with pytest.raises(ConfigError, match="unit must be"):
        match_mz(pd.DataFrame({"mz": [1.0]}), hexoses, unit="mDa")
    empty = match_mz(pd.DataFrame({"mz": []}), hexoses)
    assert empty.matches.empty and empty.unmatched.empty


def test_vectorised_matching_equals_brute_force():
    rng = np.random.default_rng(7)
    mets = pd.DataFrame({"id": [f"m{i}" for i in range(300)], "mass": rng.uniform(60, 900, 300)})
    adducts = resolve_adducts(mode="positive")
    theo = [
        (m, a.name, a.mz(mass))
        for m, mass in zip(mets["id"], mets["mass"], strict=True)
        for a in adducts
    ]
    # peaks near some theoretical values and random ones
    picks = rng.choice(len(theo), 150)
    mz = np.concatenate(
        [
            [theo[i][2] * (1 + rng.uniform(-20, 20) * 1e-6) for i in picks],
            rng.uniform(50, 1000, 150),
        ]
    )
    peaks = pd.DataFrame({"mz": mz})
    for tol, unit in ((10, "ppm"), (0.003, "Da")):
        r = match_mz(peaks, mets, adducts=adducts, tol=tol, unit=unit)
        expected = set()
        for p, value in enumerate(mz):
            for m, name, t in theo:
                limit = tol * t * 1e-6 if unit == "ppm" else tol
                if abs(value - t) <= limit:
                    expected.add((p, m, name))
        got = set(
            zip(r.matches["peak_id"], r.matches["metabolite_id"], r.matches["adduct"], strict=True)
        )
        assert got == expected
        assert len(r.matches) == len(expected)
        assert set(r.unmatched["peak_id"]) == set(range(len(mz))) - {p for p, _, _ in expected}
