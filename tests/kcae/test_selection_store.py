"""``select_by_study_cv(store=...)``: finished inner folds are kept and read back."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from omicsnet.errors import ConfigError
from omicsnet.kcae import selection
from omicsnet.kcae.compendium import synthetic_programs
from omicsnet.kcae.selection import Candidate, select_by_study_cv
from omicsnet.models import create_model

CANDIDATES = [Candidate("strict", 2, 1.0), Candidate("loose", 8, 0.0)]
FIT = {"pretrain_epochs": 2, "epochs": 2}


@pytest.fixture(scope="module")
def data():
    d = synthetic_programs(n_samples=60, seed=0)
    studies = pd.Series([f"s{i % 6}" for i in range(60)], index=d.expression.index)
    return d, studies


def _select(d, studies, **kwargs):
    def build(c):
        return create_model(
            "kgae", input_features=list(d.expression.columns), output_features=["growth_rate"],
            n_genes=d.expression.shape[1], n_knowledge=len(d.node_names), n_free=c.n_free,
            program_edges=d.program_edges,
        )  # fmt: skip

    return select_by_study_cv(
        build, d.expression, d.phenotypes["growth_rate"], studies, CANDIDATES, n_folds=3,
        fit_options=FIT, **kwargs,
    )  # fmt: skip


def test_a_resumed_selection_refits_only_lost_folds_and_gives_the_same_table(
    data, tmp_path, monkeypatch
):
    d, studies = data
    store = tmp_path / "inner"
    chosen, table = _select(d, studies, store=store)
    assert sorted(p.name for p in store.glob("split_*")) == ["split_000", "split_001", "split_002"]
    shutil.rmtree(store / "split_001")  # as if killed while fitting the second fold
    fits = []
    original = selection.fit_candidate
    monkeypatch.setattr(
        selection, "fit_candidate", lambda *a, **k: fits.append(a[1].name) or original(*a, **k)
    )
    again, resumed = _select(d, studies, store=store)
    assert fits == ["strict", "loose"]  # one fold, both candidates
    assert again == chosen
    pd.testing.assert_frame_equal(resumed, table)
    monkeypatch.undo()
    _, plain = _select(d, studies)
    pd.testing.assert_frame_equal(plain, table)


def test_a_store_of_another_selection_is_refused(data, tmp_path):
    d, studies = data
    _select(d, studies, store=tmp_path / "inner", seed=0)
    with pytest.raises(ConfigError, match=r"another run \(different seed\)"):
        _select(d, studies, store=tmp_path / "inner", seed=1)
