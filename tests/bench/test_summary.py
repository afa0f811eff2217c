"""`benchmarks/results/SUMMARY.md`: every published row, with target, met, date, machine."""

from __future__ import annotations

import json

from omicsnet.bench.results import read_results
from omicsnet.bench.summary import cell, write_summary

from ..conftest import REPO, run_cli

PUBLISHED = REPO / "benchmarks" / "results"


def test_published_summary_lists_every_published_row():
    text = (PUBLISHED / "SUMMARY.md").read_text(encoding="utf-8")
    results = read_results(PUBLISHED)
    assert len(results) >= 11
    hint = "SUMMARY.md is out of date: run `omicsnet bench summary` and commit it"
    for name, result in results.items():
        section = text.split(f"\n## {name}\n", 1)
        assert len(section) == 2, f"{name} has no section; {hint}"
        body = section[1].split("\n## ", 1)[0]
        assert result.date in body, f"{name}: date differs; {hint}"
        table = [line for line in body.splitlines() if line.startswith("| ")][1:]
        assert len(table) == len(result.rows), f"{name}: row count differs; {hint}"
        for line, row in zip(table, result.rows, strict=True):
            met = row.meets_target()
            expected = "-" if met is None else ("yes" if met else "NO")
            cells = [c.strip() for c in line.strip("|").split(" | ")]
            assert cells[:3] == [cell(row.case), cell(row.candidate), cell(row.baseline)], hint
            assert cells[5] == f"{row.ratio:.3f}" and cells[6] == (row.target or "-")
            assert cells[7] == expected, f"{name} / {row.case}: met; {hint}"
        overview = next(line for line in text.splitlines() if line.startswith(f"| [{name}]"))
        assert result.machine_line() in overview and result.date[:10] in overview


def test_summary_of_a_toy_root(tmp_path):
    root = tmp_path / "results"
    (root / "toy").mkdir(parents=True)
    (root / "toy" / "results.json").write_text(json.dumps({
        "benchmark": "toy",
        "description": "a | b",
        "machine": {"date": "2026-01-02T03:04:05+00:00", "processor": "arm64", "cpu_count": 8,
                    "cuda": "NVIDIA H100", "quick": False, "wall_seconds": 4000,
                    "load_average_start": [3.5, 1, 1], "load_average_end": [0.5, 1, 1]},
        "rows": [
            {"case": "x", "candidate": "new", "baseline": "old", "candidate_value": 1.0,
             "baseline_value": 4.0, "unit": "s", "target": "<= 0.2", "noise": "ratio ±15%"},
            {"case": "import", "candidate": "new", "baseline": "bare", "candidate_value": 0.06,
             "baseline_value": 0.05, "unit": "s", "target": "value < 1"},
        ],
    }))  # fmt: skip
    path = write_summary(root, entries={})
    text = path.read_text()
    assert "1 benchmark, 2 rows; 1 of 2 targets met." in text
    assert ("| [toy](#toy) | 2 | 1 of 2 | 2026-01-02 03:04 | arm64, 8 cores, NVIDIA H100 | "
            "full, 67 min, load 3.5 → 0.5 (busy) |") in text  # fmt: skip
    assert "a \\| b" in text  # pipes escaped
    assert "| x | new | old | 1.00 s | 4.00 s | 0.250 | <= 0.2 | NO | ratio ±15% |" in text
    assert "| import | new | bare | 60.0 ms | 50.0 ms | 1.200 | value < 1 | yes | - |" in text


def test_summary_command_regenerates_in_place(tmp_path):
    root = tmp_path / "results"
    (root / "toy").mkdir(parents=True)
    (root / "toy" / "results.json").write_text('{"benchmark": "toy", "rows": []}')
    ran = run_cli("bench", "summary", str(root))
    assert ran.returncode == 0, ran.stderr
    assert "| [toy](#toy) | 0 | - |" in (root / "SUMMARY.md").read_text()
