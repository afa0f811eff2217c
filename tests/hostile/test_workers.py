"""omicsnet.utils.workers: worker pools that stop with their parent and stop at once.

The pools of ``lcms convert``, the essentiality screen and the PCSF randomisations are
all :class:`WorkerPool`; these tests hold its promises directly.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from omicsnet.utils.workers import STOP_GRACE_SECONDS, WorkerPool
from tests.hostile.helpers import LINUX, REPO, alive, child_env, kill_group, wait_until


def mark_and_sleep(folder: str, index: int, seconds: float) -> int:
    Path(folder, f"started-{index}").write_text("")
    time.sleep(seconds)
    return index


def hold_a_temporary_file(folder: str) -> None:
    partial = Path(folder, "partial.tmp")
    try:
        partial.write_text("half a result")
        time.sleep(60)
    finally:
        partial.unlink(missing_ok=True)


def swallow_the_stop(folder: str) -> str:
    Path(folder, "started").write_text("")
    try:
        time.sleep(60)
    except BaseException:  # a careless task: catches everything and returns
        return "swallowed"
    return "slept"


def test_results_as_a_process_pool():
    with WorkerPool(max_workers=2) as pool:
        assert list(pool.map(pow, [2, 3, 4], [2, 2, 2])) == [4, 9, 16]


def test_an_exception_in_the_block_cancels_queued_jobs(tmp_path):
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="stop"), WorkerPool(max_workers=2) as pool:
        futures = [pool.submit(mark_and_sleep, str(tmp_path), i, 0.5) for i in range(20)]
        futures[0].result()
        leaving = time.monotonic()
        raise RuntimeError("stop")  # e.g. KeyboardInterrupt on Ctrl-C
    took = time.monotonic() - leaving
    assert took < STOP_GRACE_SECONDS + 1.5, f"leaving the pool took {took:.1f} s"
    ran = len(list(tmp_path.glob("started-*")))
    assert ran <= 6, f"{ran} of 20 jobs started; queued jobs must be cancelled"
    assert time.monotonic() - started < 10  # 20 jobs x 0.5 s / 2 workers would be 5 s more
    assert sum(f.cancelled() for f in futures) >= 10


def test_stop_unwinds_the_running_task(tmp_path):
    pool = WorkerPool(max_workers=1)
    future = pool.submit(hold_a_temporary_file, str(tmp_path))
    assert wait_until(lambda: (tmp_path / "partial.tmp").exists(), 60)
    processes = list(pool._processes.values())
    pool.stop()
    assert not (tmp_path / "partial.tmp").exists(), "the task's finally block did not run"
    assert [p.exitcode for p in processes] == [128 + signal.SIGTERM]  # not killed: it unwound
    assert isinstance(future.exception(timeout=0), BrokenProcessPool)


def test_a_task_that_swallows_the_stop_still_ends_its_worker(tmp_path):
    pool = WorkerPool(max_workers=1)
    pool.submit(swallow_the_stop, str(tmp_path))
    assert wait_until(lambda: (tmp_path / "started").exists(), 60)
    processes = list(pool._processes.values())
    started = time.monotonic()
    pool.stop()
    assert time.monotonic() - started < STOP_GRACE_SECONDS  # no need to wait for SIGKILL
    assert [p.exitcode for p in processes] == [128 + signal.SIGTERM]


@pytest.mark.skipif(not LINUX, reason="process states are read from /proc")
@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_workers_die_with_a_killed_parent(tmp_path, method):
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"no {method} start method here")
    script = textwrap.dedent(
        f"""
        import multiprocessing, sys, time
        from omicsnet.utils.workers import WorkerPool
        from tests.hostile.test_workers import mark_and_sleep

        if __name__ == "__main__":
            pool = WorkerPool(2, mp_context=multiprocessing.get_context({method!r}))
            futures = [pool.submit(mark_and_sleep, {str(tmp_path)!r}, i, 60) for i in range(4)]
            while len(pool._processes) < 2 or not all(p.pid for p in pool._processes.values()):
                time.sleep(0.05)
            print(" ".join(str(pid) for pid in pool._processes), flush=True)
            time.sleep(600)
        """
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # its resource tracker complains about the kill
        text=True,
        cwd=REPO,
        env=child_env(),
        start_new_session=True,
    )
    try:
        assert parent.stdout is not None
        workers = [int(pid) for pid in parent.stdout.readline().split()]
        assert len(workers) == 2
        assert wait_until(lambda: len(list(tmp_path.glob("started-*"))) == 2, 60)
        os.kill(parent.pid, signal.SIGKILL)  # the parent cannot clean up anything
        parent.wait(30)
        assert wait_until(lambda: not any(alive(pid) for pid in workers), 3.0), (
            "workers outlived their killed parent"
        )
    finally:
        kill_group(parent.pid)
