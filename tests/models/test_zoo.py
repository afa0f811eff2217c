"""Every registered model: build from defaults, forward, backward, save → load → same outputs.

Registering a model is all it takes to be tested here.
"""

from __future__ import annotations

import json

import pytest
import torch

import omicsnet
from omicsnet.errors import ConfigError, ModelNotFoundError
from omicsnet.models.base import OmicsModel
from omicsnet.models.registry import _REGISTRY, register_model


def _outputs(value):
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, dict):
        return [t for k in sorted(value) for t in _outputs(value[k])]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _outputs(v)]
    raise TypeError(f"unexpected model output {type(value)}")


@pytest.mark.parametrize("name", omicsnet.list_models())
def test_every_registered_model_builds_trains_and_round_trips(name, tmp_path):
    torch.manual_seed(0)
    model = omicsnet.create_model(name)
    json.dumps(model.config)  # the full config is JSON-serialisable
    assert model.model_name == name

    generator = torch.Generator().manual_seed(1)
    batch = model.example_input(batch_size=4, generator=generator)
    model.train()
    outputs = _outputs(model(batch))
    assert outputs and all(torch.isfinite(t).all() for t in outputs)
    sum(t.float().sum() for t in outputs).backward()
    trainable = [p for p in model.parameters() if p.requires_grad]
    assert trainable, f"{name} has no trainable parameters"
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in trainable)

    model.eval()
    with torch.no_grad():
        before = _outputs(model(batch))
    folder = omicsnet.save(model, tmp_path / name)
    loaded = omicsnet.load(folder)
    assert type(loaded) is type(model)
    assert loaded.config == model.config
    assert loaded.input_features == model.input_features
    assert loaded.output_features == model.output_features
    with torch.no_grad():
        after = _outputs(loaded(batch))
    for a, b in zip(before, after, strict=True):
        assert torch.equal(a, b)


def test_unknown_model_name_suggests_close_names():
    with pytest.raises(ModelNotFoundError, match=r"unknown model 'mpl'.*did you mean mlp"):
        omicsnet.create_model("mpl")


def test_unknown_option_is_refused_with_suggestion():
    with pytest.raises(ConfigError, match=r"no option 'hiden'; did you mean 'hidden'"):
        omicsnet.create_model("mlp", hiden=[8])


def test_invalid_option_value_is_a_config_error():
    with pytest.raises(ConfigError, match="dropout"):
        omicsnet.create_model("mlp", dropout=1.5)


def test_config_keeps_defaults_and_overrides():
    model = omicsnet.create_model("mlp", in_features=7, hidden=(5,))
    assert model.config["in_features"] == 7
    assert model.config["hidden"] == [5]  # tuples normalised to JSON lists
    assert model.config["activation"] == "relu"  # default recorded


def test_feature_names_must_match_sizes():
    with pytest.raises(ConfigError, match="3 input feature names given but the model has 2"):
        omicsnet.create_model("mlp", in_features=2, input_features=["a", "b", "c"])
    with pytest.raises(ConfigError, match="'a' appears more than once"):
        omicsnet.create_model("mlp", in_features=2, input_features=["a", "a"])


def test_register_model_requires_defaults_and_json_values():
    with pytest.raises(ConfigError, match="needs a default"):

        @register_model("no_default_example")
        class NoDefault(OmicsModel):
            def __init__(self, width):
                super().__init__()

    with pytest.raises(ConfigError, match="not JSON-serialisable"):

        @register_model("object_default_example")
        class ObjectDefault(OmicsModel):
            def __init__(self, thing=object()):  # noqa: B008
                super().__init__()

    assert "no_default_example" not in _REGISTRY


def test_registering_a_model_makes_it_listed_and_creatable():
    @register_model("walk_example", family="examples")
    class WalkExample(OmicsModel):
        """Example model for the registry test."""

        def __init__(self, width: int = 3):
            super().__init__()
            self.n_inputs = self.n_outputs = width
            self.layer = torch.nn.Linear(width, width)

        def forward(self, x):
            return self.layer(x)

    try:
        assert "walk_example" in omicsnet.list_models(family="examples")
        assert omicsnet.model_info("walk_example").description.startswith("Example model")
        assert omicsnet.create_model("walk_example", width=5).layer.in_features == 5
        with pytest.raises(ConfigError, match="already registered"):
            register_model("walk_example")(type("Other", (OmicsModel,), {}))
    finally:
        _REGISTRY.pop("walk_example", None)
