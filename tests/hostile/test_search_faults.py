"""Search campaigns against bad paths and badly timed kills.

Before the fix, a campaign config whose ``experiment:`` path escaped its folder ran every
trial into the same failure, burning the budget; now every path of the config is checked
before the first trial (one line, exit 2). And a trial killed right after its function
returned was run again on resume; now its result is durable (``result.json``, written in
the worker) before it is reported, and resume completes it from there.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import textwrap
import time
from pathlib import Path

import pytest
import yaml

from omicsnet.errors import ConfigError, DataNotFoundError
from omicsnet.search.settings import CampaignSettings, check_paths
from omicsnet.search.tasks import execute_trial
from omicsnet.utils.signals import Terminated, stop_on_signals, stop_requested
from tests.hostile.helpers import omicsnet_command, run_command

SPACE = {"x": {"type": "range", "bounds": [0.0, 1.0]}}
EXPERIMENT = {
    "model": {"name": "mlp", "config": {"hidden": [4]}},
    "data": {"dataset": "synthetic_omics", "params": {"n_samples": 40, "n_genes": 5}},
    "trainer": {"max_epochs": 1, "progress": False},
}


def _study(tmp_path: Path, task_options: dict, **extra) -> Path:
    study = tmp_path / "study"
    study.mkdir(exist_ok=True)
    config = {"task": "train", "parameters": {"lr": {"type": "range", "bounds": [1e-3, 1e-1]}},
              "objectives": "val_loss", "trials": 3, "backend": "inline",
              "generation": {"method": "random_search"},
              "task_options": {"set": {"lr": "trainer.lr"}, **task_options}, **extra}  # fmt: skip
    path = study / "search.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_an_escaping_experiment_path_is_refused_before_any_trial(tmp_path):
    (tmp_path / "outside.yaml").write_text(yaml.safe_dump(EXPERIMENT))
    config = _study(tmp_path, {"experiment": "../outside.yaml"})
    out = tmp_path / "study" / "campaign"
    result = run_command(
        omicsnet_command("search", "run", str(config), "--out", str(out), "--no-progress")
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("omicsnet: error: task_options.experiment:")
    assert "'../outside.yaml' must stay inside" in lines[0]
    assert not out.exists(), "nothing may be written (and no trial run) for a refused config"


def test_a_symbolic_link_leading_outside_is_refused(tmp_path):
    (tmp_path / "outside.yaml").write_text(yaml.safe_dump(EXPERIMENT))
    config = _study(tmp_path, {"experiment": "experiment.yaml"})
    os.symlink(tmp_path / "outside.yaml", tmp_path / "study" / "experiment.yaml")
    settings = CampaignSettings.from_file(config)
    with pytest.raises(ConfigError, match="task_options.experiment: .*symbolic link"):
        check_paths(settings)


def test_paths_inside_the_experiment_file_are_checked_too(tmp_path):
    experiment = {**EXPERIMENT, "data": {"features": "../../secret.csv", "targets": "y.csv"}}
    config = _study(tmp_path, {"experiment": "experiment.yaml"})
    (tmp_path / "study" / "experiment.yaml").write_text(yaml.safe_dump(experiment))
    with pytest.raises(ConfigError, match=r"experiment.yaml: data.features: '../../secret.csv'"):
        check_paths(CampaignSettings.from_file(config))


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"experiment": "missing.yaml"}, ConfigError, "'missing.yaml' is not a file"),
        ({"experiment": {**EXPERIMENT, "data": {"features": "/etc/passwd"}}}, ConfigError,
         r"task_options.experiment.data.features: '/etc/passwd' must stay inside"),
        ({"experiment": "e.yaml", "extra": ["ok.csv", "data:nowhere/x.csv"]}, DataNotFoundError,
         "task_options.extra.1"),
    ],
    ids=["missing-experiment", "absolute-in-inline-experiment", "missing-data-file"],
)  # fmt: skip
def test_bad_paths_are_one_line_errors(tmp_path, options, error, message):
    (tmp_path / "study").mkdir()
    (tmp_path / "study" / "e.yaml").write_text(yaml.safe_dump(EXPERIMENT))
    data = tmp_path / "data"
    data.mkdir()
    settings = CampaignSettings.from_file(_study(tmp_path, options))
    with pytest.raises(error, match=message) as caught:
        check_paths(settings, data_dir=str(data))
    assert "\n" not in str(caught.value)


def test_good_paths_and_plain_strings_pass(tmp_path):
    (tmp_path / "study").mkdir()
    (tmp_path / "study" / "e.yaml").write_text(yaml.safe_dump(EXPERIMENT))
    (tmp_path / "data" / "sets").mkdir(parents=True)
    (tmp_path / "data" / "sets" / "x.csv").write_text("a\n1\n")
    options = {"experiment": "e.yaml", "scheduler": "cosine", "table": "data:sets/x.csv",
               "note": "lr..wd"}  # fmt: skip
    settings = CampaignSettings.from_file(_study(tmp_path, options, output="runs/s"))
    resolved = check_paths(settings, data_dir=str(tmp_path / "data"))
    assert tmp_path / "study" / "e.yaml" in resolved
    assert tmp_path / "data" / "sets" / "x.csv" in resolved
    assert tmp_path / "study" / "runs" / "s" in resolved


# ---------------------------------------------------------------- killed after the return

DRIVER = """
import os, sys
from omicsnet.search import campaign

def killed(*args, **kwargs):  # the campaign dies the moment the result reaches it
    os._exit(137)

campaign._report = killed
campaign.run_campaign(sys.argv[1], output=sys.argv[2], progress=False)
"""


@pytest.mark.parametrize("backend", ["local", pytest.param("inline", marks=pytest.mark.slow)])
def test_a_trial_killed_right_after_its_function_returned_is_not_run_again(tmp_path, backend):
    pytest.importorskip("ax")
    from omicsnet.search.campaign import load_campaign, resume_campaign

    study = tmp_path / "study"
    (study / "calls").mkdir(parents=True)
    config = {"task": "tests.hostile.search_tasks:counting_task", "parameters": SPACE,
              "objectives": "loss", "trials": 1, "backend": backend,
              "generation": {"method": "random_search"},
              "task_options": {"calls": "calls"}}  # fmt: skip
    (study / "search.json").write_text(json.dumps(config))
    directory = study / "campaign"
    driver = [sys.executable, "-c", textwrap.dedent(DRIVER)]
    killed = run_command([*driver, str(study / "search.json"), str(directory)], OMP_NUM_THREADS="1")
    assert killed.returncode == 137, killed.stderr
    assert len(list((study / "calls").iterdir())) == 1  # the task ran, then the kill came
    assert load_campaign(directory).counts() == {"running": 1}

    campaign = resume_campaign(directory, progress=False)
    assert campaign.counts() == {"completed": 1}
    assert len(list((study / "calls").iterdir())) == 1, "the finished trial was run again"
    saved = json.loads((directory / "trials" / "00000" / "result.json").read_text())
    table = campaign.table().set_index("trial_index")
    assert table.loc[0, "loss"] == saved["metrics"]["loss"]


def swallowing_task(parameters, context):
    """A careless task: Ctrl-C or SIGTERM cuts it short, and it reports success anyway."""
    try:
        signal.raise_signal(signal.SIGTERM)
        time.sleep(5)
    except BaseException:
        return {"loss": 0.0}
    return {"loss": 1.0}


def test_a_trial_that_swallows_a_stop_gets_no_result(tmp_path):
    job = {"trial_index": 0, "task": f"{__name__}:swallowing_task", "parameters": {"x": 0.5},
           "context": {"trial_index": 0, "seed": 0, "out_dir": str(tmp_path)},
           "objectives": ["loss"]}  # fmt: skip
    with stop_on_signals(), pytest.raises(Terminated):
        execute_trial(job)
    assert not (tmp_path / "result.json").exists()  # so resume runs it again
    assert stop_requested() is None  # the stop belonged to that block only
    job["task"] = "tests.hostile.search_tasks:counting_task"
    job["context"]["base_dir"], job["context"]["options"] = str(tmp_path), {"calls": "calls"}
    (tmp_path / "calls").mkdir()
    assert execute_trial(job)["status"] == "completed"
