"""The study commands end to end on a small generated cohort (in-process CLI)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from omicsnet.cli import main

ROWS, COLS = np.arange(32)[:, None], np.arange(32)[None, :]


def _peak(row: float, col: float, height: float) -> np.ndarray:
    return height * np.exp(-((ROWS - row) ** 2 + (COLS - col) ** 2) / 3)


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    """16 arrays: batch b1 elutes 3 rows late and is 3x brighter; class peaks at m/z 110/120."""
    folder = tmp_path_factory.mktemp("cohort")
    rng = np.random.default_rng(0)
    rows = []
    for i in range(16):
        label, batch = ("cancer" if i % 2 else "healthy"), ("b1" if i >= 8 else "b0")
        shift, scale = (3, 3.0) if batch == "b1" else (0, 1.0)
        m = rng.gamma(2.0, 20.0, size=(32, 32)) + _peak(8 + shift, 25, 4e4)
        m += _peak(16 + shift, 10 if label == "cancer" else 20, 2e4)
        np.save(folder / f"s{i:02d}.npy", (m * scale).astype(np.float32))
        rows.append(
            {
                "file": f"s{i:02d}.npy",
                "label": label,
                "batch": batch,
                "qc": "yes" if i in (0, 1, 8, 9) else "no",
            }
        )
    pd.DataFrame(rows).to_csv(folder / "labels.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def model(cohort, tmp_path_factory):
    import torch

    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("model") / "ensemble"
    code = main(
        [
            "-q",
            "lcms",
            "train",
            "--inputs",
            str(cohort),
            "--out",
            str(out),
            "--models",
            "1",
            "--epochs",
            "2",
            "--tiny",
            "--pre-pool",
            "1",
            "--no-augment",
        ]
    )
    assert code == 0
    return out


def test_batch_effects_command(cohort, model, tmp_path, capsys):
    out = tmp_path / "batch"
    code = main(
        [
            "-q",
            "lcms",
            "batch-effects",
            "--model",
            str(model),
            "--inputs",
            str(cohort),
            "--reference-column",
            "qc",
            "--k",
            "4",
            "--perplexity",
            "3",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    wide = pd.read_csv(out / "scores_wide.csv").set_index("layer")
    assert wide.index[0] == "input" and wide.index[-1] == "penultimate"
    assert "input (reference-normalised)" in wide.index
    # the input is organised by batch (shift + scale), not by the weak class peak
    assert wide.loc["input", "nmi_kmeans:batch"] > wide.loc["input", "nmi_kmeans:class"]
    assert (out / "association_by_depth.png").is_file() and (out / "pca_by_layer.png").is_file()
    assert "nmi_kmeans:batch" in capsys.readouterr().out
    # a missing batch column is a one-line user error
    code = main(
        [
            "lcms",
            "batch-effects",
            "--model",
            str(model),
            "--inputs",
            str(cohort),
            "--batch-column",
            "run_day",
            "--out",
            str(tmp_path / "again"),
        ]
    )
    assert code == 2
    assert "run_day" in capsys.readouterr().err


def test_whitelist_command(cohort, tmp_path, capsys):
    whitelist = tmp_path / "biomarkers.txt"
    whitelist.write_text("# the two class peaks, as m/z of columns 10 and 20\n110.5\n120.5\n")
    out = tmp_path / "white"
    code = main(
        [
            "-q",
            "lcms",
            "whitelist",
            "--inputs",
            str(cohort),
            "--whitelist",
            str(whitelist),
            "--mz-start",
            "100",
            "--mz-step",
            "1",
            "--ppm",
            "20",
            "--cv",
            "2",
            "--models",
            "1",
            "--epochs",
            "1",
            "--tiny",
            "--pre-pool",
            "1",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    table = pd.read_csv(out / "whitelist_cv.csv")
    assert set(table["input"]) == {"full", "whitelist"}
    assert set(table.loc[table["input"] == "whitelist", "mz_columns_kept"]) == {2}
    assert "2 m/z columns kept" in capsys.readouterr().out
    # plain arrays carry no m/z axis: the error says what to add
    code = main(
        [
            "lcms",
            "whitelist",
            "--inputs",
            str(cohort),
            "--whitelist",
            str(whitelist),
            "--out",
            str(tmp_path / "w2"),
        ]
    )
    assert code == 2
    assert "--mz-start" in capsys.readouterr().err
    bad_cv = ["lcms", "whitelist", "--inputs", str(cohort), "--whitelist", str(whitelist)]
    code = main([*bad_cv, "--cv", "three", "--out", str(tmp_path / "w3")])
    assert code == 2
    assert "--cv takes a number of folds" in capsys.readouterr().err


def test_overlay_command_on_rise_maps(cohort, model, tmp_path, capsys):
    rise = tmp_path / "rise"
    assert (
        main(
            [
                "-q",
                "explain",
                "rise",
                "--model",
                str(model),
                "--inputs",
                str(cohort),
                "--masks",
                "40",
                "--out",
                str(rise),
            ]
        )
        == 0
    )
    features = tmp_path / "features.csv"
    pd.DataFrame(
        {"id": ["a", "b"], "rt": [16.0, 2.0], "mz": [10.0, 3.0], "name": ["marker", "other"]}
    ).to_csv(features, index=False)
    out = tmp_path / "overlay"
    assert (
        main(
            [
                "-q",
                "explain",
                "overlay",
                "--maps",
                str(rise),
                "--features",
                str(features),
                "--rt-unit",
                "min",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    hits = pd.read_csv(out / "overlay_hits.csv")
    assert set(hits["id"]) == {"a", "b"} and hits["in_map"].all()
    assert (out / "overlay.png").is_file()
    # per-sample maps need a sample
    code = main(
        [
            "explain",
            "overlay",
            "--maps",
            str(rise / "rise_maps.npz"),
            "--features",
            str(features),
            "--out",
            str(tmp_path / "o2"),
        ]
    )
    assert code == 2
    assert "--sample" in capsys.readouterr().err
