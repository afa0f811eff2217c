"""``omicsnet lcms batch-effects|whitelist`` and ``omicsnet explain overlay``: study tools."""

from __future__ import annotations

import argparse

from omicsnet.lcms.cli_args import add_input_arguments, binning_from_args, inputs_from_args
from omicsnet.utils.cli import CommandGroups


def add_commands(groups: CommandGroups) -> None:
    batch = groups.action(
        "lcms",
        "batch-effects",
        help="does each layer of a model cluster samples by batch or by class?",
        description="Collect the outputs of a saved model's layers for labelled inputs, reduce "
        "them with PCA and score batch vs class association (NMI, ARI, silhouette, kBET, LISI).",
    )
    batch.add_argument("--model", required=True, help="saved model or ensemble folder")
    add_input_arguments(batch, model_binning=True)
    batch.add_argument("--labels", default="labels.csv", help="label table (file, label, batch)")
    batch.add_argument("--batch-column", default="batch", help="column of the batch labels")
    batch.add_argument(
        "--reference-column", help="yes/no column marking QC/reference samples (optional)"
    )
    batch.add_argument("--member", type=int, default=0, help="ensemble member to probe")
    batch.add_argument("--layer", action="append", help="layer to probe (repeatable)")
    batch.add_argument("--components", type=int, default=10, help="PCA components per layer")
    batch.add_argument(
        "--standardize",
        action="store_true",
        help="scale every feature to unit variance before the PCA (default: centre only)",
    )
    batch.add_argument("--k", type=int, default=10, help="neighbours for kNN/kBET scores")
    batch.add_argument("--perplexity", type=float, default=30.0, help="LISI perplexity")
    batch.add_argument("--out", required=True, help="output folder")
    batch.add_argument("--overwrite", action="store_true")
    batch.set_defaults(func=cmd_batch_effects)

    white = groups.action(
        "lcms",
        "whitelist",
        help="cross-validate on all m/z vs only an m/z whitelist (known biomarkers)",
        description="Keep only signals within +-PPM of a list of m/z values, formulas or HMDB "
        "IDs and compare cross-validated ensembles on the full and the reduced matrices.",
    )
    add_input_arguments(white)
    white.add_argument("--labels", default="labels.csv", help="label table (file, label)")
    white.add_argument(
        "--whitelist",
        required=True,
        help="text file, one m/z, formula or HMDB ID per line ('#' comments)",
    )
    white.add_argument("--mode", choices=["positive", "negative"], default="positive")
    white.add_argument("--adducts", help="comma-separated adducts for formulas/HMDB IDs")
    white.add_argument("--ppm", type=float, default=10.0, help="window half-width (ppm)")
    white.add_argument(
        "--hmdb", help="'human-gem' (from the data directory): HMDB ID -> mass lookup"
    )
    white.add_argument("--data-dir", help="data directory (default: $OMICSNET_DATA)")
    white.add_argument("--mz-start", type=float, help="m/z of the first column's lower edge")
    white.add_argument("--mz-step", type=float, help="m/z width of a column")
    white.add_argument("--cv", default="3", help="folds, or 'loo'")
    white.add_argument("--models", type=int, default=3, help="ensemble members per fold")
    white.add_argument("--epochs", type=int, default=20)
    white.add_argument("--lr", type=float, default=1e-3, help="member i gets lr/2^i")
    white.add_argument("--batch-size", type=int, default=4)
    white.add_argument("--pre-pool", type=int, default=2, help="max-pool factor")
    white.add_argument("--tiny", action="store_true", help="a very small DenseNet (smoke runs)")
    white.add_argument("--seed", type=int, default=0)
    white.add_argument("--out", required=True, help="output folder")
    white.add_argument("--overwrite", action="store_true")
    white.set_defaults(func=cmd_whitelist)

    over = groups.action(
        "explain",
        "overlay",
        help="annotated features (MS-DIAL/MZmine/XCMS) over RISE or CAM maps",
    )
    over.add_argument(
        "--maps", required=True, help="saved maps (.npz) or an `explain rise` output folder"
    )
    over.add_argument("--features", required=True, help="feature table with m/z and RT")
    over.add_argument("--sample", help="sample ID or index, for per-sample maps")
    over.add_argument("--class", dest="classes", action="append", help="class (repeatable)")
    over.add_argument("--top", type=int, default=10, help="top regions per class")
    over.add_argument("--quantile", type=float, default=0.99, help="region threshold")
    over.add_argument("--rt-unit", choices=["auto", "min", "s"], default="auto")
    over.add_argument("--out", required=True, help="output folder")
    over.add_argument("--overwrite", action="store_true")
    over.set_defaults(func=cmd_overlay)


def cmd_batch_effects(args: argparse.Namespace) -> int:
    from omicsnet.lcms.study import batch_effects
    from omicsnet.utils.numbers import format_frame

    result = batch_effects(
        args.model,
        inputs_from_args(args),
        args.out,
        labels=args.labels,
        batch_column=args.batch_column,
        reference_column=args.reference_column,
        member=args.member,
        layers=args.layer,
        n_components=args.components,
        standardize=args.standardize,
        k=args.k,
        perplexity=args.perplexity,
        binning=binning_from_args(args),
        cache_dir=args.cache_dir,
        workers=args.workers,
        overwrite=args.overwrite,
        progress=not args.quiet,
    )
    wide = result.wide()
    shown = ["layer", "nmi_kmeans:batch", "nmi_kmeans:class", "lisi:batch", "lisi:class"]
    print(format_frame(wide[shown], index=False))
    print(f"scores, PCA coordinates and plots written to {args.out}")
    return 0


def _read_items(path: str) -> list[str]:
    from pathlib import Path

    from omicsnet.errors import DataError, DataNotFoundError

    file = Path(path)
    if not file.is_file():
        raise DataNotFoundError(f"whitelist file {file} not found")
    items = []
    for line in file.read_text(encoding="utf-8", errors="replace").splitlines():
        text = line.split("#", 1)[0].strip()
        items += [part.strip() for part in text.split(",") if part.strip()]
    if not items:
        raise DataError(f"{file} lists no m/z values, formulas or HMDB IDs")
    return items


def cmd_whitelist(args: argparse.Namespace) -> int:
    from pathlib import Path

    import numpy as np

    from omicsnet.errors import ConfigError
    from omicsnet.lcms.study import whitelist_ablation
    from omicsnet.lcms.workflows import TRAINER_DEFAULTS, _member_config
    from omicsnet.ms.arrays import load_lcms_arrays
    from omicsnet.ms.whitelist import hmdb_masses_from_graph, whitelist_targets
    from omicsnet.utils.io import write_csv
    from omicsnet.utils.numbers import format_frame
    from omicsnet.utils.output import atomic_directory, check_output_dir

    out = Path(args.out)
    check_output_dir(out, overwrite=args.overwrite)  # before any work
    if args.cv != "loo" and not (args.cv.isdigit() and int(args.cv) >= 2):
        raise ConfigError(f"--cv takes a number of folds (>= 2) or 'loo', not {args.cv!r}")
    hmdb = None
    if args.hmdb:
        if args.hmdb != "human-gem":
            raise ConfigError("--hmdb takes 'human-gem' (Human-GEM from the data directory)")
        from omicsnet.knowledge.metabolic_graph import load_human_gem

        hmdb = hmdb_masses_from_graph(load_human_gem(args.data_dir))
    adducts = [a.strip() for a in args.adducts.split(",")] if args.adducts else None
    targets = whitelist_targets(
        _read_items(args.whitelist), adducts=adducts, mode=args.mode, hmdb_masses=hmdb
    )
    data = load_lcms_arrays(
        inputs_from_args(args),
        args.labels,
        binning=binning_from_args(args),
        cache_dir=args.cache_dir,
        workers=args.workers,
        progress=not args.quiet,
    )
    edges = None
    if args.mz_start is not None or args.mz_step is not None:
        if args.mz_start is None or args.mz_step is None:
            raise ConfigError("give both --mz-start and --mz-step")
        edges = args.mz_start + args.mz_step * np.arange(data.x.shape[-1] + 1)
    config = {
        "model": "lcms_densenet",
        "config": {
            "n_classes": len(data.class_names),
            **_member_config("lcms_densenet", args.pre_pool, args.tiny, list(data.x.shape[-2:])),
        },
    }
    table = whitelist_ablation(
        data,
        targets["mz"].tolist(),
        ppm=args.ppm,
        mz_edges=edges,
        builder_config=config,
        n_splits="loo" if args.cv == "loo" else int(args.cv),
        n_models=args.models,
        lrs=[args.lr / 2**i for i in range(args.models)],
        trainer_kwargs={
            "max_epochs": args.epochs,
            "batch_size": args.batch_size,
            **TRAINER_DEFAULTS,
            "progress": not args.quiet,
            "seed": args.seed,
        },
        seed=args.seed,
    )
    with atomic_directory(out, overwrite=args.overwrite, command="omicsnet lcms whitelist") as tmp:
        write_csv(targets, tmp / "whitelist_targets.csv", exact=["neutral_mass", "mz"])
        write_csv(table, tmp / "whitelist_cv.csv")
    shown = table[table["metric"].isin(["accuracy", "balanced_accuracy", "f1_macro"])]
    print(format_frame(shown[["input", "metric", "estimate", "ci_lower", "ci_upper"]], index=False))
    kept = int(table.attrs["kept"].sum())
    print(f"whitelist: {len(targets)} target m/z, {kept} m/z columns kept; tables in {out}")
    return 0


def cmd_overlay(args: argparse.Namespace) -> int:
    from omicsnet.lcms.study import overlay
    from omicsnet.utils.numbers import format_frame

    hits = overlay(
        args.maps,
        args.features,
        args.out,
        sample=args.sample,
        classes=args.classes,
        top=args.top,
        quantile=args.quantile,
        rt_unit=args.rt_unit,
        overwrite=args.overwrite,
    )
    inside = hits[hits["in_top_region"]]
    columns = ["class", "region_rank", "id", "name", "rt", "mz", "score"]
    print(
        format_frame(inside[columns].head(30), index=False, column_digits={"mz": 7, "rt": 4})
        if len(inside)
        else "no feature falls in a top region"
    )
    print(
        f"{len(inside)} feature hits in top regions; overlay_hits.csv and overlay.png in {args.out}"
    )
    return 0
