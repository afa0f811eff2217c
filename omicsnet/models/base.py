"""The base class of every zoo model.

An :class:`OmicsModel` is a ``torch.nn.Module`` that also knows

* its registered name and its full, JSON-serialisable config (set by
  :func:`~omicsnet.models.registry.create_model`),
* the names of its input and output features (genes, proteins, m/z bins, classes),
* optionally the checksum of the knowledge graph it was wired from,

and can make an example input for tests and benchmarks. Training behaviour (which loss,
which metrics) lives in training plans (:mod:`omicsnet.train.plans`), not in the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from omicsnet.errors import ConfigError


class OmicsModel(nn.Module):
    """Base class for models in the omicsnet zoo.

    Subclasses implement ``forward`` and :meth:`example_input`, and set
    ``n_inputs``/``n_outputs`` when their inputs and outputs are flat feature vectors.
    Register the subclass with :func:`~omicsnet.models.registry.register_model` and it is
    built, trained, saved and reloaded by the shared machinery (and tested by the zoo walk).

    Attributes
    ----------
    model_name : str
        Registered name (set by ``create_model``).
    config : dict
        Every constructor argument with its value, JSON-serialisable.
    task : str
        ``"regression"``, ``"classification"``, ``"binary"`` or ``"reconstruction"``;
        selects the default training plan.
    knowledge_checksum : str or None
        SHA-256 of the knowledge graph used to wire the model, if any.

    Examples
    --------
    >>> from omicsnet.models import create_model
    >>> model = create_model("mlp", in_features=3, out_features=2,
    ...                      input_features=["TP53", "EGFR", "MYC"])
    >>> model.input_features
    ['TP53', 'EGFR', 'MYC']
    >>> model.output_features
    ['output_0', 'output_1']
    """

    task: str = "regression"
    n_inputs: int | None = None
    n_outputs: int | None = None

    def __init__(self) -> None:
        super().__init__()
        self.model_name: str = type(self).__name__
        self.config: dict[str, Any] = {}
        self.knowledge_checksum: str | None = None
        self._input_features: list[str] | None = None
        self._output_features: list[str] | None = None

    # ------------------------------------------------------------------ features
    @property
    def input_features(self) -> list[str]:
        """Names of the input features (defaults to ``input_0``, ``input_1``, ...)."""
        if self._input_features is not None:
            return list(self._input_features)
        return [f"input_{i}" for i in range(self.n_inputs or 0)]

    @property
    def output_features(self) -> list[str]:
        """Names of the outputs (defaults to ``output_0``, ``output_1``, ...)."""
        if self._output_features is not None:
            return list(self._output_features)
        return [f"output_{i}" for i in range(self.n_outputs or 0)]

    def set_feature_names(
        self,
        input_features: Sequence[str] | None = None,
        output_features: Sequence[str] | None = None,
    ) -> None:
        """Attach feature names, checking their number and uniqueness.

        Parameters
        ----------
        input_features, output_features
            One name per input / output unit; ``None`` leaves the current names.

        Raises
        ------
        ConfigError
            When a list has the wrong length or repeats a name.

        Examples
        --------
        >>> from omicsnet.models import create_model
        >>> m = create_model("mlp", in_features=2, out_features=1)
        >>> m.set_feature_names(["a", "b"], ["y"])
        >>> m.output_features
        ['y']
        """
        if input_features is not None:
            self._input_features = _check_names(input_features, self.n_inputs, "input")
        if output_features is not None:
            self._output_features = _check_names(output_features, self.n_outputs, "output")

    # ------------------------------------------------------------------ examples
    def example_input(self, batch_size: int = 4, generator: torch.Generator | None = None) -> Any:
        """Return a random input batch the model accepts (used by tests and benchmarks).

        The default makes a ``(batch_size, n_inputs)`` float tensor; models with other
        inputs override it.

        Examples
        --------
        >>> from omicsnet.models import create_model
        >>> create_model("mlp", in_features=5, out_features=1).example_input(2).shape
        torch.Size([2, 5])
        """
        if self.n_inputs is None:
            raise TypeError(f"{type(self).__name__} must override example_input() or set n_inputs")
        return torch.randn(batch_size, self.n_inputs, generator=generator)

    def extra_repr(self) -> str:
        return f"name={self.model_name!r}" if self.config else ""


def _check_names(names: Sequence[str], expected: int | None, kind: str) -> list[str]:
    names = [str(n) for n in names]
    if expected is not None and len(names) != expected:
        raise ConfigError(
            f"{len(names)} {kind} feature names given but the model has {expected} {kind}s"
        )
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ConfigError(f"{kind} feature name {name!r} appears more than once")
        seen.add(name)
    return names
