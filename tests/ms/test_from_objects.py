"""Runs already in memory (pyOpenMS, pyteomics, arrays) bin exactly as the file they came from."""

from __future__ import annotations

import numpy as np
import pytest

from omicsnet.errors import ConfigError, DataError
from omicsnet.ms.binning import bin_run
from omicsnet.ms.from_objects import (
    as_ms_run,
    run_from_arrays,
    run_from_pyopenms,
    run_from_pyteomics,
)
from omicsnet.ms.mzml import read_ms_run
from omicsnet.ms.synthetic import write_synthetic_mzml

# rt_start 0.41: no grid time falls exactly between two scans (seconds / 60 may round a tie
# either way; the file stores minutes)
GRID = {"n_rt": 30, "rt_step": 0.05, "rt_start": 0.41, "mz_start": 100, "n_mz": 60, "mz_step": 10}


@pytest.fixture(scope="module")
def mzml(tmp_path_factory):
    path = tmp_path_factory.mktemp("run") / "run.mzML"
    write_synthetic_mzml(
        path,
        peaks=[(300.4, 0.8, 5e5, 0.05), (512.2, 1.1, 2e5, 0.08)],
        n_scans=25,
        rt_start=0.5,
        rt_step=0.04,
        ms2_per_ms1=1,
        seed=3,
    )
    return path


def _same_matrix(a, b):
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a.rt, b.rt)


def test_pyteomics_spectra_bin_like_the_file(mzml):
    from pyteomics import mzml as reader

    from_file = bin_run(read_ms_run(mzml, ms_level=None), GRID)
    with reader.MzML(str(mzml)) as spectra:
        run = run_from_pyteomics(spectra, name="run.mzML")
    assert run.reader == "pyteomics" and run.level_counts == {1: 25, 2: 25}
    _same_matrix(bin_run(run, GRID), from_file)


def test_a_pyopenms_experiment_bins_like_the_file(mzml):
    oms = pytest.importorskip("pyopenms")
    experiment = oms.MSExperiment()
    oms.MzMLFile().load(str(mzml), experiment)
    run = run_from_pyopenms(experiment)
    assert run.path.name == "run.mzML"  # the file the experiment was loaded from
    file_run = read_ms_run(mzml, ms_level=None)
    assert run.ids == file_run.ids
    np.testing.assert_allclose(run.rt, file_run.rt, rtol=0, atol=1e-9)
    _same_matrix(bin_run(run, GRID), bin_run(file_run, GRID))
    assert as_ms_run(experiment).sha256 == run.sha256


def test_plain_arrays_and_their_checks():
    run = run_from_arrays(
        rt=[30.0, 33.0, 36.0], mz=[[100.5, 105.0], [], [100.7]], intensity=[[1.0, 2.0], [], [7.0]],
        rt_unit="second", ms_level=[1, 1, 2], ids=["a", "b", "c"],
    )  # fmt: skip
    assert run.offsets.tolist() == [0, 2, 2, 3] and run.rt.tolist() == [0.5, 0.55, 0.6]
    same = run_from_arrays(
        [0.5, 0.55, 0.6],
        [[100.5, 105.0], [], [100.7]],
        [[1.0, 2.0], [], [7.0]],
        ms_level=[1, 1, 2],
        ids=["a", "b", "c"],
    )
    assert same.sha256 == run.sha256  # the same content, the same checksum
    grid = {
        "n_rt": 1,
        "rt_step": 1.0,
        "rt_start": 0.0,
        "mz_start": 100,
        "n_mz": 1,
        "mz_step": 10,
        "rt_mode": "bin",
        "aggregate": "sum",
    }
    assert bin_run(run, grid).values.tolist() == [[3.0]]  # MS1 only by default
    with pytest.raises(DataError, match="2 retention times, 1 m/z arrays"):
        run_from_arrays([0.1, 0.2], [[1.0]], [[1.0]])
    with pytest.raises(DataError, match="spectrum 'scan=1' has 2 m/z values and 1 intensities"):
        run_from_arrays([0.1], [[1.0, 2.0]], [[1.0]])
    with pytest.raises(ConfigError, match="rt_unit"):
        run_from_arrays([0.1], [[1.0]], [[1.0]], rt_unit="fortnight")
    bad = run_from_arrays([0.5], [[np.nan]], [[1.0]], name="mine")
    with pytest.raises(DataError, match="mine: spectrum 'scan=1'"):
        bin_run(bad, GRID)
    with pytest.raises(ConfigError, match="cannot make a run from int"):
        as_ms_run(3)
