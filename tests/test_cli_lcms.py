"""``omicsnet lcms convert``: matrices written, failures reported, cache reused."""

from __future__ import annotations

import numpy as np

from omicsnet.data.lcms_matrix import LCMSMatrix
from omicsnet.data.mzml_synthetic import write_synthetic_mzml

from .conftest import run_cli


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
