"""Independent units on the local and the Ray backend: same results, errors, resume."""

from __future__ import annotations

import argparse
import importlib.util

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import torch

import omicsnet
from omicsnet.errors import ConfigError
from omicsnet.train.cv import FoldOutput, cross_validate, stratified_kfold
from omicsnet.utils.executors import (
    Backend,
    UnitExecutor,
    add_backend_arguments,
    backend_from_args,
    start_ray,
)

HAS_RAY = importlib.util.find_spec("ray") is not None
needs_ray = pytest.mark.skipif(
    not HAS_RAY, reason="the Ray backend needs ray: pip install 'omicsnet[ray]'"
)
RAY = Backend("ray", workers=2, threads=1)
LOCAL = Backend("local", threads=1)  # the same torch thread count as the Ray units


@pytest.fixture(scope="module")
def ray_instance():
    """One local Ray instance (2 CPUs) for the module; executors leave it running."""
    if not HAS_RAY:
        pytest.skip("the Ray backend needs ray: pip install 'omicsnet[ray]'")
    import ray

    started = start_ray(num_cpus=2)
    yield ray
    if started:
        ray.shutdown()


def _square_or_fail(value: int) -> int:
    if value < 0:
        raise ConfigError(f"negative unit {value}")
    return value * value


def test_backend_validation_and_cli_arguments():
    with pytest.raises(ConfigError, match="backend must be one of local, ray; got 'dask'"):
        Backend("dask")
    with pytest.raises(ConfigError, match="an address is for the Ray backend"):
        Backend("local", address="auto")
    with pytest.raises(ConfigError, match="workers must be a positive whole number"):
        Backend("ray", workers=0)
    parser = argparse.ArgumentParser()
    add_backend_arguments(parser, units="folds")
    assert backend_from_args(parser.parse_args([]), workers=3) == Backend("local", workers=3)
    with pytest.raises(ConfigError, match="--address is for the Ray backend"):
        backend_from_args(parser.parse_args(["--address", "auto"]))
    ray_args = parser.parse_args(["--backend", "ray", "--address", "ray://head:10001"])
    assert backend_from_args(ray_args).address == "ray://head:10001"


def test_local_units_in_order_and_errors():
    with UnitExecutor("local") as executor:
        assert [tuple(r) for r in executor.run(_square_or_fail, [(3,), (4,)])] == [(0, 9), (1, 16)]
    with UnitExecutor("local") as executor, pytest.raises(ConfigError, match="negative unit -1"):
        list(executor.run(_square_or_fail, [(2,), (-1,)]))
    with UnitExecutor(Backend("local", workers=2), processes=True) as executor:
        results = sorted(executor.run(_square_or_fail, [(2,), (-1,), (5,)], errors="return"))
    assert [r.value for r in results] == [4, None, 25]
    assert isinstance(results[1].error, ConfigError)


@needs_ray
def test_ray_units_return_results_and_the_task_error(ray_instance):
    with UnitExecutor(RAY) as executor:
        assert sorted(tuple(r) for r in executor.run(_square_or_fail, [(3,), (4,)])) == [
            (0, 9),
            (1, 16),
        ]
    with UnitExecutor(RAY) as executor:
        results = sorted(executor.run(_square_or_fail, [(2,), (-1,)], errors="return"))
    assert results[0].value == 4 and isinstance(results[1].error, ConfigError)
    with UnitExecutor(RAY) as executor, pytest.raises(ConfigError, match="negative unit -3"):
        list(executor.run(_square_or_fail, [(-3,)]))
    assert ray_instance.is_initialized()  # an instance started outside is left running


def _seeded_fit(data: np.ndarray, y: np.ndarray):
    def fit_predict(split):
        torch.manual_seed(len(split.train))  # seeded by its own inputs, not by what ran before
        model = omicsnet.create_model("mlp", in_features=4, out_features=2, hidden=[8])
        x = torch.as_tensor(data, dtype=torch.float32)
        optimiser = torch.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(20):
            optimiser.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x[split.train]), torch.as_tensor(
                y[split.train]))  # fmt: skip
            loss.backward()
            optimiser.step()
        with torch.no_grad():
            proba = torch.softmax(model(x[split.test]), 1).numpy()
        return {"mlp": FoldOutput(predictions=proba, metrics={"loss": float(loss.detach())})}

    return fit_predict


@needs_ray
def test_cross_validation_on_ray_equals_local_and_resumes(ray_instance, tmp_path):
    rng = np.random.default_rng(0)
    y = np.tile([0, 1], 15)
    data = rng.normal(size=(30, 4)) + y[:, None]
    splits = stratified_kfold(y, 3, seed=0)
    fit = _seeded_fit(data, y)
    local = cross_validate(splits, fit, n_samples=30, backend=LOCAL)
    on_ray = cross_validate(splits, fit, n_samples=30, backend=RAY, store=tmp_path / "folds")
    pd.testing.assert_frame_equal(
        local.table.drop(columns="seconds"), on_ray.table.drop(columns="seconds")
    )
    np.testing.assert_array_equal(local.out_of_fold("mlp"), on_ray.out_of_fold("mlp"))
    # the splits Ray finished were stored here: a resumed run reads them back, fits nothing
    assert len(list((tmp_path / "folds").iterdir())) == 3

    def refuse(split):
        raise AssertionError(f"split {split.name} refitted")

    resumed = cross_validate(splits, refuse, n_samples=30, backend=RAY, store=tmp_path / "folds")
    np.testing.assert_array_equal(resumed.out_of_fold("mlp"), local.out_of_fold("mlp"))


@needs_ray
def test_ensemble_members_on_ray_equal_local(ray_instance):
    from omicsnet.train.ensemble import train_ensemble

    g = torch.Generator().manual_seed(0)
    y = torch.arange(24) % 2
    x = torch.randn(24, 6, generator=g) + y[:, None].float()
    data = omicsnet.ArrayDataset(x, y)
    kwargs = dict(
        n_models=2,
        lrs=[1e-2, 5e-3],
        trainer_kwargs={"max_epochs": 3, "batch_size": 8, "progress": False},
    )
    spec = {
        "model": "mlp",
        "config": {"in_features": 6, "out_features": 2, "hidden": [8], "task": "classification"},
    }
    local = train_ensemble(spec, data, data, backend=LOCAL, **kwargs)
    on_ray = train_ensemble(spec, data, data, backend=RAY, **kwargs)
    assert list(on_ray.members["seed"]) == [0, 1]
    for a, b in zip(local.ensemble.members, on_ray.ensemble.members, strict=True):
        for (name, p), (_, q) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
            assert torch.equal(p, q), name


@needs_ray
def test_pcsf_randomisations_on_ray_equal_local(ray_instance):
    from omicsnet.networks.pcsf import prepare_graph, solve_pcsf

    rng = np.random.default_rng(3)
    grid = nx.grid_2d_graph(5, 5)
    edges = pd.DataFrame(
        [(f"{u[0]}_{u[1]}", f"{v[0]}_{v[1]}", float(rng.uniform(0.2, 1.0))) for u, v in grid.edges],
        columns=["source", "target", "cost"],
    )
    prizes = {"0_0": 3.0, "4_4": 3.0, "2_3": 2.0}
    kwargs = dict(w=4.0, g=None, robustness=3, specificity=3, noise=0.3, seed=1, progress=False)
    graph = prepare_graph(edges)
    local = solve_pcsf(graph, prizes, workers=1, **kwargs)
    on_ray = solve_pcsf(graph, prizes, backend=RAY, **kwargs)
    pd.testing.assert_frame_equal(local.nodes, on_ray.nodes)
    pd.testing.assert_frame_equal(local.edges, on_ray.edges)


@needs_ray
def test_conversion_on_ray_equals_local(ray_instance, tmp_path):
    from omicsnet.ms.binning import convert_files
    from omicsnet.ms.synthetic import write_synthetic_mzml

    files = []
    for i in range(3):
        path = tmp_path / f"run{i}.mzML"
        write_synthetic_mzml(path, peaks=[(99.5 + i, 0.5, 10.0)], n_scans=3, rt_step=8.0)
        files.append(path)
    (tmp_path / "empty.mzML").write_bytes(b"")
    files.append(tmp_path / "empty.mzML")
    local = convert_files(files, use_cache=False, workers=1, progress=False)
    on_ray = convert_files(files, use_cache=False, workers=2, progress=False, backend="ray")
    assert [r.status for r in on_ray.records] == ["converted"] * 3 + ["failed"]
    assert on_ray.failures[0][1] == local.failures[0][1]
    for path, matrix in local.matrices.items():
        np.testing.assert_array_equal(matrix.values, on_ray.matrices[path].values)


def test_cli_refuses_an_address_without_the_ray_backend(tmp_path, capsys):
    from omicsnet.cli import main

    status = main(["lcms", "convert", str(tmp_path / "run.mzML"), "--out", str(tmp_path / "o"),
                   "--address", "auto"])  # fmt: skip
    assert status == 2
    assert "--address is for the Ray backend: add --backend ray" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


@needs_ray
def test_t2p_evaluate_on_ray_writes_the_local_table(ray_instance, tmp_path):
    import json

    from omicsnet.cli import main
    from omicsnet.utils.executors import unit_threads

    arch = {"block1_type": "fc", "block1_layers": 1, "block1_width": 8, "lr": 0.01,
            "block1_activation": "tanh", "batch_size": 16, "residual": True}  # fmt: skip
    (tmp_path / "arch.json").write_text(json.dumps(arch))
    args = ["t2p", "evaluate", "--synthetic", "--k", "2", "--baselines", "dummy,ridge", "-q",
            "--config", str(tmp_path / "arch.json"), "--epochs", "3",
            "--device", "cpu"]  # fmt: skip
    with unit_threads(1):  # Ray units train with 1 torch thread (cpus_per_unit)
        assert main([*args, "--out", str(tmp_path / "local")]) == 0
    assert main([*args, "--out", str(tmp_path / "ray"), "--backend", "ray"]) == 0
    local, on_ray = (pd.read_csv(tmp_path / name / "cv.csv") for name in ("local", "ray"))
    assert "network" in set(local["model"])
    pd.testing.assert_frame_equal(local.drop(columns="seconds"), on_ray.drop(columns="seconds"))
