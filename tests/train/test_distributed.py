"""Two CPU processes with torch.distributed (gloo) train the same model as one process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import omicsnet
from omicsnet.train.distributed import epoch_batches
from tests.conftest import run_cli

SCRIPT = Path(__file__).with_name("ddp_script.py")


def _env() -> dict[str, str]:
    # one thread per process: two processes on a 2-core machine, and no oversubscription
    return {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}


def test_two_process_ddp_matches_single_process(tmp_path):
    single = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path / "single")],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert single.returncode == 0, single.stderr
    ddp = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node=2",
            str(SCRIPT),
            str(tmp_path / "ddp"),
        ],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ddp.returncode == 0, ddp.stderr[-3000:]
    meta = json.loads((tmp_path / "ddp" / "metadata.json").read_text())
    assert meta["world_size"] == 2
    a, b = omicsnet.load(tmp_path / "single"), omicsnet.load(tmp_path / "ddp")
    changed = False
    init = omicsnet.create_model("mlp", in_features=8, out_features=3, hidden=[32, 16])
    for (name, p), q in zip(a.named_parameters(), b.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6, msg=f"parameter {name} differs")
        changed |= not torch.allclose(p, init.state_dict()[name])
    assert changed  # training really moved the weights
    single_meta = json.loads((tmp_path / "single" / "metadata.json").read_text())
    assert meta["final_train_loss"] == pytest.approx(single_meta["final_train_loss"], rel=1e-5)


def test_cli_launches_data_parallel_training(tmp_path):
    config = tmp_path / "run.yaml"
    config.write_text(
        "model: {name: mlp, config: {hidden: [16]}}\n"
        "data: {dataset: synthetic_omics, params: {n_samples: 120, n_genes: 20, n_proteins: 4}}\n"
        "trainer: {max_epochs: 3, batch_size: 16}\n"
        "output: out\n"
    )
    one = run_cli(
        "train",
        "--config",
        str(config),
        "--output",
        str(tmp_path / "one"),
        "--no-progress",
        env={"OMP_NUM_THREADS": "1"},
    )
    assert one.returncode == 0, one.stderr
    two = run_cli(
        "train",
        "--config",
        str(config),
        "--output",
        str(tmp_path / "two"),
        "--nproc-per-node",
        "2",
        "--no-progress",
        env={"OMP_NUM_THREADS": "1"},
    )
    assert two.returncode == 0, two.stderr[-3000:]
    assert two.stdout.count("model saved to") == 1  # only rank 0 reports and saves
    a, b = omicsnet.load(tmp_path / "one" / "model"), omicsnet.load(tmp_path / "two" / "model")
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)


def test_shards_cover_the_same_samples_per_step_as_one_process():
    single = epoch_batches(10, 4, shuffle=True, seed=3, epoch=2)
    shards = [
        epoch_batches(10, 4, shuffle=True, seed=3, epoch=2, rank=r, world_size=2) for r in (0, 1)
    ]
    assert len(shards[0]) == len(shards[1]) == len(single)
    for step, batch in enumerate(single):
        together = torch.cat([shards[0][step], shards[1][step]])
        assert sorted(together.tolist()) == sorted(batch.tolist())


def test_batch_size_must_divide_among_processes():
    from omicsnet.errors import ConfigError

    with pytest.raises(ConfigError, match="divisible by the number of processes"):
        epoch_batches(10, 5, shuffle=False, seed=0, epoch=0, rank=0, world_size=2)


def test_nproc_that_does_not_divide_the_batch_is_one_line_before_launching(tmp_path):
    (tmp_path / "run.yaml").write_text(
        "model: {name: mlp, config: {hidden: [8]}}\n"
        "data: {dataset: synthetic_omics, params: {n_samples: 60, n_genes: 10, n_proteins: 3}}\n"
        "trainer: {max_epochs: 1, batch_size: 32, progress: false}\n"
        "output: out\n"
    )
    result = run_cli("train", "--config", str(tmp_path / "run.yaml"), "--nproc-per-node", "3")
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [
        "omicsnet: error: trainer.batch_size 32 is not divisible by --nproc-per-node 3: each "
        "process takes batch_size / N samples per step"
    ]
    assert not (tmp_path / "out").exists()
