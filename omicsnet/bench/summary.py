"""``SUMMARY.md``: one page with every row of every stored benchmark result.

Generated from the ``results.json`` files of a results root (the published
``benchmarks/results/`` or a run's folder): per benchmark the date, machine, load and
run mode, and per row the values, ratio, target, whether it is met and the noise band.
``omicsnet bench run`` regenerates it after every run; ``omicsnet bench summary`` does so
without running anything.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

from omicsnet.bench.registry import BUSY_LOAD, BenchmarkEntry, BenchRow, format_value
from omicsnet.bench.results import StoredResult, read_results
from omicsnet.utils.io import atomic_write_text

logger = logging.getLogger(__name__)

SUMMARY_NAME = "SUMMARY.md"


def cell(text: object) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|") or "-"


def plural(n: int, word: str) -> str:
    """``"1 row"``, ``"2 rows"``."""
    return f"{n} {word}" + ("" if n == 1 else "s")


def met_text(met: bool | None) -> str:
    return "-" if met is None else ("yes" if met else "NO")


def duration(seconds: object) -> str:
    """``"45 s"``, ``"22 min"`` or ``"1.5 h"``.

    Examples
    --------
    >>> duration(45.2), duration(1320), duration(5400), duration(None)
    ('45 s', '22 min', '1.5 h', '?')
    """
    try:
        s = float(seconds)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "?"
    if s < 120:
        return f"{s:.0f} s"
    return f"{s / 60:.0f} min" if s < 5400 else f"{s / 3600:.1f} h"


def run_line(result: StoredResult) -> str:
    """Mode, wall time and load of a run, e.g. ``"full, 22 min, load 16.8 → 16.3 (busy)"``."""
    parts = ["quick" if result.quick else "full", duration(result.machine.get("wall_seconds"))]
    start, end = result.load()
    if start is not None or end is not None:
        shown = " → ".join(f"{x:.1f}" for x in (start, end) if x is not None)
        busy = max(x for x in (start, end) if x is not None) > BUSY_LOAD
        parts.append(f"load {shown}" + (" (busy)" if busy else ""))
    return ", ".join(parts)


def row_band(row: BenchRow, entry: BenchmarkEntry | None) -> str:
    """The row's stored band, else its benchmark's declared one, else ``"-"``."""
    return row.noise or (entry.band(row.unit) if entry else None) or "-"


def render_summary(
    results: Mapping[str, StoredResult],
    *,
    entries: Mapping[str, BenchmarkEntry] | None = None,
    title: str = "Benchmark results",
) -> str:
    """The Markdown of ``SUMMARY.md`` for ``results``.

    Parameters
    ----------
    results
        Stored results by benchmark name (:func:`~omicsnet.bench.results.read_results`).
    entries
        Registered benchmarks, for the noise bands of results that did not store them.
    title
        First heading.
    """
    entries = entries or {}
    rows_total = sum(len(r.rows) for r in results.values())
    mets = [row.meets_target() for r in results.values() for row in r.rows]
    with_target = [m for m in mets if m is not None]
    lines = [
        f"# {title}",
        "",
        "<!-- Generated from the results.json files beside this page by `omicsnet bench "
        "summary`; `omicsnet bench run` regenerates it. Do not edit by hand. -->",
        "",
        f"{plural(len(results), 'benchmark')}, {plural(rows_total, 'row')}; "
        f"{sum(with_target)} of "
        f"{len(with_target)} targets met. Each row compares a candidate with a baseline "
        "measured in the same run on the same machine; `ratio` is candidate / baseline. "
        "A run is marked *busy* when the machine's load average was above "
        f"{BUSY_LOAD} (other work shared its cores, so timings may be slow).",
        "",
        "| benchmark | rows | targets met | date (UTC) | machine | run |",
        "|---|---:|---:|---|---|---|",
    ]
    for name, result in results.items():
        row_mets = [m for m in (row.meets_target() for row in result.rows) if m is not None]
        met = f"{sum(row_mets)} of {len(row_mets)}" if row_mets else "-"
        lines.append(
            f"| [{cell(name)}](#{name}) | {len(result.rows)} | {met} | "
            f"{cell(result.date.replace('T', ' ')[:16])} | {cell(result.machine_line())} | "
            f"{cell(run_line(result))} |"
        )
    for name, result in results.items():
        entry = entries.get(name)
        report = result.path.parent.name + "/results.md"
        lines += [
            "",
            f"## {name}",
            "",
            *([cell(result.description), ""] if result.description else []),
            f"Run {result.date or '?'}: {run_line(result)}; {result.machine_line()}; "
            f"{result.versions_line()}. Report: [{report}]({report}).",
            "",
            "| case | candidate | baseline | candidate value | baseline value | ratio "
            "| target | met | noise band |",
            "|---|---|---|---:|---:|---:|---|---|---|",
        ]
        for row in result.rows:
            lines.append(
                "| "
                + " | ".join(
                    [
                        cell(row.case),
                        cell(row.candidate),
                        cell(row.baseline),
                        cell(format_value(row.candidate_value, row.unit)),
                        cell(format_value(row.baseline_value, row.unit)),
                        f"{row.ratio:.3f}",
                        cell(row.target or "-"),
                        met_text(row.meets_target()),
                        cell(row_band(row, entry)),
                    ]
                )
                + " |"
            )
    lines.append("")
    return "\n".join(lines)


def write_summary(
    root: str | os.PathLike[str], *, entries: Mapping[str, BenchmarkEntry] | None = None
) -> Path:
    """Regenerate ``ROOT/SUMMARY.md`` from the ``results.json`` files under ``root``.

    ``entries`` default to the registered benchmarks (built-in suites included), which
    supply the noise bands of results that did not store one.
    """
    root = Path(root)
    if entries is None:
        from omicsnet.bench.registry import find_benchmarks

        try:
            entries = find_benchmarks()
        except Exception as err:  # a clash elsewhere must not stop the summary
            logger.warning("noise bands of the registered benchmarks unavailable: %s", err)
            entries = {}
    text = render_summary(read_results(root), entries=entries)
    return atomic_write_text(root / SUMMARY_NAME, text)
