"""A search worker process: read trial jobs as JSON lines, write results as JSON lines.

:class:`omicsnet.search.runners.LocalRunner` starts ``python -m omicsnet.search.worker``
for each worker. A fresh interpreter (rather than ``multiprocessing``) means the
campaign's ``__main__`` is never re-imported (scripts need no ``if __name__ ==
"__main__"`` guard, notebooks work) and nothing from the campaign process leaks in.

Protocol: one job per line on stdin (the dict :func:`~omicsnet.search.tasks.execute_trial`
takes); one result per line on the original stdout. The worker points its own file
descriptor 1 at stderr first, so whatever a task prints cannot corrupt the protocol. An
empty line or end of input ends the worker, and so does the death of the campaign
process (:func:`omicsnet.utils.workers.exit_with_parent`: at once on Linux, within half
a second elsewhere), so that a killed campaign leaves no orphans behind.

Signals: Ctrl-C reaches the whole process group, but the worker ignores SIGINT (the
campaign decides what stops, and stops its workers). SIGTERM stops the running trial as
Ctrl-C would stop a script (its ``finally`` blocks run, so its temporary files go) and
ends the worker with status 143; that trial gets no result and is run again on resume.
Each result is in the trial's ``result.json`` before it is sent.
"""

from __future__ import annotations

import json
import os
import signal
import sys


def main() -> int:
    """Serve jobs until stdin closes."""
    from omicsnet.utils.signals import Terminated, stop_on_signals
    from omicsnet.utils.workers import exit_with_parent

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    exit_with_parent(signal.SIGTERM)
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # prints (Python or C) go to stderr, not into the protocol
    sys.stdout = sys.stderr
    with stop_on_signals():
        try:
            from omicsnet.search.tasks import execute_trial

            for line in sys.stdin:
                if not line.strip():
                    break
                result = execute_trial(json.loads(line))
                protocol.write(json.dumps(result, default=str) + "\n")
                protocol.flush()
        except Terminated as stop:
            return stop.exit_status
    return 0


if __name__ == "__main__":
    sys.exit(main())
