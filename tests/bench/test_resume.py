"""``omicsnet bench run NAME --out DIR --resume``: a killed benchmark reuses its finished folds.

A benchmark keeps each finished cross-validation fold in ``DIR/NAME/units/PART/``
(``ctx.units``, passed as ``store=`` to ``cross_validate``). Killed with SIGKILL in the
middle and run again with ``--resume``, it fits only the folds that were not finished
(counted) and writes the same rows as an uninterrupted run; without ``--resume`` it
starts again; a changed benchmark (other settings) refuses the stale folds. The units
are removed once the results are written.
"""

from __future__ import annotations

import json
import textwrap

import pytest

from omicsnet.bench.registry import claim_folder, run_benchmark
from omicsnet.errors import ConfigError
from omicsnet.utils.units import UnitStore

from ..conftest import run_cli
from ..hostile.test_kill_resume import _kill_after

FOLDS = 6

#: A benchmark with slow-ish, seeded folds; each fit is logged to $TOY_FITS.
TOY = textwrap.dedent(
    f"""
    import os
    import time

    import numpy as np

    from omicsnet.bench.registry import BenchResult, BenchRow, register_benchmark
    from omicsnet.train.cv import cross_validate, kfold


    @register_benchmark("toy-folds", "least squares against the mean over {FOLDS} folds")
    def toy_folds(ctx):
        noise = float(os.environ.get("TOY_NOISE", "0.1"))
        rng = np.random.default_rng(0)
        x = rng.normal(size=(60, 3))
        y = x @ [1.0, -2.0, 0.5] + rng.normal(0, noise, 60)

        def fit_predict(split):
            with open(os.environ["TOY_FITS"], "a") as log:
                log.write(split.name + "\\n")
            time.sleep(0.3)
            coef = np.linalg.lstsq(x[split.train], y[split.train], rcond=None)[0]
            return {{"least_squares": x[split.test] @ coef,
                     "mean": np.full(len(split.test), y[split.train].mean())}}

        def mse(name, split, predicted):
            return {{"mse": float(np.mean((y[split.test] - predicted) ** 2))}}

        store = ctx.units("folds", {{"noise": noise, "folds": {FOLDS}}})
        cv = cross_validate(kfold(60, {FOLDS}, seed=0), fit_predict, score=mse, store=store)
        s = cv.summary("mse")
        return BenchResult([BenchRow("mse, {FOLDS} folds", "least squares", "mean",
                                     s.loc["least_squares", "mse_mean"],
                                     s.loc["mean", "mse_mean"], unit="mse")])
    """
)


def _fits(log) -> list[str]:
    return log.read_text().split() if log.exists() else []


@pytest.fixture
def toy(tmp_path):
    bench_dir = tmp_path / "bench"
    bench_dir.mkdir()
    (bench_dir / "bench_toy_folds.py").write_text(TOY)
    return bench_dir


def test_a_killed_benchmark_resumes_from_its_finished_folds(toy, no_builtin, tmp_path, monkeypatch):
    log = tmp_path / "fits.log"
    env = {"TOY_FITS": str(log), **no_builtin}
    args = ["bench", "run", "toy-folds", "--bench-dir", str(toy)]
    killed, whole = tmp_path / "killed", tmp_path / "whole"
    units = killed / "toy-folds" / "units" / "folds"

    with monkeypatch.context() as patch:
        for name, value in env.items():  # the killed run inherits our environment
            patch.setenv(name, value)
        _kill_after([*args, "--out", str(killed)], units / "split_000" / "split.json")
    done_before = sorted(p.name for p in units.glob("split_*"))
    assert done_before and len(done_before) < FOLDS

    log.unlink()
    resumed = run_cli(*args, "--out", str(killed), "--resume", env=env)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert len(_fits(log)) == FOLDS - len(done_before)  # finished folds were not refitted
    assert not (killed / "toy-folds" / "units").exists()  # removed with the results written

    log.unlink()
    monkeypatch.setenv("TOY_FITS", str(log))
    run_benchmark("toy-folds", bench_dir=toy, out_dir=whole / "toy-folds", builtin=False)
    assert len(_fits(log)) == FOLDS
    rows = [json.loads((f / "toy-folds" / "results.json").read_text())["rows"]
            for f in (killed, whole)]  # fmt: skip
    values = [[(r["candidate_value"], r["baseline_value"]) for r in rs] for rs in rows]
    assert values[0] == values[1]


def test_without_resume_a_benchmark_starts_again(toy, tmp_path, monkeypatch):
    log = tmp_path / "fits.log"
    monkeypatch.setenv("TOY_FITS", str(log))
    out = claim_folder(tmp_path / "run")  # an earlier, killed run's folder
    stale = out / "units" / "folds"
    stale.mkdir(parents=True)
    (stale / "units.json").write_text(json.dumps({"format": "omicsnet-units", "settings": {}}))
    run_benchmark("toy-folds", bench_dir=toy, out_dir=out, builtin=False)
    assert len(_fits(log)) == FOLDS and not (out / "units").exists()
    # a store of other settings makes a resumed run fail, keeping the folds it holds
    UnitStore.open(stale, {"part": "folds", "quick": False, "noise": 0.2, "folds": FOLDS})
    with pytest.raises(ConfigError, match=r"another run \(different noise\); run it without"):
        run_benchmark("toy-folds", bench_dir=toy, out_dir=out, builtin=False, resume=True)
    assert (stale / "units.json").is_file()


@pytest.mark.slow
@pytest.mark.data
@pytest.mark.timeout(1800)
def test_the_kcae_benchmark_resumes_on_real_data(shared_data, tmp_path):
    """``bench run kcae --quick`` killed after its first kgae fold, then ``--resume``: the
    finished folds (all DeepMetabolism folds, one kgae fold and its inner folds) are read
    back, and every row but the timings equals an uninterrupted run (about 6 min)."""
    args = ["bench", "run", "kcae", "--quick", "--data-dir", str(shared_data)]
    killed, whole = tmp_path / "killed", tmp_path / "whole"
    units = killed / "kcae" / "units"
    _kill_after([*args, "--out", str(killed)], units / "kgae-folds" / "split_000" / "split.json",
                timeout=1800)  # fmt: skip
    stored = sorted(p.parent.name for p in units.rglob("split.json"))
    assert len(stored) >= 4  # 3 DeepMetabolism folds, 1 kgae fold (+ its inner folds)
    resumed = run_cli(*args, "--out", str(killed), "--resume")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert resumed.stderr.count("read back") >= 4
    assert not units.exists()
    assert run_cli(*args, "--out", str(whole)).returncode == 0
    rows = [json.loads((f / "kcae" / "results.json").read_text())["rows"] for f in (killed, whole)]
    for a, b in zip(*rows, strict=True):
        if a["unit"] != "s":  # timings differ from run to run
            assert (a["case"], a["candidate_value"], a["baseline_value"]) == (
                b["case"], b["candidate_value"], b["baseline_value"],
            )  # fmt: skip
