"""Pathway enrichment: a hand-computed hypergeometric case, BH on known vectors, the
stated background, GMT parsing and the WikiPathways table in the cptac wheel."""

from __future__ import annotations

import gzip
import importlib.util
import logging
import math
import sys

import numpy as np
import pandas as pd
import pytest
from scipy.stats import false_discovery_control

from omicsnet.errors import ConfigError, DataError, DataNotFoundError
from omicsnet.networks.enrichment import (
    benjamini_hochberg,
    enrich,
    read_gmt,
    wikipathways_gene_sets,
)


def hypergeom_tail(k: int, M: int, n: int, N: int) -> float:
    """P(X >= k) for X ~ Hypergeom(M, n, N), by counting."""
    top = min(n, N)
    return sum(math.comb(n, i) * math.comb(M - n, N - i) for i in range(k, top + 1)) / math.comb(
        M, N
    )


def test_hand_computed_case():
    background = [f"g{i}" for i in range(20)]  # M = 20
    sets = {
        "pathway": {"g0", "g1", "g2", "g3", "g4"},  # n = 5
        "other": {"g10", "g11", "g12"},
        "outside": {"x1", "x2", "g13"},  # only g13 is in the background: n = 1
    }
    query = ["g0", "g1", "g2", "g15"]  # N = 4, overlap with "pathway" k = 3
    table = enrich(query, sets, background=background).set_index("set")
    row = table.loc["pathway"]
    p = hypergeom_tail(3, 20, 5, 4)
    # by hand: (C(5,3) C(15,1) + C(5,4) C(15,0)) / C(20,4) = (150 + 5) / 4845
    assert p == pytest.approx(155 / 4845)
    assert row["p"] == pytest.approx(p, rel=1e-12)
    assert (row["set_size"], row["overlap"], row["members"]) == (5, 3, "g0;g1;g2")
    assert (row["query_size"], row["background_size"]) == (4, 20)
    assert row["expected"] == pytest.approx(5 * 4 / 20)
    assert row["fold_enrichment"] == pytest.approx(3 / 1.0)
    assert row["odds_ratio"] == pytest.approx((3 * 14) / (2 * 1))
    assert table.loc["other", "p"] == pytest.approx(1.0)
    assert table.loc["outside", "set_size"] == 1
    # BH over the three tested sets
    expected_q = benjamini_hochberg(table["p"].to_numpy())
    assert table["q"].to_numpy() == pytest.approx(expected_q)
    assert table.index[0] == "pathway"  # sorted by p
    assert table["background"].iloc[0] == "user-supplied background (20 genes)"


def test_default_background_is_stated_and_query_outside_is_reported(caplog):
    sets = {"A": {"a", "b", "c"}, "B": {"c", "d"}}
    with caplog.at_level(logging.WARNING, logger="omicsnet.networks.enrichment"):
        table = enrich(["a", "b", "zzz"], sets)
    assert table.attrs["background"] == "union of all gene-set members (4 genes)"
    assert table.attrs["background_size"] == 4 and table.attrs["query_size"] == 2
    assert table.attrs["query_outside_background"] == 1
    assert "not in the background" in caplog.text
    assert table.loc[table["set"] == "A", "p"].item() == pytest.approx(hypergeom_tail(2, 4, 3, 2))
    labelled = enrich(["a"], sets, background_label="interactome nodes")
    assert set(labelled["background"]) == {"interactome nodes"}


def test_size_limits_and_errors():
    sets = {"tiny": {"a"}, "mid": {"a", "b", "c"}, "big": set("abcdefgh")}
    table = enrich(["a", "b"], sets, min_size=2, max_size=5)
    assert table["set"].tolist() == ["mid"]
    assert table["q"].item() == pytest.approx(table["p"].item())  # one test: q = p
    with pytest.raises(DataError, match="no gene set"):
        enrich(["a"], sets, min_size=20)
    with pytest.raises(ConfigError):
        enrich(["a"], sets, min_size=3, max_size=2)
    with pytest.raises(DataError, match="single string"):
        enrich("abc", sets)
    with pytest.raises(DataError, match="empty"):
        enrich(["a"], sets, background=[])


def test_benjamini_hochberg_known_vectors():
    p = np.array([0.005, 0.009, 0.019, 0.022, 0.051, 0.101, 0.361, 0.387])
    # by hand: m p_(i) / i = .04 .036 .0507 .044 .0816 .1347 .4126 .387, then running minima
    # from the largest p down
    expected = [0.036, 0.036, 0.044, 0.044, 0.0816, 0.13467, 0.387, 0.387]
    assert benjamini_hochberg(p) == pytest.approx(expected, abs=1e-4)
    shuffled = np.array([0.5, 0.01, 0.04, 0.03])
    assert benjamini_hochberg(shuffled) == pytest.approx([0.5, 0.04, 0.04 * 4 / 3, 0.04 * 4 / 3])
    rng = np.random.default_rng(0)
    random = rng.uniform(size=200) ** 3
    assert benjamini_hochberg(random) == pytest.approx(false_discovery_control(random))
    assert benjamini_hochberg([]).size == 0
    assert benjamini_hochberg([1.0, 1.0]).tolist() == [1.0, 1.0]
    with pytest.raises(DataError):
        benjamini_hochberg([0.1, float("nan")])
    with pytest.raises(DataError):
        benjamini_hochberg([1.5])


def test_read_gmt(tmp_path):
    path = tmp_path / "sets.gmt.gz"
    with gzip.open(path, "wt") as handle:
        handle.write("# comment\nHALLMARK_A\thttp://x\tTP53\tMDM2\t\n\nB\tna\tEGFR\n")
    assert read_gmt(path) == {"HALLMARK_A": {"TP53", "MDM2"}, "B": {"EGFR"}}
    bad = tmp_path / "bad.gmt"
    bad.write_text("A\tdesc\tX\nB only two\tfields\n")
    with pytest.raises(DataError, match="line 2"):
        read_gmt(bad)
    bad.write_text("A\tdesc\tX\nA\tdesc\tY\n")
    with pytest.raises(DataError, match="line 2.*twice"):
        read_gmt(bad)
    bad.write_text("A\tdesc\t\t\n")
    with pytest.raises(DataError, match="line 1.*no members"):
        read_gmt(bad)
    with pytest.raises(DataNotFoundError):
        read_gmt(tmp_path / "absent.gmt")


def test_wikipathways_table_format(tmp_path):
    path = tmp_path / "wp.tsv.gz"
    frame = pd.DataFrame(
        {"Pathway one": [True, False, True], "Empty": [False, False, False]},
        index=pd.Index(["TP53", "NA", "MDM2"]),
    )
    frame.to_csv(path, sep="\t")
    assert wikipathways_gene_sets(path) == {"Pathway one": {"TP53", "MDM2"}}
    bad = tmp_path / "bad.tsv"
    bad.write_text("\tP\nTP53\tmaybe\n")
    with pytest.raises(DataError, match="True/False"):
        wikipathways_gene_sets(bad)


@pytest.mark.skipif(importlib.util.find_spec("cptac") is None, reason="cptac not installed")
def test_wikipathways_from_cptac_wheel_without_importing_cptac():
    was_imported = "cptac" in sys.modules
    sets = wikipathways_gene_sets()
    if not was_imported:
        assert "cptac" not in sys.modules  # `import cptac` fails offline
    assert len(sets) > 500
    assert all(isinstance(members, set) and members for members in sets.values())
    query = sorted(sets["DNA Damage Response"])[:10]
    table = enrich(query, sets)
    assert table["set"].iloc[0] == "DNA Damage Response"
    assert table["q"].iloc[0] < 1e-6
