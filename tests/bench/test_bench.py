"""The benchmark runner: discovery, reports with ratios, errors."""

from __future__ import annotations

import json

import pytest

from omicsnet.bench.registry import BenchRow, list_benchmarks, run_benchmark
from omicsnet.errors import ConfigError
from tests.conftest import run_cli

TOY = """
from omicsnet.bench.registry import BenchResult, BenchRow, register_benchmark


@register_benchmark("toy-ratio", "fixed numbers, to test the report")
def toy(ctx):
    value = 0.5 if ctx.quick else 1.0
    return BenchResult([BenchRow("case A", "new", "old", value, 4.0, target="<= 0.5")],
                       details={"quick": ctx.quick})
"""


@pytest.fixture
def bench_dir(tmp_path):
    folder = tmp_path / "benchmarks"
    folder.mkdir()
    (folder / "bench_toy.py").write_text(TOY)
    return folder


def test_run_writes_json_and_markdown_with_ratios(bench_dir, tmp_path):
    assert "toy-ratio" in list_benchmarks(bench_dir)
    _, out, markdown = run_benchmark("toy-ratio", bench_dir=bench_dir, out_dir=tmp_path / "r")
    payload = json.loads((out / "results.json").read_text())
    assert payload["rows"][0]["ratio"] == 0.25
    assert payload["rows"][0]["meets_target"] is True
    assert payload["machine"]["python"] and "torch_version" in payload["machine"]
    assert (out / "results.md").read_text() == markdown
    assert "| case A | new | old | 1.00 s | 4.00 s | 0.250 | <= 0.5 | yes |" in markdown


def test_cli_bench_list_and_run(bench_dir, tmp_path):
    listed = run_cli("bench", "list", "--bench-dir", str(bench_dir))
    assert "toy-ratio" in listed.stdout
    ran = run_cli(
        "bench",
        "run",
        "toy-ratio",
        "--quick",
        "--bench-dir",
        str(bench_dir),
        "--out",
        str(tmp_path / "r"),
    )
    assert ran.returncode == 0, ran.stderr
    assert "0.125" in ran.stdout  # 0.5 / 4.0 in quick mode
    missing = run_cli("bench", "run", "nope", "--bench-dir", str(bench_dir))
    assert missing.returncode == 2 and "unknown benchmark 'nope'" in missing.stderr


def test_unknown_benchmark_lists_known_ones(bench_dir):
    with pytest.raises(ConfigError, match="known: .*toy-ratio"):
        run_benchmark("nope", bench_dir=bench_dir)


def test_target_check_both_directions():
    assert BenchRow("c", "a", "b", 1.0, 200.0, target="<= 0.01").meets_target()
    assert BenchRow("c", "a", "b", 1.0, 50.0, target=">= 100").meets_target() is False
    assert BenchRow("c", "a", "b", 1.0, 1.0).meets_target() is None
    assert BenchRow("c", "a", "b", 1.0, 2.0, target="<=0.5").meets_target()
    with pytest.raises(ConfigError, match="must look like"):
        BenchRow("c", "a", "b", 1.0, 2.0, target="about 1").meets_target()
