"""``omicsnet bench list|run``: the benchmark runner."""

from __future__ import annotations

import argparse

from omicsnet.utils.cli import CommandGroups


def add_commands(groups: CommandGroups) -> None:
    bench_list = groups.action("bench", "list", help="list registered benchmarks")
    bench_list.add_argument(
        "--bench-dir", help="folder of bench_*.py files (default: ./benchmarks)"
    )
    bench_list.set_defaults(func=cmd_bench_list)
    bench_run = groups.action("bench", "run", help="run one benchmark and write its report")
    bench_run.add_argument("name", help="benchmark name (see `omicsnet bench list`)")
    bench_run.add_argument("--out", help="report folder (default: benchmarks/results/NAME)")
    bench_run.add_argument("--quick", action="store_true", help="small sizes, few repeats")
    bench_run.add_argument("--data-dir", help="data directory (default: $OMICSNET_DATA)")
    bench_run.add_argument("--bench-dir", help="folder of bench_*.py files")
    bench_run.set_defaults(func=cmd_bench_run)


def cmd_bench_list(args: argparse.Namespace) -> int:
    from omicsnet.bench.registry import list_benchmarks

    items = list_benchmarks(args.bench_dir or "default")
    if not items:
        print("no benchmarks found (run from the repository root, or pass --bench-dir)")
        return 0
    width = max(len(n) for n in items)
    for name, description in items.items():
        print(f"{name:<{width}}  {description}")
    return 0


def cmd_bench_run(args: argparse.Namespace) -> int:
    from omicsnet.bench.registry import run_benchmark

    _, out, markdown = run_benchmark(
        args.name,
        out_dir=args.out,
        quick=args.quick,
        data_dir=args.data_dir,
        bench_dir=args.bench_dir or "default",
    )
    print(markdown)
    print(f"results written to {out}/results.json and {out}/results.md")
    return 0
