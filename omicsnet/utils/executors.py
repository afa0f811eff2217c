"""Independent units of work (folds, ensemble members, files, reruns) on a chosen backend.

Cross-validation folds, ensemble members, conversion batches and PCSF randomisations
are independent units: each gets its inputs and its own seed, and returns a result. A
:class:`Backend` says where they run:

``local`` (the default)
    In this process, one unit after another, or, where the caller allows it
    (``processes=True``: mzML conversion, PCSF reruns) and ``workers > 1``, in local
    worker processes (:class:`~omicsnet.utils.workers.WorkerPool`: they stop with this
    process).
``ray``
    As Ray tasks on a running cluster (``address``, e.g. ``"auto"`` or
    ``"ray://head:10001"``) or, without an address, on a local Ray instance started
    here with ``workers`` CPUs (``pip install 'omicsnet[ray]'``). The search campaigns'
    Ray backend (:mod:`omicsnet.search.ray_backend`) starts Ray the same way
    (:func:`start_ray`).

:class:`UnitExecutor` runs a function over the units and hands back each result as
soon as its unit finishes, in the calling process, so that the caller can save it at
once (a killed run keeps what finished). The function is sent once per worker process
(Ray: put once in the object store and kept by each worker), the units are small
(a split, a member number, a file name).

**Same results on every backend.** A unit must depend only on its inputs and its own
seed, never on what ran before it in the same process: every caller seeds each unit
(ensemble members by their seed, folds by their members' seeds, PCSF reruns by their own
child of one ``SeedSequence``). One more thing can change floating-point results: the
number of threads torch uses inside a unit (its CPU reductions are split by thread).
:attr:`Backend.threads` sets it for each unit on every backend; Ray units default to
their ``cpus_per_unit``. Give the local run the same number to compare bit for bit.

Examples
--------
>>> with UnitExecutor(Backend("local")) as executor:
...     [tuple(result) for result in executor.run(pow, [(2, 3), (3, 2)])]
[(0, 8), (1, 9)]
>>> Backend.parse("ray", workers=4).workers
4
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from omicsnet.errors import ConfigError

logger = logging.getLogger(__name__)

BACKENDS = ("local", "ray")
"""Backend names accepted by :class:`Backend` and ``--backend``."""


@dataclass(frozen=True)
class Backend:
    """Where independent units run (see the module docs).

    Attributes
    ----------
    name
        ``"local"`` or ``"ray"``.
    workers
        Units at once. Local: worker processes where the caller allows them (``None`` or
        1: in this process). Ray: the CPUs of the local instance started here (default
        2), or at most this many tasks in flight on a cluster (``None``: as many as the
        cluster takes).
    address
        Ray cluster address (``"auto"``, ``"ray://host:10001"``); ``None`` starts a local
        instance. Only with ``name="ray"``.
    cpus_per_unit, gpus_per_unit
        Resources Ray reserves for each unit.
    threads
        torch threads inside each unit (default: this process's setting for local units,
        ``cpus_per_unit`` for Ray units).
    runtime_env
        Ray runtime environment (packages, environment variables); a local instance
        started here gets this process's ``sys.path`` by default.
    """

    name: str = "local"
    workers: int | None = None
    address: str | None = None
    cpus_per_unit: float = 1.0
    gpus_per_unit: float = 0.0
    threads: int | None = None
    runtime_env: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.name not in BACKENDS:
            raise ConfigError(f"backend must be one of {', '.join(BACKENDS)}; got {self.name!r}")
        for label, value in (("workers", self.workers), ("threads", self.threads)):
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 1
            ):
                raise ConfigError(f"{label} must be a positive whole number; got {value!r}")
        if self.address is not None and self.name != "ray":
            raise ConfigError("an address is for the Ray backend: add --backend ray")
        if not self.cpus_per_unit > 0 or self.gpus_per_unit < 0:
            raise ConfigError(
                f"cpus_per_unit must be > 0 and gpus_per_unit >= 0; got "
                f"{self.cpus_per_unit}, {self.gpus_per_unit}"
            )

    @classmethod
    def parse(
        cls,
        value: Backend | str | Mapping[str, Any] | None,
        *,
        workers: int | None = None,
        address: str | None = None,
    ) -> Backend:
        """A :class:`Backend` from a name, a mapping of its fields, or ``None`` (local).

        ``workers`` and ``address`` fill in what ``value`` leaves unset.

        Examples
        --------
        >>> Backend.parse(None).name, Backend.parse("ray", workers=2).workers
        ('local', 2)
        >>> Backend.parse({"name": "ray", "address": "auto"}).address
        'auto'
        >>> Backend.parse("slurm")
        Traceback (most recent call last):
        ...
        omicsnet.errors.ConfigError: backend must be one of local, ray; got 'slurm'
        """
        if isinstance(value, Backend):
            backend = value
        elif value is None or isinstance(value, str):
            backend = cls(value or "local", address=address)
        elif isinstance(value, Mapping):
            unknown = sorted(set(value) - set(cls.__dataclass_fields__))
            if unknown:
                raise ConfigError(
                    f"backend: unknown keys {unknown}; known: {sorted(cls.__dataclass_fields__)}"
                )
            backend = cls(**dict(value))
        else:
            raise ConfigError(f"backend must be a name or a mapping; got {type(value).__name__}")
        if backend.workers is None and workers is not None:
            backend = replace(backend, workers=int(workers))
        if backend.address is None and address is not None:
            backend = replace(backend, address=address)
        return backend

    @property
    def unit_threads(self) -> int | None:
        """torch threads each unit runs with (``None``: left as they are)."""
        if self.threads is not None:
            return self.threads
        return max(1, int(self.cpus_per_unit)) if self.name == "ray" else None


# ------------------------------------------------------------------------ Ray start-up


def import_ray() -> Any:
    """Import ray, or explain how to install it."""
    try:
        import ray
    except ImportError as err:
        raise ConfigError(
            "the Ray backend needs the Ray package: pip install 'omicsnet[ray]' (or pip install "
            "ray)"
        ) from err
    return ray


def start_ray(
    *,
    address: str | None = None,
    num_cpus: float | None = None,
    runtime_env: Mapping[str, Any] | None = None,
    init: Mapping[str, Any] | None = None,
) -> bool:
    """Connect to Ray, unless this process already is: to ``address``, or a new local instance.

    A local instance gets ``num_cpus`` CPUs and, without a ``runtime_env``, this
    process's ``sys.path`` (so that modules importable here are importable in its
    tasks). The dashboard is off and the workers' output is not copied here.

    Returns
    -------
    bool
        Whether Ray was started (or connected) here: the caller then shuts it down.
    """
    ray = import_ray()
    if ray.is_initialized():
        return False
    kwargs: dict[str, Any] = {
        "include_dashboard": False,
        "log_to_driver": False,
        "configure_logging": False,
        **dict(init or {}),
    }
    env = dict(runtime_env) if runtime_env is not None else None
    if address is not None:
        kwargs["address"] = address
    else:
        if num_cpus is not None:
            kwargs.setdefault("num_cpus", num_cpus)
        if env is None:  # a local instance imports what this process can
            path = os.pathsep.join(p for p in sys.path if p and os.path.isdir(p))
            env = {"env_vars": {"PYTHONPATH": path}}
    if env is not None:
        kwargs["runtime_env"] = env
    started = time.perf_counter()
    try:
        ray.init(**kwargs)
    except ConnectionError as err:
        raise ConfigError(f"cannot reach the Ray cluster at {address}: {err}") from err
    logger.info(
        "Ray %s in %.1f s",
        f"connected to {address}" if address else "started locally",
        time.perf_counter() - started,
    )
    return True


# ------------------------------------------------------------------------------ units


def _set_threads(threads: int | None) -> int | None:
    """Set torch's thread count (when torch is in use); return the previous one."""
    if threads is None:
        return None
    torch = sys.modules.get("torch")
    if torch is None:
        return None
    previous = int(torch.get_num_threads())
    if previous != threads:
        torch.set_num_threads(int(threads))
    return previous


@contextlib.contextmanager
def unit_threads(threads: int | None) -> Iterator[None]:
    """Run a block with ``threads`` torch threads, then restore the previous setting.

    Examples
    --------
    >>> import torch
    >>> before = torch.get_num_threads()
    >>> with unit_threads(1):
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    previous = _set_threads(threads)
    try:
        yield
    finally:
        if previous is not None:
            _set_threads(previous)


# the unit function of this worker process (set by the pool's initializer)
_LOCAL_FN: Callable[..., Any] | None = None
# unit functions fetched by this Ray worker, by object id (sent once per worker)
_RAY_FNS: dict[str, Callable[..., Any]] = {}
_RAY_FNS_KEPT = 4


def _init_local_worker(fn: Callable[..., Any], threads: int | None) -> None:
    global _LOCAL_FN
    _LOCAL_FN = fn
    _set_threads(threads)


def _call_local(index: int, unit: tuple[Any, ...]) -> tuple[int, Any]:
    if _LOCAL_FN is None:  # pragma: no cover - the initializer always runs first
        raise RuntimeError("unit worker was not initialised")
    return index, _LOCAL_FN(*unit)


def _call_on_ray(holder: list[Any], index: int, unit: tuple[Any, ...], threads: int | None) -> Any:
    """The Ray task body: fetch the unit function once per worker, then run one unit."""
    import ray

    ref = holder[0]  # wrapped in a list, so that Ray hands over the reference, not the value
    key = ref.hex()
    fn = _RAY_FNS.get(key)
    if fn is None:
        fn = ray.get(ref)
        while len(_RAY_FNS) >= _RAY_FNS_KEPT:
            _RAY_FNS.pop(next(iter(_RAY_FNS)))
        _RAY_FNS[key] = fn
    with unit_threads(threads):
        return fn(*unit)


@dataclass(order=True)
class UnitResult:
    """One finished unit: its position in the input and its value, or the error it raised.

    Unpacks as ``index, value`` (see :meth:`UnitExecutor.run`).
    """

    index: int
    value: Any = None
    error: BaseException | None = None

    def __iter__(self) -> Iterator[Any]:
        return iter((self.index, self.value))


def _cause(err: BaseException) -> BaseException:
    """The user's exception inside a Ray task error (so a ``ConfigError`` stays one)."""
    cause = getattr(err, "cause", None)
    return cause if isinstance(cause, BaseException) else err


class UnitExecutor:
    """Run a function over independent units on a :class:`Backend`.

    Use as a context manager: leaving the block by an exception (Ctrl-C, SIGTERM, an
    error) stops the units still running (local workers are stopped, Ray tasks
    cancelled); a Ray instance started here is shut down either way.

    Parameters
    ----------
    backend
        Where the units run (a :class:`Backend`, a name, a mapping or ``None``: local).
    processes
        Local backend: use ``backend.workers`` worker processes when it is above 1 (the
        function and its arguments must then be picklable). ``False`` runs local units in
        this process (functions that close over data, training with torch's threads).
    desc
        What the units are (for log messages).

    Examples
    --------
    >>> with UnitExecutor("local") as executor:
    ...     [(i, value) for i, value in executor.run(divmod, [(7, 2), (9, 4)])]
    [(0, (3, 1)), (1, (2, 1))]
    """

    def __init__(
        self,
        backend: Backend | str | Mapping[str, Any] | None = None,
        *,
        processes: bool = False,
        desc: str = "units",
    ) -> None:
        self.backend = Backend.parse(backend)
        self.processes = processes
        self.desc = desc
        self._pool: Any = None
        self._refs: dict[Any, int] = {}
        self._ray_started = False

    @property
    def is_local(self) -> bool:
        """Whether units run in this process (local backend without worker processes)."""
        return self.backend.name == "local" and not (
            self.processes and (self.backend.workers or 1) > 1
        )

    def __enter__(self) -> UnitExecutor:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        self.close(stop=exc_type is not None)
        return False

    def close(self, *, stop: bool = True) -> None:
        """Stop what is still running (``stop``) and release the workers."""
        if self._pool is not None:
            if stop:
                self._pool.stop()
            else:
                self._pool.shutdown(wait=True)
            self._pool = None
        if self._refs:
            ray = sys.modules.get("ray")
            for ref in list(self._refs):
                with contextlib.suppress(Exception):
                    ray.cancel(ref, force=True)  # type: ignore[union-attr]
            self._refs.clear()
        if self._ray_started:
            self._ray_started = False
            with contextlib.suppress(Exception):
                import_ray().shutdown()

    def run(
        self,
        fn: Callable[..., Any],
        units: Sequence[tuple[Any, ...]],
        *,
        errors: str = "raise",
    ) -> Iterator[UnitResult]:
        """Call ``fn(*unit)`` for every unit; yield each result as soon as it is ready.

        Local units run in input order, each when the previous result has been taken;
        worker processes and Ray hand results back in the order they finish. Each is a
        :class:`UnitResult` (``index, value = result``).

        Parameters
        ----------
        fn
            The unit function. Ray and worker processes receive it once (it may close
            over large data); Ray pickles it with cloudpickle, worker processes with
            pickle.
        units
            One tuple of arguments per unit.
        errors
            ``"raise"``: a unit's exception is raised here (for Ray, the task's own
            exception, e.g. a :class:`~omicsnet.errors.ConfigError`), and the other
            units are stopped when the ``with`` block ends. ``"return"``: it comes back
            as :attr:`UnitResult.error`, and the other units go on (a crashed worker
            process or Ray worker fails only its unit).
        """
        if errors not in ("raise", "return"):
            raise ConfigError(f"errors must be 'raise' or 'return'; got {errors!r}")
        units = [tuple(unit) for unit in units]
        if not units:
            return iter(())
        if self.backend.name == "ray":
            return self._run_ray(fn, units, errors)
        if self.is_local:
            return self._run_here(fn, units, errors)
        return self._run_processes(fn, units, errors)

    # ----------------------------------------------------------------- the backends

    def _run_here(
        self, fn: Callable[..., Any], units: list[tuple[Any, ...]], errors: str
    ) -> Iterator[UnitResult]:
        threads = self.backend.unit_threads
        for index, unit in enumerate(units):
            with unit_threads(threads):
                if errors == "raise":
                    yield UnitResult(index, fn(*unit))
                    continue
                try:
                    value = fn(*unit)
                except Exception as err:
                    yield UnitResult(index, error=err)
                else:
                    yield UnitResult(index, value)

    def _run_processes(
        self, fn: Callable[..., Any], units: list[tuple[Any, ...]], errors: str
    ) -> Iterator[UnitResult]:
        from concurrent.futures import as_completed

        from omicsnet.utils.workers import WorkerPool

        workers = min(int(self.backend.workers or 1), len(units))
        self._pool = WorkerPool(
            max_workers=workers,
            initializer=_init_local_worker,
            initargs=(fn, self.backend.unit_threads),
        )
        futures = {
            self._pool.submit(_call_local, index, unit): index for index, unit in enumerate(units)
        }
        for future in as_completed(futures):
            try:
                index, value = future.result()
            except Exception as err:  # the unit raised, or its worker died
                if errors == "raise":
                    raise
                yield UnitResult(futures[future], error=err)
            else:
                yield UnitResult(index, value)
        pool, self._pool = self._pool, None
        pool.shutdown(wait=True)

    def _run_ray(
        self, fn: Callable[..., Any], units: list[tuple[Any, ...]], errors: str
    ) -> Iterator[UnitResult]:
        ray = import_ray()
        backend = self.backend
        if start_ray(
            address=backend.address,
            num_cpus=(backend.workers or 2) * backend.cpus_per_unit,
            runtime_env=backend.runtime_env,
        ):
            self._ray_started = True
        remote = ray.remote(
            num_cpus=backend.cpus_per_unit, num_gpus=backend.gpus_per_unit, max_retries=0
        )(_call_on_ray)
        holder = [ray.put(fn)]  # sent once; each worker keeps it (see _call_on_ray)
        limit = backend.workers if backend.address is not None else None
        pending = list(enumerate(units))
        pending.reverse()
        threads = backend.unit_threads
        logger.info("%d %s on Ray", len(units), self.desc)

        def submit() -> None:
            while pending and (limit is None or len(self._refs) < limit):
                index, unit = pending.pop()
                self._refs[remote.remote(holder, index, unit, threads)] = index

        submit()
        while self._refs:
            ready, _ = ray.wait(list(self._refs), num_returns=1)
            for ref in ready:
                index = self._refs.pop(ref)
                try:
                    value = ray.get(ref)
                except Exception as err:  # the task raised, its worker died, node lost
                    if errors == "raise":
                        raise _cause(err) from None
                    yield UnitResult(index, error=_cause(err))
                else:
                    yield UnitResult(index, value)
            submit()


# ------------------------------------------------------------------ command-line glue


def add_backend_arguments(parser: argparse.ArgumentParser, *, units: str) -> None:
    """``--backend local|ray`` and ``--address ADDR`` for a command that runs ``units``.

    Examples
    --------
    >>> parser = argparse.ArgumentParser()
    >>> add_backend_arguments(parser, units="CV folds")
    >>> backend_from_args(parser.parse_args(["--backend", "ray", "--address", "auto"])).address
    'auto'
    """
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        default="local",
        help=f"where the {units} run: local (default) or ray (a Ray cluster given by "
        "--address, or a local Ray instance; pip install 'omicsnet[ray]')",
    )
    parser.add_argument(
        "--address",
        help="Ray cluster address (auto, ray://HOST:10001); without it --backend ray "
        "starts a local Ray instance",
    )


def backend_from_args(args: argparse.Namespace, *, workers: int | None = None) -> Backend:
    """The :class:`Backend` of ``--backend``/``--address`` (``workers``: units at once)."""
    name = getattr(args, "backend", None) or "local"
    address = getattr(args, "address", None)
    if address is not None and name != "ray":
        raise ConfigError("--address is for the Ray backend: add --backend ray")
    return Backend(name, workers=workers, address=address)


__all__ = [
    "BACKENDS",
    "Backend",
    "UnitExecutor",
    "UnitResult",
    "add_backend_arguments",
    "backend_from_args",
    "import_ray",
    "start_ray",
    "unit_threads",
]
