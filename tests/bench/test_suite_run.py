"""`omicsnet bench run --all | --suite | NAME...`: counter, failures, outputs, publishing."""

from __future__ import annotations

import json

from ..conftest import run_cli


def _results(root):
    return {p.parent.name: json.loads(p.read_text()) for p in root.glob("*/results.json")}


def test_all_runs_every_toy_and_writes_summary(toy_dir, no_builtin, tmp_path):
    out = tmp_path / "run"
    ran = run_cli("bench", "run", "--all", "--bench-dir", str(toy_dir), "--out", str(out),
                  env=no_builtin)  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert "[1/2] toy-quality: running" in ran.stdout
    assert "[2/2] toy-speed: ok" in ran.stdout
    assert "2 benchmarks: 2 ok, 0 skipped (data not found), 0 failed" in ran.stdout
    results = _results(out)
    assert set(results) == {"toy-quality", "toy-speed"}
    speed = results["toy-speed"]
    assert speed["machine"]["quick"] is False
    assert [r["case"] for r in speed["rows"]] == ["large A", "large B"]
    assert speed["rows"][0]["noise"] == "ratio ±10%"  # the declared band is stored
    assert speed["suites"] == ["speed"]
    summary = (out / "SUMMARY.md").read_text()
    for line in (
        "| large A | new | old | 1.00 s | 4.00 s | 0.250 | <= 0.5 | yes | ratio ±10% |",
        "| median r | model | ridge | 0.62 r | 0.5 r | 1.240 | >= 1.0 | yes | value ±0.03 |",
    ):
        assert line in summary


def test_failing_benchmark_is_reported_at_the_end_and_the_rest_runs(toy_dir, no_builtin, tmp_path):
    out = tmp_path / "run"
    ran = run_cli("bench", "run", "--all", "--bench-dir", str(toy_dir), "--out", str(out),
                  env={**no_builtin, "TOY_QUALITY": "raise"})  # fmt: skip
    assert ran.returncode == 1
    assert "[2/2] toy-speed: ok" in ran.stdout  # ran after the failure
    assert "failed: toy-quality: RuntimeError: planted failure" in ran.stdout.splitlines()[-3]
    assert "planted failure" in ran.stderr  # the traceback, for whoever debugs it
    assert set(_results(out)) == {"toy-speed"}


def test_a_crashing_process_does_not_stop_the_run(toy_dir, no_builtin, tmp_path):
    out = tmp_path / "run"
    ran = run_cli("bench", "run", "--all", "--bench-dir", str(toy_dir), "--out", str(out),
                  env={**no_builtin, "TOY_QUALITY": "crash"})  # fmt: skip
    assert ran.returncode == 1
    assert "failed: toy-quality: the benchmark's process was killed by signal 9" in ran.stdout
    assert set(_results(out)) == {"toy-speed"}


def test_failed_rerun_leaves_no_stale_result(toy_dir, no_builtin, tmp_path):
    out = tmp_path / "run"
    args = ("bench", "run", "toy-quality", "--bench-dir", str(toy_dir), "--out", str(out))
    assert run_cli(*args, env=no_builtin).returncode == 0
    assert (out / "toy-quality" / "results.json").is_file()
    assert run_cli(*args, env={**no_builtin, "TOY_QUALITY": "raise"}).returncode == 1
    assert not (out / "toy-quality" / "results.json").exists()


def test_missing_data_skips_in_a_suite_but_fails_when_named(toy_dir, no_builtin, tmp_path):
    env = {**no_builtin, "TOY_QUALITY": "nodata"}
    suite = run_cli("bench", "run", "--suite", "science", "--bench-dir", str(toy_dir),
                    "--out", str(tmp_path / "a"), env=env)  # fmt: skip
    assert suite.returncode == 0, suite.stdout
    assert "skipped: toy-quality: DataNotFoundError: toy data not found" in suite.stdout
    named = run_cli("bench", "run", "toy-quality", "--bench-dir", str(toy_dir),
                    "--out", str(tmp_path / "b"), env=env)  # fmt: skip
    assert named.returncode == 1


def test_suites_select_members_and_quick_runs_everything_small(toy_dir, no_builtin, tmp_path):
    speed = run_cli("bench", "run", "--suite", "speed", "--bench-dir", str(toy_dir),
                    "--out", str(tmp_path / "speed"), env=no_builtin)  # fmt: skip
    assert speed.returncode == 0, speed.stderr
    assert set(_results(tmp_path / "speed")) == {"toy-speed"}
    quick = run_cli("bench", "run", "--suite", "quick", "--bench-dir", str(toy_dir),
                    "--out", str(tmp_path / "quick"), env=no_builtin)  # fmt: skip
    assert quick.returncode == 0, quick.stderr
    results = _results(tmp_path / "quick")
    assert set(results) == {"toy-quality", "toy-speed"}
    assert all(r["machine"]["quick"] for r in results.values())
    assert results["toy-speed"]["rows"][0]["case"] == "small A"


def test_named_benchmarks_and_argument_errors(toy_dir, no_builtin, tmp_path):
    out = tmp_path / "run"
    ran = run_cli("bench", "run", "toy-speed", "toy-quality", "toy-speed", "--bench-dir",
                  str(toy_dir), "--out", str(out), env=no_builtin)  # fmt: skip
    assert ran.returncode == 0
    assert "[1/2] toy-speed" in ran.stdout and "[2/2] toy-quality" in ran.stdout
    unknown = run_cli("bench", "run", "toy-speed", "nope", "--bench-dir", str(toy_dir),
                      env=no_builtin)  # fmt: skip
    assert unknown.returncode == 2 and "unknown benchmark 'nope'" in unknown.stderr
    assert "known: toy-quality, toy-speed" in unknown.stderr
    nothing = run_cli("bench", "run", env=no_builtin)
    assert nothing.returncode == 2 and "pass --all, or pass --suite" in nothing.stderr
    suite = run_cli("bench", "run", "--suite", "fast", env=no_builtin)
    assert suite.returncode == 2 and "unknown suite 'fast'" in suite.stderr


def test_run_refuses_a_folder_it_did_not_write(toy_dir, no_builtin, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.docx").write_text("precious")
    ran = run_cli("bench", "run", "toy-speed", "--bench-dir", str(toy_dir), "--out", str(mine),
                  env=no_builtin)  # fmt: skip
    assert ran.returncode == 2 and "holds files that omicsnet did not write" in ran.stderr
    assert sorted(p.name for p in mine.iterdir()) == ["thesis.docx"]


def test_publish_writes_beside_the_suite_and_refuses_quick(toy_dir, no_builtin):
    ran = run_cli("bench", "run", "toy-speed", "--bench-dir", str(toy_dir), "--publish",
                  env=no_builtin)  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    published = toy_dir / "results"
    assert json.loads((published / "toy-speed" / "results.json").read_text())["rows"]
    assert "toy-speed" in (published / "SUMMARY.md").read_text()
    quick = run_cli("bench", "run", "toy-speed", "--bench-dir", str(toy_dir), "--publish",
                    "--quick", env=no_builtin)  # fmt: skip
    assert quick.returncode == 2 and "never published" in quick.stderr


def test_in_process_run_gives_the_same_result(toy_dir, tmp_path):
    from omicsnet.bench.runner import run_benchmarks, select_benchmarks

    entries, quick = select_benchmarks(["toy-speed"], bench_dirs=[toy_dir])
    assert quick is False
    lines: list[str] = []
    outcomes = run_benchmarks(entries, out_root=tmp_path / "run", bench_dirs=[toy_dir],
                              isolate=False, echo=lines.append)  # fmt: skip
    assert [(o.name, o.status) for o in outcomes] == [("toy-speed", "ok")]
    assert lines == ["[1/1] toy-speed: running", lines[1]]
    assert lines[1].startswith("[1/1] toy-speed: ok in ")
    payload = json.loads((tmp_path / "run" / "toy-speed" / "results.json").read_text())
    assert payload["rows"][0]["ratio"] == 0.25
