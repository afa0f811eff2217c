"""Toy benchmark folders for the runner, compare and summary tests."""

from __future__ import annotations

import textwrap

import pytest

#: Two toy benchmarks: one whose ratio a test can plant (TOY_FACTOR), one that can fail.
TOYS = textwrap.dedent(
    """
    import os
    import signal

    from omicsnet.bench.registry import BenchResult, BenchRow, register_benchmark


    @register_benchmark("toy-speed", "fixed timings", suites=("speed",), noise="ratio ±10%")
    def toy_speed(ctx):
        factor = float(os.environ.get("TOY_FACTOR", "1"))
        size = "small" if ctx.quick else "large"
        return BenchResult([
            BenchRow(f"{size} A", "new", "old", 1.0 * factor, 4.0, target="<= 0.5"),
            BenchRow(f"{size} B", "new", "old", 2.0, 4.0),
        ])


    @register_benchmark("toy-quality", "a metric", suites=("science",),
                        noise={"r": "value ±0.03"})
    def toy_quality(ctx):
        mode = os.environ.get("TOY_QUALITY", "ok")
        if mode == "raise":
            raise RuntimeError("planted failure")
        if mode == "crash":
            os.kill(os.getpid(), signal.SIGKILL)
        if mode == "nodata":
            from omicsnet.errors import DataNotFoundError
            raise DataNotFoundError("toy data not found")
        value = float(os.environ.get("TOY_R", "0.62"))
        return BenchResult([BenchRow("median r", "model", "ridge", value, 0.5, unit="r",
                                     target=">= 1.0")])
    """
)


@pytest.fixture
def toy_dir(tmp_path):
    """A user's benchmark folder with the two toys."""
    folder = tmp_path / "mybench"
    folder.mkdir()
    (folder / "bench_toys.py").write_text(TOYS, encoding="utf-8")
    return folder


@pytest.fixture
def no_builtin(tmp_path):
    """Environment in which the built-in suites are an empty folder (so --all is fast)."""
    empty = tmp_path / "no-builtin"
    empty.mkdir()
    return {"OMICSNET_BENCHMARKS": str(empty)}
