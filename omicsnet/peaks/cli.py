"""``omicsnet lcms peaks-*``: NeatMS peak matrices, ``peak_cnn`` training and predictions.

* ``peaks-synthetic`` — write a labelled peak set (mzML + feature table) to try things on;
* ``peaks-build`` — peak matrices (``.npz``) and the skipped-peak report of a run + table;
* ``peaks-train`` — train ``peak_cnn`` (from scratch, or ``--base-model`` + ``--freeze``);
* ``peaks-predict`` — label a feature table's peaks, written as new columns on a copy.
"""

from __future__ import annotations

import argparse

from omicsnet.utils.cli import CommandGroups


def _table_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mzml", required=True, help="the run (mzML/mzXML, optionally .gz)")
    parser.add_argument(
        "--features", required=True, help="feature table: MZmine, XCMS, MetaboLights MAF or plain"
    )
    parser.add_argument("--sample", help="aligned MZmine tables: the sample matching --mzml")
    parser.add_argument(
        "--rt-unit",
        default="auto",
        choices=("auto", "minute", "second"),
        help="unit of the table's RT (auto: minutes for MZmine/plain, seconds for XCMS/MAF)",
    )


def add_commands(groups: CommandGroups) -> None:
    synth = groups.action(
        "lcms", "peaks-synthetic", help="write a labelled synthetic peak set (mzML + table)"
    )
    synth.add_argument("--out", required=True, help="folder for peaks.mzML and features.csv")
    synth.add_argument("--per-class", type=int, default=100, help="features per class")
    synth.add_argument("--seed", type=int, default=0)
    synth.add_argument("--rt-step", type=float, default=0.02, help="minutes between scans")
    synth.add_argument("--noise", type=float, default=1.0, help="scale of the noise floor")
    synth.add_argument("--overwrite", action="store_true")
    synth.set_defaults(func=cmd_peaks_synthetic)

    build = groups.action(
        "lcms", "peaks-build", help="NeatMS 2 x 120 peak matrices of a run's feature table"
    )
    _table_options(build)
    build.add_argument("--out", required=True, help=".npz file (report: <name>.report.csv)")
    build.add_argument("--points", type=int, default=120, help="points per matrix row")
    build.add_argument("--margin", type=float, default=1.0, help="margin in peak widths")
    build.add_argument("--min-scans", type=int, default=5, help="fewest scans inside a peak")
    build.add_argument("--overwrite", action="store_true")
    build.set_defaults(func=cmd_peaks_build)

    train = groups.action(
        "lcms", "peaks-train", help="train peak_cnn on a run and a labelled feature table"
    )
    _table_options(train)
    train.add_argument("--out", required=True, help="output folder (model/, sweep, metrics)")
    train.add_argument("--label-column", default="label", help="column with High/Low/Noise")
    train.add_argument("--base-model", help="saved peak_cnn to start from (transfer learning)")
    train.add_argument(
        "--freeze", default="", help="layers to freeze: names (conv1,conv2,dense) or a depth"
    )
    train.add_argument("--epochs", type=int, default=200)
    train.add_argument("--lr", type=float, default=1e-5, help="Adam learning rate (NeatMS 1e-5)")
    train.add_argument("--batch-size", type=int, default=64)
    train.add_argument("--patience", type=int, default=20, help="early-stopping patience")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--overwrite", action="store_true")
    train.set_defaults(func=cmd_peaks_train)

    predict = groups.action(
        "lcms", "peaks-predict", help="label peaks; write them onto a copy of the feature table"
    )
    _table_options(predict)
    predict.add_argument("--model", required=True, help="folder from peaks-train (or model/)")
    predict.add_argument("--out", required=True, help="the copy of the table to write")
    predict.add_argument("--column", default="peak_quality", help="name of the new column")
    predict.add_argument("--threshold", type=float, help="threshold on P(High) (default: saved)")
    predict.add_argument("--overwrite", action="store_true")
    predict.set_defaults(func=cmd_peaks_predict)


def _freeze(text: str) -> list[str] | int:
    text = text.strip()
    if not text:
        return []
    if text.isdigit():
        return int(text)
    return [part.strip() for part in text.split(",") if part.strip()]


def cmd_peaks_synthetic(args: argparse.Namespace) -> int:
    from omicsnet.peaks.synthetic import write_labelled_peak_set

    peak_set = write_labelled_peak_set(
        args.out,
        n_per_class=args.per_class,
        seed=args.seed,
        rt_step=args.rt_step,
        noise=args.noise,
        overwrite=args.overwrite,
    )
    print(f"wrote {peak_set.mzml} and {peak_set.features} ({len(peak_set.table)} features)")
    return 0


def cmd_peaks_build(args: argparse.Namespace) -> int:
    from omicsnet.ms.feature_tables import read_feature_table
    from omicsnet.peaks.matrices import build_peak_matrices

    table = read_feature_table(args.features, sample=args.sample, rt_unit=args.rt_unit)
    matrices = build_peak_matrices(
        args.mzml,
        table,
        n_points=args.points,
        margin=args.margin,
        min_scans=args.min_scans,
    )
    path = matrices.save(args.out, overwrite=args.overwrite)
    for note in table.notes:
        print(f"note: {note}")
    print(matrices.summary())
    print(f"matrices written to {path}")
    return 0


def cmd_peaks_train(args: argparse.Namespace) -> int:
    from omicsnet.peaks.workflows import train_peaks
    from omicsnet.utils.numbers import format_number

    result, matrices = train_peaks(
        args.mzml,
        args.features,
        args.out,
        label_column=args.label_column,
        sample=args.sample,
        rt_unit=args.rt_unit,
        overwrite=args.overwrite,
        base_model=args.base_model,
        freeze=_freeze(args.freeze),
        epochs=args.epochs,
        lr=args.lr,
        batch_size=args.batch_size,
        early_stopping=args.patience,
        seed=args.seed,
        progress=not args.quiet,
    )
    print(matrices.summary())
    sizes = ", ".join(f"{k} {len(v)}" for k, v in result.split.items())
    print(f"peaks: {sizes}; frozen layers: {', '.join(result.frozen) or 'none'}")
    print(f"threshold on P(High) chosen on validation peaks: {result.threshold:.2f}")
    for key in ("accuracy", "balanced_accuracy", "high_precision", "high_recall"):
        if key in result.test_metrics:
            print(f"  test {key}: {format_number(result.test_metrics[key])}")
    print(f"written to {args.out}")
    return 0


def cmd_peaks_predict(args: argparse.Namespace) -> int:
    from omicsnet.peaks.workflows import predict_feature_table

    frame = predict_feature_table(
        args.model,
        args.mzml,
        args.features,
        args.out,
        sample=args.sample,
        rt_unit=args.rt_unit,
        column=args.column,
        threshold=args.threshold,
        overwrite=args.overwrite,
    )
    print(frame.attrs.get("summary", ""))
    print(frame["label"].value_counts().to_string())
    print(f"threshold {frame.attrs['threshold']:.2f}; table with predictions written to {args.out}")
    return 0
