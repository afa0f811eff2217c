"""Run trials as Ray tasks, on a local Ray instance or a cluster (``pip install omicsnet[ray]``).

With ``backend: ray`` a campaign connects to ``ray.address`` from its config (a running
cluster, e.g. ``ray://head:10001`` or ``auto``) or, without an address, starts a local
Ray instance. Each trial is one Ray task with ``num_cpus_per_trial`` CPUs and
``num_gpus_per_trial`` GPUs; Ray places it on any node with room, so a campaign can use
more machines than the one it runs on. The campaign process itself stays the only one
that talks to Ax and writes the campaign folder.

Trials write their files to ``context.out_dir``, which must be reachable from the nodes
(a shared file system) when they should be kept; the metrics come back through Ray
either way. The task is imported on the node by its ``"module:function"`` name: install
the module there (or pass a ``runtime_env``). A local instance started here gets the
campaign process's ``sys.path``, so modules importable here are importable in its tasks.

Ray retries nothing here (``max_retries=0``): a task that raises, a worker that crashes
and a node that dies each fail that one trial, with the error recorded.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from omicsnet.search.runners import failed_result
from omicsnet.search.tasks import execute_trial
from omicsnet.utils.executors import import_ray, start_ray

logger = logging.getLogger(__name__)


def _run_on_node(job: dict[str, Any]) -> dict[str, Any]:
    """The Ray task body: pick the GPU Ray assigned, then run the trial."""
    import ray

    gpu_ids = ray.get_gpu_ids()
    if gpu_ids:
        job = {**job, "context": {**job["context"], "device": "cuda"}}
    return execute_trial(job)


class RayRunner:
    """Dispatch trials to Ray, up to ``workers`` at once.

    Parameters
    ----------
    workers
        Trials in flight at once.
    address
        A Ray cluster address (``"auto"``, ``"ray://host:10001"``...); ``None`` starts a
        local instance with ``workers * num_cpus_per_trial`` CPUs.
    num_cpus_per_trial, num_gpus_per_trial
        Resources Ray reserves for each trial.
    runtime_env
        Ray runtime environment for the tasks (packages, working dir, env vars).
    trial_timeout
        Seconds after which a trial is cancelled and recorded as failed.
    init
        Further keyword arguments for ``ray.init``.
    """

    def __init__(
        self,
        workers: int = 1,
        *,
        address: str | None = None,
        num_cpus_per_trial: float = 1,
        num_gpus_per_trial: float = 0,
        runtime_env: dict[str, Any] | None = None,
        trial_timeout: float | None = None,
        init: dict[str, Any] | None = None,
    ) -> None:
        ray = import_ray()
        self._ray = ray
        self.capacity = workers
        self._timeout = trial_timeout
        self._started_here = start_ray(  # unless this process is connected already
            address=address,
            num_cpus=max(1, int(workers * num_cpus_per_trial)),
            runtime_env=runtime_env,
            init=init,
        )
        self._remote = ray.remote(
            num_cpus=num_cpus_per_trial, num_gpus=num_gpus_per_trial, max_retries=0
        )(_run_on_node)
        self._refs: dict[Any, tuple[dict[str, Any], float]] = {}

    def submit(self, job: dict[str, Any]) -> None:
        if len(self._refs) >= self.capacity:
            raise RuntimeError("all trial slots are busy; wait for a result before submitting")
        job = {**job, "capture_output": True}
        self._refs[self._remote.remote(job)] = (job, time.monotonic())

    def running(self) -> list[int]:
        return [int(job["trial_index"]) for job, _ in self._refs.values()]

    def wait(self, timeout: float) -> list[dict[str, Any]]:
        if not self._refs:
            time.sleep(min(timeout, 0.05))
            return []
        ready, _ = self._ray.wait(list(self._refs), num_returns=1, timeout=timeout)
        results: list[dict[str, Any]] = []
        for ref in ready:
            job, started = self._refs.pop(ref)
            try:
                results.append(self._ray.get(ref))
            except Exception as err:  # worker crash, node loss, cancelled task
                message = str(err).strip().splitlines()[0] if str(err).strip() else ""
                error = f"{type(err).__name__}: {message}"
                logger.warning("trial %s failed on Ray: %s", job["trial_index"], error)
                results.append(
                    failed_result(int(job["trial_index"]), error, time.monotonic() - started)
                )
        if self._timeout is not None:
            now = time.monotonic()
            for ref, (job, started) in list(self._refs.items()):
                if now - started > self._timeout:
                    self._ray.cancel(ref, force=True)
                    del self._refs[ref]
                    results.append(
                        failed_result(
                            int(job["trial_index"]),
                            f"TimeoutError: trial ran longer than {self._timeout:g} s",
                            now - started,
                        )
                    )
        return results

    def close(self) -> None:
        for ref in list(self._refs):
            self._ray.cancel(ref, force=True)
        self._refs.clear()
        if self._started_here:
            self._ray.shutdown()
