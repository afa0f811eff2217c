"""SIGTERM as an exception, so that a terminated job cleans up as an interrupted one does.

By default SIGTERM ends a Python process on the spot: no ``finally`` block runs, temporary
files stay, worker processes are orphaned. Inside :func:`stop_on_signals` the signal
raises :class:`Terminated` in the main thread instead. It subclasses
:class:`KeyboardInterrupt`, so every place that already lets Ctrl-C through (and never
records it as a failure) treats SIGTERM the same way; the ``omicsnet`` command turns it
into one line and exit status 143 (130 for Ctrl-C).

Examples
--------
>>> import signal, time
>>> with stop_on_signals():
...     try:
...         signal.raise_signal(signal.SIGTERM)  # as `kill PID` would
...         time.sleep(5)  # not reached
...     except Terminated as stop:
...         print(stop, stop.exit_status)
terminated by SIGTERM 143
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any


class Terminated(KeyboardInterrupt):
    """The process was asked to stop by a signal (SIGTERM unless said otherwise).

    Attributes
    ----------
    signum
        The signal number.
    exit_status
        ``128 + signum``: what a shell reports for a process ended by that signal.
    """

    def __init__(self, signum: int = signal.SIGTERM) -> None:
        self.signum = int(signum)
        super().__init__(f"terminated by {_signal_name(self.signum)}")

    @property
    def exit_status(self) -> int:
        return 128 + self.signum


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


_received: int | None = None


def _raise_terminated(signum: int, frame: Any) -> None:
    global _received
    _received = signum
    raise Terminated(signum)


def stop_requested() -> int | None:
    """The signal that stopped the current :func:`stop_on_signals` block, or ``None``.

    For code that must not take a result as finished when the stop was swallowed on the
    way (a task that catches ``KeyboardInterrupt`` and returns early).

    Examples
    --------
    >>> with stop_on_signals():
    ...     stop_requested() is None
    True
    """
    return _received


@contextlib.contextmanager
def stop_on_signals(signums: tuple[int, ...] = (signal.SIGTERM,)) -> Iterator[None]:
    """Within the block, the given signals raise :class:`Terminated` in the main thread.

    The previous handlers come back on exit. Outside the main thread (where Python cannot
    set handlers) the block runs unchanged.

    Examples
    --------
    >>> import signal
    >>> before = signal.getsignal(signal.SIGTERM)
    >>> with stop_on_signals():
    ...     signal.getsignal(signal.SIGTERM) is _raise_terminated
    True
    >>> signal.getsignal(signal.SIGTERM) is before
    True
    """
    global _received
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _received = None
    previous = {signum: signal.signal(signum, _raise_terminated) for signum in signums}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        _received = None  # a stop belongs to the block it happened in


__all__ = ["Terminated", "stop_on_signals", "stop_requested"]
