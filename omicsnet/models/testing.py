"""The zoo walk as a library function, for the zoo's own test and for plugin authors.

:func:`check_model` does for one registered model what ``tests/models/test_zoo.py`` does
for every model of the zoo: build it from its default config, check the config is JSON,
run a forward and a backward pass on :meth:`~omicsnet.models.base.OmicsModel.example_input`,
then save, load and compare. A package that adds models through the ``omicsnet.models``
entry point tests them with one line::

    import pytest
    from omicsnet.models.testing import check_model

    @pytest.mark.parametrize("name", ["my_net"])
    def test_my_models_walk_like_the_zoo(name, tmp_path):
        check_model(name, tmp_path)

Examples
--------
>>> import tempfile
>>> report = check_model("mlp", tempfile.mkdtemp())
>>> report["name"], report["round_trip"]
('mlp', 'identical')
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from omicsnet.errors import OmicsnetError


class ModelCheckError(OmicsnetError, AssertionError):
    """A registered model failed one of the zoo walk's checks (the message says which)."""


def _outputs(value: Any) -> list[Any]:
    import torch

    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, dict):
        return [t for k in sorted(value) for t in _outputs(value[k])]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _outputs(v)]
    raise ModelCheckError(f"unexpected model output {type(value).__name__}")


def check_model(
    name: str, folder: str | os.PathLike[str] | None = None, *, seed: int = 0
) -> dict[str, Any]:
    """Walk one registered model: build, forward, backward, save → load → same outputs.

    Parameters
    ----------
    name
        A registered model name (see ``omicsnet models``).
    folder
        Where to save it (a new ``folder/name`` is written); default: a temporary folder,
        removed afterwards.
    seed
        Seed of the weights and the example batch.

    Returns
    -------
    dict
        ``name``, ``n_parameters``, ``outputs`` (their shapes) and ``round_trip``.

    Raises
    ------
    ModelCheckError
        The first check that failed, by name: config not JSON, non-finite outputs, no
        trainable parameter or no gradient, another type/config/feature names after
        loading, or different outputs.
    ModelNotFoundError
        ``name`` is not registered.

    Examples
    --------
    >>> check_model("early_fusion")["outputs"]
    [[4, 3]]
    """
    import torch

    from omicsnet.models.registry import create_model
    from omicsnet.models.serialization import load, save

    torch.manual_seed(seed)
    model = create_model(name)
    try:
        json.dumps(model.config)
    except (TypeError, ValueError) as err:
        raise ModelCheckError(f"{name}: its config is not JSON-serialisable: {err}") from err
    if model.model_name != name:
        raise ModelCheckError(f"{name}: model_name is {model.model_name!r}")

    generator = torch.Generator().manual_seed(seed + 1)
    batch = model.example_input(batch_size=4, generator=generator)
    model.train()
    outputs = _outputs(model(batch))
    if not outputs or not all(bool(torch.isfinite(t).all()) for t in outputs):
        raise ModelCheckError(f"{name}: the forward pass gave no output or non-finite values")
    sum(t.float().sum() for t in outputs).backward()
    trainable = [p for p in model.parameters() if p.requires_grad]
    if not trainable:
        raise ModelCheckError(f"{name} has no trainable parameters")
    if not any(p.grad is not None and float(p.grad.abs().sum()) > 0 for p in trainable):
        raise ModelCheckError(f"{name}: no parameter received a gradient")

    model.eval()
    with torch.no_grad():
        before = _outputs(model(batch))
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(folder) if folder is not None else Path(scratch)
        loaded = load(save(model, root / name.replace(":", "_")))
        if type(loaded) is not type(model):
            raise ModelCheckError(f"{name}: loads as {type(loaded).__name__}")
        if loaded.config != model.config:
            raise ModelCheckError(f"{name}: the config changed in the round trip")
        if (loaded.input_features, loaded.output_features) != (
            model.input_features,
            model.output_features,
        ):
            raise ModelCheckError(f"{name}: feature names changed in the round trip")
        with torch.no_grad():
            after = _outputs(loaded(batch))
    if len(before) != len(after) or not all(
        torch.equal(a, b) for a, b in zip(before, after, strict=True)
    ):
        raise ModelCheckError(f"{name}: the loaded model's outputs differ")
    return {
        "name": name,
        "n_parameters": int(sum(p.numel() for p in model.parameters())),
        "outputs": [list(t.shape) for t in before],
        "round_trip": "identical",
    }


__all__ = ["ModelCheckError", "check_model"]
