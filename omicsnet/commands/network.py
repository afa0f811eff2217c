"""``omicsnet network infer``: metabolite-protein network inference."""

from __future__ import annotations

import argparse
from pathlib import Path

from omicsnet.utils.cli import CommandGroups
from omicsnet.utils.executors import add_backend_arguments


def add_commands(groups: CommandGroups) -> None:
    infer = groups.action(
        "network",
        "infer",
        help="scored m/z signals -> PCSF subnetwork + enrichment",
        description="Match m/z signals to metabolites, solve a prize-collecting Steiner "
        "forest over the metabolite-protein graph (+ interactome) and test enrichment.",
    )
    infer.add_argument("--signals", required=True, help="CSV/TSV with columns mz, score [, id]")
    infer.add_argument("--out", required=True, help="output folder (must not exist)")
    infer.add_argument("--mode", choices=["positive", "negative"], default="positive")
    infer.add_argument("--adducts", help="comma-separated adducts, e.g. '[M+H]+,[M+Na]+'")
    infer.add_argument("--tol", type=float, default=10.0, help="m/z tolerance (default 10)")
    infer.add_argument("--unit", choices=["ppm", "Da"], default="ppm")
    infer.add_argument("--min-score", type=float, help="keep signals scoring at least this")
    infer.add_argument(
        "--model",
        default="human-gem",
        help="human-gem (from the data directory), textbook, iJO1366, salmonella, or a "
        "model file (SBML/JSON/MAT)",
    )
    infer.add_argument(
        "--interactome", help="protein-protein edge table (e.g. iRefIndex), or 'bioplex'"
    )
    infer.add_argument("--gmt", help="pathway gene sets (GMT) instead of WikiPathways")
    infer.add_argument("--w", type=float, default=5.0, help="cost of starting a tree")
    infer.add_argument("--b", type=float, default=10.0, help="prize scale")
    infer.add_argument("--g", type=float, default=3.0, help="degree penalty exponent")
    infer.add_argument("--robustness", type=int, default=0, help="noisy-cost reruns")
    infer.add_argument("--specificity", type=int, default=0, help="random-prize reruns")
    infer.add_argument("--seed", type=int, default=0)
    infer.add_argument(
        "--solver",
        choices=["fast", "exact", "auto"],
        default="auto",
        help="PCSF solver: fast (pcst_fast, a 2-approximation, no guarantee), exact "
        "(branch-and-cut on SCIP: proven optimum or a certified gap at the time limit), "
        "auto (exact when the reduced problem is small, else fast + improvement + a "
        "lower bound; default)",
    )
    infer.add_argument(
        "--time-limit",
        type=float,
        default=60.0,
        help="seconds for the exact solver (default 60)",
    )
    add_backend_arguments(infer, units="robustness/specificity reruns")
    infer.add_argument("--data-dir", help="data directory (default: $OMICSNET_DATA)")
    infer.add_argument("--overwrite", action="store_true", help="replace an existing output")
    infer.add_argument(
        "--resume",
        action="store_true",
        help="continue a killed run with randomisations, keeping its finished reruns "
        "(kept in OUT.reruns/ until the output is written)",
    )
    infer.set_defaults(func=cmd_network_infer)


def cmd_network_infer(args: argparse.Namespace) -> int:
    import contextlib
    import shutil

    from omicsnet.knowledge.interactome import read_bioplex, read_interactome
    from omicsnet.knowledge.metabolic_graph import load_cobra_graph, load_human_gem
    from omicsnet.networks.enrichment import read_gmt
    from omicsnet.networks.infer import infer_network, read_signals
    from omicsnet.utils.executors import backend_from_args
    from omicsnet.utils.output import check_output_dir, output_dir

    backend = backend_from_args(args)
    out = Path(args.out)
    check_output_dir(out, overwrite=args.overwrite)  # before any work
    # each finished rerun is kept beside the output (written whole at the end) until then
    reruns = out.with_name(f"{out.name}.reruns")
    randomised = args.robustness > 0 or args.specificity > 0
    if randomised:
        check_output_dir(reruns, overwrite=args.overwrite, resume=args.resume)
    signals = read_signals(args.signals)
    if args.model == "human-gem":
        graph = load_human_gem(args.data_dir)
    else:
        graph = load_cobra_graph(args.model)
    if args.interactome:
        ppi = (
            read_bioplex() if args.interactome == "bioplex" else read_interactome(args.interactome)
        )
        graph = graph.add_interactome(ppi)
    adducts = [a.strip() for a in args.adducts.split(",")] if args.adducts else None
    with contextlib.ExitStack() as stack:
        if randomised:  # a run that fails before its first rerun leaves nothing to resume
            stack.callback(_drop_if_empty, reruns)
        store = None
        if randomised:
            store = stack.enter_context(
                output_dir(
                    reruns,
                    overwrite=args.overwrite,
                    resume=args.resume,
                    command="omicsnet network infer (reruns so far)",
                )
            )
        result = infer_network(
            signals,
            graph,
            mode=args.mode,
            adducts=adducts,
            tol=args.tol,
            unit=args.unit,
            min_score=args.min_score,
            w=args.w,
            b=args.b,
            g=args.g,
            robustness=args.robustness,
            specificity=args.specificity,
            seed=args.seed,
            gene_sets=read_gmt(args.gmt) if args.gmt else None,
            progress=not args.quiet,
            solver=args.solver,
            time_limit=args.time_limit,
            backend=backend if backend.name == "ray" else None,
            store=store,
        )
    result.write(out, overwrite=args.overwrite)
    if randomised:
        shutil.rmtree(reruns)  # omicsnet's own folder; the output holds the results now
    summary = result.summary()
    n_signals = summary["signals_matched"] + summary["signals_unmatched"]
    print(
        f"{summary['signals_matched']} of {n_signals} signals matched; "
        f"{summary['selected_nodes']} nodes selected "
        f"({summary['selected_metabolites']} metabolites, {summary['selected_proteins']} proteins,"
        f" {summary['hidden_nodes']} hidden) in {summary['trees']} tree(s); "
        f"{summary['enriched_sets_q05']} sets enriched at q <= 0.05"
    )
    if summary["bound"] is not None:
        print(
            f"PCSF ({summary['solver']}): objective {summary['objective']:.6g}, proven lower "
            f"bound {summary['bound']:.6g}, gap {100 * summary['gap']:.3g}%"
            + (" (optimal)" if summary["optimal"] else " (optimality not proven)")
        )
    else:
        print(
            f"PCSF ({summary['solver']}): objective {summary['objective']:.6g}, no bound "
            "(pcst_fast is a 2-approximation: use --solver exact or auto for a certified gap)"
        )
    print(
        f"results written to {out} (network.graphml, nodes.csv, edges.csv, enrichment.csv, "
        "matches.csv, unmatched.csv, network.png, summary.json)"
    )
    return 0


def _drop_if_empty(reruns: Path) -> None:
    """Remove the rerun store when it holds no rerun (an error before the first one)."""
    import shutil

    if reruns.is_dir() and not any(reruns.glob("unit_*.npz")):
        shutil.rmtree(reruns, ignore_errors=True)
