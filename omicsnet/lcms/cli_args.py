"""Arguments shared by the LC-MS commands: inputs (files, folders, labels) and binning."""

from __future__ import annotations

import argparse


def add_binning_arguments(
    parser: argparse.ArgumentParser, *, default_preset: str | None, model_binning: bool = False
) -> None:
    """``--preset``, ``--param``, ``--workers``, ``--cache-dir``: how mzML runs are binned."""
    default = (
        "the model's training binning, else deepmsprofiler"
        if model_binning
        else (default_preset or "deepmsprofiler")
    )
    parser.add_argument("--preset", default=default_preset, help=f"binning preset ({default})")
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a binning parameter, e.g. --param n_rt=512 --param transform=log1p",
    )
    parser.add_argument("--workers", type=int, default=2, help="conversion worker processes")
    parser.add_argument("--cache-dir", help="conversion cache (default: $OMICSNET_CACHE/lcms)")


def add_input_arguments(parser: argparse.ArgumentParser, *, model_binning: bool = False) -> None:
    """``--arrays`` (folder or files of .npy/.npz/mzML) and the mzML binning options."""
    parser.add_argument(
        "--arrays",
        "--inputs",
        dest="arrays",
        nargs="+",
        required=True,
        help="a folder, or files, of one kind: .npy arrays, .npz matrices from "
        "'omicsnet lcms convert', or mzML/mzXML runs (converted with the cache)",
    )
    add_binning_arguments(parser, default_preset=None, model_binning=model_binning)


def binning_from_args(args: argparse.Namespace) -> object | None:
    """The BinningParams given by ``--preset``/``--param``, or None when neither was given."""
    from omicsnet.config import parse_scalar
    from omicsnet.errors import ConfigError
    from omicsnet.ms.binning import BinningParams

    if args.preset is None and not args.param:
        return None
    overrides: dict[str, object] = {"preset": args.preset or "deepmsprofiler"}
    for item in args.param:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--param expects KEY=VALUE, got {item!r}")
        overrides[key.strip()] = parse_scalar(value.strip())
    return BinningParams.from_dict(overrides)


def inputs_from_args(args: argparse.Namespace) -> object:
    """One folder/file as given, several as a list."""
    return args.arrays[0] if len(args.arrays) == 1 else list(args.arrays)


__all__ = ["add_binning_arguments", "add_input_arguments", "binning_from_args", "inputs_from_args"]
