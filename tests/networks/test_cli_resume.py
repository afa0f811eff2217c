"""``omicsnet network infer --robustness/--specificity``: killed, then ``--resume``.

Each finished rerun is kept in ``OUT.reruns/`` beside the output (which is written whole
at the end); a run killed with SIGKILL continues with ``--resume`` without running the
stored reruns again, ends with the same tables as an uninterrupted run, and removes
``OUT.reruns/``. A rerun store of other settings is refused with exit status 2.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from omicsnet.knowledge.metabolic_graph import load_cobra_graph

from ..hostile.test_kill_resume import _kill_after, _run

PROTON = 1.007276
RERUNS = 30  # of each kind: about 1 s of reruns on the graph below


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """Signals of seven textbook metabolites and a random interactome of 2,600 proteins."""
    folder = tmp_path_factory.mktemp("inputs")
    graph = load_cobra_graph("textbook")
    nodes = graph.nodes.set_index("id")
    rows = [{"id": f"p_{m}", "mz": nodes.loc[m, "mass"] + PROTON, "score": 0.9}
            for m in ("pyr", "pep", "cit", "akg", "succ", "mal__L", "fum")]  # fmt: skip
    pd.DataFrame(rows).to_csv(folder / "signals.csv", index=False)
    proteins = graph.nodes.loc[graph.nodes["type"] == "protein", "id"].tolist()
    names = proteins + [f"P{i}" for i in range(2500)]
    rng = np.random.default_rng(3)
    source = rng.integers(0, len(names), 15000)
    target = (source + 1 + rng.integers(0, len(names) - 1, 15000)) % len(names)
    pd.DataFrame(
        {
            "protein1": [names[i] for i in source],
            "protein2": [names[i] for i in target],
            "cost": rng.uniform(0.2, 1.0, 15000),
        }
    ).to_csv(folder / "ppi.tsv", sep="\t", index=False)
    return ["network", "infer", "--signals", str(folder / "signals.csv"), "--model", "textbook",
            "--interactome", str(folder / "ppi.tsv"), "--solver", "fast",
            "--robustness", str(RERUNS), "--specificity", str(RERUNS)]  # fmt: skip


def test_a_killed_network_inference_resumes_without_redoing_reruns(inputs, tmp_path):
    killed, whole = tmp_path / "killed", tmp_path / "whole"
    reruns = tmp_path / "killed.reruns"
    _kill_after([*inputs, "--out", str(killed)], reruns / "unit_000000.npz")
    done_before = len(list(reruns.glob("unit_*.npz")))
    assert 0 < done_before < 2 * RERUNS and not killed.exists()
    refused = _run([*inputs, "--out", str(killed)])
    assert refused.returncode == 2 and "--resume" in refused.stderr
    resumed = _run([*inputs, "--out", str(killed), "--resume"])
    assert resumed.returncode == 0, resumed.stderr
    read_back = re.search(r"(\d+) of (\d+) reruns read back", resumed.stderr)
    assert read_back and int(read_back[1]) >= done_before and int(read_back[2]) == 2 * RERUNS
    assert "PCSF randomisations" in resumed.stderr  # the progress bar (i/n, ETA)
    assert not reruns.exists()  # the output holds the results now
    assert _run([*inputs, "--out", str(whole)]).returncode == 0
    assert not (tmp_path / "whole.reruns").exists()
    for name in ("nodes.csv", "edges.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(killed / name), pd.read_csv(whole / name))


def test_reruns_of_another_seed_are_refused(inputs, tmp_path):
    out = tmp_path / "net"
    _kill_after(
        [*inputs, "--seed", "1", "--out", str(out)], tmp_path / "net.reruns" / "unit_000000.npz"
    )
    refused = _run([*inputs, "--seed", "2", "--out", str(out), "--resume"])
    assert refused.returncode == 2
    assert "another run (different seed)" in refused.stderr
    assert len(refused.stderr.strip().splitlines()[-1]) < 300


def test_a_run_that_fails_before_its_first_rerun_leaves_no_store(inputs, tmp_path):
    out = tmp_path / "net"
    failed = _run([*inputs, "--min-score", "2", "--out", str(out)])  # no signal scores 2
    assert failed.returncode == 2 and "no signal has a score" in failed.stderr
    assert not (tmp_path / "net.reruns").exists() and not out.exists()
