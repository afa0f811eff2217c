"""Classes 3–5 of the hostile walk: paths that escape, non-finite values, user mistakes.

Each case is generated here (no stored hostile files), run through the command a user
would run, and must end in exit status 2 with one ``omicsnet: error:`` line that names the
file and the row, column or ID, no traceback, bounded time and memory, and nothing
outside the output folder changed.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.hostile.harness import Snapshot, run_guarded

SECRET = "root:x:0:0:secret-line-of-a-system-file"


# ---------------------------------------------------------------------- tables
def _features_targets(folder: Path, *, x_text: str | None = None) -> Path:
    rng = np.random.default_rng(0)
    x = pd.DataFrame(rng.normal(size=(20, 3)), columns=["g0", "g1", "g2"])
    x.index = [f"S{i}" for i in range(20)]
    (folder / "x.csv").write_text(x_text if x_text is not None else x.to_csv(index_label="sample"))
    x[["g0"]].rename(columns={"g0": "p0"}).to_csv(folder / "y.csv", index_label="sample")
    (folder / "run.yaml").write_text(
        "model: {name: mlp, config: {hidden: [4]}}\n"
        "data: {features: x.csv, targets: y.csv, task: regression}\n"
        "trainer: {max_epochs: 1, progress: false}\n"
    )
    return folder / "run.yaml"


def _table_with(cell: str, *, header: str = "sample,g0,g1,g2") -> str:
    rows = [header] + [f"S{i},0.1,0.2,0.3" for i in range(19)] + [f"S19,0.1,{cell},0.3"]
    return "\n".join(rows) + "\n"


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        (_table_with("inf"), ["x.csv", "infinite value", "'S19'", "'g1'"]),
        (_table_with("-inf"), ["x.csv", "infinite value", "'S19'"]),
        (_table_with(SECRET), ["x.csv", "non-numeric value", "'S19'", "'g1'"]),
        (_table_with("1", header="sample,g0,g1,g0"), ["x.csv", "column ID 'g0' appears more"]),
    ],
    ids=["inf", "minus-inf", "text-cell", "duplicate-column"],
)
def test_bad_cells_in_a_training_table(text, fragments, tmp_path):
    config = _features_targets(tmp_path, x_text=text)
    snapshot = Snapshot(tmp_path)
    outcome = run_guarded("train", "--config", str(config), "--output", str(tmp_path / "run"))
    line = outcome.assert_user_error(*fragments)
    assert SECRET not in line  # a cell's content is never echoed
    assert snapshot.changes(ignore=("run",)) == []


def test_a_duplicate_gene_in_a_compendium(tmp_path):
    genes = ["b0008", "b0114", "b0008", "b0116"]
    frame = pd.DataFrame(np.ones((4, 6)), index=genes, columns=[f"S{i}" for i in range(6)])
    frame.to_csv(tmp_path / "comp.csv", index_label="gene")
    outcome = run_guarded(
        "kcae", "pretrain", "--graph", "textbook", "--compendium", str(tmp_path / "comp.csv"),
        "--epochs", "1", "--out", str(tmp_path / "out"),
    )  # fmt: skip
    outcome.assert_user_error("comp.csv", "row ID 'b0008' appears more than once")


# ---------------------------------------------------------------------- network signals
@pytest.mark.parametrize(
    ("rows", "fragments"),
    [
        ("a,181.07,0.5\na,147.07,0.4\n", ["signal ID 'a' appears more than once"]),
        ("a,181.07,-0.5\n", ["negative score in row 1", "'a'"]),
        ("a,181.07,1e308\n", ["too large", "row 1"]),
        ("a,181.07,inf\n", ["infinite score in row 1"]),
        ("a,-5,0.5\n", ["non-positive mz in row 1"]),
    ],
    ids=["duplicate-id", "negative-prize", "huge-prize", "inf-prize", "negative-mz"],
)
def test_bad_network_signals(rows, fragments, tmp_path):
    (tmp_path / "signals.csv").write_text("id,mz,score\n" + rows)
    outcome = run_guarded(
        "network", "infer", "--signals", str(tmp_path / "signals.csv"), "--model", "textbook",
        "--out", str(tmp_path / "out"),
    )  # fmt: skip
    outcome.assert_user_error("signals.csv", *fragments)
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------- paths
def test_a_symlink_in_the_config_folder_cannot_read_outside(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "passwd").write_text(SECRET + "\n" + SECRET + "\n")
    project = tmp_path / "project"
    project.mkdir()
    (project / "escape").symlink_to(outside)
    (project / "run.yaml").write_text(
        "model: {name: mlp}\n"
        "data: {features: escape/passwd, targets: escape/passwd, task: regression}\n"
        "output: results\n"
    )
    outcome = run_guarded("train", "--config", str(project / "run.yaml"))
    line = outcome.assert_user_error("escape/passwd", "symbolic link")
    assert SECRET not in outcome.stderr + outcome.stdout
    assert "secret" not in line


def test_a_symlinked_output_in_a_config_cannot_write_outside(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    project = tmp_path / "project"
    project.mkdir()
    _features_targets(project)
    (project / "results").symlink_to(outside)
    text = (project / "run.yaml").read_text() + "output: results/run\n"
    (project / "run.yaml").write_text(text)
    snapshot = Snapshot(outside)
    outcome = run_guarded("train", "--config", str(project / "run.yaml"))
    outcome.assert_user_error("results/run", "symbolic link")
    assert snapshot.changes() == [] and not any(outside.iterdir())


# ---------------------------------------------------------------------- model folders
def _saved_mlp(folder: Path) -> Path:
    import omicsnet

    model = omicsnet.create_model("mlp", in_features=3, out_features=2, hidden=[4])
    return omicsnet.save(model, folder)


def _rewrite_config(folder: Path, change) -> None:
    path = folder / "config.json"
    config = json.loads(path.read_text())
    change(config)
    path.write_text(json.dumps(config))


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        (lambda c: c.update(config=[1, 2]), ["config.json", "'config' a mapping"]),
        (lambda c: c["config"].update(in_features=60_000, hidden=[60_000]),
         ["would hold", "OMICSNET_MAX_PARAMETERS"]),
        (lambda c: c.update(model=["mlp"]), ["config.json", "model name"]),
    ],
    ids=["config-list", "huge-model", "model-not-a-name"],
)  # fmt: skip
def test_a_hostile_model_config_is_refused_before_allocating(change, fragments, tmp_path):
    folder = _saved_mlp(tmp_path / "model")
    _rewrite_config(folder, change)
    code = (
        "import sys, omicsnet\n"
        "try:\n    omicsnet.load(sys.argv[1])\n"
        "except omicsnet.errors.OmicsnetError as err:\n    print(err); sys.exit(2)\n"
    )
    outcome = run_guarded(str(folder), python=code)
    assert outcome.returncode == 2, outcome.stderr
    for fragment in fragments:
        assert fragment in outcome.stdout
    assert outcome.peak_rss_mb < 2500 and outcome.seconds < 60


def test_nan_weights_are_refused_at_load(tmp_path):
    from safetensors.torch import load_file, save_file

    from omicsnet.errors import CheckpointError
    from omicsnet.models.serialization import load

    folder = _saved_mlp(tmp_path / "model")
    weights = load_file(folder / "model.safetensors")
    name = sorted(weights)[0]
    weights[name][...] = float("nan")
    save_file(weights, folder / "model.safetensors", metadata={"format": "pt"})
    with pytest.raises(CheckpointError, match=f"{name} holds NaN"):
        load(folder, verify_checksum=False)


def test_a_single_class_is_refused_instead_of_accuracy_one(tmp_path):
    import omicsnet
    from omicsnet.errors import DataError

    rng = np.random.default_rng(0)
    data = omicsnet.ArrayDataset(rng.normal(size=(12, 3)).astype("float32"), np.zeros(12, int))
    model = omicsnet.create_model("mlp", in_features=3, out_features=2, task="classification")
    with pytest.raises(DataError, match="all belong to one class"):
        omicsnet.Trainer(max_epochs=1, progress=False).fit(model, data)


def test_an_infinite_protein_value_is_named_not_dropped(tmp_path):
    rng = np.random.default_rng(0)
    genes = [f"G{i}" for i in range(20)]
    rna = pd.DataFrame(rng.normal(size=(20, 30)), index=genes, columns=[f"S{i}" for i in range(30)])
    protein = rna.iloc[:5] + 0.1
    protein.iloc[2, 3] = np.inf
    rna.to_csv(tmp_path / "rna.csv", index_label="gene")
    protein.to_csv(tmp_path / "protein.csv", index_label="gene")
    outcome = run_guarded(
        "t2p", "train", "--rna", str(tmp_path / "rna.csv"), "--protein",
        str(tmp_path / "protein.csv"), "--paper", "--epochs", "1", "--out", str(tmp_path / "o"),
    )  # fmt: skip
    outcome.assert_user_error("protein.csv", "infinite value at row 'G2', column 'S3'")
    assert not (tmp_path / "o").exists()


def test_an_infinite_feature_bound_is_named(tmp_path):
    from omicsnet.ms.synthetic import write_synthetic_mzml

    write_synthetic_mzml(tmp_path / "run.mzML", peaks=[(100.0, 1.0, 1e4)], n_scans=20)
    (tmp_path / "features.csv").write_text(
        "id,mz_min,mz_max,rt_min,rt_max\na,99,101,0.5,1.5\nb,99,inf,0.5,1.5\n"
    )
    outcome = run_guarded(
        "lcms", "peaks-build", "--mzml", str(tmp_path / "run.mzML"), "--features",
        str(tmp_path / "features.csv"), "--out", str(tmp_path / "peaks.npz"),
    )  # fmt: skip
    outcome.assert_user_error("features.csv", "infinite value in column 'mz_max'", "data row 2")
