"""``omicsnet explain rise``: saliency maps of LC-MS models."""

from __future__ import annotations

import argparse

from omicsnet.commands import CommandGroups


def add_commands(groups: CommandGroups) -> None:
    rise = groups.action(
        "explain", "rise", help="RISE maps of the (RT, m/z) regions behind each class"
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
