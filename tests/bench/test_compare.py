"""`omicsnet bench compare`: flags a planted regression, passes an unchanged run."""

from __future__ import annotations

import json

import pytest

from omicsnet.bench.bands import moved, parse_band
from omicsnet.bench.compare import MOVED, OK, REGRESSED, compare_rows, compare_runs
from omicsnet.bench.registry import BenchRow
from omicsnet.errors import ConfigError, DataError, DataNotFoundError

from ..conftest import run_cli


def _run(toy_dir, env, out, *extra):
    ran = run_cli("bench", "run", "--all", "--bench-dir", str(toy_dir), "--out", str(out),
                  *extra, env=env)  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    return out


@pytest.fixture
def published(toy_dir, no_builtin):
    """The toys' published results (a full run with --publish)."""
    ran = run_cli("bench", "run", "--all", "--bench-dir", str(toy_dir), "--publish",
                  env=no_builtin)  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    return toy_dir / "results"


def _compare(run, published, toy_dir, env):
    return run_cli("bench", "compare", str(run), "--baseline", str(published), "--bench-dir",
                   str(toy_dir), env=env)  # fmt: skip


def test_unchanged_run_passes(toy_dir, no_builtin, published, tmp_path):
    run = _run(toy_dir, no_builtin, tmp_path / "run")
    compared = _compare(run, published, toy_dir, no_builtin)
    assert compared.returncode == 0, compared.stdout + compared.stderr
    assert "No target that was met is missed now; 0 row(s) moved" in compared.stdout
    summary = json.loads((run / "compare.json").read_text())
    statuses = [r["status"] for b in summary["benchmarks"] for r in b["rows"]]
    assert statuses == [OK, OK, OK] and summary["exit_status"] == 0
    assert (run / "compare.md").read_text() in compared.stdout


def test_planted_regression_is_flagged_and_fails(toy_dir, no_builtin, published, tmp_path):
    # toy-speed's ratio 0.25 (target <= 0.5) becomes 0.6: the met target is missed now
    run = _run(toy_dir, {**no_builtin, "TOY_FACTOR": "2.4"}, tmp_path / "run")
    compared = _compare(run, published, toy_dir, no_builtin)
    assert compared.returncode == 1
    assert "**1 target(s) regressed**" in compared.stdout
    row = next(line for line in compared.stdout.splitlines() if "| large A |" in line)
    assert row.startswith("| **REGRESSED: ratio ±10%** |")
    assert "| 0.250 → 0.600 | +140.0 % |" in row and "| yes → NO |" in row
    summary = json.loads((run / "compare.json").read_text())
    assert summary["regressions"] == 1 and summary["exit_status"] == 1
    speed = next(b for b in summary["benchmarks"] if b["name"] == "toy-speed")
    assert speed["rows"][0]["published"]["ratio"] == 0.25
    assert speed["rows"][0]["new"]["ratio"] == 0.6


def test_move_beyond_band_is_flagged_without_failing(toy_dir, no_builtin, published, tmp_path):
    # r 0.62 -> 0.58: outside its ±0.03 band, target (ratio >= 1) still met
    run = _run(toy_dir, {**no_builtin, "TOY_R": "0.58"}, tmp_path / "run")
    compared = _compare(run, published, toy_dir, no_builtin)
    assert compared.returncode == 0
    assert "1 row(s) moved beyond their noise band" in compared.stdout
    assert "| **moved: value ±0.03 (candidate)** | median r |" in compared.stdout
    # inside the band: not flagged
    run2 = _run(toy_dir, {**no_builtin, "TOY_R": "0.60"}, tmp_path / "run2")
    assert "0 row(s) moved" in _compare(run2, published, toy_dir, no_builtin).stdout


def test_quick_run_against_full_results_is_shown_not_judged(
    toy_dir, no_builtin, published, tmp_path
):
    run = _run(toy_dir, {**no_builtin, "TOY_R": "0.1"}, tmp_path / "run", "--quick")
    compared = _compare(run, published, toy_dir, no_builtin)
    assert compared.returncode == 0  # toy-quality's target is missed, but not like for like
    assert "not like for like: the new run is --quick, the published one full" in compared.stdout
    assert "| (REGRESSED: value ±0.03 (candidate)) | median r |" in compared.stdout
    # quick rows have other case names: both sides are listed
    assert "| (new) | small A |" in compared.stdout
    assert "| (missing) | large A |" in compared.stdout


def test_compare_errors_are_one_line(tmp_path, toy_dir, no_builtin):
    missing = run_cli("bench", "compare", str(tmp_path / "nothing"), "--baseline", str(tmp_path),
                      env=no_builtin)  # fmt: skip
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    bad = tmp_path / "bad" / "x"
    bad.mkdir(parents=True)
    (bad / "results.json").write_text("[1, 2")
    with pytest.raises(DataError, match=r"bad/x/results.json is not a JSON file"):
        compare_runs(bad.parent, bad.parent)
    (bad / "results.json").write_text('{"rows": [{"candidate_value": "fast"}]}')
    with pytest.raises(DataError, match="row 1 has a value that is not a number"):
        compare_runs(bad.parent, bad.parent)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataNotFoundError, match="no benchmark results in"):
        compare_runs(empty, bad.parent)


def test_row_rules():
    old = BenchRow("c", "a", "b", 0.62, 0.46, unit="r", target=">= 1.0", noise="value ±0.03")
    assert compare_rows(old, BenchRow("c", "a", "b", 0.60, 0.47, unit="r")).status == OK
    shifted = compare_rows(old, BenchRow("c", "a", "b", 0.62, 0.52, unit="r", target=">= 1.0"))
    assert shifted.status == MOVED and shifted.moved == ["value ±0.03 (baseline)"]
    lost = compare_rows(old, BenchRow("c", "a", "b", 0.40, 0.46, unit="r", target=">= 1.0"))
    assert lost.status == REGRESSED
    # a row with no band anywhere gets the default, and says so
    plain = compare_rows(BenchRow("c", "a", "b", 1.0, 1.0), BenchRow("c", "a", "b", 1.2, 1.0))
    assert (plain.band, plain.band_source, plain.status) == ("ratio ±15%", "default", MOVED)


def test_bands():
    assert moved("ratio ±15%", (1, 1, 1.0), (1, 1, 1.15)) == []
    assert moved("ratio ±15%", (1, 1, 1.0), (1, 1, 1.151)) == ["ratio ±15%"]
    assert moved("value ±0", (1000.0, 1000.0, 1.0), (500.0, 1000.0, 0.5)) == [
        "value ±0 (candidate)"
    ]
    assert moved("value ±5%", (2.0, 1.0, 2.0), (2.09, 1.0, 2.09)) == []
    nan = float("nan")
    assert moved("ratio ±15%", (1, 0, nan), (1, 0, nan)) == []
    assert moved("ratio ±15%", (1, 1, 1.0), (1, 0, nan)) == ["ratio ±15%"]
    assert [str(c) for c in parse_band("ratio +/-0.05")] == ["ratio ±0.05"]
    with pytest.raises(ConfigError, match="must be clauses"):
        parse_band("ratio ±")
