"""``omicsnet lcms convert``: matrices written, failures reported, cache reused."""

from __future__ import annotations

import numpy as np

from omicsnet.ms.binning import LCMSMatrix
from omicsnet.ms.synthetic import write_synthetic_mzml
from tests.conftest import run_cli


def test_convert_writes_matrices_reports_failures_and_reuses_the_cache(tmp_path):
    inputs = tmp_path / "runs"
    inputs.mkdir()
    write_synthetic_mzml(inputs / "a.mzML", peaks=[(200.0, 1.0, 1e4)], n_scans=20)
    write_synthetic_mzml(inputs / "b.mzML.gz", peaks=[(300.0, 1.2, 5e3)], n_scans=20)
    (inputs / "broken.mzML").write_bytes(b"")
    files = [str(inputs / n) for n in ("a.mzML", "b.mzML.gz", "broken.mzML")]
    args = [
        "lcms",
        "convert",
        *files,
        "--out",
        str(tmp_path / "out"),
        "--workers",
        "1",
        "--cache-dir",
        str(tmp_path / "cache"),
        "--param",
        "n_rt=64",
        "--param",
        "rt_step=0.05",
        "-q",
    ]
    first = run_cli(*args)
    assert first.returncode == 2  # one input failed: the batch still finished
    assert "2 converted, 0 from cache, 1 failed" in first.stdout
    assert "broken.mzML: empty file" in first.stderr
    matrix = LCMSMatrix.load(tmp_path / "out" / "a.mzML.npz")
    assert matrix.values.shape == (64, 1024)
    assert matrix.params.n_rt == 64 and matrix.params.rt_step == 0.05
    # bins are right-closed like DeepMSProfiler's pd.cut: 200.0 falls in (199, 200]
    column = int(np.searchsorted(matrix.mz_edges, 200.0, side="left")) - 1
    assert np.flatnonzero(matrix.values.max(axis=0)).tolist() == [column]
    assert (tmp_path / "out" / "b.mzML.npz").is_file()

    refused = run_cli(*args)
    assert refused.returncode == 2 and "already exists" in refused.stderr
    again = run_cli(*args, "--overwrite")
    assert "0 converted, 2 from cache, 1 failed" in again.stdout
    bad = run_cli("lcms", "convert", files[0], "--out", str(tmp_path / "x"), "--param", "nrt=3")
    assert bad.returncode == 2 and "unknown binning parameter" in bad.stderr


def test_convert_refuses_a_run_that_misses_the_preset_grid_unless_asked(tmp_path):
    run = write_synthetic_mzml(tmp_path / "short.mzML", peaks=[(200.0, 1.0, 1e4)], n_scans=20)
    out = tmp_path / "out"
    refused = run_cli("lcms", "convert", str(run.path), "--out", str(out), "--no-cache", "-q")
    assert refused.returncode == 2
    assert "0 converted, 0 from cache, 1 failed" in refused.stdout
    (reason,) = [line for line in refused.stderr.splitlines() if line.startswith("failed:")]
    assert "short.mzML" in reason and "would repeat an edge scan" in reason
    assert "rt_outside=warn" in reason and not (out / "short.mzML.npz").exists()
    args = ["--param", "rt_outside=warn", "--no-cache", "-q"]
    binned = run_cli("lcms", "convert", str(run.path), "--out", str(out), *args)
    assert binned.returncode == 0, binned.stderr
    matrix = LCMSMatrix.load(out / "short.mzML.npz")
    assert matrix.params.rt_outside == "warn"
    assert "would repeat an edge scan" in matrix.info["warnings"][0]


def _labelled_arrays(folder, n=9, size=32):
    import pandas as pd

    folder.mkdir()
    rng = np.random.default_rng(0)
    rows = []
    for i in range(n):
        label = "ABC"[i % 3]
        array = rng.random((size, size)).astype("f4") * 10
        array[4 + 8 * (i % 3) : 8 + 8 * (i % 3), 10:14] += 500  # class-specific region
        np.save(folder / f"s{i}.npy", array)
        rows.append((f"s{i}.npy", label))
    pd.DataFrame(rows, columns=["file", "label"]).to_csv(folder / "labels.csv", index=False)


def test_lcms_train_cv_predict_and_rise_from_the_command_line(tmp_path):
    import pandas as pd

    arrays = tmp_path / "arrays"
    _labelled_arrays(arrays)
    tiny = ["--models", "2", "--epochs", "1", "--pre-pool", "1", "--tiny", "-q"]
    trained = run_cli(
        "lcms", "train", "--arrays", str(arrays), "--out", str(tmp_path / "ens"), *tiny
    )
    assert trained.returncode == 0, trained.stderr
    assert "9 samples (A 3, B 3, C 3)" in trained.stdout
    assert (tmp_path / "ens" / "ensemble.json").is_file()

    cv = run_cli(
        "lcms", "train", "--arrays", str(arrays), "--out", str(tmp_path / "cv"), "--cv", "3", *tiny
    )
    assert cv.returncode == 0, cv.stderr
    assert "CV accuracy" in cv.stdout
    predictions = pd.read_csv(tmp_path / "cv" / "cv_predictions.csv", index_col=0)
    assert sorted(predictions["fold"].unique()) == [0, 1, 2]
    assert np.allclose(predictions[["A", "B", "C"]].sum(axis=1), 1.0, atol=1e-5)

    out = tmp_path / "pred.csv"
    predicted = run_cli(
        "lcms",
        "predict",
        "--model",
        str(tmp_path / "ens"),
        "--arrays",
        str(arrays),
        "--out",
        str(out),
        "-q",
    )
    assert predicted.returncode == 0, predicted.stderr
    frame = pd.read_csv(out, index_col=0)
    assert list(frame.index) == [f"s{i}" for i in range(9)]
    assert set(frame["predicted"]) <= {"A", "B", "C"}

    rise = run_cli(
        "explain",
        "rise",
        "--model",
        str(tmp_path / "ens"),
        "--arrays",
        str(arrays),
        "--out",
        str(tmp_path / "rise"),
        "--masks",
        "40",
        "--top",
        "2",
        "-q",
    )
    assert rise.returncode == 0, rise.stderr
    for name in ("rise_maps.npz", "class_profiles.npz", "top_regions.csv", "class_profiles.png"):
        assert (tmp_path / "rise" / name).is_file()

    mismatch = tmp_path / "bad"
    _labelled_arrays(mismatch)
    (mismatch / "s0.npy").rename(mismatch / "extra.npy")
    bad = run_cli("lcms", "train", "--arrays", str(mismatch), "--out", str(tmp_path / "x"), *tiny)
    assert bad.returncode == 2 and "s0" in bad.stderr and "extra" in bad.stderr


# ------------------------------------------------- converted matrices and mzML as inputs
COARSE = ["n_rt=32", "rt_step=0.15", "rt_mode=bin", "n_mz=32", "mz_step=32"]


def _cli(capsys, *args):
    """Run the CLI in this process (fast); returns (exit status, stdout, stderr)."""
    from omicsnet.cli import main

    status = main([*args, "-q"])
    out = capsys.readouterr()
    return status, out.out, out.err


def test_train_predict_rise_and_background_on_npz_matrices_and_mzml(tmp_path, capsys):
    import json

    import pandas as pd

    from omicsnet.ms.synthetic import write_synthetic_cohort

    cohort = write_synthetic_cohort(
        tmp_path / "runs", n_per_class=3, rt_range=(0.5, 5.3), scan_interval=0.2, noise_peaks=5
    )
    labels = cohort.write_labels()  # file = healthy_1.mzML, ...
    params = [arg for p in COARSE for arg in ("--param", p)]
    cache = ["--cache-dir", str(tmp_path / "cache"), "--workers", "1"]
    runs = [str(f) for f in cohort.files]
    status, out, err = _cli(
        capsys, "lcms", "convert", *runs, "--out", str(tmp_path / "m"), *params, *cache
    )
    assert status == 0, err
    matrices = sorted(str(p) for p in (tmp_path / "m").glob("*.npz"))
    assert [p.rsplit("/", 1)[-1] for p in matrices[:2]] == [
        "benign_1.mzML.npz",
        "benign_2.mzML.npz",
    ]

    # train on the .npz files; labels "healthy_1.mzML" join "healthy_1.mzML.npz" by name
    small = ["--arch", "lcms_cnn", "--models", "2", "--epochs", "2", "--pre-pool", "1"]
    status, out, err = _cli(
        capsys,
        "lcms",
        "train",
        "--arrays",
        *matrices,
        "--labels",
        str(labels),
        "--out",
        str(tmp_path / "ens"),
        *small,
    )
    assert status == 0, err
    assert "9 samples (benign 3, cancer 3, healthy 3)" in out
    manifest = json.loads((tmp_path / "ens" / "ensemble.json").read_text())
    assert manifest["metadata"]["input_shape"] == [32, 32]
    assert manifest["metadata"]["binning"]["mz_step"] == 32.0
    assert manifest["members"][0]["model"] == "lcms_cnn"

    # predict the matrices, and the raw mzML runs (converted with the model's binning)
    status, _, err = _cli(
        capsys,
        "lcms",
        "predict",
        "--model",
        str(tmp_path / "ens"),
        "--arrays",
        str(tmp_path / "m"),
        "--out",
        str(tmp_path / "p1.csv"),
    )
    assert status == 0, err
    status, _, err = _cli(
        capsys,
        "lcms",
        "predict",
        "--model",
        str(tmp_path / "ens"),
        "--arrays",
        str(tmp_path / "runs"),
        "--out",
        str(tmp_path / "p2.csv"),
        *cache,
    )
    assert status == 0, err
    from_npz = pd.read_csv(tmp_path / "p1.csv", index_col=0)
    from_mzml = pd.read_csv(tmp_path / "p2.csv", index_col=0)
    assert list(from_npz.index) == sorted(f"{c}_{i}" for c in cohort.classes for i in (1, 2, 3))
    pd.testing.assert_frame_equal(from_npz, from_mzml)

    # inputs binned on another grid than the model's are refused, naming the difference
    status, _, err = _cli(
        capsys,
        "lcms",
        "predict",
        "--model",
        str(tmp_path / "ens"),
        "--arrays",
        str(tmp_path / "runs"),
        "--out",
        str(tmp_path / "p3.csv"),
        *params,
        "--param",
        "mz_step=16",
        *cache,
    )
    assert status == 2 and "binned differently" in err and "mz_step 16.0" in err

    # RISE maps carry the matrices' RT (minutes) and m/z axes
    status, out, err = _cli(
        capsys,
        "explain",
        "rise",
        "--model",
        str(tmp_path / "ens"),
        "--arrays",
        str(tmp_path / "m"),
        "--labels",
        str(labels),
        "--out",
        str(tmp_path / "rise"),
        "--masks",
        "40",
        "--top",
        "2",
        "--normalize",
        "coverage",
    )
    assert status == 0, err
    regions = pd.read_csv(tmp_path / "rise" / "top_regions.csv")
    assert regions["rt_start"].min() >= 0.5 and regions["rt_end"].max() <= 0.5 + 32 * 0.15
    assert regions["mz_start"].min() >= 50 and regions["mz_end"].max() <= 50 + 32 * 32
    assert json.loads((tmp_path / "rise" / "params.json").read_text())["profiles_from"] == (
        "true labels"
    )

    # background categories: each member and the ensemble, table + summary + plot
    status, out, err = _cli(
        capsys,
        "explain",
        "background",
        "--model",
        str(tmp_path / "ens"),
        "--arrays",
        str(tmp_path / "m"),
        "--labels",
        str(labels),
        "--out",
        str(tmp_path / "bg"),
        "--masks",
        "30",
        "--fractions",
        "0.05,0.2",
    )
    assert status == 0, err
    table = pd.read_csv(tmp_path / "bg" / "background.csv")
    assert set(table["model"]) == {"member_0", "member_1", "ensemble"}
    assert sorted(set(table["fraction"])) == [0.0, 0.05, 0.2]
    summary = pd.read_csv(tmp_path / "bg" / "background_summary.csv")
    assert len(summary) == 3 * 3 and summary["background"].dtype == bool
    assert (tmp_path / "bg" / "background.png").stat().st_size > 1000
    assert "background categor" in out

    # a matrix without a label row is an error naming it
    extra = tmp_path / "m" / "stray_run.mzML.npz"
    extra.write_bytes((tmp_path / "m" / "benign_1.mzML.npz").read_bytes())
    status, _, err = _cli(
        capsys,
        "explain",
        "background",
        "--model",
        str(tmp_path / "ens"),
        "--arrays",
        str(tmp_path / "m"),
        "--labels",
        str(labels),
        "--out",
        str(tmp_path / "bg2"),
        "--masks",
        "10",
    )
    assert status == 2 and "stray_run" in err and "without a label" in err
