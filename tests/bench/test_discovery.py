"""Built-in suites are always found; a user's folder adds to them and never hides them."""

from __future__ import annotations

import pytest

from omicsnet.bench.registry import (
    builtin_bench_dir,
    claim_folder,
    find_benchmarks,
    list_benchmarks,
    load_errors,
)
from omicsnet.errors import ConfigError, OutputExistsError

from ..conftest import REPO, run_cli

BUILTIN = {"kcae", "knowledge-screen", "lcms", "mzml-convert", "network", "rise", "startup",
           "t2p", "trainer-overhead"}  # fmt: skip


def test_builtin_suites_are_found_from_the_package():
    assert builtin_bench_dir() == REPO / "benchmarks"
    assert set(list_benchmarks()) >= BUILTIN


def test_user_folder_adds_to_the_builtin_suites(toy_dir):
    names = set(list_benchmarks(toy_dir))
    assert names >= BUILTIN | {"toy-speed", "toy-quality"}
    entry = find_benchmarks(toy_dir)["toy-speed"]
    assert entry.folder == toy_dir.resolve() and entry.suites == ("speed",)


def test_a_user_benchmark_with_a_builtin_name_is_an_error_naming_both(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "bench_startup.py").write_text(
        "from omicsnet.bench.registry import register_benchmark\n"
        "@register_benchmark('startup')\n"
        "def mine(ctx):\n    raise AssertionError('must not run')\n"
    )
    with pytest.raises(ConfigError, match=r"'startup' is defined twice: in .*benchmarks/bench_"
                       r"startup.py and in .*mine/bench_startup.py"):  # fmt: skip
        find_benchmarks(folder)


def test_same_file_name_in_two_folders_does_not_collide(tmp_path, toy_dir):
    other = tmp_path / "other"
    other.mkdir()
    (other / "bench_toys.py").write_text(
        "from omicsnet.bench.registry import BenchResult, register_benchmark\n"
        "@register_benchmark('other-toy')\n"
        "def other(ctx):\n    return BenchResult([])\n"
    )
    names = set(list_benchmarks([toy_dir, other], builtin=False))
    assert {"toy-speed", "toy-quality", "other-toy"} <= names


def test_a_broken_file_is_reported_and_hides_nothing(tmp_path, toy_dir):
    (toy_dir / "bench_broken.py").write_text("import not_a_module_anywhere\n")
    assert "toy-speed" in list_benchmarks(toy_dir)
    errors = load_errors(toy_dir)
    assert list(errors) == [(toy_dir / "bench_broken.py").resolve()]
    assert "ModuleNotFoundError" in next(iter(errors.values()))


def test_bad_suite_or_band_declaration_is_a_clear_error():
    from omicsnet.bench.registry import register_benchmark

    with pytest.raises(ConfigError, match="names unknown suite 'sience'"):
        register_benchmark("x", suites=("sience",))
    with pytest.raises(ConfigError, match="benchmark 'x': noise band 'ratio 15' must be"):
        register_benchmark("x", noise={"s": "ratio 15"})


def test_cli_list_shows_builtin_and_user_benchmarks_and_broken_files(toy_dir, tmp_path):
    listed = run_cli("bench", "list", "--bench-dir", str(toy_dir))
    assert listed.returncode == 0, listed.stderr
    assert "startup" in listed.stdout and "toy-speed" in listed.stdout
    assert f"built-in suites: {REPO / 'benchmarks'}" in listed.stdout
    science = run_cli("bench", "list", "--suite", "science")
    names = {line.split()[0] for line in science.stdout.splitlines()[:8] if line.strip()}
    assert {"kcae", "t2p", "lcms", "network"} <= names and "startup" not in names
    (toy_dir / "bench_broken.py").write_text("raise ValueError('boom')\n")
    broken = run_cli("bench", "list", "--bench-dir", str(toy_dir))
    assert broken.returncode == 1 and "bench_broken.py: ValueError: boom" in broken.stderr
    assert "toy-speed" in broken.stdout


def test_working_directory_benchmarks_folder_no_longer_replaces_builtin(tmp_path, toy_dir):
    # the old rule read ./benchmarks and silently dropped the built-in suites
    toy_dir.rename(tmp_path / "benchmarks")
    listed = run_cli("bench", "list", cwd=tmp_path)
    assert "startup" in listed.stdout and "toy-speed" not in listed.stdout
    assert "./benchmarks is not read unless passed" in listed.stderr
    passed = run_cli("bench", "list", "--bench-dir", "benchmarks", cwd=tmp_path)
    assert "startup" in passed.stdout and "toy-speed" in passed.stdout


def test_environment_variable_names_the_builtin_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("OMICSNET_BENCHMARKS", str(tmp_path))
    assert builtin_bench_dir() == tmp_path.resolve()
    monkeypatch.setenv("OMICSNET_BENCHMARKS", str(tmp_path / "missing"))
    with pytest.raises(FileNotFoundError, match="OMICSNET_BENCHMARKS=.*no such folder"):
        builtin_bench_dir()


def test_claim_folder_accepts_new_empty_and_own_folders(tmp_path):
    new = claim_folder(tmp_path / "a" / "b", root=True)
    assert (new / ".omicsnet-output.json").is_file()
    assert claim_folder(new, root=True) == new  # marked: ours
    published = tmp_path / "published"
    (published / "x").mkdir(parents=True)
    (published / "x" / "results.json").write_text("{}")
    assert claim_folder(published, root=True) == published
    with pytest.raises(OutputExistsError, match="is a file, not a folder"):
        claim_folder(published / "x" / "results.json")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "data.csv").write_text("a,b\n")
    with pytest.raises(OutputExistsError, match="holds files that omicsnet did not write"):
        claim_folder(mine, root=True)


def test_a_builtin_file_also_loaded_by_hand_counts_once():
    # tests and scripts load bench files directly; that must not look like a second benchmark
    import importlib.util

    path = REPO / "benchmarks" / "bench_startup.py"
    spec = importlib.util.spec_from_file_location("bench_startup_by_hand", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # not entered in sys.modules
    found = find_benchmarks()
    assert found["startup"].folder == REPO / "benchmarks"
