"""Worker processes that stop with their parent, and a process pool that stops at once.

A plain :class:`concurrent.futures.ProcessPoolExecutor` has two faults that a user sees:

* its workers outlive a parent that was killed (SIGTERM, SIGKILL, the OOM killer): they
  stay blocked on their job queue forever;
* leaving its ``with`` block by an exception (Ctrl-C) waits for every queued job to run.

:class:`WorkerPool` is a drop-in ``ProcessPoolExecutor`` without them. Each worker

* asks the kernel to send it SIGTERM when its parent dies (``prctl(PR_SET_PDEATHSIG)`` on
  Linux; elsewhere a thread checks the parent every half second), see
  :func:`exit_with_parent`;
* ignores SIGINT: Ctrl-C reaches the whole process group, and the parent decides;
* on SIGTERM unwinds the running task (its ``finally`` blocks run, so atomic writes
  remove their temporary files) and exits with status 143.

Leaving the pool's ``with`` block by an exception (Ctrl-C, SIGTERM turned into
:class:`~omicsnet.utils.signals.Terminated`, an error) calls :meth:`WorkerPool.stop`:
queued jobs are cancelled, workers are sent SIGTERM and, after
:data:`STOP_GRACE_SECONDS`, SIGKILL. A normal exit waits for the jobs as usual.

Create the pool and submit to it from a thread that outlives it: on Linux the "parent"
whose death stops a worker is the thread that started it.

Examples
--------
>>> with WorkerPool(max_workers=2) as pool:
...     sorted(pool.map(abs, [-3, 1, -2]))
[1, 2, 3]
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

logger = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 2.0
"""How long a stopped worker may take to clean up before it is killed."""

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>

_in_task = False
_stopping = False


class WorkerStopped(BaseException):
    """Raised inside a worker's running task when the worker is told to stop.

    A :class:`BaseException`, so that ``except Exception`` in a task does not swallow
    it; the task's ``finally`` blocks run and the worker then exits.
    """


def _prctl_pdeathsig(signum: int) -> bool:
    """Ask Linux to send ``signum`` to this process when its parent dies."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(_PR_SET_PDEATHSIG, int(signum), 0, 0, 0)) == 0
    except (OSError, AttributeError):  # no libc prctl (unusual libc, sandbox)
        return False


def exit_with_parent(signum: int = signal.SIGTERM, *, poll_seconds: float = 0.5) -> str:
    """Make this process receive ``signum`` when its parent process dies.

    On Linux the kernel sends it (``prctl(PR_SET_PDEATHSIG)``), even when the parent is
    killed with SIGKILL; elsewhere a daemon thread compares ``os.getppid()`` with the
    parent every ``poll_seconds`` and sends the signal itself. The handler of ``signum``
    (the default one ends the process) decides what happens then.

    Returns
    -------
    str
        ``"prctl"`` or ``"poll"``: the mechanism in use.

    Examples
    --------
    >>> exit_with_parent.__name__  # called in worker processes, not in the main one
    'exit_with_parent'
    """
    parent = os.getppid()
    if _prctl_pdeathsig(signum):
        if os.getppid() != parent:  # the parent died before the request took effect
            os.kill(os.getpid(), signum)
        return "prctl"

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_seconds)
        os.kill(os.getpid(), signum)

    threading.Thread(target=watch, name="omicsnet-parent-watch", daemon=True).start()
    return "poll"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else (the pid was reused)
        return False
    return True


def _is_alive(process: Any) -> bool:
    try:
        return bool(process.is_alive())
    except Exception:  # already closed
        return False


def _on_sigterm(signum: int, frame: Any) -> None:
    """In a worker: unwind the running task, or exit at once when idle."""
    global _stopping
    _stopping = True
    if _in_task:
        raise WorkerStopped(f"worker {os.getpid()} stopped by signal {signum}")
    os._exit(128 + signum)


def prepare_worker(parent_pid: int | None = None) -> None:
    """Make this process a worker: SIGINT ignored, SIGTERM stops it, it dies with its parent.

    Called by :class:`WorkerPool` in each worker before the pool's own initializer; long-lived
    workers started otherwise (e.g. search workers) call it first thing.

    Parameters
    ----------
    parent_pid
        The process that owns the worker. If it is already gone (it died while the worker
        was starting), the worker exits.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _on_sigterm)
    exit_with_parent(signal.SIGTERM)
    if parent_pid is not None and not _alive(parent_pid):
        os._exit(128 + signal.SIGTERM)


def _init_worker(
    parent_pid: int, initializer: Callable[..., Any] | None, initargs: tuple[Any, ...]
) -> None:
    prepare_worker(parent_pid)
    if initializer is not None:
        initializer(*initargs)


def _run_task(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """Run one job in a worker; a stop request ends the worker after the job unwound."""
    global _in_task
    _in_task = True
    try:
        result = fn(*args, **kwargs)
    except WorkerStopped:
        os._exit(128 + signal.SIGTERM)
    finally:
        _in_task = False
    if _stopping:  # the task swallowed the stop (e.g. ``except BaseException``)
        os._exit(128 + signal.SIGTERM)
    return result


class WorkerPool(ProcessPoolExecutor):
    """A ``ProcessPoolExecutor`` whose workers stop with it (see the module docs).

    Parameters are those of :class:`~concurrent.futures.ProcessPoolExecutor`.

    Examples
    --------
    >>> pool = WorkerPool(max_workers=1)
    >>> pool.submit(pow, 2, 10).result()
    1024
    >>> pool.stop()  # what an exception in ``with WorkerPool(...)`` does
    >>> pool.submit(pow, 2, 3)
    Traceback (most recent call last):
    ...
    RuntimeError: cannot schedule new futures after shutdown
    """

    def __init__(
        self,
        max_workers: int | None = None,
        mp_context: Any = None,
        initializer: Callable[..., Any] | None = None,
        initargs: tuple[Any, ...] = (),
    ) -> None:
        super().__init__(
            max_workers,
            mp_context=mp_context,
            initializer=_init_worker,
            initargs=(os.getpid(), initializer, tuple(initargs)),
        )

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        return super().submit(_run_task, fn, *args, **kwargs)

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """Cancel queued jobs and stop the workers now (SIGTERM, then SIGKILL after ``grace``).

        When it returns, every job is settled: the queued ones cancelled, the running ones
        failed with :class:`~concurrent.futures.process.BrokenProcessPool`.
        """
        processes = list((getattr(self, "_processes", None) or {}).values())
        results = getattr(self, "_result_queue", None)
        manager = getattr(self, "_executor_manager_thread", None)
        self.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            with contextlib.suppress(Exception):
                if process.is_alive():
                    process.terminate()
        deadline = time.monotonic() + grace
        for process in processes:
            with contextlib.suppress(Exception):
                process.join(max(0.0, deadline - time.monotonic()))
        for process in processes:
            with contextlib.suppress(Exception):
                if process.is_alive():
                    logger.debug("worker %s did not stop in %.1f s; killing it", process.pid, grace)
                    process.kill()
                    process.join(1.0)
        # A worker stopped while sending a result leaves half a message in the result
        # pipe, and the pool's manager thread waits for the rest forever (the interpreter
        # then hangs at exit, joining it). This process holds the pipe's last write end:
        # closing it turns the wait into end-of-file, and the thread winds down.
        writer = getattr(results, "_writer", None)
        if writer is not None and not any(_is_alive(p) for p in processes):
            with contextlib.suppress(Exception):
                writer.close()
        if manager is not None:  # it settles the jobs that were running (BrokenProcessPool)
            manager.join(grace)

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        if exc_type is None:
            self.shutdown(wait=True)
        else:
            self.stop()
        return False


__all__ = [
    "STOP_GRACE_SECONDS",
    "WorkerPool",
    "WorkerStopped",
    "exit_with_parent",
    "prepare_worker",
]
