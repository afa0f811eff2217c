"""LC-MS intensity transforms applied inside models (raw intensities span nine decades).

Examples
--------
>>> import torch
>>> intensity_transform(torch.tensor([[[0.0, 1e9]]]), "max").tolist()
[[[0.0, 1.0]]]
"""

from __future__ import annotations

import torch
from torch import Tensor

from omicsnet.errors import ConfigError

TRANSFORMS = ("none", "log1p", "max", "log1p_max")


def intensity_transform(x: Tensor, transform: str = "log1p_max", eps: float = 1e-12) -> Tensor:
    """Apply an LC-MS intensity transform to a batch ``(batch, ...)`` of matrices.

    Parameters
    ----------
    x
        Raw intensities; negative values (which no instrument reports) are clipped to 0.
    transform
        ``"none"``, ``"log1p"``, ``"max"`` (divide each sample by its maximum) or
        ``"log1p_max"`` (``log1p``, then divide by the sample's maximum). An all-zero
        sample stays zero.
    eps
        Floor of the divisor in the max scalings.

    Returns
    -------
    torch.Tensor
        Same shape as ``x``.

    Examples
    --------
    >>> import torch
    >>> x = torch.tensor([[[0.0, 1e9]], [[3.0, 1.0]]])
    >>> intensity_transform(x, "max").tolist()
    [[[0.0, 1.0]], [[1.0, 0.3333333432674408]]]
    >>> round(float(intensity_transform(x, "log1p")[0, 0, 1]), 3)
    20.723
    """
    if transform not in TRANSFORMS:
        raise ConfigError(f"intensity transform must be one of {TRANSFORMS}, got {transform!r}")
    if transform == "none":
        return x
    x = x.clamp_min(0.0)
    if transform in ("log1p", "log1p_max"):
        x = torch.log1p(x)
    if transform in ("max", "log1p_max"):
        peak = x.reshape(len(x), -1).amax(1).clamp_min(eps)
        x = x / peak.view(-1, *([1] * (x.ndim - 1)))
    return x


__all__ = ["TRANSFORMS", "intensity_transform"]
