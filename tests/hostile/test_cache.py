"""A conversion cache that cannot be used costs the cache, never the conversion.

Before the fix a read-only cache folder (or one that is a file, or a full disk) made every
conversion fail. Now: a folder that is a file or cannot be created gives no cache, a
read-only one is still read, a failed write turns caching off; each with one warning.
Read-only and full file systems are real ones, made in a private mount namespace.
"""

from __future__ import annotations

import errno
import logging
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from omicsnet.ms import binning
from omicsnet.ms.binning import LCMSMatrix, convert_files
from tests.hostile.helpers import (
    in_fault_namespace,
    omicsnet_command,
    run_command,
    tmp_files,
    unshare_works,
    write_runs,
)

needs_unshare = pytest.mark.skipif(
    not unshare_works(), reason="private mount namespaces (unshare -rm) are not available"
)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> list[Path]:
    return write_runs(tmp_path_factory.mktemp("runs"), 3, n_scans=40, noise_peaks=200)


def _cache_warnings(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and "cache" in r.getMessage()
    ]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_cache_folder_that_is_a_file_gives_no_cache(runs, tmp_path, caplog, workers):
    cache = tmp_path / "cache"
    cache.write_text("my notes, not a folder")
    with caplog.at_level(logging.WARNING, logger="omicsnet.ms.binning"):
        result = convert_files(runs, cache_dir=cache, workers=workers, progress=False)
    assert [r.status for r in result.records] == ["converted"] * 3
    assert all(r.cache_file is None for r in result.records)
    assert cache.read_text() == "my notes, not a folder"
    warnings = _cache_warnings(caplog)
    assert len(warnings) == 1 and "it is a file" in warnings[0], warnings


def test_a_full_disk_turns_caching_off_after_one_warning(runs, tmp_path, caplog, monkeypatch):
    calls: list[Path] = []

    def full_disk(path, data, *, overwrite=True):
        calls.append(Path(path))
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(binning, "atomic_write_bytes", full_disk)
    with caplog.at_level(logging.WARNING, logger="omicsnet.ms.binning"):
        result = convert_files(runs, cache_dir=tmp_path / "cache", workers=1, progress=False)
    assert [r.status for r in result.records] == ["converted"] * 3
    assert "No space left on device" in (result.records[0].cache_error or "")
    assert len(calls) == 1, "after the first failed write the batch must stop writing"
    warnings = _cache_warnings(caplog)
    assert len(warnings) == 1 and "without caching" in warnings[0], warnings


def _convert_cli(runs: list[Path], out: Path, cache: Path, **faults) -> CompletedProcess[str]:
    command = omicsnet_command(
        "-q", "lcms", "convert", *map(str, runs), "--out", str(out), "--cache-dir", str(cache)
    )
    command += ["--workers", "2"]
    return run_command(in_fault_namespace(command, **faults))


def _warning_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("WARNING")]


@needs_unshare
def test_a_read_only_cache_is_read_but_not_written(runs, tmp_path):
    cache = tmp_path / "cache"
    first = convert_files(runs[:1], cache_dir=cache, workers=1, progress=False)  # one entry
    before = sorted(p.relative_to(cache) for p in cache.rglob("*"))
    result = _convert_cli(runs, tmp_path / "out", cache, read_only=[cache])
    assert result.returncode == 0, result.stderr
    assert "2 converted, 1 from cache, 0 failed" in result.stdout
    warnings = _warning_lines(result.stderr)
    assert len(warnings) == 1 and "cannot be written" in warnings[0], result.stderr
    assert "Read-only file system" in warnings[0]
    assert sorted(p.relative_to(cache) for p in cache.rglob("*")) == before
    assert first.records[0].cache_file is not None
    for run in runs:
        assert LCMSMatrix.load(tmp_path / "out" / f"{run.name}.npz").shape == (1024, 1024)


@needs_unshare
def test_a_cache_that_cannot_be_created_gives_no_cache(runs, tmp_path):
    parent = tmp_path / "readonly"
    parent.mkdir()
    result = _convert_cli(runs, tmp_path / "out", parent / "cache", read_only=[parent])
    assert result.returncode == 0, result.stderr
    assert "3 converted, 0 from cache, 0 failed" in result.stdout
    warnings = _warning_lines(result.stderr)
    assert len(warnings) == 1 and "converting without caching" in warnings[0], result.stderr
    assert not (parent / "cache").exists()


@needs_unshare
def test_a_full_cache_disk_converts_without_caching(runs, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    result = _convert_cli(runs, tmp_path / "out", cache, full=[cache], full_bytes=16 * 1024)
    assert result.returncode == 0, result.stderr
    assert "3 converted, 0 from cache, 0 failed" in result.stdout
    warnings = _warning_lines(result.stderr)
    assert len(warnings) == 1, result.stderr
    assert "No space left on device" in warnings[0] and "without caching" in warnings[0]
    assert tmp_files(tmp_path) == []
    assert len(list((tmp_path / "out").glob("*.npz"))) == 3
