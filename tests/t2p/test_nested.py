"""Nested NAS: every architecture decision is made without the outer test samples."""

from __future__ import annotations

import json

import pytest

import omicsnet.t2p.search_task as search_task
from omicsnet.errors import ConfigError
from omicsnet.t2p.data import t2p_splits
from omicsnet.t2p.nested import NESTED_NAME, nested_search
from omicsnet.t2p.space import trial_config
from omicsnet.t2p.workflows import get_split, load_data

SPEC = {"synthetic": {"n_samples": 48, "n_genes": 12, "n_proteins": 3}}
SMALL_SPACE = {"block2_exists": None, "block3_exists": None}


def test_inner_splits_stay_inside_the_outer_training_half():
    data = load_data(SPEC)
    outer = get_split(data, {"scheme": "kx2", "k": 2, "index": 2})
    inner = get_split(
        data, {"scheme": "standard", "val": 0.25, "test": 0.0, "within": {"scheme": "kx2", "k": 2,
                                                                          "index": 2}}
    )  # fmt: skip
    assert inner.name == f"{outer.name} > standard"
    assert set(inner.train) | set(inner.val) == set(outer.train) | set(outer.val)
    assert not set(inner.train + inner.val) & set(outer.test) and inner.test == []
    with pytest.raises(ConfigError, match="split.within must be a split spec"):
        get_split(data, {"within": "kx2"})


def test_nested_search_never_shows_the_outer_test_samples_to_the_search(tmp_path, monkeypatch):
    seen: list[set[str]] = []
    original = search_task._prepared_split

    def recording(options, context):
        scaled = original(options, context)
        seen.append(set(scaled.train_ids) | set(scaled.val_ids) | set(scaled.test_ids))
        return scaled

    monkeypatch.setattr(search_task, "_prepared_split", recording)
    result = nested_search(
        SPEC, k=1, trials=2, initialization=2, max_epochs=2, early_stopping=None,
        parameters=SMALL_SPACE, baselines=["linear_own_mrna"], workdir=tmp_path,
    )  # fmt: skip
    data = load_data(SPEC)
    outer = list(t2p_splits(data, scheme="kx2", k=1, seed=0, val=0.1))
    assert len(seen) == 4  # two trials for each of the two outer splits
    for index, split in enumerate(outer):
        for samples in seen[2 * index : 2 * index + 2]:
            assert samples <= set(split.train) | set(split.val)
            assert not samples & set(split.test)
    table = result.table
    assert sorted(set(table["model"])) == ["linear_own_mrna", "mrna_protein_r", NESTED_NAME]
    rows = table[table["model"] == NESTED_NAME]
    assert rows["inner_trials"].tolist() == [2, 2]
    for chosen in rows["chosen"]:
        config = trial_config(json.loads(chosen))  # a point of the space, ready to train
        assert len(config.model["blocks"]) <= 1
    assert len(result.records) == 4 and set(result.records["split"]) == {s.name for s in outer}
    assert (tmp_path / "outer_0").is_dir() and (tmp_path / "outer_1").is_dir()


def test_nested_search_checks_its_sizes(tmp_path):
    with pytest.raises(ConfigError, match="inner_val"):
        nested_search(SPEC, inner_val=0.0, workdir=tmp_path)
    with pytest.raises(ConfigError, match="initialization"):
        nested_search(SPEC, trials=2, initialization=3, workdir=tmp_path)
