"""A killed job loses nothing and redoes nothing: ``kill -9`` in the middle, then ``--resume``.

The long jobs keep each finished unit (a cross-validation split) in their output folder as it
finishes. Killed with SIGKILL once the first unit is there, and run again with
``--resume``, they read the finished units back instead of fitting them again and end with
the same tables as a run that was never interrupted.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest


def _run(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "omicsnet", *args], capture_output=True, text=True, timeout=900
    )


def _kill_after(args: list[str], first_unit: Path, timeout: float = 600) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "omicsnet", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout
    try:
        while not first_unit.is_file():
            if process.poll() is not None:
                pytest.fail(f"the job ended (status {process.returncode}) before its first unit")
            if time.monotonic() > deadline:
                pytest.fail("the first unit never appeared")
            time.sleep(0.05)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _same_tables(a: Path, b: Path, name: str) -> None:
    left, right = pd.read_csv(a / name), pd.read_csv(b / name)
    drop = [c for c in left.columns if c == "seconds"]
    pd.testing.assert_frame_equal(left.drop(columns=drop), right.drop(columns=drop))


def test_a_killed_t2p_evaluation_resumes_without_refitting(tmp_path):
    args = ["t2p", "evaluate", "--synthetic", "--k", "3", "--baselines", "dummy,ridge"]
    killed, whole = tmp_path / "killed", tmp_path / "whole"
    _kill_after([*args, "--out", str(killed)], killed / "splits" / "split_000" / "split.json")
    done_before = sorted(p.name for p in (killed / "splits").glob("split_*"))
    assert done_before and len(done_before) < 6
    refused = _run([*args, "--out", str(killed)])
    assert refused.returncode == 2 and "--resume" in refused.stderr
    resumed = _run([*args, "--out", str(killed), "--resume"])
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stderr.count("read back") == len(done_before)
    assert _run([*args, "--out", str(whole)]).returncode == 0
    _same_tables(killed, whole, "cv.csv")


def test_a_killed_lcms_cross_validation_resumes_without_retraining(tmp_path):
    rng = np.random.default_rng(0)
    arrays = tmp_path / "arrays"
    arrays.mkdir()
    labels = []
    for i in range(9):
        x = rng.random((32, 32)).astype("float32")
        x[8:12, 8:12] += 3.0 * (i % 3)
        np.save(arrays / f"run{i}.npy", x)
        labels.append({"file": f"run{i}.npy", "label": "abc"[i % 3]})
    pd.DataFrame(labels).to_csv(tmp_path / "labels.csv", index=False)
    args = ["lcms", "train", "--arrays", str(arrays), "--labels", str(tmp_path / "labels.csv"),
            "--cv", "3", "--models", "1", "--epochs", "2", "--tiny", "--pre-pool", "1",
            "--no-augment", "--batch-size", "4"]  # fmt: skip
    killed, whole = tmp_path / "killed", tmp_path / "whole"
    _kill_after([*args, "--out", str(killed)], killed / "cv_folds" / "split_000" / "split.json")
    done_before = sorted(p.name for p in (killed / "cv_folds").glob("split_*"))
    assert done_before and len(done_before) < 3
    resumed = _run([*args, "--out", str(killed), "--resume"])
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stderr.count("read back") == len(done_before)
    assert _run([*args, "--out", str(whole)]).returncode == 0
    _same_tables(killed, whole, "cv_predictions.csv")
    members = [c for c in pd.read_csv(whole / "cv_members.csv").columns if "seconds" not in c]
    pd.testing.assert_frame_equal(
        pd.read_csv(killed / "cv_members.csv")[members],
        pd.read_csv(whole / "cv_members.csv")[members],
    )
