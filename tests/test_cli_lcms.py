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
