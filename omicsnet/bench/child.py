"""Run one benchmark in its own process: ``python -m omicsnet.bench.child SPEC.json``.

Started by :func:`omicsnet.bench.runner.run_benchmarks`; not meant to be run by hand.
The spec names the benchmark, its output folder and options; the outcome (``ok``,
``skipped`` or ``failed`` with a one-line error) is written as JSON to the spec's
``status_file``. The exit status is 0 unless the outcome could not be written.
"""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import asdict
from pathlib import Path

from omicsnet.bench.runner import _run_one
from omicsnet.utils.io import atomic_write_text


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    spec = json.loads(Path(args[0]).read_text())
    logging.basicConfig(
        level=int(spec.get("log_level", logging.INFO)),
        format="%(levelname)s %(name)s: %(message)s",
    )
    outcome = _run_one(spec)
    status = {k: v for k, v in asdict(outcome).items() if k in ("status", "seconds", "error")}
    atomic_write_text(spec["status_file"], json.dumps(status))
    return 0


if __name__ == "__main__":
    sys.exit(main())
