"""The ``t2p`` benchmark's cohort and nested-NAS rows: names as issue 16 gives them, values
the median over the target's test halves (the whole-cohort row left out), spread in the notes."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pandas as pd
import pytest

from omicsnet.t2p.cohorts import arm_label
from omicsnet.train.cv import CVResult

from ..conftest import REPO

SPLITS = [f"5x2/r{r}/f{f}" for r in range(5) for f in range(2)]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location(
        "bench_t2p_rows_under_test", REPO / "benchmarks" / "bench_t2p.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def result(values: dict[str, list[float]], extra: dict[str, float] | None = None, **columns):
    """A CVResult whose table holds one ``pearson_r_median`` per (model, split)."""
    rows = [
        {"model": model, "split": split, "pearson_r_median": value, **columns}
        for model, per_split in values.items()
        for split, value in zip(SPLITS, per_split, strict=True)
    ]
    rows += [{"model": m, "split": "all", "pearson_r_median": v} for m, v in (extra or {}).items()]
    return CVResult(table=pd.DataFrame(rows), splits=[], predictions={}, n_samples=0)


def spread(centre: float) -> list[float]:
    return list(centre + np.linspace(-0.02, 0.02, len(SPLITS)))


def test_cohort_rows_have_the_issue_names_and_score_the_test_halves(bench):
    net, ridge, own = bench.NETWORK, bench.RIDGE, bench.OWN
    results = {}
    for cohort, base in (("ucec", 0.65), ("coad", 0.48)):
        results[cohort] = result({
            arm_label(net, "pooled"): spread(base - 0.05),
            arm_label(net, "single"): spread(base),
            arm_label(ridge, "pooled"): spread(base - 0.04),
            arm_label(ridge, "single"): spread(base + 0.01),
        })  # fmt: skip
        results[f"{cohort}+cohort"] = result({arm_label(net, bench.COVARIATE_ARM): spread(base)})
    for pair, base in (("ucec->coad", 0.42), ("coad->ucec", 0.55)):
        results[pair] = result(
            {net: spread(base), ridge: spread(base + 0.005), own: spread(base - 0.06)},
            extra={net: 0.9, ridge: 0.9, own: 0.9},  # whole cohort: never a split's value
        )
    rows = bench._cohort_rows(results)
    cases = list(dict.fromkeys(row.case for row in rows))
    assert cases == [
        "UCEC: pooled vs single-cohort training",
        "COAD: pooled vs single-cohort training",
        "UCEC → COAD transfer",
        "COAD → UCEC transfer",
    ]
    by = {(row.case, row.candidate, row.baseline): row for row in rows}
    pooled = by[("UCEC: pooled vs single-cohort training", "network, pooled", "network, UCEC only")]
    assert pooled.candidate_value == pytest.approx(0.60)
    assert pooled.baseline_value == pytest.approx(0.65) and pooled.unit == "r"
    assert "paired change -0.0500" in pooled.notes and "mean 0.600 (SD " in pooled.notes
    assert ("COAD: pooled vs single-cohort training", "two-stage ridge, pooled",
            "two-stage ridge, COAD only") in by  # fmt: skip
    transfer = [row for row in rows if row.case == "UCEC → COAD transfer"]
    assert [(row.candidate, row.baseline) for row in transfer] == [
        ("network (fitted on UCEC)", "own mRNA (fitted on UCEC)"),
        ("network (fitted on UCEC)", "two-stage ridge (fitted on UCEC)"),
        ("two-stage ridge (fitted on UCEC)", "own mRNA (fitted on UCEC)"),
    ]
    assert transfer[0].candidate_value == pytest.approx(0.42)  # the 'all' row is left out
    assert "whole COAD cohort: network 0.900" in transfer[0].notes


def test_nested_rows_sit_beside_the_optimistic_ones_labelled_as_such(bench):
    net, ridge = bench.NETWORK, bench.RIDGE
    chosen = {"chosen": json.dumps({"linear_path": True}), "inner_trials": 5}
    nested = {
        "single": result({"nas_nested": spread(0.61)}, **chosen),
        "pooled": result(
            {"nas_nested": spread(0.59), arm_label(ridge, "pooled"): spread(0.60)}, **chosen
        ),
    }
    cv = result({ridge: spread(0.625), "nas_best": spread(0.62)}).table
    ucec = result({arm_label(net, "pooled"): spread(0.59)})
    rows = bench._nested_rows(nested, cv, ucec)
    assert {row.case for row in rows} == {"NAS judged without selection bias (UCEC 5x2 CV)"}
    optimistic = [row for row in rows if "optimistic" in row.baseline]
    assert len(optimistic) == 2 and all(row.target == "" for row in optimistic)
    first = rows[0]
    assert (first.candidate, first.baseline) == ("nas_nested (UCEC only)", ridge)
    assert first.candidate_value == pytest.approx(0.61) and first.target == ">= 1.0"
    assert "chose the linear path in 10 of 10 outer splits" in first.notes
