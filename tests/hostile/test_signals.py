"""Signals to a running ``omicsnet lcms convert`` with 2 worker processes.

Before the fix, SIGTERM left both workers blocked forever (the command's output pipes
never closed) and Ctrl-C took ~35 s because every queued file was still converted, and
printed the workers' tracebacks. Now: one line, exit 143/130 within a couple of seconds,
no process of the command's group left, no temporary or partial file left.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.hostile.helpers import (
    LINUX,
    alive,
    child_env,
    group_members,
    kill_group,
    omicsnet_command,
    tmp_files,
    wait_until,
    write_runs,
)

pytestmark = pytest.mark.skipif(not LINUX, reason="process groups are inspected through /proc")

N_RUNS = 40
STOP_SECONDS = 5.0  # the pool's grace is 2 s; the rest is slack for a loaded machine


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> list[Path]:
    return write_runs(tmp_path_factory.mktemp("runs"), N_RUNS)


def _start(runs: list[Path], tmp_path: Path) -> subprocess.Popen[str]:
    command = omicsnet_command(
        "-q",
        "lcms",
        "convert",
        *map(str, runs),
        "--out",
        str(tmp_path / "out"),
        "--workers",
        "2",
        "--cache-dir",
        str(tmp_path / "cache"),
    )
    return subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
        start_new_session=True,  # its own process group: what a terminal's Ctrl-C reaches
        # a foreground command's default Ctrl-C handling, even when this test run was
        # started in the background (a non-interactive shell's `cmd &` ignores SIGINT,
        # and Python installs no KeyboardInterrupt handler for an ignored SIGINT)
        preexec_fn=_default_sigint,
    )


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _mid_way(process: subprocess.Popen[str], tmp_path: Path) -> list[int]:
    """Wait until the workers run and the first file is converted; return the worker pids."""
    started = wait_until(
        lambda: process.poll() is not None or any((tmp_path / "cache").rglob("*.npz")), 120
    )
    assert started and process.poll() is None, "the conversion ended before it could be stopped"
    workers = [pid for pid in group_members(process.pid) if pid != process.pid]
    assert len(workers) == 2, f"expected 2 worker processes, found {workers}"
    return workers


def _check_stopped(
    process: subprocess.Popen[str], workers: list[int], sent: float, tmp_path: Path
) -> str:
    try:
        _, stderr = process.communicate(timeout=60)
    finally:
        kill_group(process.pid)
    took = time.monotonic() - sent
    assert took < STOP_SECONDS, f"took {took:.1f} s to stop"
    assert "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    # no orphan: neither the group nor the workers we saw survive the command
    assert wait_until(lambda: not any(alive(pid) for pid in workers), 2.0), workers
    assert group_members(process.pid) == {}
    # nothing partial: no temporary file, and every matrix written is complete
    assert tmp_files(tmp_path) == []
    from omicsnet.ms.binning import LCMSMatrix

    written = sorted(tmp_path.rglob("*.npz"))
    for path in written:
        assert LCMSMatrix.load(path).shape == (1024, 1024)
    cached = list((tmp_path / "cache").rglob("*.npz"))
    assert len(cached) < N_RUNS, "queued files were converted after the stop"
    # each matrix is saved as soon as its file is converted: what was finished is kept
    assert len(list((tmp_path / "out").glob("*.npz"))) <= len(cached)
    return stderr.strip()


@pytest.mark.parametrize("to_group", [False, True], ids=["main-process", "process-group"])
def test_sigterm_stops_convert_cleanly(runs, tmp_path, to_group):
    process = _start(runs, tmp_path)
    workers = _mid_way(process, tmp_path)
    sent = time.monotonic()
    if to_group:  # e.g. a batch system stopping the job
        os.killpg(process.pid, signal.SIGTERM)
    else:  # e.g. `kill PID`
        os.kill(process.pid, signal.SIGTERM)
    line = _check_stopped(process, workers, sent, tmp_path)
    assert process.returncode == 143
    assert line == "omicsnet: terminated by SIGTERM"


def test_ctrl_c_stops_convert_within_seconds(runs, tmp_path):
    process = _start(runs, tmp_path)
    workers = _mid_way(process, tmp_path)
    sent = time.monotonic()
    os.killpg(process.pid, signal.SIGINT)  # what a terminal sends on Ctrl-C: the whole group
    line = _check_stopped(process, workers, sent, tmp_path)
    assert process.returncode == 130
    assert line == "omicsnet: interrupted"


def test_sigkill_of_the_command_takes_its_workers_along(runs, tmp_path):
    process = _start(runs, tmp_path)
    workers = _mid_way(process, tmp_path)
    os.kill(process.pid, signal.SIGKILL)  # no clean-up possible in the command itself
    try:
        process.communicate(timeout=15)  # returns only when the workers let go of the pipes
        assert wait_until(lambda: not any(alive(pid) for pid in workers), 2.0), workers
    finally:
        kill_group(process.pid)
    assert process.returncode == -signal.SIGKILL
