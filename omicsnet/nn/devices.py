"""Device selection: ``"auto"`` means CUDA, then Apple MPS, then CPU."""

from __future__ import annotations

import torch

from omicsnet.errors import ConfigError


def resolve_device(device: str | torch.device | None = "auto") -> torch.device:
    """Turn a device spec into a ``torch.device``.

    Parameters
    ----------
    device
        ``"auto"`` (or ``None``) picks CUDA if available, then MPS, then CPU. Anything
        torch understands (``"cpu"``, ``"cuda:1"``) is passed through, after checking
        that it exists.

    Raises
    ------
    ConfigError
        For a malformed name or a device this machine does not have.

    Examples
    --------
    >>> resolve_device("cpu")
    device(type='cpu')
    >>> resolve_device("auto").type in {"cpu", "cuda", "mps"}
    True
    """
    if device is None or device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ConfigError(f"unknown device {device!r}: {err}") from err
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {device!r} requested but CUDA is not available here")
    if resolved.type == "mps" and not torch.backends.mps.is_available():
        raise ConfigError(f"device {device!r} requested but MPS is not available here")
    return resolved
