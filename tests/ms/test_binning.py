"""RT x m/z binning: identity with DeepMSProfiler's algorithm, parameters, save/load, batches."""

from __future__ import annotations

import json
import os
import zipfile

import numpy as np
import pandas as pd
import pytest

from omicsnet.errors import ConfigError, DataError, DataNotFoundError
from omicsnet.ms import binning as lcms_matrix
from omicsnet.ms.binning import (
    PRESETS,
    BinningParams,
    LCMSMatrix,
    bin_run,
    cache_file_for,
    convert_file,
    convert_files,
    default_cache_dir,
    nearest_scan,
    resolve_params,
)
from omicsnet.ms.mzml import MSRun, read_ms_run
from omicsnet.ms.synthetic import PlantedPeak, write_synthetic_mzml

READABLE = [
    "test.mzML",
    "test.mzXML",
    "example.mzML",
    "FeatureFinderMetabo_1_input.mzML",
    "FeatureFinderMetaboIdent_1_input.mzML",
    "GNPSExport_mzml1.mzML",
    "GNPSExport_mzml2.mzML",
    "QualityControl_1_in1.mzML.gz",
    "QualityControl_1_in2.mzML.gz",
    "QualityControl_1_in3.mzML.gz",
]


SLOW = {"GNPSExport_mzml2.mzML", "QualityControl_1_in2.mzML.gz", "QualityControl_1_in3.mzML.gz"}
READABLE_PARAMS = [
    pytest.param(name, marks=pytest.mark.slow) if name in SLOW else name for name in READABLE
]


def reference_matrix(run: MSRun, params: BinningParams) -> np.ndarray:
    """DeepMSProfiler's ``mzml2itmx``, re-implemented straightforwardly (float64 result).

    For each row time of ``np.arange(rt_start, …, rt_step)`` take the scan nearest in time
    (``argmin |t_scan - t|``, what pyteomics' ``MzML.time[t]`` returns), put its peaks into
    m/z bins with ``pd.cut`` (right-closed, labelled by the left edge) and keep the
    maximum intensity per bin (0 for empty bins). Rows that pick the same scan are copies,
    so each scan is binned once.
    """
    rt_rows = np.arange(params.rt_start, params.rt_start + params.n_rt * params.rt_step,
                        params.rt_step)[: params.n_rt]  # fmt: skip
    edges = params.mz_start + np.arange(params.n_mz + 1) * params.mz_step
    labels = list(range(params.n_mz))
    out = np.zeros((params.n_rt, params.n_mz))
    binned: dict[int, np.ndarray] = {}
    for row, t in enumerate(rt_rows):
        k = int(np.argmin(np.abs(run.rt - t)))
        if k not in binned:
            mz, intensity = run.spectrum(k)
            cut = pd.cut(mz, bins=edges, labels=labels)
            maxima = pd.Series(intensity).groupby(cut, observed=False).max()
            binned[k] = maxima.reindex(labels).fillna(0).to_numpy(dtype=np.float64)
        out[row] = binned[k]
    return out


def grid_covering(run: MSRun, n_rt: int = 100) -> BinningParams:
    """A grid spanning the run's scans (the preset's grid misses most shared files)."""
    lo, hi = float(run.rt.min()), float(run.rt.max())
    return BinningParams(rt_start=lo - 0.01, rt_step=(hi - lo + 0.02) / n_rt, n_rt=n_rt,
                         ms_level=None, mz_start=100.0, mz_step=0.5, n_mz=1200,
                         rt_outside="warn")  # fmt: skip  # 2-scan runs: most rows repeat an edge


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("lcms_matrix")


@pytest.fixture(scope="module")
def planted(folder):
    """12 MS1 scans (0.5 … 1.6 min) + MS2, two narrow planted peaks, noise."""
    peaks = [PlantedPeak(150.25, 0.8, 2e5, 0.0), PlantedPeak(612.4, 1.3, 5e4, 0.0)]
    return write_synthetic_mzml(
        folder / "planted.mzML", peaks=peaks, n_scans=12, noise_peaks=30, noise_level=50.0,
        ms2_per_ms1=1, seed=7,
    )  # fmt: skip


# ---------------------------------------------------------------------------- parameters
def test_preset_definition():
    p = PRESETS["deepmsprofiler"]
    assert p == BinningParams() == resolve_params(None) == resolve_params("deepmsprofiler")
    assert (p.n_rt, p.n_mz, p.rt_start, p.rt_step, p.mz_start, p.mz_step) == (
        1024, 1024, 0.5, 0.016, 50.0, 1.0)  # fmt: skip
    assert (p.aggregate, p.transform, p.scale, p.rt_mode, p.ms_level) == (
        "max", "none", "none", "nearest", 1)  # fmt: skip
    np.testing.assert_array_equal(p.rt_grid(), np.arange(0.5, 0.5 + 1024 * 0.016, 0.016))
    np.testing.assert_array_equal(p.mz_edges(), np.arange(50, 1075))


@pytest.mark.parametrize(
    "bad",
    [
        {"n_rt": 0},
        {"n_mz": 2.5},
        {"rt_step": -1},
        {"mz_step": float("nan")},
        {"aggregate": "mean"},
        {"transform": "log"},
        {"scale": "z"},
        {"rt_mode": "linear"},
        {"ms_level": "1"},
        {"max_rt_gap": 0},
        {"unknown": 1},
        {"preset": "nope"},
    ],
)
def test_bad_parameters(bad):
    with pytest.raises(ConfigError):
        BinningParams.from_dict(bad)


def test_cache_key_follows_every_parameter():
    base = BinningParams()
    keys = {base.cache_key()}
    for change in [{"n_rt": 512}, {"mz_step": 0.5}, {"aggregate": "sum"}, {"ms_level": None},
                   {"transform": "log1p"}, {"scale": "max"}, {"max_rt_gap": 0.1}]:  # fmt: skip
        keys.add(base.replace(**change).cache_key())
    assert len(keys) == 8
    assert BinningParams.from_dict(json.loads(json.dumps(base.to_dict()))) == base


def test_nearest_scan_is_argmin():
    rng = np.random.default_rng(0)
    for trial in range(200):
        n = int(rng.integers(1, 30))
        times = np.round(rng.uniform(0, 3, n), int(rng.integers(0, 3)))  # many duplicates
        if trial % 3 == 0:
            times = np.sort(times)
        targets = np.round(rng.uniform(-1, 4, 50), 2)
        targets[:5] = times[:5] if n >= 5 else targets[:5]
        expected = [int(np.argmin(np.abs(times - t))) for t in targets]
        assert nearest_scan(times, targets).tolist() == expected


# ---------------------------------------------------------------------------- binning
def test_planted_peaks_land_in_their_cells(planted):
    params = BinningParams(rt_start=0.5, rt_step=0.1, n_rt=12, mz_start=100, n_mz=600)
    m = convert_file(planted.path, params)
    rows = {round(float(t), 3): i for i, t in enumerate(m.rt)}
    assert m.values[rows[0.8], 50] == 2e5  # (150, 151]
    assert m.values[rows[1.3], 512] == 5e4  # (612, 613]
    assert m.values[:, 50].argmax() == rows[0.8]
    assert m.values[rows[0.5], 50] < 100  # only noise away from the apex
    ms1 = read_ms_run(planted.path, ms_level=1)
    np.testing.assert_array_equal(m.values, reference_matrix(ms1, params).astype(np.float32))


def test_ms2_scans_are_excluded_unless_asked(planted):
    all_levels = BinningParams(rt_start=0.5, rt_step=0.05, n_rt=24, n_mz=950, ms_level=None)
    run = read_ms_run(planted.path)
    m_all = bin_run(run, all_levels)
    np.testing.assert_array_equal(m_all.values, reference_matrix(run, all_levels))
    m_ms1 = bin_run(run, all_levels.replace(ms_level=1))
    assert m_ms1.info["n_spectra_used"] == 12 and m_all.info["n_spectra_used"] == 24
    assert not np.array_equal(m_all.values, m_ms1.values)
    with pytest.raises(DataError, match=r"planted\.mzML: no spectra of MS level 3"):
        bin_run(run, all_levels.replace(ms_level=3))


def test_sum_bin_mode_transform_and_scaling(planted):
    run = read_ms_run(planted.path, ms_level=1)
    base = BinningParams(rt_start=0.45, rt_step=0.2, n_rt=6, mz_start=100, n_mz=900,
                         rt_mode="bin", aggregate="sum")  # fmt: skip
    summed = bin_run(run, base).values.astype(np.float64)
    expected = np.zeros((6, 900))
    for i in range(len(run)):
        row = int(np.floor((run.rt[i] - 0.45) / 0.2 + 1e-9))
        mz, intensity = run.spectrum(i)
        col = np.ceil(mz - 100).astype(int) - 1
        ok = (col >= 0) & (col < 900)
        np.add.at(expected, (np.full(ok.sum(), row), col[ok]), intensity[ok])
    np.testing.assert_allclose(summed, expected.astype(np.float32), rtol=1e-6)
    logged = bin_run(run, base.replace(transform="log1p")).values
    np.testing.assert_allclose(logged, np.log1p(expected).astype(np.float32), rtol=1e-6)
    by_max = bin_run(run, base.replace(transform="log1p", scale="max")).values
    assert by_max.max() == pytest.approx(1.0) and by_max.min() == 0.0
    by_sum = bin_run(run, base.replace(scale="sum")).values
    assert by_sum.sum(dtype=np.float64) == pytest.approx(1.0, rel=1e-5)


def test_scaling_in_nearest_mode_counts_repeated_rows(planted):
    run = read_ms_run(planted.path, ms_level=1)
    params = BinningParams(rt_start=0.5, rt_step=0.01, n_rt=150, n_mz=700)
    raw = bin_run(run, params).values.astype(np.float64)
    by_sum = bin_run(run, params.replace(scale="sum")).values
    np.testing.assert_allclose(by_sum, raw / raw.sum(), rtol=1e-5)
    by_max = bin_run(run, params.replace(scale="max")).values
    np.testing.assert_allclose(by_max, raw / raw.max(), rtol=1e-6)


def test_max_rt_gap_leaves_far_rows_empty(planted):
    run = read_ms_run(planted.path, ms_level=1)  # scans 0.5 … 1.6 min
    params = BinningParams(rt_start=0.0, rt_step=0.1, n_rt=30, n_mz=700, rt_outside="warn")
    everywhere = bin_run(run, params)
    assert (everywhere.values.sum(axis=1) > 0).all()  # DeepMSProfiler: edge scans repeat
    assert "would repeat an edge scan" in everywhere.info["warnings"][0]
    gapped = bin_run(run, params.replace(max_rt_gap=0.05))
    filled = gapped.values.sum(axis=1) > 0
    assert filled.tolist() == [0.45 < t < 1.65 for t in gapped.rt]
    assert gapped.info["rows_filled"] == 12


@pytest.mark.parametrize("mode", ["nearest", "bin"])
@pytest.mark.parametrize("aggregate", ["max", "sum"])
def test_peak_batches_do_not_change_the_result(planted, monkeypatch, mode, aggregate):
    run = read_ms_run(planted.path)
    params = BinningParams(rt_start=0.5, rt_step=0.05, n_rt=30, n_mz=900, ms_level=None,
                           rt_mode=mode, aggregate=aggregate)  # fmt: skip
    whole = bin_run(run, params)
    monkeypatch.setattr(lcms_matrix, "_PEAKS_PER_BATCH", 7)
    batched = bin_run(run, params)
    np.testing.assert_allclose(batched.values, whole.values, rtol=1e-6)
    assert batched.info["n_peaks_binned"] == whole.info["n_peaks_binned"] > 0


def test_a_run_that_misses_the_grid_is_refused_unless_asked(planted, caplog):
    run = read_ms_run(planted.path, ms_level=1)  # scans 0.5 to 1.6 min
    late = BinningParams(rt_start=5.0, n_rt=10)
    missed = r"planted\.mzML: scans at 0\.500 to 1\.600 min lie 100 % outside the RT grid"
    with pytest.raises(DataError, match=missed + r" \(5\.000 to 5\.144 min\).*rt_outside"):
        bin_run(run, late)
    m = bin_run(run, late.replace(rt_outside="warn"))  # DeepMSProfiler's behaviour, on request
    assert "outside the RT grid" in m.info["warnings"][0]
    assert "outside the RT grid" in caplog.text
    # the default grid (0.5 to 16.9 min) would fill 93 % of its rows with the last scan
    with pytest.raises(DataError, match=r"93 % of the grid rows .* would repeat an edge scan"):
        bin_run(run, BinningParams())
    # a grid mostly inside the run, or rows left empty past max_rt_gap, is fine
    assert bin_run(run, BinningParams(rt_start=0.4, rt_step=0.1, n_rt=14)).info["warnings"] == []
    gapped = BinningParams(rt_start=0.0, rt_step=0.1, n_rt=30, max_rt_gap=0.05)
    assert bin_run(run, gapped).info["warnings"] == []


# ---------------------------------------------------------------------------- real files
@pytest.mark.data
@pytest.mark.parametrize("name", READABLE_PARAMS)
def test_identical_to_deepmsprofiler_reference_on_real_files(shared_data, name):
    path = shared_data / "lcms" / "mzml" / name
    run = read_ms_run(path)
    preset = BinningParams(rt_outside="warn")  # these short runs miss most of the grid
    ours = convert_file(path, preset)
    assert ours.shape == (1024, 1024) and ours.values.dtype == np.float32
    ref = reference_matrix(run.select(run.ms_level == 1), preset)
    np.testing.assert_array_equal(ours.values, ref.astype(np.float32))
    assert ours.sha256 == run.sha256 and ours.source == name
    # a grid that spans the run (all MS levels): rows differ from each other
    covering = grid_covering(run)
    ours = bin_run(run, covering)
    np.testing.assert_array_equal(ours.values, reference_matrix(run, covering).astype(np.float32))
    assert ours.info["n_scans_binned"] > 1 or len(run) < 3


# ---------------------------------------------------------------------------- save / load
def test_save_load_round_trip(planted, tmp_path):
    params = BinningParams(n_rt=64, rt_step=0.02, transform="log1p", scale="max")
    m = convert_file(planted.path, params)
    path = m.save(tmp_path / "out" / "planted.npz")
    assert sorted(p.name for p in path.parent.iterdir()) == ["planted.npz"]  # no temp files
    back = LCMSMatrix.load(path)
    np.testing.assert_array_equal(back.values, m.values)
    np.testing.assert_array_equal(back.rt, m.rt)
    np.testing.assert_array_equal(back.mz_edges, m.mz_edges)
    assert back.params == params and back.source == "planted.mzML" and back.sha256 == m.sha256
    assert back.info == json.loads(json.dumps(m.info))
    with zipfile.ZipFile(path) as archive:  # plain arrays only: loads with allow_pickle=False
        assert sorted(archive.namelist()) == ["metadata.npy", "mz_edges.npy", "rt.npy",
                                              "values.npy"]  # fmt: skip
    with np.load(path, allow_pickle=False) as archive:
        meta = json.loads(archive["metadata"].tobytes())
    assert meta["params"]["transform"] == "log1p" and meta["shape"] == [64, 1024]
    frame = back.to_frame()
    assert frame.shape == (64, 1024) and frame.index.name == "rt_min"


def test_load_errors(tmp_path, planted):
    with pytest.raises(DataNotFoundError):
        LCMSMatrix.load(tmp_path / "none.npz")
    other = tmp_path / "other.npz"
    np.savez(other, values=np.zeros((2, 2)))
    with pytest.raises(DataError, match=r"other\.npz: not an omicsnet LC-MS matrix"):
        LCMSMatrix.load(other)
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, values=np.zeros((1, 1)), rt=np.zeros(1), mz_edges=np.zeros(2),
             metadata=np.array([{"format": "omicsnet.lcms_matrix"}], dtype=object))  # fmt: skip
    with pytest.raises(DataError, match=r"pickled\.npz"):
        LCMSMatrix.load(pickled)


# ---------------------------------------------------------------------------- batches
@pytest.fixture(scope="module")
def batch_files(folder, planted):
    """Three good files (one gzipped, one in seconds) and a set of bad ones."""
    good = [planted.path]
    good.append(write_synthetic_mzml(folder / "b.mzML.gz", peaks=[(300.0, 1.0, 1e3)],
                                     rt_unit="second", seed=1).path)  # fmt: skip
    good.append(write_synthetic_mzml(folder / "c.mzML", peaks=[(400.0, 0.7, 1e4)],
                                     profile=True, seed=2).path)  # fmt: skip
    empty = folder / "empty.mzML"
    empty.write_bytes(b"")
    cut = folder / "cut.mzML"
    data = planted.path.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    chrom = write_synthetic_mzml(folder / "chrom.mzML", n_scans=0).path
    return good, [empty, cut, chrom, folder / "missing.mzML"]


def test_batch_cache_hits_and_misses(batch_files, tmp_path):
    good, _ = batch_files
    cache = tmp_path / "cache"
    params = BinningParams(n_rt=128, rt_step=0.01)
    first = convert_files(good, params, cache_dir=cache, workers=1, progress=False)
    assert [r.status for r in first.records] == ["converted"] * 3
    entries = sorted(cache.rglob("*.npz"))
    assert len(entries) == 3
    stamps = {p: p.stat().st_mtime_ns for p in entries}
    second = convert_files(good, params, cache_dir=cache, workers=2, progress=False)
    assert second.n_cached == 3 and second.n_converted == 0
    assert {p: p.stat().st_mtime_ns for p in sorted(cache.rglob("*.npz"))} == stamps
    for path in map(str, good):
        np.testing.assert_array_equal(second.matrices[path].values, first.matrices[path].values)
        assert second.matrices[path].source == os.path.basename(path)
    changed = convert_files(good, params.replace(aggregate="sum"), cache_dir=cache,
                            workers=1, progress=False)  # fmt: skip
    assert changed.n_converted == 3 and changed.n_cached == 0
    assert len(list(cache.rglob("*.npz"))) == 6
    key = cache_file_for(first.records[0].sha256, params, cache)
    assert key.is_file() and first.records[0].cache_file == str(key)


def test_batch_reports_failures_and_continues(batch_files, tmp_path):
    good, bad = batch_files
    files = [bad[0], good[0], bad[1], good[1], bad[2], good[2], bad[3], good[0]]
    result = convert_files(files, {"n_rt": 64}, cache_dir=tmp_path / "c", workers=2,
                           progress=False)  # fmt: skip
    assert [r.path for r in result.records] == [str(p) for p in files[:-1]]  # duplicate once
    assert [r.status for r in result.records] == ["failed", "converted"] * 3 + ["failed"]
    assert sorted(result.matrices) == sorted(map(str, good))
    reasons = dict(result.failures)
    assert "empty file" in reasons[str(bad[0])]
    assert "truncated" in reasons[str(bad[1])]
    assert "chromatogram-only" in reasons[str(bad[2])]
    assert "no such" in reasons[str(bad[3])]
    for path, reason in result.failures:
        assert path in reason and "\n" not in reason
    assert not result.ok and result.n_failed == 4
    assert list(result.table().columns)[:3] == ["path", "status", "seconds"]


def test_batch_without_cache(batch_files, tmp_path, monkeypatch):
    monkeypatch.setenv("OMICSNET_CACHE", str(tmp_path / "env-cache"))
    assert default_cache_dir() == tmp_path / "env-cache" / "lcms"
    good, _ = batch_files
    result = convert_files(good[:2], {"n_rt": 70}, use_cache=False, workers=1, progress=False)
    assert result.n_converted == 2 and not (tmp_path / "env-cache").exists()
    assert all(r.cache_file is None for r in result.records)
    with pytest.raises(ConfigError, match="workers"):
        convert_files(good, workers=0)


@pytest.mark.data
def test_batch_on_every_shared_file(shared_data, tmp_path):
    folder = shared_data / "lcms" / "mzml"
    files = sorted(folder.iterdir())
    result = convert_files(
        files, {"rt_outside": "warn"}, cache_dir=tmp_path, workers=2, progress=False
    )
    assert [os.path.basename(p) for p, _ in result.failures] == ["mini.chrom.mzML"]
    assert "chromatogram-only" in result.failures[0][1]
    assert sorted(os.path.basename(p) for p in result.matrices) == sorted(READABLE)
