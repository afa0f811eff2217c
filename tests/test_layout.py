"""The package layout: one-way imports between layers, no cycles, families apart, one family list.

Every import statement of every module is walked (function-local and ``TYPE_CHECKING``
ones included). Layers, lowest first::

    1  errors, config, utils, families, _version
    2  data, nn, knowledge, ms
    3  models, networks
    4  train
    5  explain, search
    6  the family packages (omicsnet.families.FAMILIES), which never import each other
    7  cli, commands, experiment, demo, bench, __main__

A module may import from its own layer or lower ones. The root package ``omicsnet`` is the
lazy façade (names resolve on first use) and takes no part.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import omicsnet
from omicsnet.families import FAMILIES

PACKAGE = Path(omicsnet.__file__).resolve().parent

CORE_LAYERS: dict[str, int] = {
    "omicsnet.errors": 1,
    "omicsnet.config": 1,
    "omicsnet.utils": 1,
    "omicsnet.families": 1,
    "omicsnet._version": 1,
    "omicsnet.data": 2,
    "omicsnet.nn": 2,
    "omicsnet.knowledge": 2,
    "omicsnet.ms": 2,
    "omicsnet.models": 3,
    "omicsnet.networks": 3,
    "omicsnet.train": 4,
    "omicsnet.explain": 5,
    "omicsnet.search": 5,
    "omicsnet.cli": 7,
    "omicsnet.commands": 7,
    "omicsnet.experiment": 7,
    "omicsnet.demo": 7,
    "omicsnet.bench": 7,
    "omicsnet.__main__": 7,
}
FAMILY_LAYER = 6


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def import_graph() -> dict[str, set[str]]:
    """module -> the omicsnet modules it imports (the longest known module of each name)."""
    modules = _modules()
    edges: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(module, path.name == "__init__.py", node)
                targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            for target in targets:
                if target != "omicsnet" and not target.startswith("omicsnet."):
                    continue
                parts = target.split(".")
                while parts and ".".join(parts) not in modules:
                    parts.pop()
                found = ".".join(parts)
                # a package's own __init__ (or the façade) is not a dependency of its modules
                if found and found != module and not module.startswith(found + "."):
                    edges[module].add(found)
    return edges


def layer_of(module: str) -> int | None:
    """The layer of a module: its family's, or the longest matching core prefix's."""
    if module == "omicsnet":
        return None
    for family in FAMILIES:
        if module == family or module.startswith(family + "."):
            return FAMILY_LAYER
    best: tuple[int, str] | None = None
    for prefix, layer in CORE_LAYERS.items():
        if (module == prefix or module.startswith(prefix + ".")) and (
            best is None or len(prefix) > len(best[1])
        ):
            best = (layer, prefix)
    return best[0] if best else None


def family_of(module: str) -> str | None:
    return next((f for f in FAMILIES if module == f or module.startswith(f + ".")), None)


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in edges:
        if v not in index:
            visit(v)
    return found


# ---------------------------------------------------------------------- the rules
def test_every_module_has_a_layer():
    unplaced = sorted(m for m in _modules() if m != "omicsnet" and layer_of(m) is None)
    assert not unplaced, f"modules outside every layer (add them to a layer): {unplaced}"


def test_no_import_goes_up_a_layer():
    upward = [
        f"{a} (layer {layer_of(a)}) imports {b} (layer {layer_of(b)})"
        for a, targets in import_graph().items()
        for b in targets
        if layer_of(a) is not None and layer_of(b) is not None and layer_of(b) > layer_of(a)
    ]
    assert not upward, "upward imports:\n" + "\n".join(sorted(upward))


def test_families_never_import_each_other():
    crossing = [
        f"{a} imports {b}"
        for a, targets in import_graph().items()
        for b in targets
        if family_of(a) and family_of(b) and family_of(a) != family_of(b)
    ]
    assert not crossing, "\n".join(sorted(crossing))


def test_there_are_no_import_cycles():
    found = cycles(import_graph())
    assert not found, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_the_checker_sees_function_local_imports_and_cycles(tmp_path):
    """The rules above can fail: a planted upward import and a planted cycle are found."""
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}
    assert cycles(edges) == [["a", "b", "c"]]
    source = "def f():\n    from omicsnet.train.trainer import Trainer\n"
    tree = ast.parse(source)
    nodes = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert _resolve("omicsnet.models.mlp", False, nodes[0]) == "omicsnet.train.trainer"
    assert layer_of("omicsnet.models.mlp") < layer_of("omicsnet.train.trainer")
    assert layer_of("omicsnet.kcae.workflows") == FAMILY_LAYER


def test_each_family_declares_its_parts_and_they_exist():
    from importlib.util import find_spec

    from omicsnet.families import family_specs

    specs = family_specs()
    assert sorted(specs) == sorted(f.rsplit(".", 1)[-1] for f in FAMILIES)
    for name, spec in specs.items():
        for module in (*spec.models, spec.commands):
            assert module and module.startswith(f"omicsnet.{name}."), (name, module)
            assert find_spec(module) is not None, module
        if spec.demo:
            module, _, function = spec.demo.partition(":")
            assert hasattr(__import__(module, fromlist=[function]), function), spec.demo


def test_no_workflow_modules_are_left_at_the_top_level():
    top = sorted(p.name for p in PACKAGE.glob("*_workflows.py"))
    assert top == [], top


# ---------------------------------------------------------------------- a new family
TOY_INIT = '''
"""A toy family: one package and one line in the family list."""
from omicsnet.families import FamilySpec

SPEC = FamilySpec(
    models=("toyfam.model",),
    commands="toyfam.cli",
    command_groups={"toy": "the toy family"},
    demo="toyfam.demo:demo_toy",
    search_tasks={"toy": "toyfam.demo:toy_task"},
)
'''
TOY_MODEL = '''
from torch import nn
from omicsnet.models.base import OmicsModel
from omicsnet.models.registry import register_model


@register_model("toy_linear", family="toy")
class ToyLinear(OmicsModel):
    """One linear layer: the toy family's model."""

    def __init__(self, in_features: int = 3, out_features: int = 2):
        super().__init__()
        self.n_inputs, self.n_outputs = in_features, out_features
        self.linear = nn.Linear(in_features, out_features)

    def forward(self, x):
        return self.linear(x)
'''
TOY_CLI = """
def add_commands(groups):
    hello = groups.action("toy", "hello", help="say hello from the toy family")
    hello.set_defaults(func=lambda args: print("hello from toyfam") or 0)
"""
TOY_DEMO = """
from omicsnet.families import DemoStep


def demo_toy(folder, *, quick, progress):
    return DemoStep("toy", ["  toy step ran"])


def toy_task(parameters, context):
    return {"loss": float(parameters.get("x", 0.0)) ** 2}
"""


def _write_toy_family(root: Path) -> None:
    package = root / "toyfam"
    package.mkdir()
    for name, text in (
        ("__init__.py", TOY_INIT),
        ("model.py", TOY_MODEL),
        ("cli.py", TOY_CLI),
        ("demo.py", TOY_DEMO),
    ):
        (package / name).write_text(textwrap.dedent(text))


def test_a_toy_family_needs_one_package_and_one_line(tmp_path, monkeypatch):
    """Registry, command line, demo steps and search tasks all pick the family up."""
    _write_toy_family(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    import omicsnet.families as families
    import omicsnet.models.registry as registry

    monkeypatch.setattr(families, "FAMILIES", [*families.FAMILIES, "toyfam"])  # the one line
    monkeypatch.setattr(registry, "_builtins_loaded", False)
    try:
        assert "toy_linear" in registry.list_models(family="toy")
        model = registry.create_model("toy_linear", in_features=4)
        assert model.config == {"in_features": 4, "out_features": 2}
        assert families.family_demo_steps()["toyfam"] == "toyfam.demo:demo_toy"

        from omicsnet.search.tasks import list_tasks

        assert list_tasks()["toy"] == "toyfam.demo:toy_task"

        from omicsnet.cli import build_parser

        parser = build_parser()
        args = parser.parse_args(["toy", "hello"])
        assert args.func(args) == 0
        assert "the toy family" in parser.format_help()
    finally:
        registry._REGISTRY.pop("toy_linear", None)
        for name in [m for m in sys.modules if m == "toyfam" or m.startswith("toyfam.")]:
            del sys.modules[name]


def test_the_toy_family_runs_from_the_command_line(tmp_path):
    """In a fresh process, with the family list edited by one line, `omicsnet toy hello` runs."""
    _write_toy_family(tmp_path)
    script = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "import omicsnet.families as f; f.FAMILIES.append('toyfam')\n"
        "from omicsnet.cli import main; sys.exit(main(['toy', 'hello']))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "hello from toyfam" in result.stdout


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("omicsnet.kcae_workflows", "omicsnet.kcae.workflows"),
        ("omicsnet.data.mzml", "omicsnet.ms.mzml"),
        ("omicsnet.models.residual_mlp", "omicsnet.t2p.model"),
        ("omicsnet.lcms_workflows", "omicsnet.lcms.workflows"),
    ],
)
def test_old_public_paths_still_import_with_a_warning(old, new):
    code = (
        "import warnings, importlib\n"
        "warnings.simplefilter('error', FutureWarning)\n"
        "import omicsnet\n"
        f"try:\n    importlib.import_module({old!r})\n"
        "except FutureWarning as w:\n    print('WARNED', w)\n"
        "warnings.simplefilter('ignore', FutureWarning)\n"
        f"m = importlib.import_module({old!r})\n"
        "print(m.__name__, m.__spec__.name)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert f"WARNED {old} moved to {new}" in result.stdout
    assert f"{new} {new}" in result.stdout


def test_old_names_of_moved_functions_still_work_with_a_warning():
    import importlib

    ensemble = importlib.import_module("omicsnet.models.ensemble")
    with pytest.warns(FutureWarning, match="omicsnet.train.ensemble.train_ensemble"):
        function = ensemble.train_ensemble
    from omicsnet.train.ensemble import train_ensemble

    assert function is train_ensemble
