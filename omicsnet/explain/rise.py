"""RISE: randomized input sampling for explanation (Petsiuk, Das & Saenko, BMVC 2018).

A black-box saliency method: the model scores many copies of the input, each multiplied
by a random smooth mask, and a cell's saliency for class ``c`` is the average score of
class ``c`` over the masks, weighted by how much each mask kept of that cell:

.. math::

    S_c(\\lambda) = \\frac{1}{N\\,p} \\sum_{i=1}^{N} f_c(I \\odot M_i)\\, M_i(\\lambda)

Masks are made as in the paper: a binary ``s x s`` grid whose cells are 1 (**kept**) with
probability ``p`` is up-sampled bilinearly to ``(s + 1) x`` the cell size and cropped at a
random shift of less than one cell, so that masks are smooth and not aligned with the
grid. ``p`` is the *keep* probability (``grid < p`` means kept, as in the authors' code and
in DeepMSProfiler's, which used ``s = 8``, ``p = 0.1``, ``N = 1000``-``1500``); dividing by
``N p`` makes a model that ignores its input give a map of about 1 everywhere.

Here the masks are **batched**: ``batch_size`` masked copies of a sample go through the
model in one forward pass (the reference loops are one mask per call), without gradients,
on the model's device. The random grids and shifts are drawn once, up front, from a seeded
``torch.Generator``; each batch of masks is made when needed (the up-sampling and crop are
separable, so a mask is two small matrix products, equal to ``F.interpolate`` + crop), so
the result does not depend on ``batch_size`` and memory stays bounded by it
(``batch_size`` masks and masked inputs plus the model's activations for them, and at most
:data:`ACCUMULATOR_BYTES` of maps; more samples are processed in chunks). Every sample sees
the same ``N`` masks.

``normalize="coverage"`` divides each cell by the sum of its mask values instead of
``N p``: the mask-weighted mean score when the cell is kept. It removes the imprint of the
masks' uneven coverage (cells near the borders, whose mask values vary more, stand out
when ``N`` is small) and gives stable maps with fewer masks (``benchmarks/bench_rise.py``).

Examples
--------
>>> import torch
>>> from torch import nn
>>> class Corner(nn.Module):  # class 1 is about the top-left corner
...     def forward(self, x):
...         inside = x[:, :, :4, :4].mean(dim=(1, 2, 3))
...         return torch.stack([torch.zeros_like(inside), 8 * inside - 4], dim=1)
>>> maps = rise_maps(Corner(), torch.ones(1, 1, 16, 16), n_masks=300, grid_size=4, p=0.5,
...                  progress=False)
>>> hottest = divmod(int(maps.values[0, 1].argmax()), 16)
>>> hottest[0] < 4 and hottest[1] < 4
True
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from omicsnet.errors import ConfigError
from omicsnet.explain.maps import SaliencyBatch
from omicsnet.models.inference import eval_mode, model_device

logger = logging.getLogger(__name__)

ACTIVATIONS = ("softmax", "sigmoid", "none")
NORMALIZATIONS = ("paper", "coverage")
ACCUMULATOR_BYTES = 256 * 2**20
"""At most this many bytes of maps are accumulated on the device at once (more samples are
processed in chunks, each through all the masks)."""

Scorer = Callable[[torch.Tensor], torch.Tensor]


class MaskSampler:
    """The random grids and shifts of ``n_masks`` RISE masks; up-samples them on demand.

    Parameters
    ----------
    n_masks
        Number of masks ``N``.
    shape
        ``(height, width)`` of the inputs.
    grid_size
        ``s`` (or ``(s_rows, s_cols)``): the binary grid's size.
    p
        Probability that a grid cell is **kept** (1); in ``(0, 1]``.
    seed
        Seed of a fresh CPU ``torch.Generator``, or a generator to draw from.

    Examples
    --------
    >>> sampler = MaskSampler(10, (12, 20), grid_size=4, p=0.5, seed=0)
    >>> masks = sampler.masks(0, 10)
    >>> tuple(masks.shape), bool(((masks >= 0) & (masks <= 1)).all())
    ((10, 12, 20), True)
    >>> torch.equal(masks[3:7], sampler.masks(3, 7))
    True
    """

    def __init__(
        self,
        n_masks: int,
        shape: Sequence[int],
        *,
        grid_size: int | Sequence[int] = 8,
        p: float = 0.1,
        seed: int | torch.Generator = 0,
    ) -> None:
        self.n_masks = _positive_int(n_masks, "n_masks")
        height, width = (int(v) for v in shape)
        if height < 1 or width < 1:
            raise ConfigError(f"inputs must have positive height and width, got {tuple(shape)}")
        self.shape = (height, width)
        self.grid = _grid_pair(grid_size)
        if not isinstance(p, (int, float)) or isinstance(p, bool) or not 0.0 < float(p) <= 1.0:
            raise ConfigError(
                f"p (the probability of keeping a grid cell) must be in (0, 1], got {p}"
            )
        self.p = float(p)
        generator = _generator(seed)
        self.cell = (math.ceil(height / self.grid[0]), math.ceil(width / self.grid[1]))
        self.up_size = ((self.grid[0] + 1) * self.cell[0], (self.grid[1] + 1) * self.cell[1])
        self.grids = torch.rand(self.n_masks, *self.grid, generator=generator) < self.p
        self.shifts = torch.stack(
            [
                torch.randint(0, self.cell[0], (self.n_masks,), generator=generator),
                torch.randint(0, self.cell[1], (self.n_masks,), generator=generator),
            ],
            dim=1,
        )
        self._matrices: dict[torch.device, tuple[torch.Tensor, torch.Tensor]] = {}

    def masks(
        self, start: int, stop: int, device: torch.device | str | None = None
    ) -> torch.Tensor:
        """Masks ``start`` to ``stop - 1`` as a float32 ``(stop - start, height, width)`` tensor.

        Examples
        --------
        >>> round(MaskSampler(4, (8, 8), grid_size=2, p=1.0).masks(0, 2).min().item(), 6)
        1.0
        """
        if not 0 <= start <= stop <= self.n_masks:
            raise ConfigError(f"mask range {start}:{stop} outside 0:{self.n_masks}")
        device = torch.device(device) if device is not None else torch.device("cpu")
        rows, cols = self._interpolation(device)
        grids = self.grids[start:stop].to(device=device, dtype=torch.float32)
        shifts = self.shifts[start:stop].to(device)
        # bilinear up-sampling then cropping is separable: R @ grid @ C^T per mask
        masks = torch.bmm(torch.bmm(rows[shifts[:, 0]], grids), cols[shifts[:, 1]].transpose(1, 2))
        return masks.clamp_(0.0, 1.0)

    def _interpolation(self, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-shift interpolation matrices ``(cell, height, s)`` and ``(cell, width, s)``."""
        cached = self._matrices.get(device)
        if cached is None:
            cached = tuple(
                _shifted_interpolation(n, cell, grid).to(device)
                for n, cell, grid in zip(self.shape, self.cell, self.grid, strict=True)
            )
            self._matrices[device] = cached
        return cached


def _shifted_interpolation(n_out: int, cell: int, n_in: int) -> torch.Tensor:
    """Rows ``shift .. shift + n_out - 1`` of bilinear up-sampling ``n_in`` → ``(n_in + 1) cell``.

    The weights of ``torch.nn.functional.interpolate(mode="bilinear", align_corners=False)``
    along one axis: output ``o`` reads input position ``(o + 0.5) n_in / n_up - 0.5``
    (clamped at 0), split between its two neighbours. Returns ``(cell, n_out, n_in)``, one
    matrix per shift.
    """
    scale = n_in / ((n_in + 1) * cell)
    out = torch.arange(cell)[:, None] + torch.arange(n_out)[None, :]
    source = ((out.double() + 0.5) * scale - 0.5).clamp_min(0.0)
    low = source.floor().long().clamp_max(n_in - 1)
    high = (low + 1).clamp_max(n_in - 1)
    weight_high = (source - low.double()).clamp(0.0, 1.0)
    matrix = torch.zeros(cell, n_out, n_in, dtype=torch.float64)
    matrix.scatter_add_(2, low[..., None], (1.0 - weight_high)[..., None])
    matrix.scatter_add_(2, high[..., None], weight_high[..., None])
    return matrix.float()


def generate_masks(
    n_masks: int,
    shape: Sequence[int],
    *,
    grid_size: int | Sequence[int] = 8,
    p: float = 0.1,
    seed: int | torch.Generator = 0,
) -> torch.Tensor:
    """All ``n_masks`` RISE masks for inputs of ``shape``, as one tensor.

    The same masks :func:`rise_maps` uses with the same arguments (useful for inspection and
    for tests; :func:`rise_maps` itself never holds more than ``batch_size`` at a time).

    Examples
    --------
    >>> masks = generate_masks(500, (32, 32), grid_size=8, p=0.1, seed=1)
    >>> tuple(masks.shape), round(masks.mean().item(), 1)
    ((500, 32, 32), 0.1)
    """
    return MaskSampler(n_masks, shape, grid_size=grid_size, p=p, seed=seed).masks(0, n_masks)


def rise_maps(
    model: nn.Module | Callable[[torch.Tensor], Any],
    x: Any,
    *,
    n_masks: int = 1000,
    grid_size: int | Sequence[int] = 8,
    p: float = 0.1,
    batch_size: int = 64,
    seed: int | torch.Generator = 0,
    fill_value: float = 0.0,
    activation: str = "softmax",
    normalize: str = "paper",
    axes: Any = None,
    classes: Sequence[str] | None = None,
    sample_ids: Sequence[str] | None = None,
    device: torch.device | str | None = None,
    progress: bool = True,
) -> SaliencyBatch:
    """RISE saliency maps of every class for each sample of ``x``.

    Parameters
    ----------
    model
        A classifier taking ``(batch, channels, height, width)`` float inputs and returning
        ``(batch, n_classes)`` outputs: a ``torch.nn.Module`` (put in eval mode for the
        run, then restored) or any callable, e.g. an ensemble's ``predict_proba`` (then
        use ``activation="none"``). A module returning log-probabilities (the zoo's
        ``Ensemble``) works with the default softmax.
    x
        Inputs: a tensor or array ``(n, channels, height, width)`` or ``(height, width)``,
        an :class:`~omicsnet.ms.binning.LCMSMatrix`, or a list of them (their RT
        and m/z axes become the maps' axes).
    n_masks
        Number of random masks ``N`` (every sample sees the same masks).
    grid_size
        ``s``: masks are up-sampled from an ``s x s`` binary grid (or ``(s_rows, s_cols)``).
    p
        Probability that a grid cell is **kept** (DeepMSProfiler: 0.1); with
        ``normalize="paper"`` the maps are divided by ``N p``.
    batch_size
        Masked copies per forward pass: the memory bound (one pass holds ``batch_size``
        masks and inputs plus the model's activations). ``1`` gives one mask per pass.
    seed
        Seed (or ``torch.Generator``) for the masks; equal seeds give equal maps.
    fill_value
        What masked-out cells are set to (0: no signal).
    activation
        Applied to the model's outputs to get class scores: ``"softmax"`` (logits of a
        multi-class model), ``"sigmoid"`` (independent / binary logits) or ``"none"``
        (outputs already are probabilities).
    normalize
        ``"paper"``: divide the weighted sum by ``N p`` (Petsiuk et al.; the default).
        ``"coverage"``: divide each cell by the sum of its mask values instead, i.e. the
        mask-weighted mean score when the cell is kept. This removes the imprint of the
        random masks' uneven coverage (cells near the borders, whose mask values vary
        more, otherwise stand out with few masks) and matters most for large ``p`` or
        small ``N``.
    axes
        RT and m/z coordinates (anything :meth:`MapAxes.resolve
        <omicsnet.explain.maps.MapAxes.resolve>` accepts); default: those of ``x`` when it
        is a matrix, else bin indices.
    classes
        Class names; default the model's ``output_features`` when it has as many, else
        ``class_0``, ...
    sample_ids
        One ID per sample (default: the matrices' source files, else ``"0"``, ``"1"``, ...).
    device
        Where to run; default the model's device (its first parameter or buffer; for a
        bound method such as ``ensemble.predict_proba``, its module's), else CPU.
    progress
        Show a progress bar.

    Returns
    -------
    SaliencyBatch
        ``values`` ``(n, n_classes, height, width)``, the model's ``probabilities`` on the
        unmasked inputs, axes, classes, and ``params`` (method ``"rise"``).

    Raises
    ------
    ConfigError
        For bad parameters or inputs, or a model output that is not ``(batch, n_classes)``.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> model = nn.Sequential(nn.Flatten(), nn.Linear(64, 3))
    >>> maps = rise_maps(model, torch.rand(2, 1, 8, 8), n_masks=50, batch_size=16, progress=False)
    >>> maps.values.shape, maps.probabilities.shape, maps.method, maps.params["p"]
    ((2, 3, 8, 8), (2, 3), 'rise', 0.1)
    """
    from tqdm.auto import tqdm

    batch_size = _positive_int(batch_size, "batch_size")
    if normalize not in NORMALIZATIONS:
        raise ConfigError(f"normalize must be one of {NORMALIZATIONS}, got {normalize!r}")
    images, matrix_axes, matrix_ids = image_batch(x)
    n_samples, channels, height, width = images.shape
    sampler = MaskSampler(n_masks, (height, width), grid_size=grid_size, p=p, seed=seed)
    run_device = model_device(model, device)
    fill = float(fill_value)
    with eval_mode(model, no_grad=False), torch.inference_mode():
        scorer = make_scorer(model, activation)
        probabilities = torch.cat(
            [
                scorer(images[i : i + batch_size].to(run_device)).cpu()
                for i in range(0, n_samples, batch_size)
            ]
        )
        n_classes = probabilities.shape[1]
        values = np.empty((n_samples, n_classes, height, width), dtype=np.float32)
        # samples whose maps are accumulated together on the device (the same masks serve them all)
        chunk = max(1, min(n_samples, ACCUMULATOR_BYTES // (4 * n_classes * height * width)))
        logger.info(
            "RISE: %d samples x %d masks (%s grid, p=%g), %d masks per forward pass, on %s",
            n_samples,
            sampler.n_masks,
            "x".join(map(str, sampler.grid)),
            sampler.p,
            batch_size,
            run_device,
        )
        with tqdm(
            total=n_samples * sampler.n_masks, desc="RISE", unit="mask", disable=not progress
        ) as bar:
            for first in range(0, n_samples, chunk):
                part = images[first : first + chunk].to(run_device)
                saliency = torch.zeros(len(part), n_classes, height * width, device=run_device)
                coverage = torch.zeros(height * width, device=run_device)
                for start in range(0, sampler.n_masks, batch_size):
                    stop = min(start + batch_size, sampler.n_masks)
                    masks = sampler.masks(start, stop, run_device)
                    flat = masks.reshape(stop - start, -1)
                    coverage += flat.sum(dim=0)
                    keep = masks[:, None]
                    for i in range(len(part)):
                        masked = part[i] * keep
                        if fill != 0.0:
                            masked = masked + fill * (1.0 - keep)
                        scores = scorer(masked)
                        if scores.shape != (stop - start, n_classes):
                            raise ConfigError(
                                f"the model returned shape {tuple(scores.shape)} for "
                                f"{stop - start} masked inputs; "
                                f"expected ({stop - start}, {n_classes})"
                            )
                        saliency[i] += scores.T @ flat
                        bar.update(stop - start)
                if normalize == "paper":
                    saliency /= sampler.n_masks * sampler.p
                else:
                    saliency /= coverage.clamp_min(torch.finfo(torch.float32).tiny)
                values[first : first + len(part)] = (
                    saliency.reshape(len(part), n_classes, height, width).cpu().numpy()
                )
    params = {
        "n_masks": sampler.n_masks,
        "grid_size": list(sampler.grid),
        "p": sampler.p,
        "p_meaning": "probability of keeping a grid cell",
        "seed": seed if isinstance(seed, int) else "torch.Generator",
        "fill_value": fill,
        "activation": activation,
        "normalize": normalize,
        "batch_size": batch_size,
        "input_shape": [channels, height, width],
        "device": str(run_device),
    }
    return SaliencyBatch(
        values,
        probabilities.numpy(),
        axes if axes is not None else matrix_axes,
        _default_classes(model, n_classes) if classes is None else classes,
        "rise",
        params,
        sample_ids if sample_ids is not None else matrix_ids,
    )


# ---------------------------------------------------------------------------- helpers
def image_batch(x: Any) -> tuple[torch.Tensor, Any, list[str] | None]:
    """Turn inputs into a float32 ``(n, channels, height, width)`` CPU tensor.

    Accepts a 4-D tensor or array, one 2-D ``(height, width)`` matrix, an object with a
    ``values`` array and ``rt``/``mz`` axes (an
    :class:`~omicsnet.ms.binning.LCMSMatrix`), or a list of such matrices (they
    must share their axes).

    Returns
    -------
    (images, axes source or None, sample IDs or None)

    Examples
    --------
    >>> import numpy as np
    >>> images, axes, ids = image_batch(np.zeros((5, 7)))
    >>> tuple(images.shape), axes, ids
    ((1, 1, 5, 7), None, None)
    """
    axes, ids = None, None
    if isinstance(x, (list, tuple)) and x and all(_is_matrix(item) for item in x):
        items = list(x)
    else:
        items = [x] if _is_matrix(x) else None
    if items is not None:
        first = items[0]
        for item in items[1:]:
            if not (
                np.array_equal(np.asarray(item.rt), np.asarray(first.rt))
                and np.array_equal(_mz_of(item), _mz_of(first))
            ):
                raise ConfigError(
                    f"matrices {getattr(first, 'source', '?')!r} and "
                    f"{getattr(item, 'source', '?')!r} have different RT/m/z axes"
                )
        axes = first
        ids = [str(getattr(item, "source", i)) for i, item in enumerate(items)]
        if len(set(ids)) != len(ids):
            ids = None
        x = np.stack([np.asarray(item.values, dtype=np.float32) for item in items])[:, None]
    tensor = torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x)
    tensor = tensor.detach().to("cpu", torch.float32)
    if tensor.ndim == 2:
        tensor = tensor[None, None]
    if tensor.ndim != 4:
        raise ConfigError(
            "inputs must be (n, channels, height, width) or one (height, width) matrix; "
            f"got shape {tuple(tensor.shape)}"
        )
    if tensor.shape[0] == 0:
        raise ConfigError("no inputs: the batch is empty")
    return tensor, axes, ids


def _is_matrix(x: Any) -> bool:
    return hasattr(x, "values") and hasattr(x, "rt") and not isinstance(x, torch.Tensor)


def _mz_of(matrix: Any) -> np.ndarray:
    mz = getattr(matrix, "mz", None)
    return np.asarray(mz if mz is not None else getattr(matrix, "mz_edges", []))


def make_scorer(model: nn.Module | Callable[[torch.Tensor], Any], activation: str) -> Scorer:
    """A function mapping a batch to ``(batch, n_classes)`` float32 class scores.

    Parameters
    ----------
    model
        Module or callable; a 1-D output is taken as one column, arrays are converted.
    activation
        ``"softmax"``, ``"sigmoid"`` or ``"none"``.

    Examples
    --------
    >>> import torch
    >>> score = make_scorer(lambda x: x.flatten(1)[:, :2], "softmax")
    >>> score(torch.zeros(3, 1, 2, 2)).tolist()
    [[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]]
    """
    if activation not in ACTIVATIONS:
        raise ConfigError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
    if not callable(model):
        raise ConfigError(f"model must be a torch module or a callable, got {type(model).__name__}")

    def score(batch: torch.Tensor) -> torch.Tensor:
        out = model(batch)
        if not isinstance(out, torch.Tensor):
            out = torch.as_tensor(np.asarray(out))
        out = out.to(device=batch.device, dtype=torch.float32)
        if out.ndim == 1:
            out = out[:, None]
        if out.ndim != 2:
            raise ConfigError(
                f"the model must return (batch, n_classes) scores; got shape {tuple(out.shape)}"
            )
        if activation == "softmax":
            return torch.softmax(out, dim=1)
        if activation == "sigmoid":
            return torch.sigmoid(out)
        return out

    return score


def _default_classes(model: Any, n_classes: int) -> list[str] | None:
    names = getattr(model, "output_features", None)
    if isinstance(names, (list, tuple)) and len(names) == n_classes:
        return [str(n) for n in names]
    return None


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ConfigError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _grid_pair(grid_size: int | Sequence[int]) -> tuple[int, int]:
    pair = (grid_size, grid_size) if isinstance(grid_size, (int, np.integer)) else tuple(grid_size)
    if len(pair) != 2:
        raise ConfigError(f"grid_size must be an integer or a pair, got {grid_size!r}")
    return (_positive_int(pair[0], "grid_size"), _positive_int(pair[1], "grid_size"))


def _generator(seed: int | torch.Generator) -> torch.Generator:
    if isinstance(seed, torch.Generator):
        if seed.device.type != "cpu":
            raise ConfigError("the mask generator must be a CPU torch.Generator")
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ConfigError(f"seed must be an integer or a torch.Generator, got {seed!r}")
    generator = torch.Generator()
    generator.manual_seed(int(seed))
    return generator
