"""NeatMS peak matrices: a hand-checked peak, every skip reason, IDs, and the per-peak reference."""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest

from omicsnet.errors import DataError
from omicsnet.ms.feature_tables import feature_table_from_bounds, read_feature_table
from omicsnet.ms.mzml import read_ms_run
from omicsnet.ms.synthetic import PlantedPeak, write_synthetic_mzml
from omicsnet.peaks.matrices import PeakMatrices, build_peak_matrices
from tests.conftest import REPO

# Scans every 0.125 min (exact in binary) from 0 to 1.5; the feature spans 0.5-1.0 min, so
# its window (one peak width each side) is 0-1.5 min and 13 points fall exactly on scans.
TIMES = [i * 0.125 for i in range(13)]
TRACE = {0.25: 10, 0.375: 20, 0.5: 40, 0.625: 80, 0.75: 160, 0.875: 80, 1.0: 40, 1.125: 20}
TRACE[1.25] = 10


@pytest.fixture(scope="module")
def hand_run(tmp_path_factory):
    """One feature at m/z 200 with a known trace, plus points that must not count."""
    planted = []
    for t, value in TRACE.items():
        if t == 0.75:  # two points inside the m/z range in one scan: summed (100 + 60)
            planted += [PlantedPeak(200.0, t, 100.0, 0.0), PlantedPeak(200.004, t, 60.0, 0.0)]
        else:
            planted.append(PlantedPeak(200.0, t, float(value), 0.0))
    planted.append(PlantedPeak(200.02, 0.75, 1e6, 0.0))  # just outside the m/z range
    planted.append(PlantedPeak(200.0, 0.0, 500.0, 0.0))  # a lone point early in the window
    path = tmp_path_factory.mktemp("hand") / "hand.mzML"
    write_synthetic_mzml(path, peaks=planted, scan_times=TIMES, chromatogram=False)
    return path


def test_hand_checked_matrix(hand_run):
    # the lone point at t=0 is inside the window: it joins the trace (NeatMS keeps every
    # scan with a point in the m/z range and interpolates across scans without one)
    table = feature_table_from_bounds(["pk"], [199.99], [200.01], [0.5], [1.0])
    result = build_peak_matrices(hand_run, table, n_points=13)
    assert result.feature_ids == ["pk"]
    trace, mask = result.matrices[0]
    # summed per scan: 500 (t=0, scan with signal), nothing at 0.125, then TRACE; minimum
    # is 10, so the baseline-corrected values are value - 10 and the maximum is 150
    expected = np.array([490, 0, 0, 10, 30, 70, 150, 70, 30, 10, 0, 0, 0], float)
    # at t=0.125 the interpolation runs between t=0 (490) and t=0.25 (0): 245
    expected[1] = 245.0
    np.testing.assert_allclose(trace, expected / 490.0, rtol=0, atol=1e-7)
    np.testing.assert_array_equal(mask, [0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0])
    report = result.report.loc["pk"]
    assert (report["scans_in_window"], report["scans_with_signal"], report["scans_in_peak"]) == (
        13,
        10,
        5,
    )


def test_hand_checked_interpolation_between_scans(hand_run):
    # feature 0.5625-0.9375 (width 0.375): its window 0.1875-1.3125 leaves out t=0
    table = feature_table_from_bounds(["pk"], [199.99], [200.01], [0.5625], [0.9375])
    result = build_peak_matrices(hand_run, table, n_points=19, min_scans=3)
    trace, mask = result.matrices[0]
    grid = np.linspace(0.5625 - 0.375, 0.9375 + 0.375, 19)  # every 0.0625 min
    rt = np.array(sorted(TRACE))
    values = np.array([TRACE[t] for t in rt], float)
    expected = np.interp(grid, rt, values - 10, left=0, right=0)
    np.testing.assert_allclose(trace, expected / 150.0, atol=1e-7)
    # a point half-way between scans 0.625 (70) and 0.75 (150) is 110
    assert grid[8] == 0.6875
    assert trace[8] == pytest.approx(110 / 150)
    assert trace[0] == 0.0 and trace[-1] == 0.0  # before the first / after the last scan
    assert mask.sum() == ((grid >= 0.5625) & (grid <= 0.9375)).sum()


def test_every_skip_reason_is_reported(hand_run):
    table = feature_table_from_bounds(
        ["ok", "absent", "nan", "inverted", "late", "empty", "short"],
        [199.99, 199.99, np.nan, 199.99, 199.99, 300.0, 199.99],
        [200.01, 200.01, 200.01, 200.01, 200.01, 300.1, 200.01],
        [0.5, 0.5, 0.5, 1.0, 5.0, 0.5, 0.74],
        [1.0, 1.0, 1.0, 0.5, 6.0, 1.0, 0.76],
    )
    table.features.loc["absent", "present"] = False
    result = build_peak_matrices(hand_run, table)
    assert result.feature_ids == ["ok"]
    reasons = result.report["reason"].to_dict()
    assert reasons == {
        "ok": "",
        "absent": "absent in sample",
        "nan": "missing bounds",
        "inverted": "bad bounds",
        "late": "outside the run's RT range",
        "empty": "no signal",
        "short": "too few scans",
    }
    assert result.skipped().sum() == 6
    assert "6" not in result.summary().split(";")[0]  # "1 of 7 features ..."
    assert result.summary().startswith("1 of 7 features give a peak matrix")


def test_flat_signal_and_min_scans(tmp_path):
    flat = [PlantedPeak(150.0, t, 1000.0, 0.0) for t in TIMES]
    path = tmp_path / "flat.mzML"
    write_synthetic_mzml(path, peaks=flat, scan_times=TIMES, chromatogram=False)
    table = feature_table_from_bounds(
        ["flat", "x"], [149.99, 149.99], [150.01, 150.01], [0.5, 0.5], [1.0, 1.0]
    )
    with pytest.raises(DataError, match="none of the 2 features.*flat signal 2"):
        build_peak_matrices(path, table)


def test_no_valid_peak_explains_the_unit_mix_up(hand_run, tmp_path):
    plain = tmp_path / "seconds.csv"
    # RT written in seconds but read as minutes: everything lands after the run
    plain.write_text("id,mz_min,mz_max,rt_min,rt_max\nA,199.99,200.01,30,60\n")
    table = read_feature_table(plain)
    with pytest.raises(DataError, match="rt_unit='second'"):
        build_peak_matrices(hand_run, table)
    fixed = build_peak_matrices(hand_run, read_feature_table(plain, rt_unit="second"))
    assert fixed.feature_ids == ["A"]


def test_user_ids_kept_in_table_order_and_save_load(tmp_path):
    from omicsnet.peaks.synthetic import write_labelled_peak_set

    peak_set = write_labelled_peak_set(tmp_path / "set", n_per_class=5, seed=2)
    table = read_feature_table(peak_set.features)
    result = build_peak_matrices(peak_set.mzml, table)
    ok_ids = [i for i in table.ids if result.report.loc[i, "status"] == "ok"]
    assert result.feature_ids == ok_ids
    assert list(result.report.index) == table.ids
    saved = result.save(tmp_path / "m.npz")
    again = PeakMatrices.load(saved)
    assert again.feature_ids == result.feature_ids
    np.testing.assert_array_equal(again.matrices, result.matrices)
    pd.testing.assert_frame_equal(again.report, result.report, check_dtype=False)
    with pytest.raises(Exception, match="already exists"):
        result.save(saved)


def _reference():
    spec = importlib.util.spec_from_file_location(
        "bench_peaks", REPO / "benchmarks" / "bench_peaks.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_vectorised_equals_per_peak_neatms_algorithm(tmp_path):
    from omicsnet.peaks.synthetic import write_labelled_peak_set

    bench = _reference()
    peak_set = write_labelled_peak_set(tmp_path / "set", n_per_class=20, seed=5)
    run = read_ms_run(peak_set.mzml, ms_level=1)
    table = read_feature_table(peak_set.features)
    fast = build_peak_matrices(run, table)
    ids, reference = bench.neatms_reference_matrices(run, table.features)
    assert fast.feature_ids == ids
    np.testing.assert_array_equal(fast.matrices, reference)
    big_run, features = bench.large_run(60, n_scans=300, noise_points=50, seed=1)
    fast = build_peak_matrices(big_run, features)
    ids, reference = bench.neatms_reference_matrices(big_run, features)
    assert fast.feature_ids == ids and len(ids) > 40
    np.testing.assert_array_equal(fast.matrices, reference)


def test_neatms_feature_tables_have_no_matching_raw_files(shared_data):
    """The NeatMS tables name sample_1/2/3.mzML; those runs are not among the shared files."""
    table = read_feature_table(
        shared_data / "lcms/feature_tables/neatms/aligned_features.csv", sample="sample_1"
    )
    present = {p.name for p in (shared_data / "lcms/mzml").iterdir()}
    assert not {s for s in table.samples} & present
    # on an unrelated real run, the table's features are reported, not crashed on
    run = shared_data / "lcms/mzml/FeatureFinderMetabo_1_input.mzML"
    with pytest.raises(DataError, match="none of the 9118 features"):
        build_peak_matrices(run, table)


def test_cli_synthetic_build_and_clear_errors(tmp_path):
    from tests.conftest import run_cli

    made = run_cli("lcms", "peaks-synthetic", "--out", str(tmp_path / "set"), "--per-class", "4")
    assert made.returncode == 0, made.stderr
    build = run_cli(
        "lcms", "peaks-build", "--mzml", str(tmp_path / "set/peaks.mzML"),
        "--features", str(tmp_path / "set/features.csv"), "--out", str(tmp_path / "m.npz"),
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    assert "of 12 features give a peak matrix" in build.stdout
    loaded = PeakMatrices.load(tmp_path / "m.npz")
    assert set(loaded.report.index) == {f"F{i:04d}" for i in range(1, 13)}
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n")
    bad = run_cli(
        "lcms", "peaks-build", "--mzml", str(tmp_path / "set/peaks.mzML"),
        "--features", str(tmp_path / "bad.csv"), "--out", str(tmp_path / "x.npz"),
    )  # fmt: skip
    assert bad.returncode == 2
    assert "not a known feature table; columns found: 'a', 'b'" in bad.stderr
    assert "Traceback" not in bad.stderr
