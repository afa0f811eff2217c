"""Saving and loading models: round trips, refusals and corrupted files."""

from __future__ import annotations

import json

import pytest
import torch

import omicsnet
from omicsnet.errors import CheckpointError
from omicsnet.models import serialization
from omicsnet.utils.io import OutputExistsError


@pytest.fixture
def model():
    torch.manual_seed(0)
    return omicsnet.create_model(
        "mlp",
        in_features=3,
        out_features=2,
        hidden=[4],
        input_features=["TP53", "EGFR", "MYC"],
        output_features=["P1", "P2"],
    )


def test_round_trip_keeps_weights_config_names_and_metadata(model, tmp_path):
    folder = omicsnet.save(model, tmp_path / "m", metadata={"cohort": "UCEC"})
    loaded = omicsnet.load(folder)
    x = torch.randn(5, 3)
    assert torch.equal(model.eval()(x), loaded(x))
    assert loaded.input_features == ["TP53", "EGFR", "MYC"]
    assert loaded.output_features == ["P1", "P2"]
    assert not loaded.training  # loaded in eval mode
    meta = json.loads((folder / "metadata.json").read_text())
    assert meta["omicsnet_version"] == omicsnet.__version__
    assert meta["cohort"] == "UCEC"
    assert meta["knowledge_checksum"] is None
    assert len(meta["weights_sha256"]) == 64


def test_existing_folder_is_not_overwritten_unless_asked(model, tmp_path):
    folder = omicsnet.save(model, tmp_path / "m")
    marker = folder / "config.json"
    before = marker.read_text()
    other = omicsnet.create_model("mlp", in_features=3, out_features=2, hidden=[8])
    with pytest.raises(OutputExistsError, match="already exists"):
        omicsnet.save(other, folder)
    assert marker.read_text() == before
    omicsnet.save(other, folder, overwrite=True)
    assert omicsnet.load(folder).config["hidden"] == [8]


def test_failed_save_leaves_nothing_behind(model, tmp_path, monkeypatch):
    import safetensors.torch

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(safetensors.torch, "save_model", broken)
    with pytest.raises(OSError, match="disk full"):
        omicsnet.save(model, tmp_path / "m")
    assert list(tmp_path.iterdir()) == []


def test_corrupted_weights_are_detected(model, tmp_path):
    folder = omicsnet.save(model, tmp_path / "m")
    weights = folder / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="does not match the checksum"):
        omicsnet.load(folder)


def test_weights_that_do_not_fit_the_config_are_refused(model, tmp_path):
    folder = omicsnet.save(model, tmp_path / "m")
    config = json.loads((folder / "config.json").read_text())
    config["config"]["hidden"] = [9]
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="cannot load weights|do not fit"):
        omicsnet.load(folder)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c.update(format="pickle"), "not an omicsnet model config"),
        (lambda c: c.update(format_version=99), "newer than this"),
        (lambda c: c.update(model="no_such_model"), "unknown model 'no_such_model'"),
    ],
)
def test_bad_configs_give_clear_errors(model, tmp_path, change, message):
    folder = omicsnet.save(model, tmp_path / "m")
    config = json.loads((folder / "config.json").read_text())
    change(config)
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match=message):
        omicsnet.load(folder)


def test_missing_files_and_non_folders(tmp_path, model):
    with pytest.raises(CheckpointError, match="not a directory"):
        omicsnet.load(tmp_path / "nothing")
    folder = omicsnet.save(model, tmp_path / "m")
    (folder / "model.safetensors").unlink()
    with pytest.raises(CheckpointError, match="model.safetensors is missing"):
        omicsnet.load(folder)


def test_knowledge_checksum_is_recorded_and_checked(model, tmp_path):
    model.knowledge_checksum = "a" * 64
    folder = omicsnet.save(model, tmp_path / "m")
    assert serialization.read_model_files(folder)[1]["knowledge_checksum"] == "a" * 64
    omicsnet.load(folder, expected_knowledge_checksum="a" * 64)
    with pytest.raises(CheckpointError, match="knowledge graph"):
        omicsnet.load(folder, expected_knowledge_checksum="b" * 64)


def test_only_zoo_models_can_be_saved(tmp_path):
    with pytest.raises(CheckpointError, match="create_model"):
        omicsnet.save(torch.nn.Linear(2, 2), tmp_path / "m")


def test_ddp_style_wrappers_are_unwrapped(model, tmp_path):
    class Wrapper(torch.nn.Module):
        def __init__(self, module):
            super().__init__()
            self.module = module

    folder = omicsnet.save(Wrapper(model), tmp_path / "m")
    assert omicsnet.load(folder).config == model.config


def test_reserved_metadata_keys_are_refused(model, tmp_path):
    with pytest.raises(CheckpointError, match="reserved"):
        omicsnet.save(model, tmp_path / "m", metadata={"weights_sha256": "0" * 64})
    assert not (tmp_path / "m").exists()


def test_saved_files_follow_the_umask(model, tmp_path):
    import os

    old = os.umask(0o022)
    try:
        folder = omicsnet.save(model, tmp_path / "m")
    finally:
        os.umask(old)
    assert folder.stat().st_mode & 0o777 == 0o755
    assert (folder / "config.json").stat().st_mode & 0o777 == 0o644
