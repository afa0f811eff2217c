"""``omicsnet t2p space|train|evaluate|explain|ablate``: transcript → protein networks.

Architecture search campaigns run with ``omicsnet search run --config FILE``; ``omicsnet
t2p space --out FILE`` writes the paper's search space as such a config to start from.
"""

from __future__ import annotations

import argparse
import sys

from omicsnet.utils.cli import CommandGroups


def add_commands(groups: CommandGroups) -> None:
    space = groups.action(
        "t2p", "space", help="print or write the paper's search space (a campaign config)"
    )
    space.add_argument("--out", help="write the config here (default: print it)")
    space.add_argument("--overwrite", action="store_true")
    space.set_defaults(func=cmd_t2p_space)

    train = groups.action(
        "t2p", "train", help="train one network on one split; save it with its test scores"
    )
    _data_arguments(train)
    _architecture_arguments(train)
    _training_arguments(train)
    train.add_argument("--split-seed", type=int, default=0, help="seed of the standard split")
    train.add_argument("--out", required=True, help="output folder (model/, per_protein.csv)")
    train.add_argument("--overwrite", action="store_true")
    train.set_defaults(func=cmd_t2p_train)

    evaluate = groups.action(
        "t2p", "evaluate", help="k x 2 cross-validation of baselines and a network"
    )
    _data_arguments(evaluate)
    _architecture_arguments(evaluate, required=False)
    _training_arguments(evaluate)
    evaluate.add_argument("--k", type=int, default=5, help="repeats of 2-fold CV (default 5)")
    evaluate.add_argument(
        "--baselines",
        default="dummy,linear_own_mrna,ridge",
        help="comma-separated baselines (dummy, linear_own_mrna, ridge, ridge_variable_own, "
        "random_forest, handbuilt_nn); '' for none",
    )
    evaluate.add_argument("--seed", type=int, default=0)
    evaluate.add_argument("--out", required=True, help="folder for cv.csv and summary.csv")
    evaluate.add_argument("--overwrite", action="store_true")
    evaluate.add_argument(
        "--resume",
        action="store_true",
        help="continue a killed evaluation: finished splits are kept",
    )
    evaluate.set_defaults(func=cmd_t2p_evaluate)

    explain = groups.action(
        "t2p", "explain", help="SHAP of chosen proteins; direct/correlated/uncorrelated groups"
    )
    explain.add_argument("--run", required=True, help="folder written by 'omicsnet t2p train'")
    _data_arguments(explain)
    group = explain.add_mutually_exclusive_group()
    group.add_argument("--proteins", help="comma-separated protein names")
    group.add_argument(
        "--top", type=int, default=5, help="explain the N best-predicted test proteins"
    )
    explain.add_argument(
        "--threshold", type=float, default=0.3, help="|Spearman| for 'correlated' (0.3)"
    )
    explain.add_argument("--method", choices=("gradient", "deep"), default="gradient")
    explain.add_argument("--background", type=int, default=50, help="background samples")
    explain.add_argument("--nsamples", type=int, default=100, help="draws per sample (gradient)")
    explain.add_argument("--out", required=True, help="output folder")
    explain.add_argument("--overwrite", action="store_true")
    explain.set_defaults(func=cmd_t2p_explain)

    ablate = groups.action(
        "t2p", "ablate", help="remove blocks / the residual path, change activation or dropout"
    )
    _data_arguments(ablate)
    _architecture_arguments(ablate)
    _training_arguments(ablate)
    ablate.add_argument("--k", type=int, default=1, help="repeats of 2-fold CV (default 1)")
    ablate.add_argument("--activations", default="", help="comma-separated, e.g. tanh,selu")
    ablate.add_argument("--dropouts", default="", help="comma-separated, e.g. 0.0,0.5")
    ablate.add_argument(
        "--residual-sets", default="", help="comma-separated: correlated,uncorrelated,random"
    )
    ablate.add_argument("--seed", type=int, default=0)
    ablate.add_argument("--out", required=True, help="folder for ablation.csv, summary, plot")
    ablate.add_argument("--overwrite", action="store_true")
    ablate.set_defaults(func=cmd_t2p_ablate)


# ----------------------------------------------------------------------------- arguments
def _data_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_argument_group("data (one of --cohort, --rna/--protein, --synthetic)")
    source.add_argument("--cohort", help="CPTAC cohort(s), comma-separated (ucec works offline)")
    source.add_argument("--rna", help="transcript table (genes x samples unless --samples-in-rows)")
    source.add_argument("--protein", help="protein table, same orientation (NA = missing)")
    source.add_argument("--samples-in-rows", action="store_true", help="tables are samples x genes")
    source.add_argument(
        "--synthetic", action="store_true", help="generated paired data (for trying things)"
    )
    source.add_argument("--max-missing", type=float, default=0.2, help="per protein (0.2)")
    source.add_argument("--proteins-limit", type=int, help="keep the first N proteins (quick runs)")
    source.add_argument("--data-dir", help="data directory (default: $OMICSNET_DATA)")


def _architecture_arguments(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    group = parser.add_mutually_exclusive_group(required=required)
    group.add_argument(
        "--config", help="trial config JSON (flat search parameters or a saved trial config)"
    )
    group.add_argument("--campaign", help="use the best trial of this search campaign folder")
    group.add_argument(
        "--paper", action="store_true", help="the architecture of Cranney & Meyer (2024)"
    )


def _training_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--epochs", type=int, default=200, help="maximum epochs (200)")
    parser.add_argument("--patience", type=int, default=20, help="early-stopping patience (20)")
    parser.add_argument(
        "--top-variable",
        type=int,
        help="network inputs: the N most variable transcripts (training) + own mRNAs",
    )
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1...")


def _data_spec(args: argparse.Namespace) -> dict[str, object]:
    from omicsnet.errors import ConfigError

    given = [
        name
        for name, present in (
            ("--cohort", args.cohort),
            ("--rna/--protein", args.rna or args.protein),
            ("--synthetic", args.synthetic),
        )
        if present
    ]
    if len(given) != 1:
        raise ConfigError(
            "give the data as exactly one of --cohort NAME, --rna FILE --protein FILE, "
            f"or --synthetic (got {', '.join(given) or 'none'})"
        )
    spec: dict[str, object] = {}
    if args.synthetic:
        spec["synthetic"] = {}
    elif args.cohort:
        cohorts = [c.strip() for c in args.cohort.split(",") if c.strip()]
        spec["cohorts"] = cohorts[0] if len(cohorts) == 1 else cohorts
        spec["max_missing"] = args.max_missing
    else:
        if not (args.rna and args.protein):
            raise ConfigError("--rna and --protein go together")
        spec.update(
            rna=args.rna,
            protein=args.protein,
            genes_in_rows=not args.samples_in_rows,
            max_missing=args.max_missing,
        )
    if args.proteins_limit:
        spec["proteins"] = args.proteins_limit
    return spec


def _load(args: argparse.Namespace) -> tuple[object, dict[str, object]]:
    from omicsnet.t2p.workflows import load_data

    spec = _data_spec(args)
    return load_data(spec, base_dir=None, data_dir=args.data_dir), spec


def _architecture(args: argparse.Namespace) -> object:
    import json
    from pathlib import Path

    from omicsnet.errors import ConfigError, DataNotFoundError

    if getattr(args, "paper", False):
        from omicsnet.t2p.space import PAPER_BEST

        return dict(PAPER_BEST)
    if getattr(args, "campaign", None):
        from omicsnet.t2p.workflows import best_config

        return best_config(args.campaign)
    path = Path(args.config)
    if not path.is_file():
        raise DataNotFoundError(f"trial config {path} does not exist")
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ConfigError(f"{path}: not valid JSON: {err}") from err
    if isinstance(value, dict) and "trial_config" in value:  # a t2p_run.json
        value = value["trial_config"]
    if isinstance(value, dict) and "config" in value and "metrics" in value:  # t2p_trial.json
        value = value["config"]
    from omicsnet.t2p.workflows import as_trial_config

    return as_trial_config(value)


def _names(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _fmt(value: object) -> str:
    try:
        return f"{float(value):.3f}"  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)


# ----------------------------------------------------------------------------- commands
def cmd_t2p_space(args: argparse.Namespace) -> int:
    from pathlib import Path

    from omicsnet.t2p.space import paper_space_path
    from omicsnet.utils.io import atomic_write_text

    text = paper_space_path().read_text(encoding="utf-8")
    if args.out is None:
        sys.stdout.write(text)
        return 0
    path = atomic_write_text(Path(args.out), text, overwrite=args.overwrite)
    print(f"wrote {path}; edit it, then: omicsnet search run --config {path}")
    return 0


def cmd_t2p_train(args: argparse.Namespace) -> int:
    from omicsnet.t2p.workflows import train_and_save

    data, spec = _load(args)
    summary = train_and_save(
        data,
        _architecture(args),
        args.out,
        data_spec=spec,
        split={"scheme": "standard", "seed": args.split_seed},
        top_variable=args.top_variable,
        max_epochs=args.epochs,
        early_stopping=args.patience,
        seed=args.split_seed,
        device=args.device,
        overwrite=args.overwrite,
        progress=not args.quiet,
    )
    test, own = summary["test"], summary["own_mrna_linear_test"]
    samples = summary["samples"]
    print(
        f"{summary['proteins']} proteins from {summary['inputs']} transcripts; "
        f"{samples['train']}/{samples['val']}/{samples['test']} samples; "
        f"{summary['epochs']} epochs"
    )
    print(
        f"  test median per-protein r {_fmt(test['pearson_r_median'])} "
        f"(IQR {_fmt(test['pearson_r_q25'])}-{_fmt(test['pearson_r_q75'])}), "
        f"MSE {_fmt(test['mse'])}"
    )
    print(f"  own-mRNA linear baseline: r {_fmt(own['pearson_r_median'])}, MSE {_fmt(own['mse'])}")
    print(f"written to {args.out}")
    return 0


def cmd_t2p_evaluate(args: argparse.Namespace) -> int:
    from omicsnet.t2p.workflows import cross_validate, cv_summary
    from omicsnet.utils.io import atomic_write_text
    from omicsnet.utils.output import check_output_dir, output_dir

    check_output_dir(args.out, overwrite=args.overwrite, resume=args.resume)  # before any work
    data, _ = _load(args)
    networks = {}
    if args.config or args.campaign or args.paper:
        networks["network"] = _architecture(args)
    command = "omicsnet t2p evaluate"
    with output_dir(args.out, overwrite=args.overwrite, resume=args.resume, command=command) as out:
        table = cross_validate(
            data,
            networks,
            baselines=_names(args.baselines),
            k=args.k,
            seed=args.seed,
            top_variable=args.top_variable,
            max_epochs=args.epochs,
            early_stopping=args.patience,
            device=args.device,
            progress=not args.quiet,
            store=out / "splits",  # each finished split; --resume reads them back
        )
        summary = cv_summary(table)
        atomic_write_text(out / "cv.csv", table.to_csv(index=False))
        atomic_write_text(out / "summary.csv", summary.to_csv(index_label="model"))
    print(f"{args.k}x2 cross-validation, {len(data.protein.columns)} proteins")
    for name, row in summary.iterrows():
        mse = (
            f", MSE {_fmt(row['mse_mean'])}"
            if "mse_mean" in row and row.notna()["mse_mean"]
            else ""
        )
        print(
            f"  {name:<20} median r {_fmt(row['median_r'])} "
            f"(splits {_fmt(row['r_min'])}-{_fmt(row['r_max'])}){mse}"
        )
    print(f"written to {args.out}")
    return 0


def cmd_t2p_explain(args: argparse.Namespace) -> int:
    from omicsnet.t2p.workflows import explain_saved

    data, _ = _load(args)
    proteins: list[str] | int = _names(args.proteins) if args.proteins else args.top
    summary = explain_saved(
        args.run,
        data,
        args.out,
        proteins=proteins,
        threshold=args.threshold,
        method=args.method,
        max_background=args.background,
        nsamples=args.nsamples,
        overwrite=args.overwrite,
        progress=not args.quiet,
    )
    print(f"mean |SHAP| by transcript group (|Spearman| >= {args.threshold} = correlated):")
    for protein, group in summary.groupby("protein", sort=False):
        parts = [
            f"{row.category} {_fmt(row.mean_abs_shap)} (n={int(row.n_transcripts)})"
            for row in group.itertuples()
        ]
        print(f"  {protein}: " + ", ".join(parts))
    print(f"written to {args.out}")
    return 0


def cmd_t2p_ablate(args: argparse.Namespace) -> int:
    from omicsnet.t2p.ablation import ablation_summary, plot_ablation, run_ablation
    from omicsnet.utils.output import atomic_directory, check_output_dir
    from omicsnet.utils.plotting import save_figure

    check_output_dir(args.out, overwrite=args.overwrite)  # before any work
    data, _ = _load(args)
    table = run_ablation(
        data,
        _architecture(args),
        k=args.k,
        seed=args.seed,
        top_variable=args.top_variable,
        max_epochs=args.epochs,
        early_stopping=args.patience,
        device=args.device,
        progress=not args.quiet,
        activations=_names(args.activations),
        dropouts=[float(v) for v in _names(args.dropouts)],
        residual_sets=_names(args.residual_sets),
    )
    summary = ablation_summary(table)
    with atomic_directory(args.out, overwrite=args.overwrite) as folder:
        table.to_csv(folder / "ablation.csv", index=False)
        summary.to_csv(folder / "summary.csv", index_label="variant")
        save_figure(plot_ablation(table), folder / "ablation.png")
    for name, row in summary.iterrows():
        print(
            f"  {name:<24} median r {_fmt(row['median_r'])} (change {row['delta_r']:+.3f}), "
            f"MSE {_fmt(row['mse'])}"
        )
    print(f"written to {args.out}")
    return 0
