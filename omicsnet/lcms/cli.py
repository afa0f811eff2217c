"""``omicsnet lcms convert|train|predict``: raw LC-MS conversion and DenseNet ensembles."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from omicsnet.lcms import cli_explain, cli_study
from omicsnet.lcms.cli_args import (
    add_binning_arguments,
    add_input_arguments,
    binning_from_args,
    inputs_from_args,
)
from omicsnet.utils.cli import CommandGroups
from omicsnet.utils.executors import add_backend_arguments

EXIT_USER_ERROR = 2
logger = logging.getLogger(__name__)


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
    convert.add_argument(
        "--resume",
        action="store_true",
        help="continue a killed batch: keep the .npz files it finished (same input file, same "
        "binning) and convert only the others",
    )
    add_backend_arguments(convert, units="file conversions")
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
    lcms_train.add_argument(
        "--resume",
        action="store_true",
        help="continue a killed run, keeping its finished folds (--cv) or members",
    )
    add_backend_arguments(lcms_train, units="CV folds (with --cv) or ensemble members")
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
    cli_study.add_commands(groups)
    cli_explain.add_commands(groups)


def cmd_lcms_convert(args: argparse.Namespace) -> int:
    from pathlib import Path

    from omicsnet.errors import ConfigError
    from omicsnet.ms.binning import convert_files
    from omicsnet.utils.executors import backend_from_args
    from omicsnet.utils.io import OutputExistsError
    from omicsnet.utils.output import check_output_dir, output_dir

    backend = backend_from_args(args, workers=args.workers)
    params = binning_from_args(args)
    out = check_output_dir(args.out, resume=True)  # adding runs to an earlier conversion is fine
    if args.resume and args.overwrite:
        raise ConfigError("--resume keeps finished files and --overwrite replaces them: give one")
    targets: dict[str, Path] = {}
    finished: list[str] = []
    for name in args.files:
        target = out / f"{Path(name).name.removesuffix('.gz')}.npz"  # run.mzML -> run.mzML.npz
        if target in targets.values():
            raise ConfigError(f"two input files would both be written to {target}; rename one")
        if target.exists() and not args.overwrite:
            if args.resume and _converted_from(target, Path(name), params):
                finished.append(name)  # written whole (atomically) by an earlier run
                continue
            raise OutputExistsError(
                f"{target} already exists; add --resume to keep the files a killed batch "
                "finished, or --overwrite to replace it"
            )
        targets[name] = target
    if finished:
        logger.info(
            "%d of %d file(s) already converted in %s: kept (--resume)",
            len(finished),
            len(args.files),
            out,
        )
    with output_dir(out, resume=True, command="omicsnet lcms convert"):
        result = convert_files(
            list(targets),
            params,
            cache_dir=args.cache_dir,
            use_cache=not args.no_cache,
            workers=args.workers,
            backend=backend if backend.name == "ray" else None,
            progress=not args.quiet,
            keep_matrices=False,  # each matrix is saved as soon as it is ready
            on_converted=lambda path, matrix: matrix.save(targets[path], overwrite=args.overwrite),
        )
    kept = f"{len(finished)} kept from the earlier run, " if finished else ""
    print(
        f"{kept}{result.n_converted} converted, {result.n_cached} from cache, "
        f"{result.n_failed} failed; matrices in {args.out}"
    )
    for _, reason in result.failures:
        print(f"failed: {reason}", file=sys.stderr)
    return EXIT_USER_ERROR if result.n_failed else 0


def cmd_lcms_train(args: argparse.Namespace) -> int:
    from omicsnet.lcms.workflows import train_lcms
    from omicsnet.utils.executors import backend_from_args

    backend = backend_from_args(args, workers=args.workers)
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
        resume=args.resume,
        backend=backend,
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


def _converted_from(target: Path, source: Path, params: object) -> bool:
    """Whether ``target`` is ``source`` converted with ``params`` (else a one-line error)."""
    from omicsnet.errors import ConfigError
    from omicsnet.ms.binning import LCMSMatrix, resolve_params
    from omicsnet.utils.io import sha256_file

    matrix = LCMSMatrix.load(target)  # DataError naming the file when it is not a matrix
    if matrix.params != resolve_params(params):  # type: ignore[arg-type]
        raise ConfigError(
            f"{target} was converted with other binning settings; add --overwrite to convert "
            "it again with these"
        )
    if source.is_file() and matrix.sha256 != sha256_file(source):
        raise ConfigError(
            f"{target} was converted from another version of {source.name}; add --overwrite "
            "to convert it again"
        )
    return True


def cmd_lcms_predict(args: argparse.Namespace) -> int:
    from omicsnet.lcms.workflows import predict_lcms

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
