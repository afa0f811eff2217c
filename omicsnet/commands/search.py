"""``omicsnet search run|resume|status|tasks``: Ax search campaigns."""

from __future__ import annotations

import argparse

from omicsnet.utils.cli import CommandGroups


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--trials", type=int, help="budget of finished trials (overrides config)")
    parser.add_argument("--workers", type=int, help="trials at once (overrides config)")
    parser.add_argument(
        "--backend", choices=("local", "ray", "inline"), help="where trials run (overrides config)"
    )
    parser.add_argument("--data-dir", help="data directory for the tasks (default: $OMICSNET_DATA)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def add_commands(groups: CommandGroups) -> None:
    run = groups.action("search", "run", help="start a search campaign from a config file")
    run.add_argument("config_file", nargs="?", metavar="CONFIG", help="campaign config file")
    run.add_argument("--config", help="campaign config (YAML/JSON/TOML); same as CONFIG")
    run.add_argument("--out", help="campaign folder (default: the config's 'output')")
    run.add_argument("--overwrite", action="store_true", help="replace an existing campaign")
    _add_run_options(run)
    run.set_defaults(func=cmd_search_run)

    resume = groups.action(
        "search", "resume", help="continue a stopped or killed campaign (or extend its budget)"
    )
    resume.add_argument("directory", help="campaign folder")
    _add_run_options(resume)
    resume.set_defaults(func=cmd_search_resume)

    status = groups.action(
        "search", "status", help="trial counts, best trial or Pareto front, latest trials"
    )
    status.add_argument("directory", help="campaign folder")
    status.add_argument("--csv", help="also write the full trial table to this CSV file")
    status.add_argument("--plots", action="store_true", help="(re)draw progress/Pareto plots")
    status.add_argument("--rows", type=int, default=20, help="latest trials to show")
    status.add_argument("--overwrite", action="store_true", help="replace an existing --csv file")
    status.set_defaults(func=cmd_search_status)

    tasks = groups.action("search", "tasks", help="list the registered search tasks")
    tasks.set_defaults(func=cmd_search_tasks)


def _progress(args: argparse.Namespace) -> bool | None:
    return False if (args.no_progress or args.quiet) else None


def cmd_search_run(args: argparse.Namespace) -> int:
    from omicsnet.errors import ConfigError
    from omicsnet.search.campaign import run_campaign
    from omicsnet.search.report import format_status

    if args.config and args.config_file and args.config != args.config_file:
        raise ConfigError("give the campaign config once: CONFIG or --config, not both")
    config = args.config or args.config_file
    if not config:
        raise ConfigError("omicsnet search run needs a campaign config: --config FILE")
    campaign = run_campaign(
        config,
        output=args.out,
        overwrite=args.overwrite,
        trials=args.trials,
        workers=args.workers,
        backend=args.backend,
        data_dir=args.data_dir,
        progress=_progress(args),
    )
    print(format_status(campaign, max_rows=10))
    return 0


def cmd_search_resume(args: argparse.Namespace) -> int:
    from omicsnet.search.campaign import resume_campaign
    from omicsnet.search.report import format_status

    campaign = resume_campaign(
        args.directory,
        trials=args.trials,
        workers=args.workers,
        backend=args.backend,
        data_dir=args.data_dir,
        progress=_progress(args),
    )
    print(format_status(campaign, max_rows=10))
    return 0


def cmd_search_status(args: argparse.Namespace) -> int:
    from omicsnet.search.campaign import load_campaign
    from omicsnet.search.report import format_status, write_report
    from omicsnet.utils.io import write_csv

    campaign = load_campaign(args.directory)
    print(format_status(campaign, max_rows=args.rows))
    if args.csv:
        table = campaign.table()
        write_csv(table, args.csv, overwrite=args.overwrite)
        print(f"trial table ({len(table)} rows) written to {args.csv}")
    if args.plots:
        written = write_report(campaign, plots=True)
        for kind, path in written.items():
            print(f"{kind}: {path}")
    return 0


def cmd_search_tasks(args: argparse.Namespace) -> int:
    from omicsnet.search.tasks import list_tasks

    tasks = list_tasks()
    width = max(len(name) for name in tasks)
    for name, target in sorted(tasks.items()):
        print(f"{name:<{width}}  {target}")
    return 0
