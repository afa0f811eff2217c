"""PCSF randomisations keep each finished rerun and resume after a kill.

A killed run (SIGKILL once some reruns are stored) continues from its store: the stored
reruns are not run again (counted), the node and edge tables equal those of a run that
was never interrupted, and a store of another run (other seed, prizes or counts) is
refused in one line.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from omicsnet.errors import ConfigError
from omicsnet.networks import pcsf as pcsf_module
from omicsnet.networks.pcsf import prepare_graph, solve_pcsf

from ..hostile.helpers import REPO, kill_group, wait_until

ROBUSTNESS, SPECIFICITY = 12, 12


def random_interactome(
    n: int = 2500, n_edges: int = 15000, n_prizes: int = 60, seed: int = 7
) -> tuple[pd.DataFrame, pd.Series]:
    """A random interactome; by default large enough that a rerun takes a noticeable time
    (the same one in the test and in the subprocess it kills)."""
    rng = np.random.default_rng(seed)
    source = rng.integers(0, n, n_edges)
    target = (source + 1 + rng.integers(0, n - 1, n_edges)) % n
    edges = pd.DataFrame(
        {"source": [f"n{i}" for i in source], "target": [f"n{i}" for i in target],
         "cost": rng.uniform(0.2, 1.0, n_edges)}
    )  # fmt: skip
    holders, values = rng.choice(n, n_prizes, replace=False), rng.uniform(1, 4, n_prizes)
    prizes = pd.Series({f"n{i}": float(p) for i, p in zip(holders, values, strict=True)})
    return edges, prizes


def _solve(edges, prizes, **kwargs):
    return solve_pcsf(
        edges, prizes, w=3.0, g=None, solver="fast", robustness=ROBUSTNESS,
        specificity=SPECIFICITY, seed=5, progress=False, **kwargs,
    )  # fmt: skip


def _count_reruns(monkeypatch) -> list[str]:
    calls: list[str] = []
    original = pcsf_module._Replicator.run

    def counted(self, kind, seed):
        calls.append(kind)
        return original(self, kind, seed)

    monkeypatch.setattr(pcsf_module._Replicator, "run", counted)
    return calls


def test_a_killed_randomisation_resumes_without_redoing_finished_reruns(tmp_path, monkeypatch):
    store = tmp_path / "reruns"
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(REPO)!r})
        from omicsnet.networks.pcsf import solve_pcsf
        from tests.networks.test_pcsf_resume import random_interactome
        edges, prizes = random_interactome()
        solve_pcsf(edges, prizes, w=3.0, g=None, solver="fast", robustness={ROBUSTNESS},
                   specificity={SPECIFICITY}, seed=5, progress=False, workers=1,
                   store={str(store)!r})
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_until(lambda: any(store.glob("unit_*.npz")) or process.poll() is not None, 300, 0.01)
    finally:
        kill_group(process.pid)
        process.wait()
    done_before = len(list(store.glob("unit_*.npz")))
    total = ROBUSTNESS + SPECIFICITY
    assert 0 < done_before < total, "the kill did not land in the middle of the reruns"

    edges, prizes = random_interactome()
    graph = prepare_graph(edges)
    calls = _count_reruns(monkeypatch)
    resumed = _solve(graph, prizes, workers=1, store=store)
    assert len(calls) == total - done_before  # finished reruns were read back
    assert len(list(store.glob("unit_*.npz"))) == total
    monkeypatch.undo()
    whole = _solve(graph, prizes, workers=1)
    pd.testing.assert_frame_equal(resumed.nodes, whole.nodes)
    pd.testing.assert_frame_equal(resumed.edges, whole.edges)
    assert resumed.nodes["robustness"].max() > 0


def test_stored_reruns_from_worker_processes_equal_a_plain_run(tmp_path, monkeypatch):
    edges, prizes = random_interactome()
    graph = prepare_graph(edges)
    stored = _solve(graph, prizes, workers=2, store=tmp_path / "reruns")
    plain = _solve(graph, prizes, workers=1)
    pd.testing.assert_frame_equal(stored.nodes, plain.nodes)
    for unit in (3, 17):  # lose two reruns: only they are run again
        (tmp_path / "reruns" / f"unit_{unit:06d}.npz").unlink()
    calls = _count_reruns(monkeypatch)
    again = _solve(graph, prizes, workers=1, store=tmp_path / "reruns")
    assert calls == ["robustness", "specificity"]
    pd.testing.assert_frame_equal(again.nodes, plain.nodes)
    pd.testing.assert_frame_equal(again.edges, plain.edges)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"seed": 6}, "seed"),
        ({"robustness": ROBUSTNESS + 1}, "robustness"),
        ({"prizes": "doubled"}, "prizes"),
        ({"w": 4.0}, "w"),
    ],
)
def test_a_store_of_another_run_is_refused(tmp_path, change, named):
    edges = pd.DataFrame(
        {"source": ["A", "B", "C", "X"], "target": ["B", "C", "D", "Y"], "cost": [0.5] * 4}
    )
    prizes = pd.Series({"A": 5.0, "D": 5.0, "X": 3.0})
    settings = {"w": 2.0, "g": None, "robustness": 2, "specificity": 2, "seed": 0,
                "workers": 1, "progress": False}  # fmt: skip
    solve_pcsf(edges, prizes, store=tmp_path / "reruns", **settings)
    other = {**settings, **{k: v for k, v in change.items() if k != "prizes"}}
    other_prizes = prizes * 2 if "prizes" in change else prizes
    with pytest.raises(ConfigError, match=rf"another run \(different [^)]*{named}") as err:
        solve_pcsf(edges, other_prizes, store=tmp_path / "reruns", **other)
    assert "\n" not in str(err.value)


def test_a_store_needs_a_seed(tmp_path):
    edges = pd.DataFrame({"source": ["A"], "target": ["B"], "cost": [0.5]})
    with pytest.raises(ConfigError, match="integer seed"):
        solve_pcsf(edges, {"A": 1.0}, robustness=1, seed=None, store=tmp_path / "r",
                   workers=1, progress=False)  # fmt: skip
    assert not (tmp_path / "r").exists()


def test_the_units_hold_each_reruns_selection(tmp_path):
    edges = pd.DataFrame(
        {"source": ["A", "B", "C", "X"], "target": ["B", "C", "D", "Y"], "cost": [0.5] * 4}
    )
    result = solve_pcsf(edges, {"A": 5.0, "D": 5.0, "X": 3.0}, w=2.0, g=None, robustness=3,
                        seed=0, workers=1, progress=False, store=tmp_path / "r")  # fmt: skip
    units = [np.load(tmp_path / "r" / f"unit_{i:06d}.npz") for i in range(3)]
    counted = np.zeros(6)
    for unit in units:
        counted[unit["nodes"]] += 1
    nodes = result.nodes.set_index("node")
    graph = prepare_graph(edges)
    for name in ("A", "B", "C", "D"):
        assert counted[graph.index_of([name])[0]] / 3 == nodes.loc[name, "robustness"]
    assert Path(tmp_path / "r" / "units.json").is_file()


def test_reruns_on_ray_are_stored_by_this_process_and_resume_locally(tmp_path, monkeypatch):
    """Units come back from the Ray workers and are written here; a local run resumes them."""
    import importlib.util

    if importlib.util.find_spec("ray") is None:
        pytest.skip("the Ray backend needs ray: pip install 'omicsnet[ray]'")
    from omicsnet.utils.executors import Backend

    edges = pd.DataFrame(
        [(f"n{i}", f"n{(i * 7 + 3) % 40}", 0.3 + (i % 5) / 10) for i in range(40)]
        + [(f"n{i}", f"n{i + 1}", 0.5) for i in range(39)],
        columns=["source", "target", "cost"],
    )
    prizes = {"n0": 3.0, "n17": 3.0, "n33": 2.0}
    kwargs = dict(w=4.0, g=None, robustness=3, specificity=3, noise=0.3, seed=1, progress=False)
    on_ray = solve_pcsf(edges, prizes, backend=Backend("ray", workers=2, threads=1),
                        store=tmp_path / "reruns", **kwargs)  # fmt: skip
    assert len(list((tmp_path / "reruns").glob("unit_*.npz"))) == 6
    (tmp_path / "reruns" / "unit_000004.npz").unlink()
    calls = _count_reruns(monkeypatch)
    local = solve_pcsf(edges, prizes, workers=1, store=tmp_path / "reruns", **kwargs)
    assert calls == ["specificity"]
    pd.testing.assert_frame_equal(local.nodes, on_ray.nodes)
    pd.testing.assert_frame_equal(local.edges, on_ray.edges)


def test_a_damaged_rerun_is_run_again(tmp_path, monkeypatch):
    edges = pd.DataFrame(
        {"source": ["A", "B", "C", "X"], "target": ["B", "C", "D", "Y"], "cost": [0.5] * 4}
    )
    prizes = {"A": 5.0, "D": 5.0, "X": 3.0}
    kwargs = dict(w=2.0, g=None, robustness=3, seed=0, workers=1, progress=False)
    first = solve_pcsf(edges, prizes, store=tmp_path / "r", **kwargs)
    np.savez(tmp_path / "r" / "unit_000001.npz", nodes=np.array([99]), edges=np.array([0]))
    calls = _count_reruns(monkeypatch)
    again = solve_pcsf(edges, prizes, store=tmp_path / "r", **kwargs)
    assert calls == ["robustness"]
    pd.testing.assert_frame_equal(again.nodes, first.nodes)
