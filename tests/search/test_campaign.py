"""Search campaigns: parallel workers, failing trials, resume after SIGKILL, Pareto, CLI."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from omicsnet.search.runners import LocalRunner
from omicsnet.search.settings import Objective
from omicsnet.search.storage import CampaignBusyError, CampaignLock, trial_dir

# Workers import this module to find the tasks below: keep its top-level imports light
# (Ax is imported inside the tests that need it).

REPO = Path(__file__).resolve().parents[2]
XY = {
    "x1": {"type": "range", "bounds": [0.0, 1.0]},
    "x2": {"type": "range", "bounds": [0.0, 1.0]},
}


# ----------------------------------------------------------------- tasks run by workers


def timed_task(parameters, context):
    """Sleeps, and reports when it ran (to see trials overlap) and how often it ran."""
    (Path(context.out_dir) / f"call-{time.time_ns()}").touch()
    if context.options.get("noise"):
        os.write(1, b"not a result line\n")  # C-level output on fd 1
    start = time.time()
    time.sleep(float(context.options.get("sleep", 0.0)))
    return {"loss": (parameters["x1"] - 0.3) ** 2 + parameters["x2"], "t_start": start,
            "t_end": time.time(), "pid": os.getpid()}  # fmt: skip


def flaky_task(parameters, context):
    """Trial 1 raises, trial 2 kills its worker process; the others succeed."""
    if context.trial_index == 1:
        print("building the network for trial 1")
        raise ValueError(f"cannot build a network with x1={parameters['x1']:.3f}")
    if context.trial_index == 2:
        os._exit(7)
    return timed_task(parameters, context)


def sleepy_task(parameters, context):
    time.sleep(60)
    return {"loss": 0.0}


def _job(index, task, tmp_path, options=None):
    return {"trial_index": index, "task": task, "parameters": {"x1": 0.5, "x2": 0.0},
            "context": {"trial_index": index, "seed": index, "out_dir": str(tmp_path / str(index)),
                        "options": options or {}},
            "objectives": ["loss"]}  # fmt: skip


def _drain(runner, timeout=120):
    results, deadline = [], time.monotonic() + timeout
    while runner.running() and time.monotonic() < deadline:
        results += runner.wait(timeout=5)
    return {r["trial_index"]: r for r in results}


# --------------------------------------------------------------------------------- tests


def test_local_runner_isolates_crashes_and_timeouts(tmp_path):
    runner = LocalRunner(workers=2, trial_timeout=10)
    try:
        runner.submit(_job(2, f"{__name__}:flaky_task", tmp_path))  # the worker dies
        runner.submit(_job(5, f"{__name__}:sleepy_task", tmp_path))  # runs past the timeout
        results = _drain(runner)
        assert results[2]["error"] == "WorkerCrashed: the worker process exited with code 7"
        assert results[5]["error"] == "TimeoutError: trial ran longer than 10 s"
        # both workers were replaced and still work; task output went to trial.log
        runner.submit(_job(0, f"{__name__}:timed_task", tmp_path, {"noise": True}))
        runner.submit(_job(1, f"{__name__}:flaky_task", tmp_path))
        results = _drain(runner)
    finally:
        runner.close()
    assert results[0]["status"] == "completed" and results[0]["metrics"]["loss"] == pytest.approx(
        0.04
    )
    assert results[1]["error"] == "ValueError: cannot build a network with x1=0.500"
    assert "Traceback" in results[1]["traceback"] and "flaky_task" in results[1]["traceback"]
    # what the task printed went to the trial's log, not into the worker protocol
    assert "building the network for trial 1" in (tmp_path / "1" / "trial.log").read_text()


@pytest.fixture
def ax_search():
    """The campaign API (skips when Ax is not installed)."""
    pytest.importorskip("ax")
    from omicsnet.search import campaign

    return campaign


def test_parallel_campaign_records_failed_trials_and_goes_on(tmp_path, ax_search):
    config = {"task": f"{__name__}:flaky_task", "parameters": XY, "objectives": "loss",
              "trials": 6, "workers": 2, "generation": {"method": "random_search"},
              "task_options": {"sleep": 1.5}}  # fmt: skip
    campaign = ax_search.run_campaign(config, output=tmp_path / "c", progress=False)
    table = campaign.table().set_index("trial_index")
    assert campaign.counts() == {"completed": 4, "failed": 2}
    assert table.loc[1, "error"].startswith("ValueError: cannot build a network with x1=")
    assert table.loc[2, "error"] == "WorkerCrashed: the worker process exited with code 7"
    done = table[table["status"] == "completed"]
    assert done["loss"].notna().all() and table.loc[[1, 2], "loss"].isna().all()
    # two workers: some completed trials overlapped in time, in different processes
    spans = sorted(zip(done["t_start"], done["t_end"], done["pid"], strict=True))
    overlaps = [(a, b) for a, b in itertools.pairwise(spans) if b[0] < a[1]]
    assert overlaps and all(a[2] != b[2] for a, b in overlaps)
    # every trial has its result.json; the CSV on disk is the same table
    for index in table.index:
        saved = json.loads((trial_dir(campaign.directory, index) / "result.json").read_text())
        assert saved["status"] == table.loc[index, "status"]
    on_disk = pd.read_csv(campaign.directory / "trials.csv")
    assert on_disk["trial_index"].tolist() == sorted(table.index)
    assert (campaign.directory / "progress.png").stat().st_size > 0
    best = campaign.best()
    assert best["loss"] == done["loss"].min()


def _wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _snapshot_counts(directory):
    """Trials per status in the stored snapshot (read the way a second process would)."""
    path = directory / "experiment.json"
    if not path.is_file():
        return {}
    snapshot = json.loads(path.read_text())  # written atomically: never half a file
    counts = {}
    for trial in snapshot["experiment"]["trials"].values():
        counts[trial["status"]["name"]] = counts.get(trial["status"]["name"], 0) + 1
    return counts


def test_killed_campaign_resumes_without_losing_or_rerunning_trials(tmp_path, ax_search):
    config = {"task": f"{__name__}:timed_task", "parameters": XY, "objectives": "loss",
              "trials": 7, "workers": 2, "generation": {"method": "random_search"},
              "task_options": {"sleep": 1.5}, "output": "campaign"}  # fmt: skip
    (tmp_path / "search.json").write_text(json.dumps(config))
    directory = tmp_path / "campaign"
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "omicsnet", "search", "run", "--config", "search.json", "-q"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for(
            lambda: (
                (c := _snapshot_counts(directory)).get("COMPLETED", 0) >= 3
                and c.get("RUNNING", 0) >= 1
            ),
            300,
            "3 completed trials and one running",
        )
        with pytest.raises(CampaignBusyError):  # the running campaign holds the lock
            CampaignLock(directory).acquire()
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    before = ax_search.load_campaign(directory)
    old = before.table().set_index("trial_index")
    finished = old[old["status"] == "completed"]
    running = old[old["status"] == "running"]
    assert len(finished) >= 3 and len(running) >= 1, old[["status"]]

    campaign = ax_search.resume_campaign(directory, progress=False)
    table = campaign.table().set_index("trial_index")
    # finished trials: same indices, parameters and results
    cols = ["status", "loss", "x1", "x2", "t_start"]
    pd.testing.assert_frame_equal(table.loc[finished.index, cols], finished[cols])
    # and none of them ran again (one call marker per trial folder)
    for index in finished.index:
        assert len(list(trial_dir(directory, index).glob("call-*"))) == 1
    # trials interrupted by the kill are abandoned and their parameters run again; under a
    # heavy load one may have written its result between the last snapshot and the kill:
    # that one is completed from its result file, not run again
    for index, row in running.iterrows():
        if table.loc[index, "status"] == "completed":
            assert (trial_dir(directory, index) / "result.json").is_file()
            assert len(list(trial_dir(directory, index).glob("call-*"))) == 1
            continue
        assert table.loc[index, "status"] == "abandoned"
        assert "interrupted" in table.loc[index, "error"]
        again = table[(table["x1"] == row["x1"]) & (table["x2"] == row["x2"])]
        assert set(again["status"]) == {"abandoned", "completed"}
    assert campaign.n_finished == 7 == int((table["status"] == "completed").sum())
    # the budget can be extended later; finished trials stay as they are
    campaign = ax_search.resume_campaign(directory, trials=8, backend="inline", progress=False)
    assert campaign.n_finished == 8
    assert ax_search.load_campaign(directory).settings.trials == 8


def test_result_written_before_the_snapshot_is_not_run_again(tmp_path, ax_search):
    from omicsnet.search.campaign import Campaign, _new_client, _write_table
    from omicsnet.search.settings import CampaignSettings
    from omicsnet.search.storage import save_snapshot, write_campaign_file, write_result
    from omicsnet.search.tasks import execute_trial

    settings = CampaignSettings.from_dict(
        {
            "task": f"{__name__}:timed_task",
            "parameters": XY,
            "objectives": "loss",
            "trials": 2,
            "backend": "inline",
            "generation": {"method": "random_search"},
        }
    )
    directory = tmp_path / "c"
    directory.mkdir()
    write_campaign_file(directory, settings.to_dict(), settings.base_dir)
    client = _new_client(settings)
    (index, parameters), *_ = client.get_next_trials(max_trials=1).items()
    save_snapshot(client, directory / "experiment.json")  # trial 0 RUNNING in the snapshot
    job = _job(index, settings.task, tmp_path)
    job["parameters"], job["context"]["out_dir"] = parameters, str(trial_dir(directory, index))
    result = execute_trial(job)  # the trial finished and its result.json was written ...
    write_result(directory, {**result, "parameters": parameters})  # ... then the kill came
    _write_table(Campaign(directory, settings, client))

    campaign = ax_search.resume_campaign(directory, progress=False)
    table = campaign.table().set_index("trial_index")
    assert table.loc[index, "status"] == "completed"
    assert table.loc[index, "loss"] == result["metrics"]["loss"]
    assert len(list(trial_dir(directory, index).glob("call-*"))) == 1
    assert campaign.counts() == {"completed": 2}


def test_multi_objective_campaign_reports_the_pareto_front(tmp_path, ax_search):
    params = {f"x{i}": {"type": "range", "bounds": [0.0, 1.0]} for i in (1, 2, 3)}
    config = {"task": "analytic", "task_options": {"function": "zdt1"}, "parameters": params,
              "objectives": {"f1": "minimize", "f2": "minimize"}, "trials": 8,
              "backend": "inline", "generation": {"method": "random_search"}}  # fmt: skip
    campaign = ax_search.run_campaign(config, output=tmp_path / "moo", progress=False)
    table = campaign.table()
    front = campaign.pareto_front()
    # brute force: a trial is on the front iff no other trial is <= on both and < on one
    points = table[["f1", "f2"]].to_numpy()
    expected = {
        int(table.loc[i, "trial_index"])
        for i, p in enumerate(points)
        if not any((q <= p).all() and (q < p).any() for q in points)
    }
    assert set(front["trial_index"]) == expected and len(expected) >= 1
    assert front["f1"].is_monotonic_increasing and front["f2"].is_monotonic_decreasing
    assert (campaign.directory / "pareto.png").stat().st_size > 0
    with pytest.raises(ValueError, match="objective 'f3'"):
        from omicsnet.search.tasks import check_metrics

        check_metrics({"f1": 1.0}, ["f3"])
    # maximising flips the comparison
    from omicsnet.search.report import pareto_front

    flipped = pareto_front(
        table.assign(g2=-table["f2"]), [Objective("f1"), Objective("g2", "maximize")]
    )
    assert set(flipped["trial_index"]) == expected


def test_status_command_prints_best_trial_and_writes_csv(tmp_path, capsys, ax_search):
    from omicsnet.cli import main

    config = tmp_path / "branin.yaml"
    config.write_text(
        "task: analytic\nobjectives: branin\ntrials: 3\nbackend: inline\n"
        "generation: {method: random_search}\noutput: out\n"
        "parameters:\n  x1: {type: range, bounds: [-5.0, 10.0]}\n"
        "  x2: {type: range, bounds: [0.0, 15.0]}\n"
    )
    assert main(["search", "run", "--config", str(config), "-q"]) == 0
    capsys.readouterr()
    assert main(["search", "status", str(tmp_path / "out"), "--csv", str(tmp_path / "t.csv")]) == 0
    out = capsys.readouterr().out
    table = pd.read_csv(tmp_path / "t.csv")
    best = table.loc[table["branin"].idxmin()]
    assert "3/3 trials finished: 3 completed" in out
    assert f"best trial {best['trial_index']}: branin = {best['branin']:.6g}" in out
    from omicsnet.utils.io import OutputExistsError

    with pytest.raises(OutputExistsError):  # a campaign folder is never silently replaced
        ax_search.run_campaign(config)


def broken_task(parameters, context):
    raise KeyError("column 'TP53' not in the protein table")


def test_max_failures_stops_a_broken_campaign_with_the_last_error(tmp_path, ax_search):
    config = {"task": f"{__name__}:broken_task", "parameters": XY, "objectives": "loss",
              "trials": 10, "max_failures": 1, "backend": "inline",
              "generation": {"method": "random_search"}}  # fmt: skip
    with pytest.raises(ax_search.SearchError, match="2 trials failed \\(max_failures=1\\)") as err:
        ax_search.run_campaign(config, output=tmp_path / "broken", progress=False)
    assert "last error: KeyError: \"column 'TP53' not in the protein table\"" in str(err.value)
    assert ax_search.load_campaign(tmp_path / "broken").counts() == {"failed": 2}


def test_tasks_given_by_registered_name_or_function_are_stored_importable(tmp_path, ax_search):
    from omicsnet.search.tasks import analytic_task, register_task

    register_task("sphere_for_this_session", analytic_task, overwrite=True)
    for name, task in (("named", "sphere_for_this_session"), ("function", analytic_task)):
        config = {"task": task, "task_options": {"function": "sphere"}, "objectives": "sphere",
                  "parameters": {"x": {"type": "range", "bounds": [-1.0, 1.0]}}, "trials": 1,
                  "backend": "inline", "generation": {"method": "random_search"}}  # fmt: skip
        ax_search.run_campaign(config, output=tmp_path / name, progress=False)
        stored = json.loads((tmp_path / name / "campaign.json").read_text())["config"]
        # another process (omicsnet search status/resume) can import it by this name
        assert stored["task"] == "omicsnet.search.tasks:analytic_task"


def test_suggest_ahead_defaults_and_validation():
    from omicsnet.errors import ConfigError
    from omicsnet.search.settings import CampaignSettings

    base = {"task": "analytic", "objectives": "branin", "parameters": XY}
    assert CampaignSettings.from_dict({**base, "workers": 1}).ahead == 0  # sequential BO
    assert CampaignSettings.from_dict({**base, "workers": 3}).ahead == 1
    assert CampaignSettings.from_dict({**base, "workers": 3, "suggest_ahead": 0}).ahead == 0
    assert CampaignSettings.from_dict({**base, "workers": 2, "backend": "inline"}).ahead == 0
    with pytest.raises(ConfigError, match="suggest_ahead must be a whole number >= 0, got -1"):
        CampaignSettings.from_dict({**base, "suggest_ahead": -1})
