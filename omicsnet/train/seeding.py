"""Reproducible seeding of Python, NumPy and torch."""

from __future__ import annotations

import os
import random

import numpy as np
import torch


def seed_everything(seed: int, *, deterministic: bool = False) -> None:
    """Seed Python's ``random``, NumPy and torch (CPU and CUDA).

    Parameters
    ----------
    seed
        The seed.
    deterministic
        Also ask torch for deterministic kernels (slower on GPU; needed for bitwise
        reproducibility of some CUDA operations).

    Examples
    --------
    >>> seed_everything(7)
    >>> a = torch.rand(2)
    >>> seed_everything(7)
    >>> torch.equal(a, torch.rand(2))
    True
    """
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False


def rng_state() -> dict[str, object]:
    """Capture the random-number states of Python, NumPy and torch (for checkpoints).

    The result holds only tensors, lists and plain numbers, so it round-trips through
    ``torch.save`` / ``torch.load(weights_only=True)``.

    Examples
    --------
    >>> state = rng_state()
    >>> x = torch.rand(1)
    >>> set_rng_state(state)
    >>> torch.equal(x, torch.rand(1))
    True
    """
    np_state = np.random.get_state()
    state: dict[str, object] = {
        "python": _to_plain(random.getstate()),
        "numpy": {
            "keys": torch.from_numpy(np.asarray(np_state[1], dtype=np.int64)),
            "pos": int(np_state[2]),
            "has_gauss": int(np_state[3]),
            "cached_gaussian": float(np_state[4]),
        },
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, object]) -> None:
    """Restore states captured by :func:`rng_state`."""
    python = state["python"]
    random.setstate((python[0], tuple(python[1]), python[2]))  # type: ignore[index]
    np_state = state["numpy"]
    np.random.set_state(
        (
            "MT19937",
            np_state["keys"].numpy().astype(np.uint32),  # type: ignore[index]
            np_state["pos"],  # type: ignore[index]
            np_state["has_gauss"],  # type: ignore[index]
            np_state["cached_gaussian"],  # type: ignore[index]
        )
    )
    torch.set_rng_state(state["torch"])  # type: ignore[arg-type]
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])  # type: ignore[arg-type]


def _to_plain(value: object) -> object:
    if isinstance(value, tuple):
        return [_to_plain(v) for v in value]
    return value
