"""Inference with any model: eval mode, batches, devices, probabilities — written once.

Every family predicts through these functions, so they all agree on the details that
are easy to get wrong: the model is put in eval mode for the call and given back in the
mode it was in (a model in the middle of training stays in train mode), no gradients
are kept, inputs are moved to the model's device batch by batch and outputs come back to
the CPU as float32 NumPy arrays.

Inputs may be a tensor, a NumPy array, a DataFrame (samples in rows) or an
:class:`~omicsnet.data.datasets.ArrayDataset` (its ``"x"``).

Examples
--------
>>> import torch
>>> from torch import nn
>>> net = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5), nn.Linear(4, 2)).train()
>>> out = predict(net, torch.randn(10, 3), batch_size=4)
>>> out.shape, out.dtype, net.training
((10, 2), dtype('float32'), True)
>>> bool(abs(predict_proba(net, torch.randn(5, 3)).sum(1) - 1).max() < 1e-6)
True
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from omicsnet.errors import ConfigError, DataError

ACTIVATIONS = ("softmax", "sigmoid", "none", "auto")


@contextlib.contextmanager
def eval_mode(model: Any, *, no_grad: bool = True) -> Iterator[Any]:
    """Run a block with ``model`` in eval mode (and without gradients); restore its mode.

    Works for any callable: a bound method of a module (``model.predict_proba``) switches
    its module; other callables are left as they are.

    Examples
    --------
    >>> from torch import nn
    >>> net = nn.Dropout(0.5).train()
    >>> with eval_mode(net):
    ...     net.training
    False
    >>> net.training
    True
    """
    module = _owner(model)
    was_training = module.training if module is not None else None
    if module is not None:
        module.eval()
    grad = torch.no_grad() if no_grad else contextlib.nullcontext()
    try:
        with grad:
            yield model
    finally:
        if module is not None and was_training is not None:
            module.train(was_training)


def _owner(model: Any) -> nn.Module | None:
    if isinstance(model, nn.Module):
        return model
    owner = getattr(model, "__self__", None)  # a bound method such as predict_proba
    return owner if isinstance(owner, nn.Module) else None


def model_device(model: Any, device: torch.device | str | None = None) -> torch.device:
    """The device to run ``model`` on: ``device`` if given, else its parameters', else CPU.

    Examples
    --------
    >>> from torch import nn
    >>> model_device(nn.Linear(2, 2))
    device(type='cpu')
    >>> model_device(lambda x: x)
    device(type='cpu')
    """
    if device is not None:
        return torch.device(device)
    module = _owner(model)
    if module is not None:
        for tensor in (*module.parameters(), *module.buffers()):
            return tensor.device
    return torch.device("cpu")


def as_input_tensor(x: Any, *, key: str = "x") -> Tensor:
    """The inputs as one float tensor (samples first).

    Examples
    --------
    >>> import pandas as pd
    >>> as_input_tensor(pd.DataFrame({"a": [1, 2], "b": [3, 4]})).dtype
    torch.float32
    """
    tensors = getattr(x, "tensors", None)
    if isinstance(tensors, dict):  # an ArrayDataset (or an augmented one's base)
        if key not in tensors:
            raise ConfigError(f"the dataset has no {key!r} inputs (it has {sorted(tensors)})")
        x = tensors[key]
    elif hasattr(x, "base") and isinstance(getattr(x.base, "tensors", None), dict):
        x = x.base.tensors[key]
    if hasattr(x, "to_numpy"):
        x = x.to_numpy()
    if isinstance(x, Tensor):
        return x if x.is_floating_point() else x.float()
    array = np.asarray(x)
    if array.dtype == object:
        raise ConfigError("inputs must be numeric")
    return torch.as_tensor(array, dtype=torch.float32)


def iter_batches(x: Any, batch_size: int) -> Iterator[Tensor]:
    """Consecutive batches of ``x`` (a tensor, array, DataFrame or dataset).

    Examples
    --------
    >>> [len(b) for b in iter_batches(np.zeros((5, 2)), 2)]
    [2, 2, 1]
    """
    if int(batch_size) < 1:
        raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
    tensor = as_input_tensor(x)
    yield from torch.split(tensor, int(batch_size))


def _run(
    function: Callable[[Tensor], Any],
    x: Any,
    batch_size: int,
    device: torch.device,
    owner: Any,
) -> Tensor:
    parts = []
    with eval_mode(owner):
        for batch in iter_batches(x, batch_size):
            out = function(batch.to(device))
            if not isinstance(out, Tensor):
                out = torch.as_tensor(np.asarray(out))
            out = out.detach().float().cpu()
            finite = out.reshape(len(out), -1).isfinite().all(dim=1)
            if not bool(finite.all()):
                first = sum(len(p) for p in parts) + int((~finite).nonzero()[0, 0])
                raise DataError(
                    f"the model's output for sample number {first} is not a finite number "
                    f"({int((~finite).sum())} such samples in this batch); its weights or "
                    "that sample's inputs are broken"
                )
            parts.append(out)
    if not parts:
        raise ConfigError("there are no samples to predict")
    return torch.cat(parts)


def predict(
    model: Callable[[Tensor], Any],
    x: Any,
    *,
    batch_size: int = 256,
    device: torch.device | str | None = None,
) -> np.ndarray:
    """The model's outputs on ``x``, batch by batch, in eval mode, as a float32 array.

    Parameters
    ----------
    model
        A module or any callable taking a batch tensor.
    x
        Inputs (see the module docstring).
    batch_size
        Samples per forward pass.
    device
        Where to run; default the model's device.

    Examples
    --------
    >>> from torch import nn
    >>> predict(nn.Linear(3, 2), np.zeros((5, 3), dtype="float32")).shape
    (5, 2)
    """
    run_device = model_device(model, device)
    return _run(model, x, batch_size, run_device, model).numpy()


def probabilities(outputs: Tensor, activation: str = "softmax") -> Tensor:
    """Class probabilities from model outputs.

    ``"sigmoid"`` turns one logit per sample into ``[1 - p, p]`` (several logits:
    independent probabilities); ``"none"`` returns the outputs unchanged.

    Examples
    --------
    >>> probabilities(torch.zeros(2, 1), "sigmoid").tolist()
    [[0.5, 0.5], [0.5, 0.5]]
    """
    if activation == "softmax":
        return torch.softmax(outputs.float(), dim=-1)
    if activation == "sigmoid":
        p = torch.sigmoid(outputs.float())
        return torch.cat([1 - p, p], dim=-1) if p.shape[-1] == 1 else p
    if activation == "none":
        return outputs
    raise ConfigError(f"activation must be one of {ACTIVATIONS[:3]}, got {activation!r}")


def predict_proba(
    model: Callable[[Tensor], Any],
    x: Any,
    *,
    batch_size: int = 64,
    activation: str = "auto",
    device: torch.device | str | None = None,
) -> np.ndarray:
    """Class probabilities ``(n_samples, n_classes)`` of a classifier, batched, in eval mode.

    Parameters
    ----------
    model
        A module returning logits, or a callable returning probabilities
        (``activation="none"``).
    x
        Inputs (see the module docstring).
    batch_size
        Samples per forward pass.
    activation
        ``"auto"`` uses the model's own ``probabilities(logits)`` method when it has one
        (binary heads), else softmax; or ``"softmax"``, ``"sigmoid"``, ``"none"``.
    device
        Where to run; default the model's device.

    Examples
    --------
    >>> from torch import nn
    >>> p = predict_proba(nn.Linear(4, 3), torch.randn(6, 4))
    >>> p.shape, bool(np.allclose(p.sum(1), 1, atol=1e-6))
    ((6, 3), True)
    """
    if activation not in ACTIVATIONS:
        raise ConfigError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
    own = getattr(model, "probabilities", None) if activation == "auto" else None
    if callable(own):

        def function(batch: Tensor) -> Tensor:
            return own(model(batch))

    else:
        chosen = "softmax" if activation == "auto" else activation

        def function(batch: Tensor) -> Tensor:
            out = model(batch)
            out = out if isinstance(out, Tensor) else torch.as_tensor(np.asarray(out))
            return probabilities(out, chosen)

    run_device = model_device(model, device)
    return _run(function, x, batch_size, run_device, model).numpy()


__all__ = [
    "as_input_tensor",
    "eval_mode",
    "iter_batches",
    "model_device",
    "predict",
    "predict_proba",
    "probabilities",
]
