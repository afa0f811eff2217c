"""The t2p search task: flat Ax parameters -> residual_mlp config -> one trained trial."""

from __future__ import annotations

import json

import pytest
import torch

from omicsnet.errors import ConfigError
from omicsnet.search import SearchSpace, TrialContext
from omicsnet.search.settings import CampaignSettings
from omicsnet.t2p.search_task import run_trial
from omicsnet.t2p.space import (
    PAPER_BEST,
    paper_campaign,
    paper_space,
    paper_space_path,
    trial_config,
    trial_parameters,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TINY = {"synthetic": {"n_samples": 60, "n_genes": 16, "n_proteins": 4, "seed": 1}}


def test_paper_best_is_a_point_of_the_shipped_space_and_encodes_the_paper_network():
    assert paper_space_path().is_file()  # ships as package data
    config = paper_space()
    space = SearchSpace.from_config(config["parameters"])
    assert space.problems(PAPER_BEST) == []
    trial = trial_config(PAPER_BEST)
    blocks = trial.model["blocks"]
    assert [(b["type"], b["layers"], b["width"], b["activation"]) for b in blocks] == [
        ("fc", 1, 319, "sigmoid"),
        ("residual", 3, 508, "sigmoid"),
        ("fc", 1, 508, "tanh"),
    ]
    assert [b["dropout"] for b in blocks] == [0.52, 0.69, 0.9]
    assert (trial.batch_size, trial.lr, trial.model["residual"]) == (128, 1e-4, {"enabled": True})
    # the campaign config is accepted by the search layer as it ships
    settings = CampaignSettings.from_dict(config)
    assert settings.objective_names == ["val_loss"]


def test_inactive_blocks_may_be_absent_and_values_arrive_in_ax_types():
    params = {
        "block1_exists": "false",
        "block2_exists": True,
        "block2_type": "residual",
        "block2_layers": 2.0,  # ints may come back as floats
        "block2_width": 64,
        "block2_activation": "selu",
        "block2_dropout": 0,
        "block2_batch_norm": "true",
        "block3_exists": False,
        "block3_width": 999,  # present but inactive: ignored
        "lr": "0.001",
        "batch_size": 16.0,
        "residual": False,
        "residual_set": "correlated",
        "trainer_weight_decay": 1e-4,
    }
    trial = trial_config(params)
    assert trial.model["blocks"] == [
        {
            "type": "residual",
            "layers": 2,
            "width": 64,
            "activation": "selu",
            "dropout": 0.0,
            "batch_norm": True,
        }
    ]
    assert trial.model["residual"] == {"enabled": False}
    assert (trial.batch_size, trial.lr, trial.residual_set) == (16, 1e-3, "correlated")
    assert trial.trainer == {"weight_decay": 1e-4}
    # round trip through the flat form
    again = trial_config(trial_parameters(trial))
    assert again.as_dict() == trial.as_dict()
    full = trial.model_config(20, 3, [1, 2, -1])
    assert full["in_features"] == 20 and full["residual"] == {"enabled": False}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"lr": 0.1, "batch_size": 8, "block1_widht": 3},
            "unknown search parameter 'block1_widht'",
        ),
        ({"lr": 0.1, "batch_size": 8, "block2_type": "fc"}, "block2_layers, block2_width"),
        ({"lr": 0.1, "batch_size": 8.5}, "batch_size must be an integer"),
        ({"batch_size": 8}, "'lr' is not given"),
        ({"lr": 0.1, "batch_size": 8, "residual": "maybe"}, "residual must be true or false"),
        ({"lr": 0.1, "batch_size": 8, "residual_set": "best"}, "residual_set must be one of"),
        ({"lr": -1, "batch_size": 8}, "lr > 0"),
    ],
)
def test_bad_parameters_are_refused_with_their_name(params, message):
    with pytest.raises(ConfigError, match=message):
        trial_config(params)


def test_paper_campaign_merges_parameters_and_options():
    config = paper_campaign(
        {"trials": 3, "parameters": {"batch_size": {"type": "fixed", "value": 32}}},
        task_options={"data": TINY},
    )
    assert config["trials"] == 3
    assert config["parameters"]["batch_size"] == {"type": "fixed", "value": 32}
    assert config["task_options"]["data"] == TINY
    assert config["task_options"]["top_variable"] == 2000  # the paper file's options stay
    assert CampaignSettings.from_dict(config).space["batch_size"].kind == "fixed"


def test_the_searched_batch_size_is_the_one_training_uses(tmp_path):
    seen: list[int] = []

    def record(module, args):
        if type(module).__name__ == "ResidualMLP" and module.training:
            seen.append(int(args[0].shape[0]))

    handle = torch.nn.modules.module.register_module_forward_pre_hook(record)
    try:
        context = TrialContext(
            trial_index=0,
            seed=0,
            out_dir=str(tmp_path),
            options={"data": TINY, "max_epochs": 2, "early_stopping": None},
        )
        metrics = run_trial({"lr": 0.01, "batch_size": 7, "residual": True}, context)
    finally:
        handle.remove()
    # 60 samples: 48 for training -> batches of 7 (the last one of 6), twice
    assert seen == [7] * 6 + [6] + [7] * 6 + [6]
    assert metrics["epochs"] == 2
    assert {"val_loss", "val_median_r", "test_median_r", "n_params", "latency_ms"} <= set(metrics)
    record_file = json.loads((tmp_path / "t2p_trial.json").read_text())
    assert record_file["config"]["batch_size"] == 7


def test_run_trial_fails_clearly_on_bad_options(tmp_path):
    context = TrialContext(trial_index=0, seed=0, out_dir=str(tmp_path), options={"dat": TINY})
    with pytest.raises(ConfigError, match="dat"):
        run_trial({"lr": 0.01, "batch_size": 8}, context)


@pytest.mark.slow
def test_a_short_campaign_of_the_t2p_task_gives_a_best_config(tmp_path):
    from omicsnet.search import run_campaign
    from omicsnet.t2p.workflows import best_config

    config = paper_campaign(
        {
            "trials": 2,
            "backend": "inline",
            "device": "cpu",
            "generation": {"method": "random_search"},
            "parameters": {
                # a small corner of the paper's space keeps the test fast
                **{f"block{i}_width": {"type": "range", "bounds": [4, 16]} for i in (1, 2, 3)},
            },
        },
        task_options={"data": TINY, "top_variable": None, "max_epochs": 2},
    )
    campaign = run_campaign(config, output=tmp_path / "campaign", progress=False)
    assert campaign.counts() == {"completed": 2}
    best = best_config(campaign)
    assert all(4 <= block["width"] <= 16 for block in best.model["blocks"])
    table = campaign.table()
    assert table["val_loss"].notna().all()


def test_task_inputs_are_chosen_from_training_samples_only():
    from omicsnet.t2p.workflows import get_split, load_data, restrict_transcripts

    data = load_data({"synthetic": {"n_samples": 60, "n_genes": 30, "n_proteins": 5}})
    split = get_split(data, {"scheme": "standard", "seed": 0})
    chosen = restrict_transcripts(data.scaled(split), 6)
    # make held-out samples wildly variable in other transcripts: the choice stays
    noisy = data.rna.copy()
    held = split.val + split.test
    noisy.loc[held] = noisy.loc[held] * 100.0
    data.rna = noisy
    again = restrict_transcripts(data.scaled(split), 6)
    assert again.transcripts == chosen.transcripts
    assert [again.transcripts[i] for i in again.own_index] == again.proteins
    assert len(chosen.transcripts) <= 6 + 5
    with pytest.raises(ConfigError, match="top_variable"):
        restrict_transcripts(data.scaled(split), 0)


def test_data_specs_are_checked():
    from omicsnet.t2p.workflows import load_data

    with pytest.raises(ConfigError, match="exactly one of"):
        load_data({"synthetic": {}, "cohorts": "ucec"})
    with pytest.raises(ConfigError, match="'rna' needs 'protein'"):
        load_data({"rna": "x.csv"})
    with pytest.raises(ConfigError, match="must stay inside"):
        load_data({"rna": "../x.csv", "protein": "y.csv"}, base_dir="/tmp")
    assert load_data(
        {"synthetic": {"n_samples": 20, "n_genes": 6, "n_proteins": 3}, "proteins": ["G0002"]}
    ).protein.columns.tolist() == ["G0002"]


def test_linear_path_parameter_round_trips_and_stays_out_of_the_paper_space():
    from omicsnet.t2p.space import PAPER_BEST, trial_config, trial_parameters

    with_path = trial_config({**PAPER_BEST, "linear_path": "true"})
    assert with_path.model["linear_path"] is True
    assert trial_parameters(with_path)["linear_path"] is True
    assert trial_config(trial_parameters(with_path)).as_dict() == with_path.as_dict()
    plain = trial_config(PAPER_BEST)
    assert "linear_path" not in plain.model and "linear_path" not in trial_parameters(plain)
    with pytest.raises(ConfigError, match="use omicsnet.t2p.train.build_t2p_model"):
        with_path.model_config(5, 2, [0, 1])
