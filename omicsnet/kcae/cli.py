"""``omicsnet kcae pretrain|finetune|predict``: DeepMetabolism-style autoencoders."""

from __future__ import annotations

import argparse

from omicsnet.utils.cli import CommandGroups


def add_commands(groups: CommandGroups) -> None:
    pretrain = groups.action(
        "kcae",
        "pretrain",
        help="build a kcae from a knowledge graph and pretrain it on a transcriptome compendium",
    )
    pretrain.add_argument(
        "--graph",
        default="textbook",
        help="cobra model: textbook, iJO1366 or an SBML/JSON/MAT file",
    )
    pretrain.add_argument(
        "--compendium", required=True, help="genes x samples table (CSV/TSV, .gz allowed)"
    )
    pretrain.add_argument("--strategy", choices=["A", "C"], default="C", help="A dense, C sparse")
    _common_training(pretrain, epochs=100, batch_size=32)
    pretrain.set_defaults(func=cmd_kcae_pretrain)

    finetune = groups.action(
        "kcae", "finetune", help="fine-tune a kcae on measured phenotypes (e.g. growth rate)"
    )
    source = finetune.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", help="pretrained model folder (from 'omicsnet kcae pretrain')")
    source.add_argument("--graph", help="start from scratch (strategy B) on this cobra model")
    finetune.add_argument("--expression", required=True, help="genes x samples table")
    finetune.add_argument(
        "--phenotypes",
        required=True,
        help="samples x phenotypes table (columns: phenotype reaction IDs, or growth_rate)",
    )
    finetune.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="COLUMN=REACTION",
        help="map a measured column to a phenotype node (default: growth_rate -> biomass), "
        "e.g. --target mu=BIOMASS_Ec_iJO1366_WT_53p95M",
    )
    finetune.add_argument(
        "--layers",
        default="all",
        help="layers to train: all, encoder, or a comma list of gene_protein, protein_phenotype, "
        "decoder",
    )
    finetune.add_argument(
        "--loss", choices=["mse", "relative"], default="mse", help="relative: DeepMetabolism's"
    )
    _common_training(finetune, epochs=100, batch_size=16)
    finetune.set_defaults(func=cmd_kcae_finetune)

    predict = groups.action(
        "kcae", "predict", help="predict phenotypes from transcriptomes with a saved kcae"
    )
    predict.add_argument("--model", required=True, help="saved kcae folder")
    predict.add_argument("--expression", required=True, help="genes x samples table")
    predict.add_argument("--out", required=True, help="CSV of predictions (samples x phenotypes)")
    predict.add_argument("--measured", help="samples x phenotypes table to score against (PCC)")
    predict.add_argument("--plots", help="folder for predicted-vs-measured and PCC plots")
    _io_arguments(predict)
    predict.set_defaults(func=cmd_kcae_predict)

    guided = groups.action(
        "kcae",
        "guided",
        help="train a knowledge-guided autoencoder (kgae): knowledge + free nodes, soft masks, "
        "the whole transcriptome, heads on measured phenotypes",
    )
    guided.add_argument(
        "--graph", default="textbook", help="cobra model: textbook, iJO1366 or a file"
    )
    guided.add_argument(
        "--compendium", required=True, help="genes x samples table (every gene is used)"
    )
    guided.add_argument(
        "--phenotypes",
        help="samples x phenotypes table: one head per column; samples without a value only "
        "reconstruct (semi-supervised)",
    )
    guided.add_argument(
        "--nodes", choices=["phenotype", "protein", "both"], default="phenotype",
        help="graph nodes that become latent nodes (default phenotype)",
    )  # fmt: skip
    guided.add_argument("--free", type=int, default=16, help="unconstrained latent nodes (16)")
    guided.add_argument(
        "--penalty", type=float, default=0.5,
        help="soft-mask strength: off-graph weights shrunk by lr*penalty per step (0.5; 0 = "
        "unconstrained)",
    )  # fmt: skip
    guided.add_argument("--penalty-kind", choices=["l1", "group"], default="l1")
    guided.add_argument("--hard-mask", action="store_true", help="off-graph weights fixed at 0")
    guided.add_argument("--encoder", choices=["masked", "mlp"], default="masked")
    guided.add_argument("--decoder", choices=["linear", "mlp"], default="linear")
    guided.add_argument("--variational", action="store_true", help="a VAE latent")
    guided.add_argument("--head", choices=["linear", "mlp"], default="linear")
    guided.add_argument(
        "--schedule", choices=["head", "pretrain", "joint"], default="head",
        help="head (default: reconstruction first, then the heads alone on the frozen "
        "nodes), pretrain (reconstruction first, then both), joint (both from the start)",
    )  # fmt: skip
    guided.add_argument(
        "--scaling", choices=["global", "maxabs", "minmax"], default="global",
        help="[-1, 1] scaling fitted on the compendium (global: one factor for all genes)",
    )  # fmt: skip
    guided.add_argument("--pretrain-epochs", type=int, default=150)
    _common_training(guided, epochs=100, batch_size=32, lr=3e-3, tied_option=False)
    guided.set_defaults(func=cmd_kcae_guided)

    explain = groups.action(
        "kcae",
        "explain",
        help="node activities, predictions, node attributions (SHAP) and a labelled heat map "
        "from a kgae",
    )
    explain.add_argument("--model", required=True, help="folder from 'omicsnet kcae guided'")
    explain.add_argument("--expression", required=True, help="genes x samples table to explain")
    explain.add_argument("--out", required=True, help="new folder for the tables and the figure")
    explain.add_argument("--background", help="reference samples for SHAP (default: --expression)")
    explain.add_argument("--studies", help="two-column table sample -> study (heat map order)")
    explain.add_argument("--graph", help="graph for node names (default: the model's own)")
    explain.add_argument("--method", choices=["gradient", "deep"], default="gradient")
    explain.add_argument("--nsamples", type=int, default=200, help="SHAP samples per sample")
    explain.add_argument("--top", type=int, default=30, help="nodes in the heat map")
    explain.add_argument(
        "--samples-in-rows", action="store_true", help="tables have samples in rows"
    )
    explain.add_argument("--overwrite", action="store_true", help="replace an earlier output")
    explain.set_defaults(func=cmd_kcae_explain)


def _io_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--samples-in-rows",
        action="store_true",
        help="the expression table has samples in rows (default: genes in rows)",
    )
    parser.add_argument("--id-map", help="two-column table: data gene ID, model gene ID")
    parser.add_argument("--overwrite", action="store_true", help="replace existing outputs")


def _common_training(
    parser: argparse.ArgumentParser,
    *,
    epochs: int,
    batch_size: int,
    lr: float = 1e-3,
    tied_option: bool = True,
) -> None:
    parser.add_argument("--out", required=True, help="model folder to write")
    if tied_option:
        parser.add_argument("--untied", action="store_true", help="decoder with its own weights")
    parser.add_argument("--epochs", type=int, default=epochs)
    parser.add_argument("--batch-size", type=int, default=batch_size)
    parser.add_argument("--lr", type=float, default=lr)
    parser.add_argument("--seed", type=int, default=0)
    _io_arguments(parser)


def cmd_kcae_pretrain(args: argparse.Namespace) -> int:
    from omicsnet.kcae.workflows import run_pretrain

    summary = run_pretrain(
        args.graph,
        args.compendium,
        args.out,
        strategy=args.strategy,
        tied=not args.untied,
        genes_in_rows=not args.samples_in_rows,
        id_map=args.id_map,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        seed=args.seed,
        overwrite=args.overwrite,
        progress=not args.quiet,
    )
    from omicsnet.utils.numbers import format_number as num

    print(summary["gene_match"])
    print(
        f"pretrained on {summary['samples']} samples ({summary['parameters']} parameters): "
        f"loss {num(summary['final_loss'])}, reconstruction PCC "
        f"{num(summary['reconstruction_pcc'])}; model in {args.out}"
    )
    return 0


def cmd_kcae_finetune(args: argparse.Namespace) -> int:
    from omicsnet.errors import ConfigError
    from omicsnet.kcae.workflows import run_finetune

    targets = {}
    for item in args.target:
        column, sep, reaction = item.partition("=")
        if not sep or not column or not reaction:
            raise ConfigError(f"--target expects COLUMN=REACTION, got {item!r}")
        targets[column.strip()] = reaction.strip()
    summary = run_finetune(
        args.expression,
        args.phenotypes,
        args.out,
        model_dir=args.model,
        graph_source=args.graph,
        tied=not args.untied,
        targets=targets or None,
        layers=args.layers,
        loss=args.loss,
        genes_in_rows=not args.samples_in_rows,
        id_map=args.id_map,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        seed=args.seed,
        overwrite=args.overwrite,
        progress=not args.quiet,
    )
    from omicsnet.utils.numbers import format_number as num

    print(summary["gene_match"])
    for column, metrics in summary["training_fit"].items():
        print(
            f"{column} -> {summary['targets'][column]}: training PCC "
            f"{num(metrics['pooled_pcc'])}, {num(100 * metrics['within_20pct'])} % within "
            f"20 % ({int(metrics['n'])} samples)"
        )
    print(f"fine-tuned ({summary['from']} -> finetuned); model in {args.out}")
    return 0


def cmd_kcae_predict(args: argparse.Namespace) -> int:
    from omicsnet.kcae.workflows import run_predict

    summary = run_predict(
        args.model,
        args.expression,
        args.out,
        measured=args.measured,
        plots=args.plots,
        genes_in_rows=not args.samples_in_rows,
        id_map=args.id_map,
        overwrite=args.overwrite,
    )
    print(summary["gene_match"])
    print(
        f"{summary['samples']} samples x {summary['phenotypes']} phenotypes written to "
        f"{summary['out']}"
    )
    if "pcc" in summary:
        from omicsnet.utils.numbers import format_number

        print("PCC per measured phenotype: " + ", ".join(
            f"{name} {format_number(value)}" for name, value in summary["pcc"].items()
        ))  # fmt: skip
    if "plots" in summary:
        print(f"plots in {summary['plots']}")
    return 0


def cmd_kcae_guided(args: argparse.Namespace) -> int:
    from omicsnet.kcae.guided_workflows import run_guided

    summary = run_guided(
        args.graph,
        args.compendium,
        args.out,
        phenotypes=args.phenotypes,
        nodes=args.nodes,
        n_free=args.free,
        penalty=args.penalty,
        penalty_kind=args.penalty_kind,
        hard_mask=args.hard_mask,
        encoder=args.encoder,
        decoder=args.decoder,
        variational=args.variational,
        head=args.head,
        schedule=args.schedule,
        scaling=args.scaling,
        genes_in_rows=not args.samples_in_rows,
        epochs=args.epochs,
        pretrain_epochs=args.pretrain_epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        seed=args.seed,
        overwrite=args.overwrite,
        progress=not args.quiet,
    )
    from omicsnet.utils.numbers import format_number as num

    off = summary["off_graph"].get("decoder_share", summary["off_graph"].get("encoder.0_share"))
    print(
        f"kgae on {summary['samples']} samples ({summary['labelled']} labelled), "
        f"{summary['genes']} genes ({summary['genes_in_programs']} in gene programs), "
        f"{summary['knowledge_nodes']} knowledge + {summary['free_nodes']} free nodes, heads "
        f"{summary['heads'] or 'none'}: loss {num(summary['final_loss'])}, "
        f"{num(100 * off)} % of the knowledge nodes' |weight| off the graph; model in "
        f"{args.out}"
    )
    return 0


def cmd_kcae_explain(args: argparse.Namespace) -> int:
    from omicsnet.kcae.guided_workflows import run_explain

    summary = run_explain(
        args.model,
        args.expression,
        args.out,
        background=args.background,
        graph_source=args.graph,
        studies=args.studies,
        genes_in_rows=not args.samples_in_rows,
        method=args.method,
        nsamples=args.nsamples,
        top=args.top,
        overwrite=args.overwrite,
    )
    from omicsnet.utils.numbers import format_number

    print(summary["gene_match"])
    for row in summary["top_nodes"]:
        print(f"{format_number(100 * row['share']):>6} %  {row['label']}")
    print(
        f"{summary['samples']} samples explained; tables and node_activity.png in {summary['out']}"
    )
    return 0
