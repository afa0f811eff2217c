"""Plugin models: an installed package's entry point puts its models in the zoo.

The plugin is a real distribution in a temporary site folder (``*.dist-info`` with an
``entry_points.txt``), found by ``importlib.metadata`` as pip-installed packages are.
"""

from __future__ import annotations

import json
import textwrap

import pytest

import omicsnet
from omicsnet.errors import CheckpointError, ModelNotFoundError
from omicsnet.models import registry
from omicsnet.models.testing import check_model
from tests.conftest import run_cli

PLUGIN = '''
import os
import pathlib

import torch
from torch import nn

from omicsnet.models.base import OmicsModel

marker = os.environ.get("TOY_PLUGIN_MARKER")
if marker:  # lets a test see whether the module was imported
    pathlib.Path(marker).write_text("imported")


class ToyNet(OmicsModel):
    """A toy plugin network: one hidden layer."""

    def __init__(self, in_features: int = 4, out_features: int = 2, width: int = 8,
                 task: str = "regression"):
        super().__init__()
        self.task = task
        self.n_inputs, self.n_outputs = in_features, out_features
        self.net = nn.Sequential(nn.Linear(in_features, width), nn.Tanh(),
                                 nn.Linear(width, out_features))

    def forward(self, x):
        return self.net(x)
'''


def _install(site, name, dist, entry_points, files):
    for path, text in files.items():
        target = site / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    info = site / f"{dist}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(entry_points))


@pytest.fixture
def site(tmp_path):
    site = tmp_path / "site"
    _install(
        site, "toy-omics-plugin", "toy_omics_plugin",
        "[omicsnet.models]\ntoy_net = toy_omics_plugin.models:ToyNet\n",
        {"toy_omics_plugin/__init__.py": "", "toy_omics_plugin/models.py": PLUGIN},
    )  # fmt: skip
    _install(
        site, "broken-plugin", "broken_plugin",
        "[omicsnet.models]\nbroken_net = broken_plugin_missing.models:Net\n", {},
    )  # fmt: skip
    return site


@pytest.fixture
def installed(site, monkeypatch):
    monkeypatch.syspath_prepend(str(site))
    before = dict(registry._REGISTRY)
    registry.load_plugins()
    yield site
    registry._REGISTRY.clear()
    registry._REGISTRY.update(before)
    registry._PLUGIN_ERRORS.clear()
    registry._PLUGIN_TARGETS.clear()


def test_an_installed_plugin_joins_the_zoo_and_walks_like_it(installed, tmp_path):
    assert "toy_net" in omicsnet.list_models(family="plugin")
    assert omicsnet.model_info("toy_net").description == "A toy plugin network: one hidden layer."
    report = check_model("toy_net", tmp_path)  # the user's own zoo-test helper
    assert report["round_trip"] == "identical"
    assert registry.resolve_model_name("toy_omics_plugin.models:ToyNet") == "toy_net"


def test_a_broken_plugin_is_left_out_with_its_reason(installed):
    errors = registry.plugin_errors()
    assert "broken_net" in errors and "ModuleNotFoundError" in errors["broken_net"]
    assert "broken_net" not in omicsnet.list_models()


def test_the_command_line_lists_trains_saves_and_loads_a_plugin_model(site, tmp_path):
    env = {"PYTHONPATH": str(site), "TOY_PLUGIN_MARKER": str(tmp_path / "imported.txt")}
    listed = run_cli("models", "--family", "plugin", env=env)
    assert listed.returncode == 0, listed.stderr
    assert "toy_net  [plugin]  A toy plugin network" in listed.stdout
    (tmp_path / "run.yaml").write_text(
        "model: {name: toy_net, config: {width: 6}}\n"
        "data: {dataset: synthetic_omics, params: {n_samples: 60, n_genes: 5, n_proteins: 2}}\n"
        "trainer: {max_epochs: 2}\noutput: out\n"
    )
    trained = run_cli("train", "--config", str(tmp_path / "run.yaml"), "--no-progress", env=env)
    assert trained.returncode == 0, trained.stderr
    saved = json.loads((tmp_path / "out" / "model" / "config.json").read_text())
    assert saved["model"] == "toy_net" and saved["config"]["width"] == 6

    load = "import omicsnet; print(omicsnet.load('out/model').config['in_features'])"
    ok = _python(load, cwd=tmp_path, env=env)
    assert ok.returncode == 0 and ok.stdout.strip() == "5", ok.stderr

    # without the package installed the name resolves to nothing, and nothing is imported
    (tmp_path / "imported.txt").unlink()
    env_without = {"PYTHONPATH": "", "TOY_PLUGIN_MARKER": str(tmp_path / "imported.txt")}
    refused = _python(load, cwd=tmp_path, env=env_without)
    assert refused.returncode != 0
    assert "unknown model 'toy_net'" in refused.stderr and "entry point" in refused.stderr
    assert not (tmp_path / "imported.txt").exists()


def test_a_config_may_name_a_builder_by_module_path_and_loading_never_imports_it(tmp_path):
    (tmp_path / "my_models.py").write_text(PLUGIN)
    (tmp_path / "run.yaml").write_text(
        "model: {name: 'my_models:ToyNet'}\n"
        "data: {dataset: synthetic_omics, params: {n_samples: 60, n_genes: 5, n_proteins: 2}}\n"
        "trainer: {max_epochs: 2}\noutput: out\n"
    )
    marker = tmp_path / "imported.txt"
    env = {"TOY_PLUGIN_MARKER": str(marker)}
    trained = run_cli("train", "--config", "run.yaml", "--no-progress", cwd=tmp_path, env=env)
    assert trained.returncode == 0, trained.stderr
    saved = json.loads((tmp_path / "out" / "model" / "config.json").read_text())
    assert saved["model"] == "my_models:ToyNet"
    marker.unlink()

    # a saved file names 'my_models:ToyNet': loading looks it up and imports nothing
    load = "import omicsnet; omicsnet.load('out/model')"
    refused = _python(load, cwd=tmp_path, env=env)  # my_models.py is importable from here
    assert refused.returncode != 0 and "unknown model 'my_models:ToyNet'" in refused.stderr
    assert not marker.exists()  # ... and was not imported
    registered = (
        "import omicsnet; from omicsnet.models.registry import resolve_model_name; "
        "resolve_model_name('my_models:ToyNet'); print(type(omicsnet.load('out/model')).__name__)"
    )
    ok = _python(registered, cwd=tmp_path, env=env)  # the user imports it: then it loads
    assert ok.returncode == 0 and ok.stdout.strip() == "ToyNet", ok.stderr


def test_unknown_module_paths_are_clear_errors():
    with pytest.raises(ModelNotFoundError, match="cannot import 'no_such_pkg'"):
        registry.resolve_model_name("no_such_pkg:net")
    with pytest.raises(ModelNotFoundError, match="has no builder 'nothing'"):
        registry.resolve_model_name("omicsnet.models.mlp:nothing")


def test_load_refuses_a_saved_model_whose_name_is_not_registered(tmp_path):
    folder = omicsnet.save(omicsnet.create_model("mlp"), tmp_path / "m")
    config = json.loads((folder / "config.json").read_text())
    config["model"] = "os:system"
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="unknown model 'os:system'"):
        omicsnet.load(folder)


def _python(code, *, cwd, env):
    import os
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env={**os.environ, **env},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
