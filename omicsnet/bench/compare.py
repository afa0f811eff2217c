"""Compare a new benchmark run with the published results, row by row.

For every row of the new run the published row with the same case, candidate and
baseline is put beside it. A row is

* **regressed** when its target was met in the published run and is missed now (this
  makes ``omicsnet bench compare`` exit with status 1);
* **moved** when its ratio or quality metric moved beyond the row's noise band (see
  :mod:`omicsnet.bench.bands`; the band stored with the row, else the one its benchmark
  declares, else :data:`~omicsnet.bench.bands.DEFAULT_BAND`);
* **now met** when a target missed in the published run is met now;
* **new** or **missing** when only one of the two runs has it.

A ``--quick`` run measures smaller problems than a full one, so a benchmark whose two
runs differ in that respect is shown for information and not judged.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omicsnet.bench.bands import DEFAULT_BAND, moved
from omicsnet.bench.registry import BenchmarkEntry, BenchRow, format_value
from omicsnet.bench.results import StoredResult, read_results
from omicsnet.bench.summary import cell, met_text
from omicsnet.errors import DataNotFoundError
from omicsnet.utils.io import atomic_write_text

logger = logging.getLogger(__name__)

REGRESSED, MOVED, NOW_MET, OK, NEW, MISSING = (
    "REGRESSED",
    "moved",
    "now met",
    "ok",
    "new",
    "missing",
)

RowKey = tuple[str, str, str]


def row_key(row: BenchRow) -> RowKey:
    return (row.case, row.candidate, row.baseline)


@dataclass
class RowComparison:
    """One row of the new run beside the published one."""

    published: BenchRow | None
    new: BenchRow | None
    band: str
    band_source: str  # "row", "declared" or "default"
    moved: list[str] = field(default_factory=list)
    status: str = OK

    @property
    def row(self) -> BenchRow:
        row = self.new or self.published
        assert row is not None
        return row


@dataclass
class BenchmarkComparison:
    """The rows of one benchmark in both runs."""

    name: str
    published: StoredResult | None
    new: StoredResult | None
    rows: list[RowComparison] = field(default_factory=list)

    @property
    def like_for_like(self) -> bool:
        """Both runs exist and are both full runs or both ``--quick`` runs."""
        return (
            self.published is not None
            and self.new is not None
            and self.published.quick == self.new.quick
        )

    @property
    def note(self) -> str:
        if self.published is None:
            return "no published result to compare with"
        if self.new is None:
            return "not in the new run"
        if not self.like_for_like:
            mode = {True: "--quick", False: "full"}
            return (
                f"not like for like: the new run is {mode[self.new.quick]}, the published "
                f"one {mode[self.published.quick]}; shown for information, not judged"
            )
        return ""

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.rows)


@dataclass
class Comparison:
    """A new run against the published results."""

    run: Path
    baseline: Path
    benchmarks: list[BenchmarkComparison]

    @property
    def regressions(self) -> list[tuple[str, RowComparison]]:
        """Rows whose met target is missed now, in like-for-like benchmarks only."""
        return [
            (b.name, r)
            for b in self.benchmarks
            if b.like_for_like
            for r in b.rows
            if r.status == REGRESSED
        ]

    @property
    def exit_status(self) -> int:
        """1 when a target that was met is missed now, else 0."""
        return 1 if self.regressions else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "run": str(self.run),
            "baseline": str(self.baseline),
            "regressions": len(self.regressions),
            "moved": sum(b.count(MOVED) for b in self.benchmarks if b.like_for_like),
            "exit_status": self.exit_status,
            "benchmarks": [_benchmark_dict(b) for b in self.benchmarks],
        }

    def to_markdown(self) -> str:
        return render_comparison(self)


def _number(x: float) -> float | None:
    return None if x is None or math.isnan(x) or math.isinf(x) else x


def _row_dict(row: BenchRow | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "candidate_value": _number(row.candidate_value),
        "baseline_value": _number(row.baseline_value),
        "ratio": _number(row.ratio),
        "unit": row.unit,
        "target": row.target,
        "meets_target": row.meets_target(),
    }


def _benchmark_dict(b: BenchmarkComparison) -> dict[str, Any]:
    def run(result: StoredResult | None) -> dict[str, Any] | None:
        if result is None:
            return None
        return {
            "path": str(result.path),
            "date": result.date,
            "quick": result.quick,
            "machine": result.machine_line(),
        }

    return {
        "name": b.name,
        "like_for_like": b.like_for_like,
        "note": b.note,
        "published": run(b.published),
        "new": run(b.new),
        "rows": [
            {
                "case": r.row.case,
                "candidate": r.row.candidate,
                "baseline": r.row.baseline,
                "status": r.status,
                "band": r.band,
                "band_source": r.band_source,
                "moved": r.moved,
                "published": _row_dict(r.published),
                "new": _row_dict(r.new),
            }
            for r in b.rows
        ],
    }


def _band(
    new: BenchRow | None, published: BenchRow | None, entry: BenchmarkEntry | None
) -> tuple[str, str]:
    for row in (new, published):
        if row is not None and row.noise:
            return row.noise, "row"
    unit = (new or published).unit  # type: ignore[union-attr]
    declared = entry.band(unit) if entry is not None else None
    return (declared, "declared") if declared else (DEFAULT_BAND, "default")


def compare_rows(
    published: BenchRow | None, new: BenchRow | None, entry: BenchmarkEntry | None = None
) -> RowComparison:
    """Compare one row of two runs.

    Examples
    --------
    >>> old = BenchRow("c", "new", "old", 1.0, 2.0, target="<= 0.6", noise="ratio ±15%")
    >>> compare_rows(old, BenchRow("c", "new", "old", 1.1, 2.0, target="<= 0.6")).status
    'ok'
    >>> compare_rows(old, BenchRow("c", "new", "old", 1.4, 2.0, target="<= 0.6")).status
    'REGRESSED'
    """
    band, source = _band(new, published, entry)
    result = RowComparison(published, new, band, source)
    if published is None:
        result.status = NEW
        return result
    if new is None:
        result.status = MISSING
        return result
    result.moved = moved(
        band,
        (published.candidate_value, published.baseline_value, published.ratio),
        (new.candidate_value, new.baseline_value, new.ratio),
    )
    was, now = published.meets_target(), new.meets_target()
    if was is True and now is False:
        result.status = REGRESSED
    elif result.moved:
        result.status = MOVED
    elif was is False and now is True:
        result.status = NOW_MET
    return result


def compare_results(
    published: StoredResult | None,
    new: StoredResult | None,
    entry: BenchmarkEntry | None = None,
) -> BenchmarkComparison:
    """Compare one benchmark's two runs, every row of either."""
    name = (new or published).name  # type: ignore[union-attr]
    out = BenchmarkComparison(name, published, new)
    old_rows = {row_key(r): r for r in published.rows} if published else {}
    new_rows = {row_key(r): r for r in new.rows} if new else {}
    for key, row in new_rows.items():
        out.rows.append(compare_rows(old_rows.get(key), row, entry))
    for key, row in old_rows.items():
        if key not in new_rows:
            out.rows.append(compare_rows(row, None, entry))
    return out


def compare_runs(
    run: str | os.PathLike[str],
    baseline: str | os.PathLike[str],
    *,
    entries: Mapping[str, BenchmarkEntry] | None = None,
) -> Comparison:
    """Compare every benchmark of a run's results folder with the published results.

    Parameters
    ----------
    run
        Results folder of the new run (``NAME/results.json`` per benchmark).
    baseline
        Published results folder.
    entries
        Registered benchmarks, for the declared bands of rows that stored none.
    """
    new = read_results(run)
    if not new:
        raise DataNotFoundError(
            f"no benchmark results in {run} (run `omicsnet bench run` first, or name the "
            "run's folder)"
        )
    published = read_results(baseline)
    entries = entries or {}
    benchmarks = [compare_results(published.get(n), r, entries.get(n)) for n, r in new.items()]
    benchmarks += [BenchmarkComparison(n, r, None) for n, r in published.items() if n not in new]
    return Comparison(Path(run), Path(baseline), benchmarks)


# -------------------------------------------------------------------------- rendering
def _pair(old: str | None, new: str | None) -> str:
    if old is None:
        return f"- → {new}"
    if new is None:
        return f"{old} → -"
    return old if old == new else f"{old} → {new}"


def _value(row: BenchRow | None, attr: str) -> str | None:
    return None if row is None else format_value(getattr(row, attr), row.unit)


def _ratio(row: BenchRow | None) -> str | None:
    return None if row is None else f"{row.ratio:.3f}"


def _change(r: RowComparison) -> str:
    if r.published is None or r.new is None:
        return "-"
    old, new = r.published.ratio, r.new.ratio
    if not old or math.isnan(old) or math.isnan(new):
        return "-"
    return f"{(new / old - 1) * 100:+.1f} %"


def _met(row: BenchRow | None) -> str | None:
    return None if row is None else met_text(row.meets_target())


def _target(r: RowComparison) -> str:
    old = r.published.target if r.published else None
    new = r.new.target if r.new else None
    return _pair(old or "-" if r.published else None, new or "-" if r.new else None)


def render_comparison(c: Comparison) -> str:
    """Markdown: an overview line, a table per benchmark, one row per compared row."""
    judged = [b for b in c.benchmarks if b.like_for_like]
    moved_n = sum(b.count(MOVED) for b in judged)
    absent = [b.name for b in c.benchmarks if b.new is None]
    verdict = (
        f"**{len(c.regressions)} target(s) regressed**: met in the published run, missed now"
        if c.regressions
        else "No target that was met is missed now"
    )
    lines = [
        "# Benchmark comparison",
        "",
        f"New run: `{c.run}`; published results: `{c.baseline}`.",
        "",
        f"{verdict}; {moved_n} row(s) moved beyond their noise band"
        + (f"; not in the new run: {', '.join(absent)}" if absent else "")
        + ".",
        "",
        "| benchmark | rows | regressed | moved | now met | new | missing | published "
        "(UTC) | new (UTC) | judged |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|---|",
    ]
    for b in c.benchmarks:
        if b.new is None:
            continue
        dates = [cell(x.date.replace("T", " ")[:16]) if x else "-" for x in (b.published, b.new)]
        judged_text = "yes" if b.like_for_like else ("no: quick vs full" if b.published else "-")
        # counts of a benchmark that is not judged are in parentheses, like its rows
        counts = [
            str(n) if b.like_for_like else f"({n})"
            for n in (b.count(s) for s in (REGRESSED, MOVED, NOW_MET, NEW, MISSING))
        ]
        lines.append(
            f"| {cell(b.name)} | {len(b.rows)} | {' | '.join(counts)} | {dates[0]} | "
            f"{dates[1]} | {judged_text} |"
        )
    for b in c.benchmarks:
        if b.new is None:
            continue
        lines += ["", f"## {b.name}", ""]
        if b.published is not None:
            lines.append(
                f"Published {b.published.date} on {b.published.machine_line()}; new "
                f"{b.new.date} on {b.new.machine_line()}."
            )
        if b.note:
            lines += ["", f"*{b.note}.*"]
        lines += [
            "",
            "| status | case | candidate | baseline | candidate value | baseline value "
            "| ratio | change | noise band | target | met |",
            "|---|---|---|---|---|---|---|---:|---|---|---|",
        ]
        for r in b.rows:
            band = r.band + (" (default)" if r.band_source == "default" else "")
            status = r.status + (f": {'; '.join(r.moved)}" if r.moved else "")
            if not b.like_for_like:
                status = f"({status})"  # shown, not judged
            elif r.status in (REGRESSED, MOVED):
                status = f"**{status}**"
            cells = [
                status,
                cell(r.row.case),
                cell(r.row.candidate),
                cell(r.row.baseline),
                _pair(_value(r.published, "candidate_value"), _value(r.new, "candidate_value")),
                _pair(_value(r.published, "baseline_value"), _value(r.new, "baseline_value")),
                _pair(_ratio(r.published), _ratio(r.new)),
                _change(r),
                cell(band),
                cell(_target(r)),
                _pair(_met(r.published), _met(r.new)),
            ]
            lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    return "\n".join(lines)


def write_comparison(c: Comparison, out_dir: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Write ``compare.md`` and ``compare.json`` into ``out_dir``."""
    out = Path(out_dir)
    md = atomic_write_text(out / "compare.md", render_comparison(c))
    js = atomic_write_text(
        out / "compare.json", json.dumps(c.to_dict(), indent=2, ensure_ascii=False)
    )
    return md, js
