"""The ``omicsnet`` command: parses arguments, calls the API, prints results.

Heavy libraries are imported inside the command that needs them, so that ``omicsnet
--help`` answers at once. A user error (bad config, missing file, unknown ID) prints one
line and exits with status 2; tracebacks are shown only with ``--debug``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from omicsnet._version import __version__
from omicsnet.errors import OmicsnetError

EXIT_USER_ERROR = 2
EXIT_INTERNAL_ERROR = 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="omicsnet",
        description="Biology-guided multi-omics deep learning: model zoo, trainer, benchmarks.",
        epilog="Run `omicsnet COMMAND --help` for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"omicsnet {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    # --debug and --quiet are accepted after the subcommand too
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show tracebacks and debug logs",
    )
    common.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=argparse.SUPPRESS,
        help="only warnings and errors",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    models = sub.add_parser(
        "models", help="list the model zoo, one line per model", parents=[common]
    )
    models.add_argument("--family", help="only models of this family")
    models.set_defaults(func=cmd_models)

    datasets = sub.add_parser(
        "datasets", help="list built-in and registered datasets", parents=[common]
    )
    datasets.set_defaults(func=cmd_datasets)

    train = sub.add_parser(
        "train", help="train a model from a config file (YAML/JSON/TOML)", parents=[common]
    )
    train.add_argument("--config", required=True, help="config file (see docs/getting-started.md)")
    train.add_argument("--output", help="output folder (default: the config's 'output')")
    train.add_argument("--resume", action="store_true", help="continue an interrupted run")
    train.add_argument("--overwrite", action="store_true", help="replace an existing run")
    train.add_argument("--data-dir", help="data directory (default: $OMICSNET_DATA)")
    train.add_argument(
        "--nproc-per-node",
        type=int,
        default=1,
        metavar="N",
        help="data-parallel processes (launches torchrun; gloo on CPU, NCCL on GPU)",
    )
    train.add_argument("--no-progress", action="store_true", help="hide progress bars")
    train.set_defaults(func=cmd_train)

    demo = sub.add_parser(
        "demo", help="train, evaluate, save and reload a model on built-in data", parents=[common]
    )
    demo.add_argument("--output", help="output folder (default: omicsnet-demo/<timestamp>)")
    demo.add_argument("--quick", action="store_true", help="tiny data, few epochs (smoke test)")
    demo.add_argument("--overwrite", action="store_true", help="replace an existing output folder")
    demo.add_argument("--no-progress", action="store_true", help="hide progress bars")
    demo.set_defaults(func=cmd_demo)

    lcms = sub.add_parser("lcms", help="raw LC-MS data: mzML/mzXML to matrices", parents=[common])
    lcms_sub = lcms.add_subparsers(dest="lcms_command", metavar="ACTION", required=True)
    convert = lcms_sub.add_parser(
        "convert",
        help="convert mzML/mzXML files (optionally .gz) to RT x m/z matrices (.npz)",
        parents=[common],
    )
    convert.add_argument("files", nargs="+", help="mzML/mzXML files")
    convert.add_argument("--out", required=True, help="folder for the .npz matrices")
    convert.add_argument("--preset", default="deepmsprofiler", help="binning preset")
    convert.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a binning parameter, e.g. --param n_rt=512 --param transform=log1p",
    )
    convert.add_argument("--workers", type=int, default=2, help="worker processes")
    convert.add_argument("--cache-dir", help="conversion cache (default: $OMICSNET_CACHE/lcms)")
    convert.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    convert.add_argument("--overwrite", action="store_true", help="replace existing .npz files")
    convert.set_defaults(func=cmd_lcms_convert)

    lcms_train = lcms_sub.add_parser(
        "train",
        help="train (or cross-validate) a DenseNet ensemble on labelled arrays",
        parents=[common],
    )
    lcms_train.add_argument("--arrays", required=True, help="folder of .npy matrices")
    lcms_train.add_argument("--labels", default="labels.csv", help="file,label table (in --arrays)")
    lcms_train.add_argument("--out", required=True, help="ensemble folder (or CV tables with --cv)")
    lcms_train.add_argument("--models", type=int, default=3, help="ensemble members")
    lcms_train.add_argument("--epochs", type=int, default=20)
    lcms_train.add_argument("--batch-size", type=int, default=4)
    lcms_train.add_argument("--pre-pool", type=int, default=2, help="max-pool factor")
    lcms_train.add_argument("--cv", help="cross-validate: number of folds, or 'loo'")
    lcms_train.add_argument("--no-augment", action="store_true", help="no RT shift/jitter/erasing")
    lcms_train.add_argument(
        "--tiny", action="store_true", help="a very small DenseNet (smoke runs)"
    )
    lcms_train.add_argument("--overwrite", action="store_true")
    lcms_train.set_defaults(func=cmd_lcms_train)
    lcms_predict = lcms_sub.add_parser(
        "predict",
        help="class probabilities of arrays with a saved model/ensemble",
        parents=[common],
    )
    lcms_predict.add_argument("--model", required=True, help="saved ensemble or model folder")
    lcms_predict.add_argument("--arrays", required=True, help="folder of .npy matrices")
    lcms_predict.add_argument("--out", required=True, help="CSV of probabilities")
    lcms_predict.add_argument("--overwrite", action="store_true")
    lcms_predict.set_defaults(func=cmd_lcms_predict)

    explain = sub.add_parser("explain", help="explain a model's predictions", parents=[common])
    explain_sub = explain.add_subparsers(dest="explain_command", metavar="METHOD", required=True)
    rise = explain_sub.add_parser(
        "rise", help="RISE maps of the (RT, m/z) regions behind each class", parents=[common]
    )
    rise.add_argument("--model", required=True, help="saved ensemble or model folder")
    rise.add_argument("--arrays", required=True, help="folder of .npy matrices")
    rise.add_argument("--out", required=True, help="output folder")
    rise.add_argument("--masks", type=int, default=1000, help="number of random masks")
    rise.add_argument("--grid", type=int, default=8, help="mask grid size")
    rise.add_argument("--p", type=float, default=0.1, help="probability of keeping a cell")
    rise.add_argument("--top", type=int, default=10, help="top regions per class")
    rise.add_argument("--seed", type=int, default=0)
    rise.add_argument("--overwrite", action="store_true")
    rise.set_defaults(func=cmd_explain_rise)

    network = sub.add_parser(
        "network", help="metabolite-protein network inference", parents=[common]
    )
    network_sub = network.add_subparsers(dest="network_command", metavar="ACTION", required=True)
    infer = network_sub.add_parser(
        "infer",
        help="scored m/z signals -> PCSF subnetwork + enrichment",
        parents=[common],
        description="Match m/z signals to metabolites, solve a prize-collecting Steiner "
        "forest over the metabolite-protein graph (+ interactome) and test enrichment.",
    )
    infer.add_argument("--signals", required=True, help="CSV/TSV with columns mz, score [, id]")
    infer.add_argument("--out", required=True, help="output folder (must not exist)")
    infer.add_argument("--mode", choices=["positive", "negative"], default="positive")
    infer.add_argument("--adducts", help="comma-separated adducts, e.g. '[M+H]+,[M+Na]+'")
    infer.add_argument("--tol", type=float, default=10.0, help="m/z tolerance (default 10)")
    infer.add_argument("--unit", choices=["ppm", "Da"], default="ppm")
    infer.add_argument("--min-score", type=float, help="keep signals scoring at least this")
    infer.add_argument(
        "--model",
        default="human-gem",
        help="human-gem (from the data directory), textbook, iJO1366, salmonella, or a "
        "model file (SBML/JSON/MAT)",
    )
    infer.add_argument(
        "--interactome", help="protein-protein edge table (e.g. iRefIndex), or 'bioplex'"
    )
    infer.add_argument("--gmt", help="pathway gene sets (GMT) instead of WikiPathways")
    infer.add_argument("--w", type=float, default=5.0, help="cost of starting a tree")
    infer.add_argument("--b", type=float, default=10.0, help="prize scale")
    infer.add_argument("--g", type=float, default=3.0, help="degree penalty exponent")
    infer.add_argument("--robustness", type=int, default=0, help="noisy-cost reruns")
    infer.add_argument("--specificity", type=int, default=0, help="random-prize reruns")
    infer.add_argument("--seed", type=int, default=0)
    infer.add_argument("--data-dir", help="data directory (default: $OMICSNET_DATA)")
    infer.add_argument("--overwrite", action="store_true", help="replace an existing output")
    infer.set_defaults(func=cmd_network_infer)

    bench = sub.add_parser("bench", help="list or run benchmarks", parents=[common])
    bench_sub = bench.add_subparsers(dest="bench_command", metavar="ACTION", required=True)
    bench_list = bench_sub.add_parser("list", help="list registered benchmarks", parents=[common])
    bench_list.add_argument(
        "--bench-dir", help="folder of bench_*.py files (default: ./benchmarks)"
    )
    bench_list.set_defaults(func=cmd_bench_list)
    bench_run = bench_sub.add_parser(
        "run", help="run one benchmark and write its report", parents=[common]
    )
    bench_run.add_argument("name", help="benchmark name (see `omicsnet bench list`)")
    bench_run.add_argument("--out", help="report folder (default: benchmarks/results/NAME)")
    bench_run.add_argument("--quick", action="store_true", help="small sizes, few repeats")
    bench_run.add_argument("--data-dir", help="data directory (default: $OMICSNET_DATA)")
    bench_run.add_argument("--bench-dir", help="folder of bench_*.py files")
    bench_run.set_defaults(func=cmd_bench_run)
    return parser


# ---------------------------------------------------------------------- commands
def cmd_models(args: argparse.Namespace) -> int:
    from omicsnet.models.registry import list_models, model_info

    names = list_models(family=args.family)
    if not names:
        raise OmicsnetError(f"no models in family {args.family!r}")
    width = max(len(n) for n in names)
    for name in names:
        entry = model_info(name)
        print(f"{name:<{width}}  [{entry.family}]  {entry.description}")
    return 0


def cmd_datasets(args: argparse.Namespace) -> int:
    from omicsnet.data.registry import list_datasets

    items = list_datasets()
    width = max(len(n) for n in items)
    for name, description in items.items():
        print(f"{name:<{width}}  {description}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    if args.nproc_per_node > 1 and "LOCAL_RANK" not in os.environ:
        return _launch_torchrun(args)
    from pathlib import Path

    from omicsnet.config import load_config
    from omicsnet.experiment import run_experiment
    from omicsnet.train.distributed import is_main_process

    config_path = Path(args.config)
    config = load_config(config_path)
    result = run_experiment(
        config,
        base_dir=config_path.parent,
        output=args.output,
        resume=args.resume,
        overwrite=args.overwrite,
        data_dir=args.data_dir,
        progress=False if args.no_progress else None,
    )
    if is_main_process():
        metrics = ", ".join(f"{k} {v:.4g}" for k, v in result.test_metrics.items())
        model = config["model"] if isinstance(config["model"], str) else config["model"]["name"]
        print(f"trained {model} for {len(result.history)} epochs (best epoch {result.best_epoch})")
        if metrics:
            print(f"test: {metrics}")
        print(f"model saved to {result.model_dir}")
    return 0


def _launch_torchrun(args: argparse.Namespace) -> int:
    import subprocess

    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc_per_node={args.nproc_per_node}",
        "-m",
        "omicsnet.cli",
    ]
    if args.debug:
        command.append("--debug")
    command += ["train", "--config", args.config]
    for flag, value in (("--output", args.output), ("--data-dir", args.data_dir)):
        if value:
            command += [flag, value]
    for flag, on in (
        ("--resume", args.resume),
        ("--overwrite", args.overwrite),
        ("--no-progress", args.no_progress),
    ):
        if on:
            command.append(flag)
    return subprocess.call(command)


def cmd_demo(args: argparse.Namespace) -> int:
    from omicsnet.demo import run_demo

    report = run_demo(
        args.output, quick=args.quick, overwrite=args.overwrite, progress=not args.no_progress
    )
    print("\n".join(report.lines()))
    return 0 if report.reload_identical else EXIT_INTERNAL_ERROR


def cmd_lcms_convert(args: argparse.Namespace) -> int:
    from pathlib import Path

    from omicsnet.config import parse_scalar
    from omicsnet.data.lcms_matrix import BinningParams, convert_files
    from omicsnet.errors import ConfigError
    from omicsnet.utils.io import OutputExistsError

    overrides: dict[str, object] = {"preset": args.preset}
    for item in args.param:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--param expects KEY=VALUE, got {item!r}")
        overrides[key.strip()] = parse_scalar(value.strip())
    params = BinningParams.from_dict(overrides)
    out = Path(args.out)
    targets: dict[str, Path] = {}
    for name in args.files:
        target = out / f"{Path(name).name.removesuffix('.gz')}.npz"  # run.mzML -> run.mzML.npz
        if target in targets.values():
            raise ConfigError(f"two input files would both be written to {target}; rename one")
        if target.exists() and not args.overwrite:
            raise OutputExistsError(f"{target} already exists; add --overwrite to replace it")
        targets[name] = target
    result = convert_files(
        list(targets),
        params,
        cache_dir=args.cache_dir,
        use_cache=not args.no_cache,
        workers=args.workers,
        progress=not args.quiet,
    )
    for record in result.records:
        matrix = result.matrices.get(record.path)
        if matrix is not None:
            matrix.save(targets[record.path], overwrite=args.overwrite)
    print(
        f"{result.n_converted} converted, {result.n_cached} from cache, {result.n_failed} failed;"
        f" matrices in {out}"
    )
    for _, reason in result.failures:
        print(f"failed: {reason}", file=sys.stderr)
    return EXIT_USER_ERROR if result.n_failed else 0


def cmd_lcms_train(args: argparse.Namespace) -> int:
    from omicsnet.lcms_workflows import train_lcms

    cv: int | str | None = None
    if args.cv:
        cv = "loo" if args.cv == "loo" else int(args.cv)
    summary = train_lcms(
        args.arrays,
        args.out,
        labels=args.labels,
        n_models=args.models,
        epochs=args.epochs,
        batch_size=args.batch_size,
        pre_pool=args.pre_pool,
        cv=cv,
        augment=not args.no_augment,
        tiny=args.tiny,
        overwrite=args.overwrite,
        progress=not args.quiet,
    )
    counts = ", ".join(f"{k} {v}" for k, v in summary["counts"].items())
    print(f"{summary['samples']} samples ({counts})")
    shown = {"accuracy", "balanced_accuracy", "f1_macro", "auc_macro"}
    for row in summary.get("cv", []):
        if row["metric"] not in shown:
            continue
        print(
            f"  CV {row['metric']}: {row['estimate']:.3f} "
            f"(95% CI {row['ci_lower']:.3f}-{row['ci_upper']:.3f})"
        )
    print(f"written to {args.out}")
    return 0


def cmd_lcms_predict(args: argparse.Namespace) -> int:
    from omicsnet.lcms_workflows import predict_lcms

    frame = predict_lcms(args.model, args.arrays, args.out, overwrite=args.overwrite)
    print(frame["predicted"].value_counts().to_string())
    print(f"probabilities of {len(frame)} samples written to {args.out}")
    return 0


def cmd_explain_rise(args: argparse.Namespace) -> int:
    from omicsnet.lcms_workflows import explain_rise

    regions = explain_rise(
        args.model,
        args.arrays,
        args.out,
        n_masks=args.masks,
        grid_size=args.grid,
        p=args.p,
        top=args.top,
        seed=args.seed,
        overwrite=args.overwrite,
        progress=not args.quiet,
    )
    print(regions.head(20).to_string(index=False))
    print(f"maps, top regions and class_profiles.png written to {args.out}")
    return 0


def cmd_network_infer(args: argparse.Namespace) -> int:
    from pathlib import Path

    from omicsnet.knowledge.interactome import read_bioplex, read_interactome
    from omicsnet.knowledge.metabolic_graph import load_cobra_graph, load_human_gem
    from omicsnet.networks.enrichment import read_gmt
    from omicsnet.networks.infer import infer_network, read_signals
    from omicsnet.utils.io import OutputExistsError

    out = Path(args.out)
    if out.exists() and not args.overwrite:
        raise OutputExistsError(f"{out} already exists; choose another --out or add --overwrite")
    signals = read_signals(args.signals)
    if args.model == "human-gem":
        graph = load_human_gem(args.data_dir)
    else:
        graph = load_cobra_graph(args.model)
    if args.interactome:
        ppi = (
            read_bioplex() if args.interactome == "bioplex" else read_interactome(args.interactome)
        )
        graph = graph.add_interactome(ppi)
    adducts = [a.strip() for a in args.adducts.split(",")] if args.adducts else None
    result = infer_network(
        signals,
        graph,
        mode=args.mode,
        adducts=adducts,
        tol=args.tol,
        unit=args.unit,
        min_score=args.min_score,
        w=args.w,
        b=args.b,
        g=args.g,
        robustness=args.robustness,
        specificity=args.specificity,
        seed=args.seed,
        gene_sets=read_gmt(args.gmt) if args.gmt else None,
        progress=not args.quiet,
    )
    result.write(out, overwrite=args.overwrite)
    summary = result.summary()
    n_signals = summary["signals_matched"] + summary["signals_unmatched"]
    print(
        f"{summary['signals_matched']} of {n_signals} signals matched; "
        f"{summary['selected_nodes']} nodes selected "
        f"({summary['selected_metabolites']} metabolites, {summary['selected_proteins']} proteins,"
        f" {summary['hidden_nodes']} hidden) in {summary['trees']} tree(s); "
        f"{summary['enriched_sets_q05']} sets enriched at q <= 0.05"
    )
    print(
        f"results written to {out} (network.graphml, nodes.csv, edges.csv, enrichment.csv, "
        "matches.csv, unmatched.csv, network.png, summary.json)"
    )
    return 0


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


# ---------------------------------------------------------------------- entry point
def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.DEBUG if args.debug else (logging.WARNING if args.quiet else logging.INFO)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if args.command is None:
        parser.print_help()
        return EXIT_USER_ERROR
    try:
        return int(args.func(args) or 0)
    except OmicsnetError as err:
        if args.debug:
            raise
        print(f"omicsnet: error: {_one_line(err)}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("omicsnet: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # a bug: say so in one line unless debugging
        if args.debug:
            raise
        print(
            f"omicsnet: internal error: {type(err).__name__}: {_one_line(err)} "
            "(rerun with --debug for the traceback, and please report it)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL_ERROR


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return text or type(err).__name__


if __name__ == "__main__":
    sys.exit(main())
