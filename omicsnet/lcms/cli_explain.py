"""``omicsnet explain rise|background``: saliency maps of LC-MS models and background categories."""

from __future__ import annotations

import argparse

from omicsnet.lcms.cli_args import add_input_arguments, binning_from_args, inputs_from_args
from omicsnet.utils.cli import CommandGroups


def _fractions(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated numbers, got {text!r}"
        ) from None
    if not values:
        raise argparse.ArgumentTypeError("needs at least one value")
    return values


def _rise_arguments(parser: argparse.ArgumentParser, *, masks: int, normalize: str) -> None:
    parser.add_argument("--model", required=True, help="saved ensemble or model folder")
    add_input_arguments(parser, model_binning=True)
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--masks", type=int, default=masks, help="number of random masks")
    parser.add_argument("--grid", type=int, default=8, help="mask grid size")
    parser.add_argument("--p", type=float, default=0.1, help="probability of keeping a cell")
    parser.add_argument(
        "--normalize",
        choices=["paper", "coverage"],
        default=normalize,
        help="divide by N*p (paper) or by each cell's mask coverage (stabler with few masks)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--overwrite", action="store_true")


def add_commands(groups: CommandGroups) -> None:
    rise = groups.action(
        "explain", "rise", help="RISE maps of the (RT, m/z) regions behind each class"
    )
    _rise_arguments(rise, masks=1000, normalize="paper")
    rise.add_argument("--top", type=int, default=10, help="top regions per class")
    rise.add_argument(
        "--labels",
        help="label table: class profiles then average correctly predicted samples only",
    )
    rise.set_defaults(func=cmd_explain_rise)

    background = groups.action(
        "explain",
        "background",
        help="background-category analysis: remove each class's top signals, single "
        "members vs the ensemble",
    )
    _rise_arguments(background, masks=500, normalize="coverage")
    background.add_argument(
        "--labels", default="labels.csv", help="file,label table (joined by sample name)"
    )
    background.add_argument(
        "--fractions",
        type=_fractions,
        default=(0.0, 0.01, 0.02, 0.05, 0.1, 0.2),
        help="comma-separated shares of the signals removed (default 0,0.01,0.02,0.05,0.1,0.2)",
    )
    background.add_argument(
        "--unit", choices=["pixel", "mz", "rt"], default="pixel", help="what is removed"
    )
    background.add_argument(
        "--min-drop",
        type=float,
        default=0.1,
        help="accuracy drop below which a class is a background category",
    )
    background.set_defaults(func=cmd_explain_background)


def cmd_explain_rise(args: argparse.Namespace) -> int:
    from omicsnet.lcms.workflows import explain_rise
    from omicsnet.utils.numbers import format_frame

    regions = explain_rise(
        args.model,
        inputs_from_args(args),
        args.out,
        n_masks=args.masks,
        grid_size=args.grid,
        p=args.p,
        normalize=args.normalize,
        top=args.top,
        seed=args.seed,
        labels=args.labels,
        binning=binning_from_args(args),
        cache_dir=args.cache_dir,
        workers=args.workers,
        overwrite=args.overwrite,
        progress=not args.quiet,
    )
    print(
        format_frame(
            regions.head(20), index=False, column_digits={"peak_mz": 6, "mz_start": 6, "mz_end": 6}
        )
    )
    print(f"maps, top regions and class_profiles.png written to {args.out}")
    return 0


def cmd_explain_background(args: argparse.Namespace) -> int:
    from omicsnet.lcms.workflows import explain_background
    from omicsnet.utils.numbers import format_frame

    _, summary = explain_background(
        args.model,
        inputs_from_args(args),
        args.out,
        labels=args.labels,
        n_masks=args.masks,
        grid_size=args.grid,
        p=args.p,
        normalize=args.normalize,
        fractions=args.fractions,
        unit=args.unit,
        min_drop=args.min_drop,
        seed=args.seed,
        binning=binning_from_args(args),
        cache_dir=args.cache_dir,
        workers=args.workers,
        overwrite=args.overwrite,
        progress=not args.quiet,
    )
    shown = ["model", "class", "baseline_accuracy", "own_removed_accuracy", "own_drop"]
    print(format_frame(summary[[*shown, "background"]], index=False))
    flagged = summary[summary["background"]]
    if len(flagged):
        pairs = ", ".join(
            f"{m}: {c}" for m, c in zip(flagged["model"], flagged["class"], strict=True)
        )
        print(f"background categories (accuracy survives removing their own signals): {pairs}")
    else:
        print("no background category")
    print(f"background.csv, background_summary.csv and background.png written to {args.out}")
    return 0
