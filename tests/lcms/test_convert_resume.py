"""``omicsnet lcms convert --resume``: a killed batch keeps its finished files.

Each matrix is written atomically as soon as its file is converted. Killed with SIGKILL
in the middle, the batch run again with ``--resume`` keeps the finished ``.npz`` files
(counted: they are not converted again, not even from the cache) and converts the
others; the matrices equal those of an uninterrupted batch. Without ``--resume`` the
existing files are refused; a file converted with other binning settings is refused.
"""

from __future__ import annotations

import re

import numpy as np

from omicsnet.ms.binning import LCMSMatrix

from ..conftest import run_cli
from ..hostile.helpers import write_runs
from ..hostile.test_kill_resume import _kill_after

N_RUNS = 24


def test_a_killed_batch_resumes_without_converting_finished_files(tmp_path):
    runs = [str(p) for p in write_runs(tmp_path / "runs", N_RUNS)]
    args = ["lcms", "convert", *runs, "--no-cache", "--workers", "1"]
    killed, whole = tmp_path / "killed", tmp_path / "whole"
    _kill_after([*args, "--out", str(killed)], killed / "run000.mzML.npz")
    done_before = sorted(p.name for p in killed.glob("*.npz"))
    assert 0 < len(done_before) < N_RUNS
    assert not [p for p in killed.iterdir() if p.name.startswith(".") and "tmp" in p.name]

    refused = run_cli(*args, "--out", str(killed))
    assert refused.returncode == 2 and "--resume" in refused.stderr
    other = run_cli(*args, "--out", str(killed), "--resume", "--param", "n_rt=512")
    assert other.returncode == 2 and "other binning settings" in other.stderr

    resumed = run_cli(*args, "--out", str(killed), "--resume")
    assert resumed.returncode == 0, resumed.stderr
    counts = re.search(r"(\d+) kept from the earlier run, (\d+) converted, (\d+) from cache",
                       resumed.stdout)  # fmt: skip
    assert counts, resumed.stdout
    assert int(counts[1]) == len(done_before)
    assert int(counts[2]) == N_RUNS - len(done_before) and int(counts[3]) == 0
    assert run_cli(*args, "--out", str(whole)).returncode == 0
    names = sorted(p.name for p in whole.glob("*.npz"))
    assert names == sorted(p.name for p in killed.glob("*.npz")) and len(names) == N_RUNS
    for name in names:
        a, b = LCMSMatrix.load(killed / name), LCMSMatrix.load(whole / name)
        np.testing.assert_array_equal(a.values, b.values)
        assert a.sha256 == b.sha256
