"""Read stored benchmark results: ``ROOT/NAME/results.json`` as written by the runner.

A *results root* is a folder with one sub-folder per benchmark: the published results
(``benchmarks/results/``) or the folder of a run (``omicsnet-bench/`` by default). Files
are read as JSON only, with a size limit; a file of the wrong shape is an error naming it.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omicsnet.bench.registry import BenchRow
from omicsnet.errors import DataError, DataNotFoundError

#: Largest results.json read (the biggest published one is well under 1 MiB).
MAX_RESULTS_BYTES = 64 * 1024 * 1024


@dataclass
class StoredResult:
    """One benchmark's ``results.json``."""

    name: str
    path: Path
    description: str = ""
    machine: dict[str, Any] = field(default_factory=dict)
    rows: list[BenchRow] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def date(self) -> str:
        return str(self.machine.get("date", ""))

    @property
    def quick(self) -> bool:
        return bool(self.machine.get("quick", False))

    def machine_line(self) -> str:
        """Short description of the machine, e.g. ``"x86_64, 2 cores, no GPU"``."""
        m = self.machine
        cores = m.get("cpu_affinity", m.get("cpu_count", "?"))
        gpu = m.get("cuda") or "no GPU"
        return f"{m.get('processor') or '?'}, {cores} cores, {gpu}"

    def versions_line(self) -> str:
        m = self.machine
        return (
            f"{m.get('platform', '?')}; Python {m.get('python', '?')}, "
            f"torch {m.get('torch_version', '-')}, omicsnet {m.get('omicsnet_version', '-')}"
        )

    def load(self) -> tuple[float | None, float | None]:
        """1-minute load average at the start and end of the run, where recorded.

        The runner records ``load_average_start``/``_end`` in ``machine``; older results
        carry it in ``details`` under names starting with ``load_average``.
        """
        start = self.machine.get("load_average_start")
        end = self.machine.get("load_average_end")
        if start is None and end is None:
            keys = [k for k in self.details if str(k).startswith("load_average")]
            starts = [k for k in keys if k.endswith(("start", "before"))] or keys[:1]
            ends = [k for k in keys if k.endswith(("end", "after"))]
            start = self.details.get(starts[0]) if starts else None
            end = self.details.get(ends[0]) if ends else None
        return _first(start), _first(end)


def _first(value: Any) -> float | None:
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def read_result(path: str | os.PathLike[str]) -> StoredResult:
    """Read one ``results.json``.

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "results.json"
    >>> _ = p.write_text(json.dumps({"benchmark": "toy", "machine": {"quick": True},
    ...     "rows": [{"case": "a", "candidate": "new", "baseline": "old",
    ...               "candidate_value": 1.0, "baseline_value": 4.0}]}))
    >>> r = read_result(p)
    >>> r.name, r.quick, r.rows[0].ratio
    ('toy', True, 0.25)
    """
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError:
        raise DataNotFoundError(f"no benchmark results at {path}") from None
    if size > MAX_RESULTS_BYTES:
        raise DataError(f"{path}: {size} bytes is too large for a benchmark results file")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise DataError(f"{path} is not a JSON file ({type(err).__name__})") from None
    if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
        raise DataError(f"{path} is not a benchmark results file (no list of rows)")
    rows = []
    for i, row in enumerate(data["rows"], 1):
        if not isinstance(row, dict):
            raise DataError(f"{path}: row {i} is not an object")
        try:
            rows.append(BenchRow.from_dict(row))
        except (TypeError, ValueError):
            raise DataError(f"{path}: row {i} has a value that is not a number") from None
    machine = data.get("machine")
    details = data.get("details")
    return StoredResult(
        name=str(data.get("benchmark") or path.parent.name),
        path=path,
        description=str(data.get("description") or ""),
        machine=machine if isinstance(machine, dict) else {},
        rows=rows,
        details=details if isinstance(details, dict) else {},
    )


def read_results(root: str | os.PathLike[str]) -> dict[str, StoredResult]:
    """Every ``NAME/results.json`` under a results root, by benchmark name.

    ``root`` may also be one benchmark's folder (holding ``results.json`` itself).
    """
    root = Path(root)
    if not root.is_dir():
        raise DataNotFoundError(f"results folder {root} does not exist")
    files = [root / "results.json"] if (root / "results.json").is_file() else []
    files = files or sorted(root.glob("*/results.json"))
    out: dict[str, StoredResult] = {}
    for file in files:
        result = read_result(file)
        if result.name in out:
            raise DataError(
                f"benchmark {result.name!r} has results in both {out[result.name].path} and {file}"
            )
        out[result.name] = result
    return out
