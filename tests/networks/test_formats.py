"""Interactome and prize files in the formats users have (OI1, OI2, SIF, edge lists)."""

from __future__ import annotations

import gzip
import logging

import pytest

from omicsnet.errors import ConfigError, DataError
from omicsnet.knowledge.interactome import read_interactome
from omicsnet.networks.pcsf import read_prizes, solve_pcsf


def _write(path, text):
    path.write_text(text)
    return path


def test_oi1_headerless_confidences_become_costs(tmp_path, caplog):
    path = _write(tmp_path / "oi1.txt", "A\tB\t0.9\nB\tC\t0.25\nC\tD\t1.02\nD\tA\t0.5\tU\n")
    with caplog.at_level(logging.WARNING, logger="omicsnet.knowledge.interactome"):
        edges = read_interactome(path)
    costs = {(s, t): round(c, 9) for s, t, c, _ in edges.values.tolist()}
    # cost = 1 - confidence; 1.02 is clipped to 1 (cost 0) and the warning names its line
    assert costs == {("A", "B"): 0.1, ("B", "C"): 0.75, ("C", "D"): 0.0, ("D", "A"): 0.5}
    assert "line 3" in caplog.text and "clipped" in caplog.text and "C - D" in caplog.text
    assert "1.02" in caplog.text


def test_oi1_gzipped_and_whitespace_separated(tmp_path):
    path = tmp_path / "oi1.txt.gz"
    with gzip.open(path, "wt") as handle:
        handle.write("A B 0.5\nB C 0.8\n")
    edges = read_interactome(path)
    assert edges[["source", "target"]].values.tolist() == [["A", "B"], ["B", "C"]]
    assert edges["cost"].round(9).tolist() == [0.5, 0.2]


def test_sif_and_edge_lists_get_the_default_cost(tmp_path):
    sif = _write(tmp_path / "net.sif", "A\tpp\tB\tC\nD\nC pd A\nB\tpp\tA\n")
    edges = read_interactome(sif, default_cost=0.3)
    pairs = sorted(tuple(sorted(p)) for p in edges[["source", "target"]].values.tolist())
    assert pairs == [("A", "B"), ("A", "C")]  # B-A and C-A are duplicates; D isolated
    assert edges["cost"].tolist() == [0.3, 0.3]
    two = _write(tmp_path / "pairs.tsv", "protein1\tprotein2\nX\tY\nY\tZ\n")
    listed = read_interactome(two)
    assert listed[["source", "target"]].values.tolist() == [["X", "Y"], ["Y", "Z"]]
    assert listed["cost"].tolist() == [1.0, 1.0]
    plain = _write(tmp_path / "plain.txt", "X Y\nY Z\n")
    assert len(read_interactome(plain, fmt="edgelist", cost_scale=2)) == 2
    assert read_interactome(plain, fmt="edgelist", cost_scale=2)["cost"].tolist() == [2.0, 2.0]


def test_oi2_tables_are_still_read_by_their_columns(tmp_path):
    path = _write(tmp_path / "oi2.tsv", "protein1\tprotein2\tcost\nA\tB\t0.4\n")
    assert read_interactome(path)["cost"].tolist() == [0.4]


@pytest.mark.parametrize(
    ("name", "text", "kwargs", "message"),
    [
        ("bad.txt", "A\tB\t0.5\nB\tC\tlots\n", {}, r"bad.txt, line 2: confidence 'lots'"),
        ("bad.txt", "A\tB\t-0.5\n", {}, r"line 1: confidences must be ≥ 0"),
        ("bad.txt", "A\tB\t0.5\n\tC\t0.5\n", {"fmt": "oi1"}, r"line 2: missing value"),
        ("bad.sif", "A pp B\nC D\n", {}, r"bad.sif, line 2: a SIF line"),
        ("bad.txt", "A\tB\tC\tD\tE\n", {"fmt": "oi1"}, r"expected 3 \(or 4\) columns"),
        ("bad.txt", "A\tB\t0.5\n", {"fmt": "edgelist"}, r"an edge list has 2 columns"),
        ("empty.txt", "\n# only a comment\n", {}, r"empty.txt is empty"),
    ],
)
def test_format_errors_are_one_line_and_name_the_file(tmp_path, name, text, kwargs, message):
    path = _write(tmp_path / name, text)
    with pytest.raises(DataError, match=message) as err:
        read_interactome(path, **kwargs)
    assert "\n" not in str(err.value)


def test_bad_format_settings(tmp_path):
    path = _write(tmp_path / "x.txt", "A\tB\n")
    with pytest.raises(ConfigError, match="fmt must be one of"):
        read_interactome(path, fmt="xml")
    with pytest.raises(ConfigError, match="default_cost"):
        read_interactome(path, default_cost=-1)


def test_prize_files_oi1_and_oi2(tmp_path):
    oi2 = _write(tmp_path / "oi2.tsv", "name\tprize\ttype\nA\t2.0\tterminal\nC\t1.5\tterminal\n")
    oi1 = _write(tmp_path / "oi1.txt", "A\t2.0\nC\t1.5\n")
    spaced = _write(tmp_path / "oi1_spaces.txt", "A 2.0\nC 1.5\n")
    expected = {"A": 2.0, "C": 1.5}
    assert read_prizes(oi2).to_dict() == expected
    assert read_prizes(oi1).to_dict() == expected
    assert read_prizes(spaced).to_dict() == expected
    with pytest.raises(DataError, match="'C'"):
        read_prizes(_write(tmp_path / "bad.txt", "A\t2.0\nC\tmany\n"))


def test_an_oi1_network_solves_end_to_end(tmp_path):
    path = _write(tmp_path / "oi1.txt", "A\tB\t0.9\nB\tC\t0.9\nC\tD\t0.2\n")
    prizes = read_prizes(_write(tmp_path / "p.txt", "A\t2.0\nC\t2.0\n"))
    result = solve_pcsf(read_interactome(path), prizes, w=2.0, g=None, solver="exact")
    assert sorted(result.selected) == ["A", "B", "C"] and result.optimal
    assert result.objective == pytest.approx(0.2 + 2.0)
