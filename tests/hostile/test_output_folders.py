"""Class 1 of the hostile walk: ``--overwrite`` must never delete a folder omicsnet did not write.

For every command that writes an output folder: a folder of the user's (a thesis, a data
file, a ``model/`` folder of their own) given as the output, with ``--overwrite``, is
refused in one line before any work, and not one of the user's files changes. A folder
omicsnet wrote is replaced on ``--overwrite``, and a file the user put into it is kept.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.hostile.harness import Snapshot, run_guarded, user_folder


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    """Small valid inputs for each command (so that only the output folder can be wrong)."""
    root = tmp_path_factory.mktemp("inputs")
    (root / "signals.csv").write_text("mz,score\n181.0707,0.9\n147.0764,0.5\n")
    rng = np.random.default_rng(0)
    genes = ["b0008", "b0114", "b0115", "b0116", "b0118", "b0351", "b0356", "b0451"]
    frame = pd.DataFrame(
        rng.normal(size=(len(genes), 12)), index=genes, columns=[f"S{i}" for i in range(12)]
    )
    frame.to_csv(root / "compendium.csv", index_label="gene")
    x = pd.DataFrame(rng.normal(size=(30, 4)), columns=list("ABCD"))
    x.index = [f"s{i}" for i in range(30)]
    x.to_csv(root / "x.csv", index_label="sample")
    x[["A", "B"]].rename(columns={"A": "P1", "B": "P2"}).to_csv(
        root / "y.csv", index_label="sample"
    )
    (root / "run.yaml").write_text(
        "model: {name: mlp, config: {hidden: [8]}}\n"
        "data: {features: x.csv, targets: y.csv, task: regression}\n"
        "trainer: {max_epochs: 1, progress: false}\n"
    )
    arrays = root / "arrays"
    arrays.mkdir()
    for i in range(6):
        np.save(arrays / f"run{i}.npy", rng.random((32, 32)).astype("float32"))
    pd.DataFrame({"file": [f"run{i}.npy" for i in range(6)], "label": ["a", "b"] * 3}).to_csv(
        root / "labels.csv", index=False
    )
    return {"root": root}


COMMANDS = {
    "network infer": lambda i, out: ["network", "infer", "--signals", str(i / "signals.csv"),
                                      "--model", "textbook", "--out", str(out)],
    "kcae pretrain": lambda i, out: ["kcae", "pretrain", "--graph", "textbook", "--compendium",
                                      str(i / "compendium.csv"), "--epochs", "1",
                                      "--out", str(out)],
    "t2p train": lambda i, out: ["t2p", "train", "--synthetic", "--paper", "--epochs", "1",
                                  "--out", str(out)],
    "lcms train": lambda i, out: ["lcms", "train", "--arrays", str(i / "arrays"), "--labels",
                                   str(i / "labels.csv"), "--tiny", "--models", "1", "--epochs",
                                   "1", "--out", str(out)],
    "train": lambda i, out: ["train", "--config", str(i / "run.yaml"), "--output", str(out),
                             "--no-progress"],
}  # fmt: skip


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_overwrite_refuses_a_folder_of_the_users(command, inputs, tmp_path):
    mine = user_folder(tmp_path / "mine")
    snapshot = Snapshot(tmp_path)
    outcome = run_guarded(*COMMANDS[command](inputs["root"], mine), "--overwrite")
    outcome.assert_user_error(str(mine.name), "did not write")
    assert snapshot.changes() == []
    assert outcome.seconds < 60  # refused before any work


def test_overwrite_replaces_only_what_omicsnet_wrote(inputs, tmp_path):
    out = tmp_path / "run"
    first = run_guarded(*COMMANDS["train"](inputs["root"], out))
    assert first.returncode == 0, first.stderr
    (out / "my_notes.txt").write_text("my own notes, added after the run\n")
    again = run_guarded(*COMMANDS["train"](inputs["root"], out))
    again.assert_user_error("already holds a run", "--resume")
    replaced = run_guarded(*COMMANDS["train"](inputs["root"], out), "--overwrite")
    assert replaced.returncode == 0, replaced.stderr
    assert (out / "my_notes.txt").read_text() == "my own notes, added after the run\n"
    assert "keeping my_notes.txt" in replaced.stderr
    assert (out / "model" / "model.safetensors").is_file()


@pytest.mark.parametrize("kind", ["file", "dangling link", "read-only folder"])
def test_an_unusable_output_path_is_one_line_before_any_work(kind, inputs, tmp_path):
    out = tmp_path / "out"
    if kind == "file":
        out.write_text("a file of mine\n")
    elif kind == "dangling link":
        out.symlink_to(tmp_path / "nowhere")
    else:
        out.mkdir()
        out.chmod(0o555)
    snapshot = Snapshot(tmp_path)
    try:
        outcome = run_guarded(*COMMANDS["network infer"](inputs["root"], out))
    finally:
        if kind == "read-only folder":
            out.chmod(0o755)
    if kind == "read-only folder" and outcome.returncode == 0:
        pytest.skip("running as a user who may write read-only folders (root)")
    outcome.assert_user_error(str(out.name))
    assert snapshot.changes() == []
