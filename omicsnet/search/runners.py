"""Where trials run: in the campaign's process, or in worker processes on this machine.

A runner takes trial jobs (see :func:`omicsnet.search.tasks.execute_trial`) and hands
back their results. All runners share one small interface:

- ``capacity``: how many trials may run at once;
- ``submit(job)``: start a trial;
- ``running()``: indices of the trials in flight;
- ``wait(timeout)``: results of the trials that finished (possibly none);
- ``close()``: stop the workers.

:class:`LocalRunner` keeps ``workers`` long-lived processes (fresh interpreters running
:mod:`omicsnet.search.worker`, so no state leaks from the campaign's process and scripts
need no ``__main__`` guard). Each runs one trial at a time. A worker that
dies (segfault, out-of-memory kill, ``os._exit``) fails only its own trial; a trial that
runs past ``trial_timeout`` has its worker stopped; either way a fresh worker takes its
place. The Ray runner (:mod:`omicsnet.search.ray_backend`) has the same interface.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Any, Protocol

from omicsnet.search.tasks import execute_trial

logger = logging.getLogger(__name__)


class Runner(Protocol):
    """What the campaign loop needs from a backend."""

    capacity: int

    def submit(self, job: dict[str, Any]) -> None: ...

    def running(self) -> list[int]: ...

    def wait(self, timeout: float) -> list[dict[str, Any]]: ...

    def close(self) -> None: ...


def failed_result(trial_index: int, error: str, seconds: float = 0.0) -> dict[str, Any]:
    """The result of a trial that ended without the task returning (crash, timeout).

    Examples
    --------
    >>> failed_result(4, "worker process died (exit code -9)")["status"]
    'failed'
    """
    return {
        "trial_index": int(trial_index),
        "status": "failed",
        "metrics": None,
        "error": error,
        "traceback": None,
        "seconds": float(seconds),
        "host": None,
        "pid": None,
    }


def saved_result(job: dict[str, Any]) -> dict[str, Any] | None:
    """The finished result a trial's worker saved (``result.json``), if there is one.

    :func:`~omicsnet.search.tasks.execute_trial` writes it before handing the result
    back, so a worker that dies after that point has not lost the trial.

    Examples
    --------
    >>> import tempfile
    >>> saved_result({"trial_index": 0, "context": {"out_dir": tempfile.mkdtemp()}}) is None
    True
    """
    import json
    from pathlib import Path

    from omicsnet.search.storage import RESULT_FILE

    out_dir = (job.get("context") or {}).get("out_dir")
    if not out_dir:
        return None
    try:
        value = json.loads((Path(out_dir) / RESULT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if (
        not isinstance(value, dict)
        or value.get("trial_index") != int(job["trial_index"])
        or value.get("status") not in ("completed", "failed")
    ):
        return None
    return value


class InlineRunner:
    """Runs each trial in the campaign's own process, one at a time (for debugging).

    A task that crashes the interpreter crashes the campaign too; use
    :class:`LocalRunner` for isolation.

    Examples
    --------
    >>> import tempfile
    >>> runner = InlineRunner()
    >>> runner.submit({"trial_index": 0, "task": "analytic", "parameters": {"x": 2.0},
    ...                "context": {"trial_index": 0, "seed": 0, "out_dir": tempfile.mkdtemp(),
    ...                            "options": {"function": "sphere"}},
    ...                "objectives": ["sphere"]})
    >>> [r["metrics"] for r in runner.wait(0)]
    [{'sphere': 4.0}]
    """

    capacity = 1

    def __init__(self) -> None:
        self._jobs: list[dict[str, Any]] = []

    def submit(self, job: dict[str, Any]) -> None:
        self._jobs.append(job)

    def running(self) -> list[int]:
        return [int(job["trial_index"]) for job in self._jobs]

    def wait(self, timeout: float) -> list[dict[str, Any]]:
        if not self._jobs:
            time.sleep(min(timeout, 0.05))
            return []
        job = self._jobs.pop(0)
        return [execute_trial(job)]

    def close(self) -> None:
        self._jobs.clear()


@dataclass
class _Slot:
    """One worker process and the trial it is running."""

    number: int
    process: subprocess.Popen[str]
    job: dict[str, Any] | None = None
    started: float = 0.0


class LocalRunner:
    """Worker processes on this machine, one trial per worker at a time.

    Parameters
    ----------
    workers
        Number of worker processes (trials at once).
    threads_per_worker
        ``OMP_NUM_THREADS``/``MKL_NUM_THREADS`` in each worker (default: CPU cores
        divided by workers, at least 1), so that parallel trials do not oversubscribe
        the cores.
    trial_timeout
        Seconds after which a running trial is stopped and recorded as failed.
    devices
        Device per worker slot, used round-robin (e.g. ``["cuda:0", "cuda:1"]``); the
        job's ``context.device`` is set from it. ``None`` leaves jobs unchanged.

    Examples
    --------
    >>> import tempfile
    >>> runner = LocalRunner(workers=2)
    >>> for i, x in enumerate([1.0, 3.0]):
    ...     runner.submit({"trial_index": i, "task": "analytic", "parameters": {"x": x},
    ...                    "context": {"trial_index": i, "seed": i, "out_dir": tempfile.mkdtemp(),
    ...                                "options": {"function": "sphere"}},
    ...                    "objectives": ["sphere"]})
    >>> results = []
    >>> while runner.running():
    ...     results += runner.wait(timeout=30)
    >>> runner.close()
    >>> sorted((r["trial_index"], r["metrics"]["sphere"]) for r in results)
    [(0, 1.0), (1, 9.0)]
    """

    def __init__(
        self,
        workers: int = 1,
        *,
        threads_per_worker: int | None = None,
        trial_timeout: float | None = None,
        devices: list[str] | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.capacity = workers
        threads = threads_per_worker or max(1, (os.cpu_count() or 1) // workers)
        self._env = {
            "OMP_NUM_THREADS": str(threads),
            "MKL_NUM_THREADS": str(threads),
            "OPENBLAS_NUM_THREADS": str(threads),
        }
        # workers import what this process can (tests, user modules next to a script)
        path = [p for p in sys.path if p and os.path.isdir(p)]
        self._env["PYTHONPATH"] = os.pathsep.join(path)
        self._timeout = trial_timeout
        self._devices = devices
        self._slots = [self._start(i) for i in range(workers)]

    def _start(self, number: int) -> _Slot:
        process = subprocess.Popen(
            [sys.executable, "-m", "omicsnet.search.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, **self._env},
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        return _Slot(number, process)

    def submit(self, job: dict[str, Any]) -> None:
        for slot in self._slots:
            if slot.job is None:
                job = dict(job)
                job["capture_output"] = True
                if self._devices:
                    device = self._devices[slot.number % len(self._devices)]
                    job["context"] = {**job["context"], "device": device}
                assert slot.process.stdin is not None
                # a dead worker breaks the pipe; wait() then reports the trial as failed
                with contextlib.suppress(BrokenPipeError, OSError):
                    slot.process.stdin.write(json.dumps(job, default=str) + "\n")
                    slot.process.stdin.flush()
                slot.job, slot.started = job, time.monotonic()
                return
        raise RuntimeError("all workers are busy; wait for a result before submitting")

    def running(self) -> list[int]:
        return [int(slot.job["trial_index"]) for slot in self._slots if slot.job is not None]

    def wait(self, timeout: float) -> list[dict[str, Any]]:
        busy = [slot for slot in self._slots if slot.job is not None]
        if not busy:
            time.sleep(min(timeout, 0.05))
            return []
        if self._timeout is not None:
            now = time.monotonic()
            timeout = min(timeout, max(0.0, min(s.started + self._timeout - now for s in busy)))
        streams = {slot.process.stdout: slot for slot in busy}
        ready = set(wait(list(streams), timeout=timeout))
        results: list[dict[str, Any]] = []
        for stream, slot in streams.items():
            if stream in ready:
                line = stream.readline() if stream is not None else ""
                if line.endswith("\n"):
                    results.append(json.loads(line))
                    slot.job = None
                else:  # end of output: the worker died
                    results.append(self._replace(slot, self._death_message(slot)))
            elif self._timeout is not None and time.monotonic() - slot.started > self._timeout:
                results.append(
                    self._replace(slot, f"TimeoutError: trial ran longer than {self._timeout:g} s")
                )
        return results

    def _death_message(self, slot: _Slot) -> str:
        try:
            code = slot.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        if code is not None and code < 0:
            import signal

            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            return f"WorkerCrashed: the worker process was killed by {name}"
        return f"WorkerCrashed: the worker process exited with code {code}"

    def _replace(self, slot: _Slot, error: str) -> dict[str, Any]:
        assert slot.job is not None
        saved = saved_result(slot.job)
        if saved is not None:  # the task returned and its result was saved, then the worker died
            logger.info("trial %s: worker lost after the result was saved", saved["trial_index"])
            result = saved
        else:
            seconds = time.monotonic() - slot.started
            result = failed_result(int(slot.job["trial_index"]), error, seconds)
            logger.warning("trial %s failed: %s", result["trial_index"], error)
        _stop(slot)
        self._slots[slot.number] = self._start(slot.number)
        return result

    def close(self) -> None:
        for slot in self._slots:
            if slot.job is None and slot.process.poll() is None:
                try:
                    assert slot.process.stdin is not None
                    slot.process.stdin.close()  # end of input: the worker exits
                except (BrokenPipeError, OSError):
                    pass
        for slot in self._slots:
            if slot.job is None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    slot.process.wait(timeout=5)
            _stop(slot)
        self._slots = []


def _stop(slot: _Slot) -> None:
    process = slot.process
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            with contextlib.suppress(BrokenPipeError, OSError):
                stream.close()
