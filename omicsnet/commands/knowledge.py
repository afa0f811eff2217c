"""``omicsnet knowledge build|info``: gene → protein → phenotype graph artefacts."""

from __future__ import annotations

import argparse

from omicsnet.utils.cli import CommandGroups


def add_commands(groups: CommandGroups) -> None:
    build = groups.action(
        "knowledge",
        "build",
        help="build a gene/protein/reaction/metabolite/phenotype graph artefact (FBA screen)",
        description="Build the typed graph of a cobra model, run the knockout essentiality "
        "screen and write a versioned artefact (manifest.json + data.json.gz) to "
        "OUT/<model>[-<params key>]. Default OUT: the user's artefact cache "
        "($OMICSNET_CACHE/knowledge/phenotype_graphs or ~/.cache/omicsnet/knowledge/"
        "phenotype_graphs), where load_phenotype_graph finds it; never the installed package "
        "or a source checkout.",
    )
    build.add_argument(
        "--model",
        required=True,
        help="textbook, iJO1366, salmonella, or a model file (SBML/JSON/YAML/MAT)",
    )
    build.add_argument("--workers", type=int, default=1, help="screen processes (default 1)")
    build.add_argument(
        "--phenotypes",
        nargs="+",
        metavar="REACTION",
        help="phenotype reaction ids (default: objective + exchange reactions)",
    )
    build.add_argument(
        "--threshold", type=float, default=0.95, help="essential when v_KO <= t * v_WT (0.95)"
    )
    build.add_argument("--knockout", choices=["reaction", "gene", "protein"], default="reaction")
    build.add_argument(
        "--medium",
        help="uptake bounds replacing the model's medium: 'EX_a=10,EX_b=1000' or a JSON file",
    )
    build.add_argument(
        "--fixed-uptake",
        default="default",
        help="uptakes fixed exactly: 'EX_glc__D_e=10' style, 'default' (glucose 10) or 'none'",
    )
    build.add_argument(
        "--no-prune", action="store_true", help="solve every knockout (slower, same result)"
    )
    build.add_argument(
        "--out",
        help="folder holding artefact folders (default: the user's artefact cache; pass "
        "knowledge/phenotype_graphs to update a checkout's committed artefacts)",
    )
    build.add_argument("--overwrite", action="store_true", help="replace an existing artefact")
    build.set_defaults(func=cmd_knowledge_build)

    info = groups.action(
        "knowledge", "info", help="summarise a graph artefact folder (counts, recipe, checksum)"
    )
    info.add_argument("folder", help="artefact folder (holding manifest.json)")
    info.set_defaults(func=cmd_knowledge_info)


def _rates(text: str | None, option: str) -> dict[str, float] | None:
    """Parse ``'ID=RATE,ID=RATE'`` or a JSON file of ``{id: rate}``."""
    import json
    from pathlib import Path

    from omicsnet.errors import ConfigError

    if text is None:
        return None
    if text.lower() == "none":
        return {}
    path = Path(text)
    if path.is_file():
        try:
            value = json.loads(path.read_text())
        except json.JSONDecodeError as err:
            raise ConfigError(f"{option} {path} is not valid JSON: {err}") from err
        if not isinstance(value, dict):
            raise ConfigError(f"{option} {path} must hold a JSON object {{reaction: rate}}")
        items = value.items()
    else:
        items = []
        for part in text.split(","):
            key, sep, rate = part.partition("=")
            if not sep or not key.strip():
                raise ConfigError(f"{option}: expected ID=RATE, got {part!r}")
            items.append((key.strip(), rate))
    out = {}
    for key, rate in items:
        try:
            out[str(key)] = float(rate)
        except (TypeError, ValueError) as err:
            raise ConfigError(f"{option}: rate of {key} is not a number: {rate!r}") from err
    return out


def cmd_knowledge_build(args: argparse.Namespace) -> int:
    import time

    from omicsnet.knowledge.phenotype_graph import build_artefact

    fixed = (
        "default" if args.fixed_uptake == "default" else _rates(args.fixed_uptake, "--fixed-uptake")
    )
    start = time.perf_counter()
    graph, folder = build_artefact(
        args.model,
        args.out,
        phenotypes=args.phenotypes,
        knockout=args.knockout,
        threshold=args.threshold,
        medium=_rates(args.medium, "--medium"),
        fixed_uptake=fixed,
        workers=args.workers,
        prune=not args.no_prune,
        progress=not args.quiet,
        overwrite=args.overwrite,
    )
    counts = graph.num_nodes()
    size = sum(p.stat().st_size for p in folder.iterdir())
    print(
        f"{graph.name}: {counts['gene']} genes, {counts['protein']} proteins, "
        f"{counts['reaction']} reactions, {counts['metabolite']} metabolites, "
        f"{counts['phenotype']} phenotypes ({len(graph.dropped_phenotypes)} dropped: no flux); "
        f"{graph.num_edges()['protein_phenotype']} protein-phenotype edges; "
        f"{graph.provenance['screen_lps']} LPs in {time.perf_counter() - start:.1f} s"
    )
    print(f"artefact written to {folder} ({size / 1024:.0f} KiB); checksum {graph.checksum[:16]}")
    return 0


def cmd_knowledge_info(args: argparse.Namespace) -> int:
    import json

    from omicsnet.knowledge.phenotype_graph import PhenotypeGraph

    graph = PhenotypeGraph.load(args.folder)
    summary = graph.summary()
    summary["params"] = graph.params
    summary["provenance"] = graph.provenance
    print(json.dumps(summary, indent=1, sort_keys=True))
    return 0
