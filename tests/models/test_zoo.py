"""Every registered model: build from defaults, forward, backward, save → load → same outputs.

Registering a model is all it takes to be tested here.
"""

from __future__ import annotations

import pytest
import torch

import omicsnet
from omicsnet.errors import ConfigError, ModelNotFoundError
from omicsnet.models.base import OmicsModel
from omicsnet.models.registry import _REGISTRY, register_model
from omicsnet.models.testing import ModelCheckError, check_model


@pytest.mark.parametrize("name", omicsnet.list_models())
def test_every_registered_model_builds_trains_and_round_trips(name, tmp_path):
    # the walk itself is library code, so that plugin authors run the same checks
    report = check_model(name, tmp_path)
    assert report["round_trip"] == "identical" and report["n_parameters"] > 0


def test_the_walk_fails_a_model_that_does_not_round_trip():
    @register_model("forgetful_example", family="examples")
    class Forgetful(OmicsModel):
        """Draws a fresh buffer on every build: loading cannot give the same outputs."""

        def __init__(self, width: int = 3):
            super().__init__()
            self.n_inputs = self.n_outputs = width
            self.layer = torch.nn.Linear(width, width)
            self.noise = torch.randn(width)  # not a buffer: not saved

        def forward(self, x):
            return self.layer(x) + self.noise

    try:
        with pytest.raises(ModelCheckError, match="outputs differ"):
            check_model("forgetful_example")
    finally:
        _REGISTRY.pop("forgetful_example", None)


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
