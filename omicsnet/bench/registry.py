"""Register, discover and run benchmarks; write their reports.

A benchmark is a function that takes a :class:`BenchContext` and returns a
:class:`BenchResult`: rows of measurements, each comparing a candidate with a baseline
timed in the same run. The runner adds the machine and library versions and writes

* ``results.json`` — everything, for re-running and comparing later;
* ``results.md`` — a short Markdown table with the ratios.
"""

from __future__ import annotations

import datetime as _dt
import importlib.util
import json
import logging
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from omicsnet.errors import ConfigError, DataNotFoundError
from omicsnet.utils.io import atomic_write_text

logger = logging.getLogger(__name__)

BENCH_DIR_ENV = "OMICSNET_BENCHMARKS"


@dataclass
class BenchContext:
    """What a benchmark gets from the runner."""

    quick: bool = False
    data_dir: Path | None = None
    workdir: Path | None = None
    repeats: int = 5


@dataclass
class BenchRow:
    """One comparison: candidate vs baseline, in the same unit (lower is better).

    ``ratio`` is candidate / baseline; for speed comparisons ``speedup`` is its inverse.
    ``target`` says what ratio the project aims for (e.g. ``"<= 1.10"``).
    """

    case: str
    candidate: str
    baseline: str
    candidate_value: float
    baseline_value: float
    unit: str = "s"
    target: str = ""
    notes: str = ""

    @property
    def ratio(self) -> float:
        return self.candidate_value / self.baseline_value if self.baseline_value else float("nan")

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["ratio"] = self.ratio
        out["meets_target"] = self.meets_target()
        return out

    def meets_target(self) -> bool | None:
        """Whether ``ratio`` satisfies ``target`` (``"<= 1.1"`` or ``">= 100"``)."""
        if not self.target:
            return None
        text = self.target.replace(" ", "")
        op, number = text[:2], text[2:]
        if op not in ("<=", ">="):
            raise ConfigError(
                f"benchmark target must look like '<= 1.1' or '>= 100': {self.target!r}"
            )
        value = float(number)
        return self.ratio <= value if op == "<=" else self.ratio >= value


@dataclass
class BenchResult:
    """Rows plus free-form details a benchmark wants to keep."""

    rows: list[BenchRow]
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BenchmarkEntry:
    name: str
    func: Callable[[BenchContext], BenchResult]
    description: str
    source: str


_BENCHMARKS: dict[str, BenchmarkEntry] = {}


def register_benchmark(
    name: str, description: str = ""
) -> Callable[[Callable[[BenchContext], BenchResult]], Callable[[BenchContext], BenchResult]]:
    """Register a benchmark function under ``name``.

    Examples
    --------
    >>> @register_benchmark("sum-vs-loop-example", "sum() against a Python loop")
    ... def bench(ctx: BenchContext) -> BenchResult:
    ...     data = list(range(10_000))
    ...     fast = time_call(lambda: sum(data), repeats=ctx.repeats)
    ...     def loop():
    ...         total = 0
    ...         for v in data:
    ...             total += v
    ...     slow = time_call(loop, repeats=ctx.repeats)
    ...     return BenchResult([BenchRow("10k ints", "sum()", "for loop", fast, slow)])
    >>> "sum-vs-loop-example" in list_benchmarks(bench_dir=None)
    True
    """

    def decorator(
        func: Callable[[BenchContext], BenchResult],
    ) -> Callable[[BenchContext], BenchResult]:
        doc = description or (func.__doc__ or "").strip().splitlines()[0:1]
        _BENCHMARKS[name] = BenchmarkEntry(
            name,
            func,
            doc if isinstance(doc, str) else (doc[0] if doc else ""),
            getattr(func, "__module__", ""),
        )
        return func

    return decorator


def time_call(func: Callable[[], Any], *, repeats: int = 5, warmup: int = 1) -> float:
    """Median wall time of ``func()`` in seconds over ``repeats`` runs after ``warmup``.

    Examples
    --------
    >>> time_call(lambda: None, repeats=3) < 0.01
    True
    """
    for _ in range(warmup):
        func()
    times = []
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def default_bench_dir() -> Path | None:
    """Where benchmark suites are looked for.

    ``OMICSNET_BENCHMARKS``, else ``./benchmarks`` in the working directory, else the
    ``benchmarks/`` folder beside the installed package (a source checkout).
    """
    env = os.environ.get(BENCH_DIR_ENV)
    if env:
        return Path(env)
    cwd = Path.cwd() / "benchmarks"
    if cwd.is_dir():
        return cwd
    repo = Path(__file__).resolve().parents[2] / "benchmarks"
    return repo if repo.is_dir() else None


def discover(bench_dir: str | os.PathLike[str] | None) -> None:
    """Import every ``bench_*.py`` file in ``bench_dir`` so that its benchmarks register."""
    if bench_dir is None:
        return
    folder = Path(bench_dir)
    if not folder.is_dir():
        raise DataNotFoundError(f"benchmark folder {folder} does not exist")
    for path in sorted(folder.glob("bench_*.py")):
        module_name = f"omicsnet_benchmarks.{path.stem}"
        if module_name in sys.modules:
            continue
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            continue
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)


def list_benchmarks(bench_dir: str | os.PathLike[str] | None = "default") -> dict[str, str]:
    """Return ``{name: description}`` of the registered (and discovered) benchmarks."""
    discover(default_bench_dir() if bench_dir == "default" else bench_dir)
    return {name: entry.description for name, entry in sorted(_BENCHMARKS.items())}


def machine_info() -> dict[str, Any]:
    """The machine and library versions, recorded with every result."""
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
    }
    if hasattr(os, "sched_getaffinity"):  # not on macOS
        info["cpu_affinity"] = len(os.sched_getaffinity(0))
    for package in ("omicsnet", "torch", "numpy", "pandas", "scipy"):
        module = sys.modules.get(package)
        if module is None:
            try:
                module = importlib.import_module(package)
            except ImportError:
                continue
        info[f"{package}_version"] = getattr(module, "__version__", "?")
    torch = sys.modules.get("torch")
    if torch is not None:
        info["torch_threads"] = torch.get_num_threads()
        info["cuda"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return info


def render_markdown(name: str, description: str, result: BenchResult, info: dict[str, Any]) -> str:
    """Format a result as a short Markdown report."""
    lines = [
        f"# Benchmark `{name}`",
        "",
        description,
        "",
        "| case | candidate | baseline | candidate | baseline | ratio | target | met |",
        "|---|---|---|---:|---:|---:|---|---|",
    ]
    for row in result.rows:
        met = row.meets_target()
        cells = [
            row.case,
            row.candidate,
            row.baseline,
            _fmt(row.candidate_value, row.unit),
            _fmt(row.baseline_value, row.unit),
            f"{row.ratio:.3f}",
            row.target or "-",
            "-" if met is None else ("yes" if met else "NO"),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    notes = [f"- {row.case}: {row.notes}" for row in result.rows if row.notes]
    if notes:
        lines += ["", *notes]
    lines += [
        "",
        f"Machine: {info.get('platform')}, "
        f"{info.get('cpu_affinity', info.get('cpu_count'))} cores, "
        f"Python {info.get('python')}, torch {info.get('torch_version', '-')}, "
        f"omicsnet {info.get('omicsnet_version', '-')}. Run {info.get('date', '')}.",
        "",
    ]
    return "\n".join(lines)


def _fmt(value: float, unit: str) -> str:
    if unit == "s":
        if value < 1e-3:
            return f"{value * 1e6:.1f} µs"
        return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"
    return f"{value:.4g} {unit}"


def run_benchmark(
    name: str,
    *,
    out_dir: str | os.PathLike[str] | None = None,
    quick: bool = False,
    data_dir: str | os.PathLike[str] | None = None,
    bench_dir: str | os.PathLike[str] | None = "default",
) -> tuple[BenchResult, Path, str]:
    """Run benchmark ``name`` and write ``results.json`` and ``results.md``.

    Parameters
    ----------
    name
        Registered benchmark name (see :func:`list_benchmarks`).
    out_dir
        Where to write; default ``<bench_dir>/results/<name>``.
    quick
        Smaller sizes and fewer repeats (smoke runs).
    data_dir
        Data directory for benchmarks on real data.

    Returns
    -------
    (result, out_dir, markdown)
    """
    from omicsnet.utils.paths import get_data_dir

    folder = default_bench_dir() if bench_dir == "default" else bench_dir
    discover(folder)
    if name not in _BENCHMARKS:
        known = ", ".join(sorted(_BENCHMARKS)) or "none found"
        raise ConfigError(f"unknown benchmark {name!r} (known: {known}; see `omicsnet bench list`)")
    entry = _BENCHMARKS[name]
    target = Path(out_dir) if out_dir is not None else Path(folder or ".") / "results" / name
    ctx = BenchContext(
        quick=quick, data_dir=get_data_dir(data_dir), workdir=target, repeats=2 if quick else 5
    )
    logger.info("running benchmark %s", name)
    started = time.perf_counter()
    result = entry.func(ctx)
    info = machine_info()
    info["date"] = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    info["wall_seconds"] = round(time.perf_counter() - started, 3)
    info["quick"] = quick
    payload = {
        "benchmark": name,
        "description": entry.description,
        "machine": info,
        "rows": [row.as_dict() for row in result.rows],
        "details": result.details,
    }
    markdown = render_markdown(name, entry.description, result, info)
    atomic_write_text(target / "results.json", json.dumps(payload, indent=2, default=str))
    atomic_write_text(target / "results.md", markdown)
    return result, target, markdown
