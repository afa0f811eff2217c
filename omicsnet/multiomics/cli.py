"""``omicsnet multiomics compare``: fused against single-omics models and baselines.

Training a fusion model is ``omicsnet train`` with ``data.omics`` in the config; this
command cross-validates fused, single-omics and classical models on the same folds
(:func:`omicsnet.multiomics.workflows.compare_fusion`) and writes the tables.
"""

from __future__ import annotations

import argparse

from omicsnet.utils.cli import CommandGroups


def add_commands(groups: CommandGroups) -> None:
    compare = groups.action(
        "multiomics",
        "compare",
        help="cross-validate fused, single-omics and classical models on the same folds",
    )
    source = compare.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--omics",
        action="append",
        metavar="NAME=TABLE",
        help="one omics table (CSV/TSV or FILE.h5ad[::ELEMENT]); give it once per omics",
    )
    source.add_argument("--mudata", help="a .h5mu file: one modality per omics")
    compare.add_argument(
        "--labels",
        required=True,
        help="class labels: a one-column table, or FILE.h5mu::obs/COLUMN",
    )
    compare.add_argument("--out", required=True, help="output folder (summary.csv, splits.csv)")
    compare.add_argument("--folds", type=int, default=5, help="stratified folds (default 5)")
    compare.add_argument("--seed", type=int, default=0)
    compare.add_argument(
        "--models",
        default="mlp,early_fusion,intermediate_fusion,logreg,rf",
        help="comma-separated kinds (default: all)",
    )
    compare.add_argument("--max-epochs", type=int, help="epochs at most for the networks")
    compare.add_argument("--overwrite", action="store_true")
    compare.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    compare.set_defaults(func=cmd_compare)


def cmd_compare(args: argparse.Namespace) -> int:
    from omicsnet.data.anndata_io import read_modalities
    from omicsnet.data.omics import join_omics
    from omicsnet.data.tables import read_table
    from omicsnet.errors import ConfigError
    from omicsnet.multiomics.workflows import compare_fusion
    from omicsnet.utils.io import atomic_write_text
    from omicsnet.utils.output import atomic_directory, check_output_dir

    check_output_dir(args.out, overwrite=args.overwrite)  # before any work
    if args.mudata:
        tables = read_modalities(args.mudata)
    else:
        tables = {}
        for item in args.omics:
            name, sep, path = item.partition("=")
            if not sep or not name or not path:
                raise ConfigError(f"--omics takes NAME=TABLE, got {item!r}")
            tables[name] = read_table(path)
    joined = join_omics(tables, policy="drop")
    labels = read_table(args.labels, numeric=False)
    if labels.shape[1] != 1:
        raise ConfigError(f"{args.labels}: the labels need one column, got {labels.shape[1]}")
    labels = labels.iloc[:, 0].dropna()
    keep = joined.x.index[joined.x.index.isin(labels.index)]
    omics = {str(name): joined.block(str(name)).loc[keep] for name, _ in joined.blocks}
    trainer = {"max_epochs": args.max_epochs} if args.max_epochs else None
    result = compare_fusion(
        omics,
        labels.loc[keep].astype(str),
        n_splits=args.folds,
        seed=args.seed,
        models=[m.strip() for m in args.models.split(",") if m.strip()],
        trainer=trainer,
        progress=not args.no_progress,
    )
    with atomic_directory(args.out, overwrite=args.overwrite) as tmp:
        atomic_write_text(tmp / "summary.csv", result.summary.to_csv())
        atomic_write_text(tmp / "splits.csv", result.cv.table.to_csv(index=False))
    columns = [
        "f1_macro_pooled",
        "f1_macro_ci_lower",
        "f1_macro_ci_upper",
        "balanced_accuracy_pooled",
    ]
    print(f"{len(keep)} samples, {len(omics)} omics, {args.folds} folds; pooled out-of-fold:")
    print(result.summary[columns].round(3).to_string())
    if joined.dropped:
        print(f"{len(joined.dropped)} samples without every omics were left out")
    print(f"tables written to {args.out}")
    return 0
