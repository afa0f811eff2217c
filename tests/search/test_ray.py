"""The Ray backend: a campaign dispatched to a local Ray instance (``ray.init(num_cpus=2)``)."""

from __future__ import annotations

import os

import pytest

# Ray tasks import this module to find the task below: keep top-level imports light.


def ray_task(parameters, context):
    """Fails for trial 1 (an exception) and crashes the Ray worker for trial 2."""
    if context.trial_index == 1:
        raise RuntimeError("out of memory building block 2")
    if context.trial_index == 2:
        os._exit(9)
    return {"loss": (parameters["x"] - 0.25) ** 2, "pid": os.getpid()}


def test_campaign_on_a_local_ray_instance(tmp_path):
    pytest.importorskip("ray", reason="the Ray backend needs ray: pip install 'omicsnet[ray]'")
    pytest.importorskip("ax")
    import ray

    from omicsnet.search.campaign import run_campaign

    config = {
        "task": f"{__name__}:ray_task",
        "parameters": {"x": {"type": "range", "bounds": [0.0, 1.0]}},
        "objectives": "loss",
        "trials": 5,
        "workers": 2,
        "backend": "ray",
        "ray": {"num_cpus_per_trial": 1},
        "generation": {"method": "random_search"},
    }
    campaign = run_campaign(config, output=tmp_path / "ray", progress=False)
    assert not ray.is_initialized()  # the instance the campaign started is shut down
    table = campaign.table().set_index("trial_index")
    assert campaign.counts() == {"completed": 3, "failed": 2}
    assert table.loc[1, "error"] == "RuntimeError: out of memory building block 2"
    assert table.loc[2, "error"].startswith("WorkerCrashedError: ")
    done = table[table["status"] == "completed"]
    assert (done["loss"] == (done["x"] - 0.25) ** 2).all()
    assert os.getpid() not in set(done["pid"])  # trials ran in Ray's workers, not here
