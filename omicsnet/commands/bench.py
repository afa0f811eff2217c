"""``omicsnet bench list|run|compare|summary``: the benchmark runner."""

from __future__ import annotations

import argparse
from pathlib import Path

from omicsnet.utils.cli import CommandGroups

BENCH_DIR_HELP = "folder of your own bench_*.py files, added to the built-in suites (repeatable)"


def add_commands(groups: CommandGroups) -> None:
    bench_list = groups.action("bench", "list", help="list benchmarks and suites")
    bench_list.add_argument("--suite", help="only the benchmarks of this suite")
    bench_list.add_argument("--bench-dir", action="append", default=[], help=BENCH_DIR_HELP)
    bench_list.set_defaults(func=cmd_bench_list)

    bench_run = groups.action(
        "bench",
        "run",
        help="run benchmarks: named ones, --all or a --suite",
        description="Run benchmarks one after the other, each in its own process. A failing "
        "benchmark is reported at the end and the others still run (exit status 1). Results "
        "go to omicsnet-bench/NAME/ (or --out), with a SUMMARY.md; --publish writes the "
        "published results/NAME/ beside each benchmark's file instead.",
    )
    bench_run.add_argument("names", nargs="*", metavar="NAME", help="benchmark names")
    which = bench_run.add_mutually_exclusive_group()
    which.add_argument("--all", action="store_true", help="every benchmark")
    which.add_argument("--suite", help="a named suite: quick, science or speed")
    bench_run.add_argument("--quick", action="store_true", help="small sizes, few repeats")
    where = bench_run.add_mutually_exclusive_group()
    where.add_argument("--out", help="results folder of the run (default: omicsnet-bench)")
    where.add_argument(
        "--publish",
        action="store_true",
        help="write the published results (benchmarks/results/NAME) and their SUMMARY.md",
    )
    bench_run.add_argument("--data-dir", help="data directory (default: $OMICSNET_DATA)")
    bench_run.add_argument("--bench-dir", action="append", default=[], help=BENCH_DIR_HELP)
    bench_run.add_argument(
        "--in-process",
        action="store_true",
        help="run in this process instead of one process per benchmark (for debugging)",
    )
    bench_run.add_argument(
        "--resume",
        action="store_true",
        help="continue killed benchmarks in the same results folder, reusing the folds "
        "they finished (benchmarks that keep units, e.g. kcae); refused when a benchmark's "
        "settings changed",
    )
    bench_run.set_defaults(func=cmd_bench_run)

    bench_compare = groups.action(
        "bench",
        "compare",
        help="compare a run with the published results",
        description="Put every row of a run beside the published one; flag rows that moved "
        "beyond their noise band. Writes compare.md and compare.json. Exit status 1 when a "
        "target that was met in the published results is missed now.",
    )
    bench_compare.add_argument(
        "run", nargs="?", help="results folder of the new run (default: omicsnet-bench)"
    )
    bench_compare.add_argument(
        "--baseline", help="published results folder (default: the built-in benchmarks/results)"
    )
    bench_compare.add_argument(
        "--out", help="folder for compare.md and compare.json (default: the run's folder)"
    )
    bench_compare.add_argument("--bench-dir", action="append", default=[], help=BENCH_DIR_HELP)
    bench_compare.set_defaults(func=cmd_bench_compare)

    bench_summary = groups.action(
        "bench", "summary", help="regenerate SUMMARY.md of a results folder"
    )
    bench_summary.add_argument(
        "results", nargs="?", help="results folder (default: the built-in benchmarks/results)"
    )
    bench_summary.set_defaults(func=cmd_bench_summary)


def cmd_bench_list(args: argparse.Namespace) -> int:
    import sys

    from omicsnet.bench.registry import builtin_bench_dir, find_benchmarks, load_errors
    from omicsnet.bench.suites import SUITES, get_suite

    entries = find_benchmarks(args.bench_dir)
    if args.suite:
        suite = get_suite(args.suite)
        entries = {n: e for n, e in entries.items() if suite.everything or suite.name in e.suites}
    builtin = builtin_bench_dir()
    if entries:
        width = max(len(n) for n in entries)
        sw = max(len(",".join(e.suites)) for e in entries.values()) or 1
        for name, entry in entries.items():
            own = "" if entry.folder is None or entry.folder == builtin else f" [{entry.where}]"
            suites = ",".join(entry.suites) or "-"
            print(f"{name:<{width}}  {suites:<{sw}}  {entry.description}{own}")
    else:
        print("no benchmarks found")
    print()
    print("suites (omicsnet bench run --suite NAME):")
    for suite in SUITES.values():
        print(f"  {suite.name:<8} {suite.description}")
    if builtin is None:
        print(
            "built-in suites: not installed with this copy of omicsnet (they come with a "
            "source checkout; set OMICSNET_BENCHMARKS to a checkout's benchmarks/ folder)"
        )
    else:
        print(f"built-in suites: {builtin}")
    local = Path("benchmarks")
    passed = {Path(d).resolve() for d in args.bench_dir}
    if local.is_dir() and local.resolve() not in passed and local.resolve() != builtin:
        print(
            "note: ./benchmarks is not read unless passed: --bench-dir benchmarks",
            file=sys.stderr,
        )
    broken = load_errors(args.bench_dir)
    for path, err in broken.items():
        print(f"omicsnet: could not import {path}: {err}", file=sys.stderr)
    return 1 if broken else 0


def cmd_bench_run(args: argparse.Namespace) -> int:
    from omicsnet.bench.runner import (
        FAILED,
        OK,
        SKIPPED,
        broken_files,
        report,
        run_benchmarks,
        select_benchmarks,
    )

    entries, suite_quick = select_benchmarks(
        args.names, everything=args.all, suite=args.suite, bench_dirs=args.bench_dir
    )
    outcomes = run_benchmarks(
        entries,
        quick=args.quick or suite_quick,
        out_root=args.out,
        publish=args.publish,
        data_dir=args.data_dir,
        bench_dirs=args.bench_dir,
        isolate=not args.in_process,
        echo=lambda line: print(line, flush=True),
        resume=args.resume,
    )
    if not args.names:  # a file that could not be imported is a failed benchmark
        outcomes += broken_files(args.bench_dir)
    if len(outcomes) == 1 and outcomes[0].status == OK and outcomes[0].folder is not None:
        print()
        print((outcomes[0].folder / "results.md").read_text(encoding="utf-8"))
    print()
    print(report(outcomes))
    folders = sorted({o.folder.parent for o in outcomes if o.folder is not None})
    for folder in folders:
        print(f"results in {folder}/NAME/results.{{json,md}}; summary: {folder}/SUMMARY.md")
    if not args.publish and folders:
        print(f"compare with the published results: omicsnet bench compare {folders[0]}")
    failed = any(o.status == FAILED for o in outcomes)
    # a benchmark asked for by name that could not run is a failure too
    skipped_named = bool(args.names) and any(o.status == SKIPPED for o in outcomes)
    return 1 if failed or skipped_named else 0


def cmd_bench_compare(args: argparse.Namespace) -> int:
    import logging

    from omicsnet.bench.compare import compare_runs, write_comparison
    from omicsnet.bench.registry import (
        DEFAULT_RUN_ROOT,
        builtin_bench_dir,
        claim_folder,
        find_benchmarks,
    )
    from omicsnet.errors import ConfigError, OmicsnetError

    if args.baseline:
        baseline = Path(args.baseline)
    else:
        builtin = builtin_bench_dir()
        if builtin is None or not (builtin / "results").is_dir():
            raise ConfigError(
                "no published results found with this copy of omicsnet; pass --baseline DIR"
            )
        baseline = builtin / "results"
    run = Path(args.run) if args.run else DEFAULT_RUN_ROOT
    try:
        entries = find_benchmarks(args.bench_dir)
    except OmicsnetError as err:  # declared bands are a fallback; say so and go on
        logging.getLogger(__name__).warning("declared noise bands unavailable: %s", err)
        entries = {}
    comparison = compare_runs(run, baseline, entries=entries)
    out = claim_folder(args.out, root=True) if args.out else run
    md, js = write_comparison(comparison, out)
    print(comparison.to_markdown())
    print(f"written to {md} and {js}")
    return comparison.exit_status


def cmd_bench_summary(args: argparse.Namespace) -> int:
    from omicsnet.bench.registry import builtin_bench_dir, claim_folder
    from omicsnet.bench.summary import write_summary
    from omicsnet.errors import ConfigError

    if args.results:
        root = Path(args.results)
    else:
        builtin = builtin_bench_dir()
        if builtin is None:
            raise ConfigError("no built-in benchmarks with this copy of omicsnet; name a folder")
        root = builtin / "results"
    if not root.is_dir():
        raise ConfigError(f"results folder {root} does not exist")
    path = write_summary(claim_folder(root, root=True))
    print(f"written {path}")
    return 0
