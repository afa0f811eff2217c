"""Core commands: models, datasets, train, demo."""

from __future__ import annotations

import argparse
import os
import sys

from omicsnet.errors import OmicsnetError
from omicsnet.utils.cli import CommandGroups

EXIT_INTERNAL_ERROR = 1
EXIT_USER_ERROR = 2


def add_commands(groups: CommandGroups) -> None:
    models = groups.command("models", help="list the model zoo, one line per model")
    models.add_argument("--family", help="only models of this family")
    models.set_defaults(func=cmd_models)

    datasets = groups.command("datasets", help="list built-in and registered datasets")
    datasets.set_defaults(func=cmd_datasets)

    train = groups.command("train", help="train a model from a config file (YAML/JSON/TOML)")
    train.add_argument("--config", required=True, help="config file (see docs/getting-started.md)")
    train.add_argument("--output", help="output folder (default: the config's 'output')")
    train.add_argument("--resume", action="store_true", help="continue an interrupted run")
    train.add_argument("--overwrite", action="store_true", help="replace an existing run")
    train.add_argument("--data-dir", help="data directory (default: $OMICSNET_DATA)")
    train.add_argument(
        "--nproc-per-node",
        type=int,
        default=1,
        metavar="N",
        help="data-parallel processes (launches torchrun; gloo on CPU, NCCL on GPU)",
    )
    train.add_argument("--no-progress", action="store_true", help="hide progress bars")
    train.set_defaults(func=cmd_train)

    demo = groups.command("demo", help="train, evaluate, save and reload models on built-in data")
    demo.add_argument("--output", help="output folder (default: omicsnet-demo/<timestamp>)")
    demo.add_argument("--quick", action="store_true", help="tiny data, few epochs (smoke test)")
    demo.add_argument("--overwrite", action="store_true", help="replace an existing output folder")
    demo.add_argument("--no-progress", action="store_true", help="hide progress bars")
    demo.set_defaults(func=cmd_demo)


def cmd_models(args: argparse.Namespace) -> int:
    from omicsnet.models.registry import list_models, model_info

    names = list_models(family=args.family)
    if not names:
        raise OmicsnetError(f"no models in family {args.family!r}")
    width = max(len(n) for n in names)
    for name in names:
        entry = model_info(name)
        print(f"{name:<{width}}  [{entry.family}]  {entry.description}")
    return 0


def cmd_datasets(args: argparse.Namespace) -> int:
    from omicsnet.data.registry import list_datasets

    items = list_datasets()
    width = max(len(n) for n in items)
    for name, description in items.items():
        print(f"{name:<{width}}  {description}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    if args.nproc_per_node > 1 and "LOCAL_RANK" not in os.environ:
        return _launch_torchrun(args)
    from pathlib import Path

    from omicsnet.config import load_config
    from omicsnet.train.distributed import is_main_process
    from omicsnet.train.experiment import run_experiment
    from omicsnet.utils.numbers import format_number

    config_path = Path(args.config)
    config = load_config(config_path)
    result = run_experiment(
        config,
        base_dir=config_path.parent,
        output=args.output,
        resume=args.resume,
        overwrite=args.overwrite,
        data_dir=args.data_dir,
        progress=False if args.no_progress else None,
    )
    if is_main_process():
        metrics = ", ".join(f"{k} {format_number(v, 4)}" for k, v in result.test_metrics.items())
        model = config["model"] if isinstance(config["model"], str) else config["model"]["name"]
        print(f"trained {model} for {len(result.history)} epochs (best epoch {result.best_epoch})")
        if metrics:
            print(f"test: {metrics}")
        print(f"model saved to {result.model_dir}")
    return 0


def _launch_torchrun(args: argparse.Namespace) -> int:
    """Check what can be checked here, then run ``omicsnet train`` under torchrun.

    The config, the batch size's divisibility by the number of processes and the output
    folder are checked once, before any process starts. A failing process's one-line error
    is shown once (not once per process), and torchrun's own traceback only with
    ``--debug``.
    """
    import subprocess
    from pathlib import Path

    from omicsnet.config import load_config
    from omicsnet.errors import ConfigError
    from omicsnet.train.experiment import output_folder_of
    from omicsnet.utils.output import check_output_dir

    config = load_config(args.config)
    trainer = config.get("trainer") or {}
    batch_size = int(trainer.get("batch_size", 64)) if isinstance(trainer, dict) else 64
    if batch_size % args.nproc_per_node:
        raise ConfigError(
            f"trainer.batch_size {batch_size} is not divisible by --nproc-per-node "
            f"{args.nproc_per_node}: each process takes batch_size / N samples per step"
        )
    out = output_folder_of(config, Path(args.config).parent, args.output)
    check_output_dir(out, overwrite=args.overwrite, resume=args.resume)
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc_per_node={args.nproc_per_node}",
        "-m",
        "omicsnet.cli",
    ]
    if args.debug:
        command.append("--debug")
    command += ["train", "--config", args.config]
    for flag, value in (("--output", args.output), ("--data-dir", args.data_dir)):
        if value:
            command += [flag, value]
    for flag, on in (
        ("--resume", args.resume),
        ("--overwrite", args.overwrite),
        ("--no-progress", args.no_progress),
    ):
        if on:
            command.append(flag)
    if args.debug:
        return subprocess.call(command)
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    errors: list[str] = []
    in_traceback = False
    assert process.stderr is not None
    for line in process.stderr:
        if line.startswith("omicsnet: "):
            if line not in errors:
                errors.append(line)
            continue
        # torchrun's own report of a failed process: its traceback and warnings
        in_traceback = in_traceback or line.startswith("Traceback") or "torch.distributed" in line
        if not in_traceback and "elastic" not in line:
            sys.stderr.write(line)
    status = process.wait()
    for line in errors:
        sys.stderr.write(line)
    if status != 0 and errors:
        return EXIT_USER_ERROR if any("error:" in e for e in errors) else status
    return status


def cmd_demo(args: argparse.Namespace) -> int:
    from omicsnet.demo import run_demo

    report = run_demo(
        args.output, quick=args.quick, overwrite=args.overwrite, progress=not args.no_progress
    )
    print("\n".join(report.lines()))
    return 0 if report.ok else EXIT_INTERNAL_ERROR
