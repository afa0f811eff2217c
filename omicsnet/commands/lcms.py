"""``omicsnet lcms convert|train|predict``: raw LC-MS conversion and DenseNet ensembles."""

from __future__ import annotations

import argparse
import sys

from omicsnet.utils.cli import CommandGroups

EXIT_USER_ERROR = 2


def add_commands(groups: CommandGroups) -> None:
    convert = groups.action(
        "lcms",
        "convert",
        help="convert mzML/mzXML files (optionally .gz) to RT x m/z matrices (.npz)",
    )
    convert.add_argument("files", nargs="+", help="mzML/mzXML files")
    convert.add_argument("--out", required=True, help="folder for the .npz matrices")
    add_binning_arguments(convert, default_preset="deepmsprofiler")
    convert.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    convert.add_argument("--overwrite", action="store_true", help="replace existing .npz files")
    convert.set_defaults(func=cmd_lcms_convert)

    lcms_train = groups.action(
        "lcms",
        "train",
        help="train (or cross-validate) a DenseNet ensemble on labelled arrays",
    )
    add_input_arguments(lcms_train)
    lcms_train.add_argument(
        "--labels",
        default="labels.csv",
        help="file,label table (looked for in the --arrays folder first); joined by sample "
        "name: run.mzML.npz, run.mzML.gz, run.npy all match a row 'run' or 'run.mzML'; "
        "with --arch lcms_dual also sample,polarity columns (one row per run)",
    )
    lcms_train.add_argument("--out", required=True, help="ensemble folder (or CV tables with --cv)")
    lcms_train.add_argument("--models", type=int, default=3, help="ensemble members")
    lcms_train.add_argument("--epochs", type=int, default=20)
    lcms_train.add_argument(
        "--lr", type=float, default=1e-3, help="learning rate of member 0; member i gets lr/2^i"
    )
    lcms_train.add_argument("--batch-size", type=int, default=4)
    lcms_train.add_argument("--pre-pool", type=int, default=2, help="max-pool factor")
    lcms_train.add_argument("--cv", help="cross-validate: number of folds, or 'loo'")
    lcms_train.add_argument("--no-augment", action="store_true", help="no RT shift/jitter/erasing")
    lcms_train.add_argument("--seed", type=int, default=0, help="seed of member 0 and the folds")
    lcms_train.add_argument(
        "--tiny", action="store_true", help="a very small DenseNet (smoke runs)"
    )
    lcms_train.add_argument(
        "--arch",
        choices=["lcms_densenet", "lcms_cnn", "lcms_dual"],
        default="lcms_densenet",
        help="member model: DeepMSProfiler's DenseNet, a small position-aware CNN "
        "for coarse matrices, or the dual-polarity DenseNet (runs paired by the "
        "--labels sample/polarity columns)",
    )
    lcms_train.add_argument("--overwrite", action="store_true")
    lcms_train.set_defaults(func=cmd_lcms_train)
    lcms_predict = groups.action(
        "lcms",
        "predict",
        help="class probabilities of arrays with a saved model/ensemble",
    )
    lcms_predict.add_argument("--model", required=True, help="saved ensemble or model folder")
    add_input_arguments(lcms_predict, model_binning=True)
    lcms_predict.add_argument("--out", required=True, help="CSV of probabilities")
    lcms_predict.add_argument(
        "--pairs",
        help="dual-polarity (lcms_dual) models: file,sample,polarity table pairing each "
        "sample's positive- and negative-mode runs (the training --labels table works)",
    )
    lcms_predict.add_argument("--overwrite", action="store_true")
    lcms_predict.set_defaults(func=cmd_lcms_predict)


def add_binning_arguments(
    parser: argparse.ArgumentParser, *, default_preset: str | None, model_binning: bool = False
) -> None:
    """``--preset``, ``--param``, ``--workers``, ``--cache-dir``: how mzML runs are binned."""
    default = (
        "the model's training binning, else deepmsprofiler"
        if model_binning
        else (default_preset or "deepmsprofiler")
    )
    parser.add_argument("--preset", default=default_preset, help=f"binning preset ({default})")
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a binning parameter, e.g. --param n_rt=512 --param transform=log1p",
    )
    parser.add_argument("--workers", type=int, default=2, help="conversion worker processes")
    parser.add_argument("--cache-dir", help="conversion cache (default: $OMICSNET_CACHE/lcms)")


def add_input_arguments(parser: argparse.ArgumentParser, *, model_binning: bool = False) -> None:
    """``--arrays`` (folder or files of .npy/.npz/mzML) and the mzML binning options."""
    parser.add_argument(
        "--arrays",
        "--inputs",
        dest="arrays",
        nargs="+",
        required=True,
        help="a folder, or files, of one kind: .npy arrays, .npz matrices from "
        "'omicsnet lcms convert', or mzML/mzXML runs (converted with the cache)",
    )
    add_binning_arguments(parser, default_preset=None, model_binning=model_binning)


def binning_from_args(args: argparse.Namespace) -> object | None:
    """The BinningParams given by ``--preset``/``--param``, or None when neither was given."""
    from omicsnet.config import parse_scalar
    from omicsnet.errors import ConfigError
    from omicsnet.ms.binning import BinningParams

    if args.preset is None and not args.param:
        return None
    overrides: dict[str, object] = {"preset": args.preset or "deepmsprofiler"}
    for item in args.param:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--param expects KEY=VALUE, got {item!r}")
        overrides[key.strip()] = parse_scalar(value.strip())
    return BinningParams.from_dict(overrides)


def inputs_from_args(args: argparse.Namespace) -> object:
    """One folder/file as given, several as a list."""
    return args.arrays[0] if len(args.arrays) == 1 else list(args.arrays)


def cmd_lcms_convert(args: argparse.Namespace) -> int:
    from pathlib import Path

    from omicsnet.errors import ConfigError
    from omicsnet.ms.binning import convert_files
    from omicsnet.utils.io import OutputExistsError

    params = binning_from_args(args)
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
        inputs_from_args(args),
        args.out,
        labels=args.labels,
        n_models=args.models,
        lrs=[args.lr / 2**i for i in range(args.models)],
        epochs=args.epochs,
        batch_size=args.batch_size,
        pre_pool=args.pre_pool,
        cv=cv,
        augment=not args.no_augment,
        tiny=args.tiny,
        architecture=args.arch,
        binning=binning_from_args(args),
        cache_dir=args.cache_dir,
        workers=args.workers,
        seed=args.seed,
        overwrite=args.overwrite,
        progress=not args.quiet,
    )
    counts = ", ".join(f"{k} {v}" for k, v in summary["counts"].items())
    runs = f" from {summary['runs']} runs" if summary["runs"] != summary["samples"] else ""
    print(f"{summary['samples']} samples{runs} ({counts})")
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

    frame = predict_lcms(
        args.model,
        inputs_from_args(args),
        args.out,
        binning=binning_from_args(args),
        cache_dir=args.cache_dir,
        workers=args.workers,
        pairs=args.pairs,
        overwrite=args.overwrite,
        progress=not args.quiet,
    )
    print(frame["predicted"].value_counts().to_string())
    print(f"probabilities of {len(frame)} samples written to {args.out}")
    return 0
