"""Shared fixtures: the real-data directory, small datasets, and a CLI runner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]


def _shared_data_dir() -> Path | None:
    env = os.environ.get("OMICSNET_DATA")
    if env:
        return Path(env) if Path(env).is_dir() else None
    candidate = REPO.parent / "shared" / "data"
    return candidate if candidate.is_dir() else None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real public datasets (OMICSNET_DATA, else ../shared/data); skip when absent."""
    path = _shared_data_dir()
    if path is None:
        pytest.skip("real datasets not found: set OMICSNET_DATA or place them in ../shared/data")
    return path


@pytest.fixture
def one_torch_thread():
    """Tiny models on a shared 2-core machine: one thread avoids waiting for a busy second core."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def regression_data():
    """A small linear-plus-noise regression problem as an ArrayDataset pair (train, val)."""
    import omicsnet

    rng = np.random.default_rng(0)
    x = rng.normal(size=(160, 6)).astype("float32")
    w = rng.normal(size=(6, 3)).astype("float32")
    y = (x @ w + 0.1 * rng.normal(size=(160, 3))).astype("float32")
    train = omicsnet.ArrayDataset(x[:128], y[:128])
    val = omicsnet.ArrayDataset(x[128:], y[128:])
    return train, val


def run_cli(
    *args: str, cwd: Path | None = None, env: dict | None = None
) -> subprocess.CompletedProcess:
    """Run ``python -m omicsnet ARGS`` in a subprocess and capture its output."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "omicsnet", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=600,
    )
