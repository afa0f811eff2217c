"""Search spaces and campaign configs: parsing, errors, extends, and the Ax encoding."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from omicsnet.errors import ConfigError
from omicsnet.search.settings import CampaignSettings
from omicsnet.search.space import SearchSpace, parse_parameter, register_parameter_type

# A small version of the t2p space: conditional blocks, log scale, every value type.
SPACE = {
    "lr": {"type": "range", "bounds": [1e-5, 1e-1], "scale": "log"},
    "dropout": {"type": "range", "bounds": [0.0, 0.9]},
    "batch_size": {"type": "choice", "values": [32, 64, 128]},
    "residual": {"type": "choice", "values": [True, False]},
    "block1_activation": {"type": "choice", "values": ["sigmoid", "tanh", "selu"]},
    "block1_width": {"type": "range", "bounds": [16, 512]},
    "block2_exists": {
        "type": "choice",
        "values": [True, False],
        "dependents": {"true": ["block2_width", "block2_layers"]},
    },
    "block2_width": {"type": "range", "bounds": [16, 512]},
    "block2_layers": {"type": "range", "bounds": [1, 3]},
    "epochs": {"type": "fixed", "value": 30},
}


def test_types_are_inferred_and_conditional_parameters_resolve():
    space = SearchSpace.from_config(SPACE)
    assert space["lr"].value_type == "float" and space["lr"].scale == "log"
    assert space["block1_width"].value_type == "int"
    assert space["batch_size"].ordered is True and space["block1_activation"].ordered is False
    assert space["residual"].value_type == "bool"
    # YAML may give the dependents key as the string "true": it maps onto the value True
    assert space["block2_exists"].dependents == {True: ("block2_width", "block2_layers")}
    point = {name: None for name in SPACE}
    point.update(lr=1e-3, dropout=0.5, batch_size=64, residual=True, block1_activation="tanh",
                 block1_width=100, block2_exists=False, epochs=30)  # fmt: skip
    del point["block2_width"], point["block2_layers"]
    assert space.is_valid(point)
    assert "block2_width" not in space.active(point)
    assert space.problems({**point, "block2_width": 32}) == ["block2_width is given but inactive"]
    on = {**point, "block2_exists": True, "block2_width": 32, "block2_layers": 4}
    assert space.problems(on) == ["block2_layers=4 is outside block2_layers: int in [1, 3]"]
    assert space.problems({**point, "batch_size": 48})[0].startswith("batch_size=48 is outside")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"type": "range", "bounds": [0.0, 1.0], "scale": "log"}, "needs low > 0"),
        ({"type": "range", "bounds": [5, 1]}, "low 5 must be below high 1"),
        ({"type": "range", "bounds": [0, 1], "step": 0.3}, "does not divide"),
        ({"type": "choice", "values": [1, "a"]}, "values mix types"),
        ({"type": "choice", "values": [1, 1]}, "duplicates"),
        ({"type": "choice", "values": [1, 2], "dependents": {3: ["x"]}}, "3 is not one of"),
        ({"type": "fixed"}, "needs a 'value'"),
        ({"type": "ranges", "bounds": [0, 1]}, "type must be one of"),
        ({"type": "range", "bounds": [0, 1], "scal": "log"}, "did you mean 'scale'"),
        ({"type": "range", "bounds": [0, 1], "value_type": "str"}, "is int or float"),
    ],
)
def test_bad_parameters_get_clear_errors(spec, message):
    with pytest.raises(ConfigError, match=message) as err:
        parse_parameter("p", spec)
    assert "parameters.p" in str(err.value)


def test_names_dependents_and_duplicates_are_checked():
    with pytest.raises(ConfigError, match="Python identifiers"):
        parse_parameter("block-1", {"type": "fixed", "value": 1})
    with pytest.raises(ConfigError, match="unknown parameter 'nope'"):
        SearchSpace.from_config(
            {"a": {"type": "choice", "values": [True, False], "dependents": {True: ["nope"]}}}
        )
    with pytest.raises(ConfigError, match="duplicate names a"):
        SearchSpace.from_config([{"name": "a", "type": "fixed", "value": 1}] * 2)


def test_users_can_add_parameter_types():
    def powers_of_two(name, spec, where):
        low, high = spec["bounds"]
        return parse_parameter(
            name, {"type": "choice", "values": [2**k for k in range(low, high + 1)]}
        )

    register_parameter_type("pow2_test", powers_of_two, overwrite=True)
    space = SearchSpace.from_config({"batch": {"type": "pow2_test", "bounds": [3, 5]}})
    assert space["batch"].values == (8, 16, 32)
    with pytest.raises(ConfigError, match="already exists"):
        register_parameter_type("range", powers_of_two)


def _campaign(**changes):
    config = {"task": "analytic", "parameters": {"x": {"type": "range", "bounds": [0.0, 1.0]}},
              "objectives": "loss"}  # fmt: skip
    config.update(changes)
    return CampaignSettings.from_dict(config)


def test_campaign_settings_objectives_and_errors():
    settings = _campaign(objectives={"val_loss": "minimise", "r2": "max"}, workers=2)
    assert settings.objective_string == "-val_loss, r2"
    assert settings.multi_objective
    assert _campaign(objectives=[{"name": "acc", "goal": "maximize"}]).objective_string == "acc"
    with pytest.raises(ConfigError, match="unknown key 'worker'; did you mean 'workers'"):
        _campaign(worker=2)
    with pytest.raises(ConfigError, match="also a parameter name"):
        _campaign(objectives="x")
    with pytest.raises(ConfigError, match="unknown task 'nope'"):
        _campaign(task="nope")
    with pytest.raises(ConfigError, match="backend must be one of"):
        _campaign(backend="slurm")
    with pytest.raises(ConfigError, match="workers must be a positive integer"):
        _campaign(workers=0)
    with pytest.raises(ConfigError, match="goal must be minimize or maximize"):
        _campaign(objectives={"loss": "lower"})
    with pytest.raises(ConfigError, match="storage"):
        _campaign(storage="../elsewhere.json")


def test_extends_merges_parameters_and_keeps_paths_inside(tmp_path):
    (tmp_path / "base.yaml").write_text(
        "task: analytic\n"
        "objectives: {loss: minimize}\n"
        "trials: 50\n"
        "task_options: {function: sphere, sleep: 0}\n"
        "parameters:\n"
        "  a: {type: range, bounds: [0.0, 1.0]}\n"
        "  b: {type: range, bounds: [0.0, 1.0]}\n"
    )
    (tmp_path / "mine.yaml").write_text(
        "extends: base.yaml\n"
        "trials: 5\n"
        "task_options: {sleep: 0.1}\n"
        "output: runs/mine\n"
        "parameters:\n"
        "  b: null\n"
        "  c: {type: choice, values: [x, y]}\n"
        "  a: {type: range, bounds: [0.5, 2.0]}\n"
    )
    settings = CampaignSettings.from_file(tmp_path / "mine.yaml")
    assert settings.space.names == ["a", "c"]
    assert settings.space["a"].bounds == (0.5, 2.0)
    assert settings.trials == 5
    assert settings.task_options == {"function": "sphere", "sleep": 0.1}
    assert settings.output_dir() == tmp_path / "runs" / "mine"
    (tmp_path / "escape.yaml").write_text("extends: ../outside.yaml\n")
    with pytest.raises(ConfigError, match="must stay inside"):
        CampaignSettings.from_file(tmp_path / "escape.yaml")
    (tmp_path / "loop.yaml").write_text("extends: loop.yaml\n")
    with pytest.raises(ConfigError, match="loops"):
        CampaignSettings.from_file(tmp_path / "loop.yaml")
    bad_output = CampaignSettings.from_dict(
        {**settings.to_dict(), "output": "/tmp/x"}, base_dir=tmp_path
    )
    with pytest.raises(ConfigError, match="must stay inside"):
        bad_output.output_dir()


def test_ax_encoding_suggests_only_points_of_the_space():
    pytest.importorskip("ax")
    from ax import Client, RangeParameterConfig

    space = SearchSpace.from_config(SPACE)
    encoded = {p.name: p for p in space.to_ax()}
    assert isinstance(encoded["lr"], RangeParameterConfig) and encoded["lr"].scaling == "log"
    assert encoded["epochs"].values == [30]  # a one-value choice: Ax stores it as fixed
    assert encoded["block2_exists"].dependent_parameters == {
        True: ["block2_width", "block2_layers"]
    }
    client = Client(random_seed=0)
    client.configure_experiment(parameters=space.to_ax(), name="encoding")
    client.configure_optimization(objective="-loss")
    client.configure_generation_strategy(method="random_search")
    suggestions = list(client.get_next_trials(max_trials=12).values())
    assert len(suggestions) == 12
    for point in suggestions:
        assert space.is_valid(point), space.problems(point)
        assert isinstance(point["block1_width"], int) and isinstance(point["residual"], bool)
    # both branches of the conditional block appear, and log-scale draws span decades
    assert {p["block2_exists"] for p in suggestions} == {True, False}
    decades = {math.floor(math.log10(p["lr"])) for p in suggestions}
    assert len(decades) >= 3


def test_configs_that_ax_refuses_fail_before_anything_is_written(tmp_path):
    pytest.importorskip("ax")
    from omicsnet.search.campaign import run_campaign

    config = {"task": "analytic", "objectives": "sphere", "backend": "inline",
              "parameters": {"a": {"type": "range", "bounds": [1.0, 10.0], "scale": "log"},
                             "b": {"type": "range", "bounds": [1.0, 10.0]}},
              "parameter_constraints": ["b <= a"]}  # fmt: skip
    with pytest.raises(ConfigError, match="Ax refused the campaign config: .*log scale"):
        run_campaign(config, output=tmp_path / "c")
    assert not (tmp_path / "c").exists()


def test_the_documented_example_config_binds_every_parameter(tmp_path):
    from omicsnet.search.tasks import TrialContext, train_task

    repo = Path(__file__).resolve().parents[2]
    settings = CampaignSettings.from_file(repo / "docs" / "examples" / "search_mlp.yaml")
    assert settings.objective_string == "-val_loss, -n_params" and settings.task == "train"
    assert set(settings.task_options["set"]) == set(settings.space.names)
    # a searched parameter that is bound to no config key is an error, not silently ignored
    context = TrialContext(0, 0, tmp_path, options=settings.task_options)
    with pytest.raises(ConfigError, match="parameter 'momentum' is not bound"):
        train_task({"lr": 0.01, "momentum": 0.9}, context)
