"""Residual transcript → protein network (Cranney & Meyer 2024), the NAS search space's model.

Up to three optional blocks, each fully connected (1–3 layers) or residual (1–3 layers
with an internal skip connection, added after the layers chosen by a skip mask), then a
linear output layer with one unit per protein. An optional **input → output residual**
adds, for each protein ``k``, a learned multiple of one chosen input column
``x[:, indices[k]]`` (by default the protein's own mRNA) to the output layer's
pre-activation:

    y_k = w_k · h + b_k + g_k · x_{indices[k]}      (g_k learned, starting at 1)

Proteins with index ``-1`` get no residual term. With ``residual={"enabled": False}`` the
network is the plain block stack (the path the original code could not run).

An optional **linear path** of rank ``linear_rank`` (inputs → ``linear_rank`` units with
a bias → outputs, no activation) is added to the output as well. It is
how a closed-form ridge fit enters the network: a ridge solved in sample space is exactly
such a map, with one unit per training sample
(:func:`omicsnet.t2p.train.build_t2p_model` sets and freezes it).

Examples
--------
>>> import torch
>>> from omicsnet.models import create_model
>>> model = create_model(
...     "residual_mlp", in_features=6, out_features=3,
...     blocks=[{"type": "fc", "layers": 1, "width": 8, "activation": "tanh"},
...             {"type": "residual", "layers": 2, "width": 8, "skip": [False, True]}],
...     residual={"enabled": True, "indices": [0, 4, -1]})
>>> model(torch.randn(5, 6)).shape
torch.Size([5, 3])
"""

from __future__ import annotations

import re
from typing import Any

import torch
from torch import Tensor, nn

from omicsnet.errors import ConfigError
from omicsnet.models.base import OmicsModel
from omicsnet.models.registry import register_model
from omicsnet.nn.activations import activation_names, make_activation

BLOCK_TYPES = ("fc", "residual")
MAX_BLOCKS = 3
MAX_LAYERS = 3
BLOCK_DEFAULTS: dict[str, Any] = {
    "type": "fc",
    "layers": 1,
    "width": 64,
    "activation": "leaky_relu_0.1",
    "dropout": 0.0,
    "batch_norm": False,
}
"""Values of the keys a block dict may leave out (``skip`` defaults to the last layer)."""

_LEAKY = re.compile(r"^leaky_relu_(\d+(?:\.\d+)?)$")


def block_activation(name: str) -> nn.Module:
    """Return an activation by name; ``leaky_relu_<slope>`` accepts any slope.

    Examples
    --------
    >>> block_activation("leaky_relu_0.05")
    LeakyReLU(negative_slope=0.05)
    >>> block_activation("selu")
    SELU()
    """
    if name not in activation_names():
        match = _LEAKY.match(name)
        if match:
            return nn.LeakyReLU(float(match.group(1)))
    return make_activation(name)


def normalise_block(spec: dict[str, Any], position: int) -> dict[str, Any]:
    """Check one block spec and fill in its defaults.

    Raises
    ------
    ConfigError
        Unknown keys or types, layers outside 1–3, bad width/dropout/skip mask.

    Examples
    --------
    >>> normalise_block({"type": "residual", "layers": 2, "width": 16}, 0)["skip"]
    [False, True]
    """
    if not isinstance(spec, dict):
        raise ConfigError(f"block {position}: expected a dict, got {spec!r}")
    unknown = set(spec) - set(BLOCK_DEFAULTS) - {"skip"}
    if unknown:
        raise ConfigError(
            f"block {position}: unknown keys {sorted(unknown)} "
            f"(allowed: {sorted([*BLOCK_DEFAULTS, 'skip'])})"
        )
    block = {**BLOCK_DEFAULTS, **spec}
    if block["type"] not in BLOCK_TYPES:
        raise ConfigError(
            f"block {position}: type must be one of {BLOCK_TYPES}, got {block['type']!r}"
        )
    layers, width = block["layers"], block["width"]
    if isinstance(layers, bool) or not isinstance(layers, int) or not 1 <= layers <= MAX_LAYERS:
        raise ConfigError(f"block {position}: layers must be 1 to {MAX_LAYERS}, got {layers!r}")
    if isinstance(width, bool) or not isinstance(width, int) or width < 1:
        raise ConfigError(f"block {position}: width must be a positive integer, got {width!r}")
    if not 0.0 <= float(block["dropout"]) < 1.0:
        raise ConfigError(f"block {position}: dropout must be in [0, 1), got {block['dropout']}")
    block_activation(str(block["activation"]))  # raises for unknown names
    if block["type"] == "residual":
        skip = spec.get("skip", [i == layers - 1 for i in range(layers)])
        if len(skip) != layers or not all(isinstance(s, bool) for s in skip) or not any(skip):
            raise ConfigError(
                f"block {position}: skip must be {layers} booleans with at least one true "
                f"(where the block input is added), got {skip!r}"
            )
        block["skip"] = list(skip)
    elif "skip" in spec:
        raise ConfigError(f"block {position}: 'skip' applies to residual blocks only")
    return block


def _dense(width_in: int, block: dict[str, Any]) -> nn.Sequential:
    parts: list[nn.Module] = [nn.Linear(width_in, block["width"])]
    if block["batch_norm"]:
        parts.append(nn.BatchNorm1d(block["width"]))
    parts.append(block_activation(str(block["activation"])))
    if block["dropout"] > 0:
        parts.append(nn.Dropout(float(block["dropout"])))
    return nn.Sequential(*parts)


class DenseBlock(nn.Module):
    """1–3 dense layers (linear, optional batch norm, activation, optional dropout)."""

    def __init__(self, width_in: int, block: dict[str, Any]) -> None:
        super().__init__()
        widths = [width_in] + [block["width"]] * block["layers"]
        self.layers = nn.ModuleList(_dense(widths[i], block) for i in range(block["layers"]))

    def forward(self, x: Tensor) -> Tensor:
        for layer in self.layers:
            x = layer(x)
        return x


class ResidualBlock(DenseBlock):
    """Dense layers whose outputs receive the block input where the skip mask is true.

    The input is projected linearly (no bias) when its width differs from the block's.
    """

    def __init__(self, width_in: int, block: dict[str, Any]) -> None:
        super().__init__(width_in, block)
        self.skip = list(block["skip"])
        self.project: nn.Module = (
            nn.Identity()
            if width_in == block["width"]
            else nn.Linear(width_in, block["width"], bias=False)
        )

    def forward(self, x: Tensor) -> Tensor:
        shortcut = self.project(x)
        for layer, add in zip(self.layers, self.skip, strict=True):
            x = layer(x)
            if add:
                x = x + shortcut
        return x


@register_model("residual_mlp", family="t2p")
class ResidualMLP(OmicsModel):
    """Transcript → protein network: up to three FC/residual blocks and an input → output residual.

    Parameters
    ----------
    in_features, out_features
        Number of transcripts and proteins.
    blocks
        Up to three block dicts: ``type`` (``"fc"`` or ``"residual"``), ``layers`` (1–3),
        ``width``, ``activation`` (``"leaky_relu_0.1"``, ``"leaky_relu_0.01"``, any
        ``"leaky_relu_<slope>"``, ``"sigmoid"``, ``"tanh"``, ``"selu"``...), ``dropout``,
        ``batch_norm``, and for residual blocks ``skip`` (one boolean per layer: add the
        block input after that layer; default: after the last). An absent block is simply
        not in the list; ``[]`` gives a linear model.
    residual
        ``{"enabled": bool, "indices": [input column per output, -1 for none] or None}``.
        ``None`` indices mean output ``k`` uses input ``k`` (needs ``out_features <=
        in_features``); :func:`omicsnet.t2p.data.residual_indices` gives own-mRNA,
        correlated and uncorrelated sets.
    linear_rank
        Rank of the linear path added to the output (``0``: none).
    linear_trainable
        Whether the linear path's weights train (``False`` freezes them, also after
        saving and loading: the flag is part of the model's config).

    Examples
    --------
    >>> import torch
    >>> from omicsnet.models import create_model
    >>> m = create_model("residual_mlp", in_features=4, out_features=2, blocks=[],
    ...                  residual={"enabled": True, "indices": [3, -1]})
    >>> with torch.no_grad():
    ...     _ = m.head.weight.zero_(), m.head.bias.zero_()
    >>> m(torch.tensor([[1.0, 2.0, 3.0, 4.0]])).tolist()  # input 3 for the first, none for the 2nd
    [[4.0, 0.0]]
    """

    def __init__(
        self,
        in_features: int = 32,
        out_features: int = 8,
        blocks: list[dict[str, Any]] = (  # type: ignore[assignment]
            {"type": "fc", "layers": 1, "width": 64, "activation": "leaky_relu_0.1"},
            {"type": "residual", "layers": 2, "width": 64, "activation": "tanh", "dropout": 0.1},
        ),
        residual: dict[str, Any] = {"enabled": True, "indices": None},  # noqa: B006 (never mutated)
        linear_rank: int = 0,
        linear_trainable: bool = True,
    ) -> None:
        super().__init__()
        if in_features < 1 or out_features < 1:
            raise ConfigError("residual_mlp in_features and out_features must be positive")
        if len(blocks) > MAX_BLOCKS:
            raise ConfigError(f"residual_mlp takes at most {MAX_BLOCKS} blocks, got {len(blocks)}")
        self.n_inputs, self.n_outputs = int(in_features), int(out_features)
        self.block_specs = [normalise_block(dict(b), i) for i, b in enumerate(blocks)]
        modules: list[nn.Module] = []
        width = self.n_inputs
        for spec in self.block_specs:
            builder = ResidualBlock if spec["type"] == "residual" else DenseBlock
            modules.append(builder(width, spec))
            width = spec["width"]
        self.blocks = nn.ModuleList(modules)
        self.head = nn.Linear(width, self.n_outputs)
        self.residual_enabled, indices = _residual_config(residual, self.n_inputs, self.n_outputs)
        if self.residual_enabled:
            index = torch.tensor(indices, dtype=torch.long)
            self.register_buffer("residual_index", index.clamp_min(0))
            self.register_buffer("residual_mask", (index >= 0).float())
            self.residual_gain = nn.Parameter(torch.ones(self.n_outputs))
        if isinstance(linear_rank, bool) or not isinstance(linear_rank, int) or linear_rank < 0:
            raise ConfigError(f"linear_rank must be a whole number >= 0, got {linear_rank!r}")
        self.linear_rank = int(linear_rank)
        if self.linear_rank:
            self.linear_in = nn.Linear(self.n_inputs, self.linear_rank)
            self.linear_out = nn.Linear(self.linear_rank, self.n_outputs, bias=False)
            self.linear_in.requires_grad_(bool(linear_trainable))
            self.linear_out.requires_grad_(bool(linear_trainable))

    def forward(self, x: Tensor) -> Tensor:
        h = x
        for block in self.blocks:
            h = block(h)
        out = self.head(h)
        if self.residual_enabled:
            own = x.index_select(1, self.residual_index) * self.residual_mask
            out = out + self.residual_gain * own
        if self.linear_rank:
            # full precision even under autocast: the hidden units are large sums over
            # every input, which bfloat16 would round into a noisy copy of the fit
            with torch.autocast(device_type=x.device.type, enabled=False):
                out = out + self.linear_out(self.linear_in(x.float()))
        return out

    def training_plan(self) -> Any:
        """Masked MSE: missing targets (``NaN``, or ``mask`` 0 in the batch) are skipped."""
        from omicsnet.t2p.plans import MaskedRegressionPlan

        return MaskedRegressionPlan()


def _residual_config(residual: Any, n_in: int, n_out: int) -> tuple[bool, list[int]]:
    if not isinstance(residual, dict) or set(residual) - {"enabled", "indices"}:
        raise ConfigError(
            f"residual must be a dict with keys 'enabled' and 'indices', got {residual!r}"
        )
    enabled = bool(residual.get("enabled", True))
    if not enabled:
        return False, []
    indices = residual.get("indices")
    if indices is None:
        if n_out > n_in:
            raise ConfigError(
                f"residual indices default to output k ← input k, which needs out_features "
                f"({n_out}) <= in_features ({n_in}); give residual['indices']"
            )
        return True, list(range(n_out))
    indices = [int(i) for i in indices]
    if len(indices) != n_out:
        raise ConfigError(f"residual indices: {len(indices)} given for {n_out} outputs")
    bad = [i for i in indices if not -1 <= i < n_in]
    if bad:
        raise ConfigError(f"residual indices must be in [-1, {n_in}), got e.g. {bad[:5]}")
    return True, indices
