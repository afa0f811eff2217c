"""m/z whitelists: targets from m/z, formulas and HMDB IDs; ppm windows at bin edges."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from omicsnet.errors import ConfigError, DataError
from omicsnet.ms.whitelist import (
    apply_whitelist,
    hmdb_masses_from_graph,
    mz_edges_from_centres,
    whitelist_columns,
    whitelist_targets,
)


def test_targets_from_formulas_hmdb_ids_and_mz():
    table = whitelist_targets(
        ["C6H12O6", "HMDB00122", 301.5],
        adducts=["[M+H]+", "[M+Na]+"],
        hmdb_masses={"HMDB0000122": 180.06339},
    )
    assert table["kind"].tolist() == ["formula", "formula", "hmdb", "hmdb", "mz"]
    glucose_h = table.loc[(table["item"] == "C6H12O6") & (table["adduct"] == "[M+H]+"), "mz"]
    assert glucose_h.item() == pytest.approx(181.070666, abs=1e-5)
    na = table.loc[(table["item"] == "HMDB00122") & (table["adduct"] == "[M+Na]+"), "mz"]
    assert na.item() == pytest.approx(180.06339 + 22.989218, abs=1e-5)
    negative = whitelist_targets(["C6H12O6"], adducts=["[M-H]-"], mode="negative")
    assert negative["mz"].item() == pytest.approx(179.056114, abs=1e-5)


def test_unknown_items_are_all_named():
    with pytest.raises(DataError, match=r"2 whitelist item\(s\).*Xyz12 .*HMDB0099999"):
        whitelist_targets(["Xyz12", "HMDB0099999", 100.0], hmdb_masses={"HMDB1": 1.0})
    with pytest.raises(DataError, match="not a positive m/z"):
        whitelist_targets([-5])


def test_ppm_window_edges():
    edges = np.array([100.0, 101.0, 102.0, 103.0])
    # window [t(1 - 1e-5), t(1 + 1e-5)] for t = 101: touches 101 exactly from both sides
    assert whitelist_columns(edges, [101.0], ppm=10).tolist() == [True, True, False]
    # a window ending exactly on a lower edge keeps that column ...
    t = 101.0 / (1 + 10e-6)
    assert whitelist_columns(edges, [t], ppm=10).tolist() == [True, True, False]
    # ... one starting exactly on an upper edge (half-open bins) does not keep it
    t = 101.0 / (1 - 10e-6)
    assert whitelist_columns(edges, [t], ppm=10).tolist() == [False, True, False]
    # a wide window spans several columns; targets outside the range keep nothing
    assert whitelist_columns(edges, [101.5], ppm=6000).tolist() == [True, True, True]
    assert not whitelist_columns(edges, [50.0, 200.0], ppm=10).any()
    with pytest.raises(ConfigError, match="increasing"):
        whitelist_columns([101.0, 100.0], [100.5])


def test_apply_whitelist_numpy_and_torch():
    keep = np.array([False, True, False])
    x = np.arange(6.0).reshape(1, 2, 3)
    assert apply_whitelist(x, keep).tolist() == [[[0.0, 1.0, 0.0], [0.0, 4.0, 0.0]]]
    assert x[0, 0, 0] == 0 and x[0, 1, 2] == 5  # the input is not modified
    t = torch.ones(2, 1, 2, 3)
    assert apply_whitelist(t, keep).sum().item() == 4.0
    with pytest.raises(DataError, match="covers 3 m/z columns but the data have 4"):
        apply_whitelist(np.ones((2, 4)), keep)


def test_edges_from_centres_and_graph_lookup():
    assert mz_edges_from_centres([50.5, 51.5]).tolist() == [50.0, 51.0, 52.0]
    with pytest.raises(ConfigError, match="not evenly spaced"):
        mz_edges_from_centres([1.0, 2.0, 4.0])

    class Graph:
        import pandas as pd

        nodes = pd.DataFrame({"hmdb": ["HMDB00122", None], "mass": [180.06339, 1.0]})

    assert hmdb_masses_from_graph(Graph()) == {"HMDB0000122": 180.06339}
