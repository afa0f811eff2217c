"""Register, discover and run benchmarks; write their reports.

A benchmark is a function that takes a :class:`BenchContext` and returns a
:class:`BenchResult`: rows of measurements, each comparing a candidate with a baseline
timed in the same run. The runner adds the machine and library versions and writes

* ``results.json`` — everything, for re-running and comparing later;
* ``results.md`` — a short Markdown table with the ratios.

Where benchmarks are found
--------------------------
The **built-in suites** are the ``bench_*.py`` files of omicsnet's own ``benchmarks/``
folder. It is found from the imported package: the first of the package's parent
folders (up to three levels, so a ``src/`` layout works too) that holds both a
``pyproject.toml`` naming the project ``omicsnet`` and a ``benchmarks/`` folder with
``bench_*.py`` files. That is the repository root of a source checkout or an editable
install (``pip install -e .``). A wheel does not ship the suites; point
``OMICSNET_BENCHMARKS`` at a checkout's ``benchmarks/`` folder to use them there.

A user's own folders (``--bench-dir``) **add** benchmarks to the built-in ones and never
hide them: two benchmarks with one name is an error naming both files. The working
directory is not searched (a ``./benchmarks`` folder there is read only when passed with
``--bench-dir``).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import importlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import platform
import re
import statistics
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from omicsnet.bench.bands import band_for_unit, check_declared, parse_band
from omicsnet.bench.suites import check_membership
from omicsnet.errors import ConfigError, DataNotFoundError
from omicsnet.utils.io import atomic_write_text
from omicsnet.utils.output import claim_output_dir

logger = logging.getLogger(__name__)

#: Environment variable naming the built-in suites' folder (overrides the search).
BENCH_DIR_ENV = "OMICSNET_BENCHMARKS"
#: Default folder (in the working directory) of runs that are not published.
DEFAULT_RUN_ROOT = Path("omicsnet-bench")
#: File that marks a results folder as written by omicsnet.
#: Load average above which a timing is flagged as taken on a busy machine.
BUSY_LOAD = 1.2

_MODULE_PREFIX = "omicsnet_benchmarks."

PathLike = str | os.PathLike[str]


@dataclass
class BenchContext:
    """What a benchmark gets from the runner."""

    quick: bool = False
    data_dir: Path | None = None
    workdir: Path | None = None
    repeats: int = 5
    resume: bool = False

    def units(self, part: str, settings: Mapping[str, Any]) -> Path | None:
        """Folder that keeps ``part``'s finished units (``store=`` of ``cross_validate``).

        ``None`` without an output folder. Settings that differ from the stored ones are
        refused (see :mod:`omicsnet.bench.units`).
        """
        from omicsnet.bench.units import unit_folder

        return unit_folder(self.workdir, part, settings, quick=self.quick)


_TARGET = re.compile(r"^(value)?\s*(<=|>=|<|>)\s*([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)$")


@dataclass
class BenchRow:
    """One comparison: candidate vs baseline, in the same unit.

    ``ratio`` is candidate / baseline; for speed comparisons ``speedup`` is its inverse.
    ``target`` says what the project aims for: ``"<= 1.10"`` or ``">= 100"`` on the ratio,
    or ``"value < 1.0"`` on the candidate's own value (an absolute limit in ``unit``).
    ``noise`` is the row's noise band (see :mod:`omicsnet.bench.bands`) when it differs
    from the one its benchmark declares, e.g. measured from this run's split spread.
    """

    case: str
    candidate: str
    baseline: str
    candidate_value: float
    baseline_value: float
    unit: str = "s"
    target: str = ""
    notes: str = ""
    noise: str = ""

    @property
    def ratio(self) -> float:
        return self.candidate_value / self.baseline_value if self.baseline_value else float("nan")

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["ratio"] = self.ratio
        out["meets_target"] = self.meets_target()
        return out

    def meets_target(self) -> bool | None:
        """Whether the row meets ``target``; ``None`` when it has none.

        Examples
        --------
        >>> BenchRow("c", "a", "b", 0.5, 1.0, target="<= 0.6").meets_target()
        True
        >>> BenchRow("c", "a", "b", 1.2, 0.05, target="value < 1").meets_target()
        False
        """
        if not self.target:
            return None
        match = _TARGET.match(self.target.strip())
        if not match:
            raise ConfigError(
                f"benchmark target must look like '<= 1.1' or '>= 100' (on the ratio) or "
                f"'value < 1.0' (on the candidate's value): {self.target!r}"
            )
        on_value, op, number = match.groups()
        x = self.candidate_value if on_value else self.ratio
        limit = float(number)
        return {"<=": x <= limit, ">=": x >= limit, "<": x < limit, ">": x > limit}[op]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BenchRow:
        """A row from its ``results.json`` form (extra keys such as ``ratio`` are ignored)."""

        def number(key: str) -> float:
            value = data.get(key)
            return float("nan") if value is None else float(value)

        return cls(
            case=str(data.get("case", "")),
            candidate=str(data.get("candidate", "")),
            baseline=str(data.get("baseline", "")),
            candidate_value=number("candidate_value"),
            baseline_value=number("baseline_value"),
            unit=str(data.get("unit", "s")),
            target=str(data.get("target") or ""),
            notes=str(data.get("notes") or ""),
            noise=str(data.get("noise") or ""),
        )


@dataclass
class BenchResult:
    """Rows plus free-form details a benchmark wants to keep."""

    rows: list[BenchRow]
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BenchmarkEntry:
    """A registered benchmark.

    ``folder`` is the benchmark folder its file was discovered in (``None`` when it was
    registered from other code, e.g. a Python session); ``suites`` the named suites it
    joins; ``noise`` its declared noise band, one for every row or one per unit.
    """

    name: str
    func: Callable[[BenchContext], BenchResult]
    description: str
    source: str
    path: Path | None = None
    folder: Path | None = None
    suites: tuple[str, ...] = ()
    noise: str | Mapping[str, str] | None = None

    def band(self, unit: str) -> str | None:
        """The band this benchmark declares for rows in ``unit``."""
        return band_for_unit(self.noise, unit)

    @property
    def where(self) -> str:
        return str(self.path) if self.path else f"module {self.source}"


# (module, name) -> entry. A module registers its benchmarks when it is imported.
_ENTRIES: dict[tuple[str, str], BenchmarkEntry] = {}
# benchmark module name -> the folder it was discovered in
_MODULE_FOLDERS: dict[str, Path] = {}
# bench_*.py file -> why it could not be imported
_LOAD_ERRORS: dict[Path, str] = {}


def register_benchmark(
    name: str,
    description: str = "",
    *,
    suites: Iterable[str] = (),
    noise: str | Mapping[str, str] | None = None,
) -> Callable[[Callable[[BenchContext], BenchResult]], Callable[[BenchContext], BenchResult]]:
    """Register a benchmark function under ``name``.

    Parameters
    ----------
    name
        What ``omicsnet bench run`` takes.
    description
        One line; default the first line of the function's docstring.
    suites
        Named suites the benchmark joins (``"science"``, ``"speed"``; see
        :mod:`omicsnet.bench.suites`). Every benchmark is in ``quick``.
    noise
        How far its rows may move between runs before ``omicsnet bench compare`` flags
        them (see :mod:`omicsnet.bench.bands`): one band such as ``"ratio ±15%"``, or a
        mapping from unit to band (``{"s": "ratio ±15%", "r": "value ±0.03"}``, ``"*"``
        for every other unit).

    Examples
    --------
    >>> @register_benchmark("sum-vs-loop-example", "sum() against a Python loop",
    ...                     suites=("speed",), noise="ratio ±20%")
    ... def bench(ctx: BenchContext) -> BenchResult:
    ...     data = list(range(10_000))
    ...     fast = time_call(lambda: sum(data), repeats=ctx.repeats)
    ...     def loop():
    ...         total = 0
    ...         for v in data:
    ...             total += v
    ...     slow = time_call(loop, repeats=ctx.repeats)
    ...     return BenchResult([BenchRow("10k ints", "sum()", "for loop", fast, slow)])
    >>> "sum-vs-loop-example" in list_benchmarks(builtin=False)
    True
    """
    suites = tuple(suites)
    where = f"benchmark {name!r}"
    check_membership(suites, where)
    check_declared(noise, where)

    def decorator(
        func: Callable[[BenchContext], BenchResult],
    ) -> Callable[[BenchContext], BenchResult]:
        doc = (func.__doc__ or "").strip().splitlines()
        module = getattr(func, "__module__", "") or ""
        file = getattr(sys.modules.get(module), "__file__", None)
        if file is None:  # loaded without entering sys.modules: the code knows its file
            code_file = getattr(getattr(func, "__code__", None), "co_filename", "")
            file = code_file if code_file and Path(code_file).is_file() else None
        _ENTRIES[(module, name)] = BenchmarkEntry(
            name=name,
            func=func,
            description=description or (doc[0] if doc else ""),
            source=module,
            path=Path(file).resolve() if file else None,
            folder=_MODULE_FOLDERS.get(module),
            suites=suites,
            noise=noise,
        )
        return func

    return decorator


def time_call(func: Callable[[], Any], *, repeats: int = 5, warmup: int = 1) -> float:
    """Median wall time of ``func()`` in seconds over ``repeats`` runs after ``warmup``.

    Examples
    --------
    >>> time_call(lambda: None, repeats=3) < 0.01
    True
    """
    for _ in range(warmup):
        func()
    times = []
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# ----------------------------------------------------------------------------- discovery
def _is_omicsnet_project(root: Path) -> bool:
    try:
        text = (root / "pyproject.toml").read_text(encoding="utf-8")
    except OSError:
        return False
    return re.search(r"""^name\s*=\s*["']omicsnet["']""", text, flags=re.MULTILINE) is not None


def builtin_bench_dir() -> Path | None:
    """The folder of the built-in suites, or ``None`` when omicsnet has none installed.

    ``OMICSNET_BENCHMARKS`` when set; else the ``benchmarks/`` folder of the omicsnet
    project the package is imported from (the repository root of a source checkout or an
    editable install; see the module docstring).

    Examples
    --------
    >>> folder = builtin_bench_dir()
    >>> folder is None or (folder / "bench_startup.py").is_file()
    True
    """
    env = os.environ.get(BENCH_DIR_ENV)
    if env:
        folder = Path(env).expanduser()
        if not folder.is_dir():
            raise DataNotFoundError(f"{BENCH_DIR_ENV}={env}: no such folder")
        return folder.resolve()
    package = Path(__file__).resolve().parents[1]  # .../omicsnet
    for root in list(package.parents)[:3]:
        folder = root / "benchmarks"
        if folder.is_dir() and any(folder.glob("bench_*.py")) and _is_omicsnet_project(root):
            return folder
    return None


def _module_name(folder: Path, stem: str) -> str:
    # one namespace per folder: two folders may both have a bench_models.py
    digest = hashlib.sha1(str(folder).encode()).hexdigest()[:8]
    label = re.sub(r"\W", "_", folder.name)
    return f"{_MODULE_PREFIX}{label}_{digest}.{stem}"


def discover(bench_dir: PathLike | None) -> None:
    """Import every ``bench_*.py`` file in ``bench_dir`` so that its benchmarks register.

    A file that cannot be imported does not stop the others: the error is kept and
    reported by :func:`load_errors` (``omicsnet bench list`` and suite runs show it).
    Importing a folder again does nothing.
    """
    if bench_dir is None:
        return
    folder = Path(bench_dir).expanduser()
    if not folder.is_dir():
        raise DataNotFoundError(f"benchmark folder {folder} does not exist")
    folder = folder.resolve()
    for path in sorted(folder.glob("bench_*.py")):
        module_name = _module_name(folder, path.stem)
        if module_name in sys.modules or path in _LOAD_ERRORS:
            continue
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            continue
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        _MODULE_FOLDERS[module_name] = folder
        try:
            spec.loader.exec_module(module)
        except Exception as err:  # a broken file must not hide the others
            del sys.modules[module_name]
            for key in [k for k in _ENTRIES if k[0] == module_name]:
                del _ENTRIES[key]
            _LOAD_ERRORS[path] = f"{type(err).__name__}: {' '.join(str(err).split())}"
            logger.debug("could not import %s", path, exc_info=True)


def _folders(bench_dirs: PathLike | Iterable[PathLike] | None, builtin: bool) -> list[Path]:
    """Built-in folder (when asked for and found) first, then the user's, each once."""
    if bench_dirs is None or bench_dirs == "default":
        extra: list[PathLike] = []
    elif isinstance(bench_dirs, (str, os.PathLike)):
        extra = [bench_dirs]
    else:
        extra = list(bench_dirs)
    folders: list[Path] = []
    builtin_dir = builtin_bench_dir() if builtin else None
    if builtin_dir is not None:
        discover(builtin_dir)
        folders.append(builtin_dir.resolve())
    for item in extra:
        path = Path(item).expanduser()
        if not path.is_dir():
            raise DataNotFoundError(f"benchmark folder {path} does not exist")
        path = path.resolve()
        if path in folders:
            continue  # e.g. --bench-dir benchmarks from the repository root
        discover(path)
        folders.append(path)
    return folders


def find_benchmarks(
    bench_dirs: PathLike | Iterable[PathLike] | None = None, *, builtin: bool = True
) -> dict[str, BenchmarkEntry]:
    """The benchmarks visible with the built-in suites plus ``bench_dirs``, by name.

    Benchmarks registered from other code (a Python session) are always visible.
    Two benchmarks with one name raise a :class:`ConfigError` naming both files: a user's
    folder adds benchmarks, it never replaces a built-in one.

    Examples
    --------
    >>> "startup" in find_benchmarks() or builtin_bench_dir() is None
    True
    """
    folders = _folders(bench_dirs, builtin)
    visible: dict[str, BenchmarkEntry] = {}
    # discovered entries first, so that a file also imported by its own name (a script,
    # pytest's doctest collection) counts once, as the discovered one
    for entry in sorted(_ENTRIES.values(), key=lambda e: e.folder is None):
        if entry.folder is not None and entry.folder not in folders:
            continue
        other = visible.get(entry.name)
        if other is not None and other.path is not None and other.path == entry.path:
            continue
        if other is not None:
            raise ConfigError(
                f"benchmark {entry.name!r} is defined twice: in {other.where} and in "
                f"{entry.where}; rename one (a --bench-dir adds benchmarks, it cannot "
                "replace a built-in one)"
            )
        visible[entry.name] = entry
    return dict(sorted(visible.items()))


def load_errors(
    bench_dirs: PathLike | Iterable[PathLike] | None = None, *, builtin: bool = True
) -> dict[Path, str]:
    """``{file: error}`` of the ``bench_*.py`` files that could not be imported."""
    folders = _folders(bench_dirs, builtin)
    return {path: err for path, err in sorted(_LOAD_ERRORS.items()) if path.parent in folders}


def list_benchmarks(
    bench_dir: PathLike | Iterable[PathLike] | None = None, *, builtin: bool = True
) -> dict[str, str]:
    """Return ``{name: description}`` of the registered (and discovered) benchmarks.

    ``bench_dir`` adds one or more folders to the built-in suites.
    """
    return {name: e.description for name, e in find_benchmarks(bench_dir, builtin=builtin).items()}


# ------------------------------------------------------------------------- running
def _version(package: str) -> str | None:
    module = sys.modules.get(package)
    if module is not None and hasattr(module, "__version__"):
        return str(module.__version__)
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def load_average() -> list[float] | None:
    """The 1, 5 and 15 minute load averages (``None`` where the OS has none)."""
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None


def machine_info() -> dict[str, Any]:
    """The machine and library versions, recorded with every result.

    Versions come from the imported modules or, for those a benchmark did not import,
    from the installed distributions; torch's threads and CUDA device are recorded when
    the benchmark used torch.

    Examples
    --------
    >>> info = machine_info()
    >>> info["cpu_count"] > 0 and bool(info["python"])
    True
    """
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
    }
    if hasattr(os, "sched_getaffinity"):  # not on macOS
        info["cpu_affinity"] = len(os.sched_getaffinity(0))
    if "omicsnet" not in sys.modules:
        importlib.import_module("omicsnet")  # cheap: heavy modules are lazy
    for package in ("omicsnet", "torch", "numpy", "pandas", "scipy"):
        version = _version(package)
        if version is not None:
            info[f"{package}_version"] = version
    torch = sys.modules.get("torch")
    if torch is not None:
        info["torch_threads"] = torch.get_num_threads()
        info["cuda"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return info


def render_markdown(name: str, description: str, result: BenchResult, info: dict[str, Any]) -> str:
    """Format a result as a short Markdown report."""
    lines = [
        f"# Benchmark `{name}`",
        "",
        description,
        "",
        "| case | candidate | baseline | candidate | baseline | ratio | target | met |",
        "|---|---|---|---:|---:|---:|---|---|",
    ]
    for row in result.rows:
        met = row.meets_target()
        cells = [
            row.case,
            row.candidate,
            row.baseline,
            format_value(row.candidate_value, row.unit),
            format_value(row.baseline_value, row.unit),
            f"{row.ratio:.3f}",
            row.target or "-",
            "-" if met is None else ("yes" if met else "NO"),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    notes = [f"- {row.case}: {row.notes}" for row in result.rows if row.notes]
    if notes:
        lines += ["", *notes]
    lines += [
        "",
        f"Machine: {info.get('platform')}, "
        f"{info.get('cpu_affinity', info.get('cpu_count'))} cores, "
        f"Python {info.get('python')}, torch {info.get('torch_version', '-')}, "
        f"omicsnet {info.get('omicsnet_version', '-')}. Run {info.get('date', '')}.",
        "",
    ]
    return "\n".join(lines)


def format_value(value: float, unit: str) -> str:
    """A value with its unit; seconds in µs, ms or s.

    Examples
    --------
    >>> format_value(0.0123, "s"), format_value(0.62, "r")
    ('12.3 ms', '0.62 r')
    """
    if unit == "s":
        if value < 1e-3:
            return f"{value * 1e6:.1f} µs"
        return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"
    return f"{value:.4g} {unit}"


def claim_folder(folder: PathLike, *, root: bool = False) -> Path:
    """Make sure omicsnet may write benchmark results into ``folder``; create it.

    The output-folder policy of :func:`omicsnet.utils.output.claim_output_dir`: a new or
    empty folder is created and marked, a marked one is taken, and an unmarked folder of
    published results (``results.json``; for a results root, ``SUMMARY.md`` or
    ``*/results.json``) is adopted. Anything else is a user's folder and raises
    :class:`~omicsnet.errors.OutputExistsError`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> claim_folder(tmp / "runs", root=True).name
    'runs'
    >>> (tmp / "mine").mkdir(); _ = (tmp / "mine" / "notes.txt").write_text("x")
    >>> claim_folder(tmp / "mine")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    omicsnet.errors.OutputExistsError: ...mine already exists and holds files that omicsnet...
    """

    def published(path: Path) -> bool:
        found = (path / "results.json").is_file()
        if root:
            found = found or (path / "SUMMARY.md").is_file() or any(path.glob("*/results.json"))
        return found

    return claim_output_dir(folder, command="omicsnet bench", adopt=published)


def run_entry(
    entry: BenchmarkEntry,
    target: Path,
    *,
    quick: bool = False,
    data_dir: PathLike | None = None,
    resume: bool = False,
) -> tuple[BenchResult, str]:
    """Run one registered benchmark and write ``results.json``/``results.md`` to ``target``.

    ``target`` must be a folder omicsnet may write (see :func:`claim_folder`). Nothing is
    written when the benchmark raises. With ``resume``, the units an earlier, killed run
    kept there (:meth:`BenchContext.units`) are read back instead of computed again;
    without it they are removed first. They are removed once the results are written.
    """
    from omicsnet.bench.units import clear_units
    from omicsnet.utils.paths import get_data_dir

    if not resume:
        clear_units(target, reason="a new run; --resume continues an unfinished one")
    ctx = BenchContext(
        quick=quick,
        data_dir=get_data_dir(data_dir),
        workdir=target,
        repeats=2 if quick else 5,
        resume=resume,
    )
    load_start = load_average()
    if load_start and load_start[0] > BUSY_LOAD:
        logger.warning(
            "load average %.2f > %.1f: timings of %s may be slower than on a quiet machine",
            load_start[0],
            BUSY_LOAD,
            entry.name,
        )
    logger.info("running benchmark %s", entry.name)
    started = time.perf_counter()
    result = entry.func(ctx)
    for row in result.rows:
        row.noise = row.noise or entry.band(row.unit) or ""
        if row.noise:
            parse_band(row.noise)
    info = machine_info()
    info["date"] = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    info["wall_seconds"] = round(time.perf_counter() - started, 3)
    info["quick"] = quick
    info["load_average_start"] = load_start
    info["load_average_end"] = load_average()
    payload = {
        "benchmark": entry.name,
        "description": entry.description,
        "suites": list(entry.suites),
        "machine": info,
        "rows": [row.as_dict() for row in result.rows],
        "details": result.details,
    }
    markdown = render_markdown(entry.name, entry.description, result, info)
    atomic_write_text(target / "results.json", json.dumps(payload, indent=2, default=str))
    atomic_write_text(target / "results.md", markdown)
    clear_units(target, reason="the results are written")
    return result, markdown


def get_benchmark(
    name: str,
    bench_dirs: PathLike | Iterable[PathLike] | None = None,
    *,
    builtin: bool = True,
) -> BenchmarkEntry:
    """The benchmark called ``name``; the error lists the known ones otherwise."""
    found = find_benchmarks(bench_dirs, builtin=builtin)
    if name in found:
        return found[name]
    known = ", ".join(found) or "none found"
    broken = load_errors(bench_dirs, builtin=builtin)
    extra = f"; {len(broken)} benchmark file(s) could not be imported" if broken else ""
    raise ConfigError(
        f"unknown benchmark {name!r} (known: {known}{extra}; see `omicsnet bench list`)"
    )


def published_root(entry: BenchmarkEntry) -> Path:
    """Where ``entry``'s published results live: ``results/`` beside its file."""
    if entry.folder is None:
        raise ConfigError(
            f"benchmark {entry.name!r} was not found in a benchmark folder, so it has no "
            "results folder to publish into; give an output folder instead"
        )
    return entry.folder / "results"


def run_benchmark(
    name: str,
    *,
    out_dir: PathLike | None = None,
    quick: bool = False,
    data_dir: PathLike | None = None,
    bench_dir: PathLike | Iterable[PathLike] | None = None,
    builtin: bool = True,
    resume: bool = False,
) -> tuple[BenchResult, Path, str]:
    """Run benchmark ``name`` and write ``results.json`` and ``results.md``.

    Parameters
    ----------
    name
        Registered benchmark name (see :func:`list_benchmarks`).
    out_dir
        The report folder; default ``omicsnet-bench/NAME`` in the working directory. (To
        publish, use :func:`omicsnet.bench.runner.run_benchmarks` with ``publish=True``,
        which also regenerates ``SUMMARY.md``.)
    quick
        Smaller sizes and fewer repeats (smoke runs).
    data_dir
        Data directory for benchmarks on real data.
    bench_dir
        Folders of ``bench_*.py`` files added to the built-in suites.
    builtin
        Include the built-in suites.
    resume
        Continue a killed run in the same folder, reusing its finished units.

    Returns
    -------
    (result, out_dir, markdown)
    """
    entry = get_benchmark(name, bench_dir, builtin=builtin)
    if out_dir is not None:
        target = claim_folder(out_dir)
    else:
        target = claim_folder(DEFAULT_RUN_ROOT, root=True) / name
    target.mkdir(exist_ok=True)
    result, markdown = run_entry(entry, target, quick=quick, data_dir=data_dir, resume=resume)
    return result, target, markdown


def format_error(err: BaseException) -> str:
    """One line: the exception's type and message."""
    return f"{type(err).__name__}: {' '.join(str(err).split()) or '-'}"


def format_traceback(err: BaseException) -> str:
    return "".join(traceback.format_exception(type(err), err, err.__traceback__))
