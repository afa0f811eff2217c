"""Start-up time: ``import omicsnet`` and ``omicsnet --help`` against a bare interpreter.

What is compared
----------------
Wall time of fresh Python processes, each started as a subprocess of the benchmark:
``python -c "import omicsnet"``, the ``omicsnet --help`` console script (the one next to
``sys.executable``; ``python -m omicsnet --help`` where there is none) and
``python -m omicsnet --help``, each against ``python -c "pass"`` measured in the same run.
``python -c "import torch"`` is a reference row: it is roughly what every command would
cost if ``omicsnet`` imported torch eagerly. The project's targets are absolute — import
under 1 s and ``--help`` under 2 s — so they are stated in the row notes and in
``details["targets"]``, not as ratio targets.

Why the baseline is fair
------------------------
All commands use the same interpreter (``sys.executable``), the same environment and the
same neutral working directory (a temporary folder, so that the installed package is
imported and not a source tree that happens to be the working directory). The bare
interpreter pays the same process creation, interpreter start-up and ``site`` import, so
``candidate - baseline`` is what the command itself adds. Every command runs once untimed
first (warm file cache); the timed runs are interleaved round-robin across commands so
that drift in machine load hits every command alike, and medians are reported.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from omicsnet.bench.registry import BenchContext, BenchResult, BenchRow, register_benchmark

HEAVY_MODULES = ("torch", "numpy", "pandas", "scipy", "sklearn", "tqdm", "yaml", "safetensors")
IMPORT_LIMIT_S = 1.0
HELP_LIMIT_S = 2.0
CASE_NAMES = {
    'python -c "import omicsnet"': "import omicsnet",
    "omicsnet --help": "omicsnet --help (console script)",
    "python -m omicsnet --help": "python -m omicsnet --help",
    'python -c "import torch"': "import torch (reference only)",
}


def console_script() -> list[str]:
    """The command for ``omicsnet --help``: the console script beside the interpreter.

    Returns
    -------
    list of str
        ``[<bin>/omicsnet, "--help"]``, or ``[python, "-m", "omicsnet", "--help"]`` when
        the script is not installed next to ``sys.executable``.
    """
    folder = Path(sys.executable).parent
    for name in ("omicsnet", "omicsnet.exe"):
        script = folder / name
        if script.is_file() and os.access(script, os.X_OK):
            return [str(script), "--help"]
    return [sys.executable, "-m", "omicsnet", "--help"]


def commands() -> dict[str, list[str]]:
    """The commands timed, by label (the first is the baseline).

    Returns
    -------
    dict
        ``{label: argv}``.
    """
    python = sys.executable
    script = console_script()
    cmds = {
        'python -c "pass"': [python, "-c", "pass"],
        'python -c "import omicsnet"': [python, "-c", "import omicsnet"],
    }
    if script[0] != python:  # the console script exists
        cmds["omicsnet --help"] = script
    cmds["python -m omicsnet --help"] = [python, "-m", "omicsnet", "--help"]
    cmds['python -c "import torch"'] = [python, "-c", "import torch"]
    return cmds


def time_process(argv: list[str], cwd: str, env: dict[str, str]) -> float:
    """Wall time in seconds of one run of ``argv`` to completion.

    Parameters
    ----------
    argv
        The command.
    cwd, env
        Working directory and environment of the process.

    Returns
    -------
    float

    Raises
    ------
    RuntimeError
        When the command fails (its stderr is included).
    """
    start = time.perf_counter()
    proc = subprocess.run(
        argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
    )
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv)} exited with {proc.returncode}: {proc.stderr.decode()[-2000:]}"
        )
    return seconds


def import_profile(argv: list[str], cwd: str, env: dict[str, str]) -> dict[str, Any]:
    """Which heavy modules a command imports, from ``PYTHONPROFILEIMPORTTIME`` output.

    Parameters
    ----------
    argv
        The command.
    cwd, env
        Working directory and environment of the process.

    Returns
    -------
    dict
        ``heavy_modules_imported`` (top-level names from :data:`HEAVY_MODULES`),
        ``modules_imported`` (count) and ``slowest_top_level`` (five top-level imports
        with their cumulative microseconds).
    """
    proc = subprocess.run(
        argv,
        cwd=cwd,
        env={**env, "PYTHONPROFILEIMPORTTIME": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    modules: dict[str, int] = {}
    top_level: list[tuple[int, str]] = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        parts = line[len("import time:") :].split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        cumulative, raw_name = int(parts[1]), parts[2]
        name = raw_name.strip()
        modules[name] = cumulative
        if raw_name.startswith(" ") and not raw_name.startswith("  "):
            top_level.append((cumulative, name))
    top_level.sort(reverse=True)
    return {
        "heavy_modules_imported": sorted(m for m in HEAVY_MODULES if m in modules),
        "modules_imported": len(modules),
        "slowest_top_level_us": {name: us for us, name in top_level[:5]},
    }


@register_benchmark(
    "startup",
    "Wall time of `import omicsnet` and `omicsnet --help` vs a bare `python -c pass`",
    suites=("speed",),
    # single process starts vary by 10-26 % of their median on the shared 2-core machine
    noise="ratio ±25%",
)
def bench_startup(ctx: BenchContext) -> BenchResult:
    """Time every command in fresh processes; one row per command against the baseline.

    Parameters
    ----------
    ctx
        ``ctx.quick`` selects fewer repeats.

    Returns
    -------
    BenchResult
    """
    cmds = commands()
    base_label = next(iter(cmds))
    repeats = 3 if ctx.quick else max(ctx.repeats, 11)
    env = dict(os.environ)
    times: dict[str, list[float]] = {label: [] for label in cmds}
    profiles: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="omicsnet-startup-") as cwd:
        for argv in cmds.values():  # warm-up: file cache, bytecode where it is written
            time_process(argv, cwd, env)
        for rep in range(repeats):
            labels = list(cmds)
            shift = rep % len(labels)  # rotate the order so no command always goes first
            for label in labels[shift:] + labels[:shift]:
                times[label].append(time_process(cmds[label], cwd, env))
        for label, argv in cmds.items():
            if "omicsnet" in label:
                profiles[label] = import_profile(argv, cwd, env)

    medians = {label: statistics.median(values) for label, values in times.items()}
    base = medians[base_label]
    limits = {'python -c "import omicsnet"': IMPORT_LIMIT_S}
    for label in cmds:
        if "--help" in label:
            limits[label] = HELP_LIMIT_S
    targets = {
        label: {
            "seconds": round(medians[label], 4),
            "limit_s": limit,
            "met": medians[label] < limit,
        }
        for label, limit in limits.items()
    }

    rows: list[BenchRow] = []
    for label in list(cmds)[1:]:
        net_ms = (medians[label] - base) * 1000
        parts = [f"{medians[label]:.3f} s absolute, +{net_ms:.0f} ms over the bare interpreter"]
        if label in limits:
            met = "met" if targets[label]["met"] else "NOT MET"
            parts.append(f"target < {limits[label]:g} s absolute: {met}")
        if label in profiles:
            heavy = profiles[label]["heavy_modules_imported"]
            parts.append(f"heavy modules imported: {', '.join(heavy) or 'none'}")
        if "torch" in label:
            parts.append("reference: the cost an eager `import torch` would add to every command")
        rows.append(
            BenchRow(
                case=CASE_NAMES.get(label, label),
                candidate=label,
                baseline=base_label,
                candidate_value=medians[label],
                baseline_value=base,
                unit="s",
                target=f"value < {limits[label]:g}" if label in limits else "",
                notes="; ".join(parts),
            )
        )

    details: dict[str, Any] = {
        "repeats": repeats,
        "python": sys.executable,
        "commands": {label: argv for label, argv in cmds.items()},
        "median_s": {label: round(v, 4) for label, v in medians.items()},
        "net_over_bare_s": {label: round(v - base, 4) for label, v in medians.items()},
        "all_runs_s": {label: [round(t, 4) for t in values] for label, values in times.items()},
        "targets": targets,
        "import_profiles": profiles,
        "PYTHONDONTWRITEBYTECODE": os.environ.get("PYTHONDONTWRITEBYTECODE", ""),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }
    return BenchResult(rows, details)
