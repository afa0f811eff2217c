"""A search worker process: read trial jobs as JSON lines, write results as JSON lines.

:class:`omicsnet.search.runners.LocalRunner` starts ``python -m omicsnet.search.worker``
for each worker. A fresh interpreter (rather than ``multiprocessing``) means the
campaign's ``__main__`` is never re-imported (scripts need no ``if __name__ ==
"__main__"`` guard, notebooks work) and nothing from the campaign process leaks in.

Protocol: one job per line on stdin (the dict :func:`~omicsnet.search.tasks.execute_trial`
takes); one result per line on the original stdout. The worker points its own file
descriptor 1 at stderr first, so whatever a task prints cannot corrupt the protocol. An
empty line or end of input ends the worker, and so does the death of the campaign
process (checked every second), so that a killed campaign leaves no orphans behind.
"""

from __future__ import annotations

import json
import os
import sys


def _exit_with_parent(poll_seconds: float = 1.0) -> None:
    """Stop this worker when the campaign process dies (even by SIGKILL)."""
    import threading
    import time

    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(poll_seconds)
            if os.getppid() != parent:
                os._exit(3)

    threading.Thread(target=watch, name="omicsnet-parent-watch", daemon=True).start()


def main() -> int:
    """Serve jobs until stdin closes."""
    _exit_with_parent()
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # prints (Python or C) go to stderr, not into the protocol
    sys.stdout = sys.stderr
    from omicsnet.search.tasks import execute_trial

    for line in sys.stdin:
        if not line.strip():
            break
        result = execute_trial(json.loads(line))
        protocol.write(json.dumps(result, default=str) + "\n")
        protocol.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
