"""``omicsnet lcms convert|train|predict``: raw LC-MS conversion and DenseNet ensembles."""

from __future__ import annotations

import argparse
import sys

from omicsnet.commands import CommandGroups

EXIT_USER_ERROR = 2


def add_commands(groups: CommandGroups) -> None:
    convert = groups.action(
        "lcms",
        "convert",
        help="convert mzML/mzXML files (optionally .gz) to RT x m/z matrices (.npz)",
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

    lcms_train = groups.action(
        "lcms",
        "train",
        help="train (or cross-validate) a DenseNet ensemble on labelled arrays",
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
    lcms_predict = groups.action(
        "lcms",
        "predict",
        help="class probabilities of arrays with a saved model/ensemble",
    )
    lcms_predict.add_argument("--model", required=True, help="saved ensemble or model folder")
    lcms_predict.add_argument("--arrays", required=True, help="folder of .npy matrices")
    lcms_predict.add_argument("--out", required=True, help="CSV of probabilities")
    lcms_predict.add_argument("--overwrite", action="store_true")
    lcms_predict.set_defaults(func=cmd_lcms_predict)


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
