"""Run several benchmarks: all of them, a named suite or a list of names.

Each benchmark runs in its own Python process by default, so that one benchmark's
threads, seeds, memory or crash (a segfault in a native library, a killed process)
cannot change or stop the next. A benchmark that fails is reported and the run goes on;
one whose real data are absent (:class:`~omicsnet.errors.DataNotFoundError`) is
reported as skipped. After the run, ``SUMMARY.md`` of every results folder written to
is regenerated.

Where results go: without ``publish``, into ``ROOT/NAME/`` (default root
``omicsnet-bench/`` in the working directory), replacing the previous run's
``results.json``/``results.md`` of each benchmark that runs, so that a failed benchmark
leaves no stale result behind; with ``publish``, into the published ``results/NAME/``
beside each benchmark's file, where a failed run leaves the last published result as it
was.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omicsnet.bench.registry import (
    DEFAULT_RUN_ROOT,
    BenchmarkEntry,
    PathLike,
    claim_folder,
    find_benchmarks,
    format_error,
    format_traceback,
    get_benchmark,
    load_errors,
    published_root,
    run_entry,
)
from omicsnet.bench.suites import get_suite
from omicsnet.errors import ConfigError, DataNotFoundError

logger = logging.getLogger(__name__)

OK, SKIPPED, FAILED = "ok", "skipped", "failed"


@dataclass
class Outcome:
    """How one benchmark of a run ended."""

    name: str
    status: str  # "ok", "skipped" (data not found) or "failed"
    seconds: float = 0.0
    error: str = ""
    folder: Path | None = None


def select_benchmarks(
    names: Sequence[str] = (),
    *,
    everything: bool = False,
    suite: str | None = None,
    bench_dirs: PathLike | Iterable[PathLike] | None = None,
    builtin: bool = True,
) -> tuple[list[BenchmarkEntry], bool]:
    """The benchmarks to run, and whether the choice implies ``--quick``.

    Exactly one of ``names``, ``everything`` and ``suite`` must be given. An unknown name
    raises before anything runs.
    """
    given = [bool(names), everything, suite is not None]
    if sum(given) != 1:
        raise ConfigError("name benchmarks, or pass --all, or pass --suite NAME (one of them)")
    found = find_benchmarks(bench_dirs, builtin=builtin)
    if names:
        unique = list(dict.fromkeys(names))
        return [get_benchmark(n, bench_dirs, builtin=builtin) for n in unique], False
    if everything:
        if not found:
            raise ConfigError("no benchmarks found (see `omicsnet bench list`)")
        return list(found.values()), False
    chosen = get_suite(str(suite))
    members = [e for e in found.values() if chosen.everything or chosen.name in e.suites]
    if not members:
        raise ConfigError(f"suite {chosen.name!r} has no benchmarks here")
    return members, chosen.quick


def _run_one(spec: dict[str, Any]) -> Outcome:
    """Run one benchmark as ``spec`` says; never raises except on KeyboardInterrupt."""
    started = time.perf_counter()
    target = Path(spec["target"])
    try:
        entry = get_benchmark(spec["name"], spec["bench_dirs"], builtin=spec["builtin"])
        run_entry(
            entry,
            target,
            quick=spec["quick"],
            data_dir=spec["data_dir"],
            resume=bool(spec.get("resume", False)),
        )
        status, error = OK, ""
    except DataNotFoundError as err:
        status, error = SKIPPED, format_error(err)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as err:  # also native-library panics (pymzdata PanicException)
        status, error = FAILED, format_error(err)
        logger.error("benchmark %s failed:\n%s", spec["name"], format_traceback(err))
    return Outcome(spec["name"], status, time.perf_counter() - started, error, target)


def _run_isolated(spec: dict[str, Any]) -> Outcome:
    """Run one benchmark in a fresh ``python -m omicsnet.bench.child`` process."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="omicsnet-bench-") as tmp:
        spec_file = Path(tmp) / "spec.json"
        status_file = Path(tmp) / "status.json"
        spec_file.write_text(json.dumps({**spec, "status_file": str(status_file)}))
        proc = subprocess.run(
            [sys.executable, "-m", "omicsnet.bench.child", str(spec_file)], check=False
        )
        seconds = time.perf_counter() - started
        if status_file.is_file():
            data = json.loads(status_file.read_text())
            return Outcome(
                spec["name"], data["status"], seconds, data.get("error", ""), Path(spec["target"])
            )
    if proc.returncode < 0:
        error = f"the benchmark's process was killed by signal {-proc.returncode}"
    else:
        error = f"the benchmark's process ended with exit status {proc.returncode}"
    return Outcome(spec["name"], FAILED, seconds, error, Path(spec["target"]))


def _targets(
    entries: Sequence[BenchmarkEntry], out_root: PathLike | None, publish: bool
) -> dict[str, Path]:
    if publish:
        if out_root is not None:
            raise ConfigError("give either --out or --publish, not both")
        roots = {e.name: published_root(e) for e in entries}
        for root in set(roots.values()):
            claim_folder(root, root=True)
        return {name: root / name for name, root in roots.items()}
    root = claim_folder(DEFAULT_RUN_ROOT if out_root is None else out_root, root=True)
    return {e.name: root / e.name for e in entries}


def run_benchmarks(
    entries: Sequence[BenchmarkEntry],
    *,
    quick: bool = False,
    out_root: PathLike | None = None,
    publish: bool = False,
    data_dir: PathLike | None = None,
    bench_dirs: PathLike | Iterable[PathLike] | None = None,
    builtin: bool = True,
    isolate: bool = True,
    echo: Callable[[str], None] | None = None,
    resume: bool = False,
) -> list[Outcome]:
    """Run ``entries`` one after the other; go on past failures; rewrite ``SUMMARY.md``.

    Parameters
    ----------
    entries
        Benchmarks to run (:func:`select_benchmarks`).
    quick
        Smaller sizes and fewer repeats.
    out_root
        Results folder of the run (default ``omicsnet-bench``); one sub-folder per
        benchmark.
    publish
        Write into the published results beside each benchmark's file instead.
    data_dir, bench_dirs, builtin
        As for :func:`~omicsnet.bench.registry.run_benchmark`.
    isolate
        Run each benchmark in its own process.
    echo
        Called with one progress line per benchmark (default: the module's logger).
    resume
        Continue killed benchmarks in the same folders: the finished units they kept
        (cross-validation folds, see :mod:`omicsnet.bench.units`) are read back.

    Returns
    -------
    list of Outcome
        One per benchmark, in order.
    """
    if publish and quick:
        raise ConfigError("--quick runs are smoke runs and are never published")
    say = echo or logger.info
    if isinstance(bench_dirs, (str, os.PathLike)):
        bench_dirs = [bench_dirs]
    dirs = [str(Path(d).resolve()) for d in (bench_dirs or [])]
    targets = _targets(entries, out_root, publish)
    outcomes: list[Outcome] = []
    total = len(entries)
    for i, entry in enumerate(entries, 1):
        target = targets[entry.name]
        target.mkdir(parents=True, exist_ok=True)
        if not publish:  # a run's folder shows only this run's outcome
            for stale in ("results.json", "results.md"):
                (target / stale).unlink(missing_ok=True)
        say(f"[{i}/{total}] {entry.name}: running{' (quick)' if quick else ''}")
        spec = {
            "name": entry.name,
            "target": str(target),
            "quick": quick,
            "data_dir": None if data_dir is None else str(data_dir),
            "bench_dirs": dirs,
            "builtin": builtin,
            "resume": resume,
            "log_level": logging.getLogger().getEffectiveLevel(),
        }
        outcome = _run_isolated(spec) if isolate else _run_one(spec)
        outcomes.append(outcome)
        tail = f": {outcome.error}" if outcome.error else ""
        say(f"[{i}/{total}] {entry.name}: {outcome.status} in {outcome.seconds:.1f} s{tail}")
    from omicsnet.bench.summary import write_summary

    for root in sorted({t.parent for t in targets.values()}):
        write_summary(root)
    return outcomes


def broken_files(
    bench_dirs: PathLike | Iterable[PathLike] | None = None, *, builtin: bool = True
) -> list[Outcome]:
    """Benchmark files that could not be imported, as failed outcomes."""
    return [
        Outcome(path.name, FAILED, 0.0, f"could not import {path}: {err}")
        for path, err in load_errors(bench_dirs, builtin=builtin).items()
    ]


def report(outcomes: Sequence[Outcome]) -> str:
    """The end-of-run report: counts, then every failed and skipped benchmark."""
    counts = {s: sum(o.status == s for o in outcomes) for s in (OK, SKIPPED, FAILED)}
    lines = [
        f"{len(outcomes)} benchmark{'' if len(outcomes) == 1 else 's'}: {counts[OK]} ok, "
        f"{counts[SKIPPED]} skipped (data not found), {counts[FAILED]} failed"
    ]
    for status in (FAILED, SKIPPED):
        for o in outcomes:
            if o.status == status:
                lines.append(f"  {status}: {o.name}: {o.error}")
    return "\n".join(lines)
