"""Multi-omics fusion on real TCGA breast data: fused vs single-omics models vs classical ones.

Data: the mixOmics TCGA breast cancer training set in ``multiomics/breast_tcga`` of the
data directory: 150 tumours with mRNA (200 genes), miRNA (184) and RPPA protein (142)
profiles, and the PAM50 subtype (45 Basal, 30 Her2, 75 LumA). (The mixOmics test set has
no protein profiles and is not used.)

Protocol (:func:`omicsnet.multiomics.workflows.compare_fusion`): one seeded stratified
5-fold CV; on each split, on exactly the same samples,

* ``mlp[OMICS]``: a network on each omics alone (the single-omics models);
* ``early_fusion`` (the omics concatenated, one encoder) and ``intermediate_fusion``
  (one encoder per omics, joint head, modality dropout 0.2);
* ``logreg[...]``: multinomial logistic regression, its L2 strength chosen by a 3-fold CV
  inside the training fold (scored by macro F1); ``rf[...]``: random forest of 500 trees;
  each on every omics alone and on all omics concatenated (``[all]``).

Every choice is made on the training fold only: per-feature scaling (training mean and
SD), the regression's penalty, and the networks' stopping epoch (early stopping on a
stratified 15 % of the training fold). The network settings are fixed in advance
(:data:`omicsnet.multiomics.workflows.NETWORK_SETTINGS`), not tuned on these folds.

Scores: macro F1 and balanced accuracy on the pooled out-of-fold predictions, with 95 %
bootstrap CIs (1,000 resamples; :func:`omicsnet.train.metrics.classification_report`),
and their mean and SD over the 5 splits. Rows (value: pooled macro F1; goal: fusion
above both):

* ``fusion vs best single omics`` — each fusion model against the best single-omics
  network (the one with the highest pooled macro F1; choosing it on the test folds
  favours the baseline, not the fusion);
* ``fusion vs best classical baseline`` — each fusion model against the best logistic
  regression or random forest, on any input (chosen the same way).

``intermediate_fusion`` is the fusion model named in advance; ``early_fusion`` rows are
shown beside it. With 150 tumours the CIs are wide: read the CIs before the ratios.
``--quick``: 3 folds, at most 40 epochs, 200 bootstrap resamples.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from omicsnet.bench.registry import (
    BenchContext,
    BenchResult,
    BenchRow,
    load_average,
    register_benchmark,
)

logger = logging.getLogger(__name__)

FUSIONS = ("intermediate_fusion", "early_fusion")


def _ci(summary: Any, model: str, metric: str) -> str:
    row = summary.loc[model]
    return (
        f"{row[f'{metric}_pooled']:.3f} [{row[f'{metric}_ci_lower']:.3f}, "
        f"{row[f'{metric}_ci_upper']:.3f}]"
    )


@register_benchmark(
    "multiomics",
    "TCGA breast mRNA + miRNA + protein -> PAM50: fusion vs single omics vs logistic regression "
    "and random forest, same 5 folds",
    suites=("science",),
    noise="value ±0.03",
)
def bench_multiomics(ctx: BenchContext) -> BenchResult:
    """Fused vs single-omics vs classical classifiers of the PAM50 subtype on the same folds."""
    from omicsnet.multiomics.workflows import (
        NETWORK_SETTINGS,
        compare_fusion,
        load_tcga_breast_omics,
    )

    started = time.perf_counter()
    load_start = load_average()
    omics, labels = load_tcga_breast_omics(ctx.data_dir)
    n_splits = 3 if ctx.quick else 5
    trainer = {"max_epochs": 40} if ctx.quick else {}
    result = compare_fusion(
        omics,
        labels,
        n_splits=n_splits,
        seed=0,
        trainer=trainer,
        n_boot=200 if ctx.quick else 1000,
        progress=False,
    )
    summary = result.summary
    best_single = result.best("mlp")
    best_classical = result.best(["logreg", "rf"])
    rows: list[BenchRow] = []
    for case, baseline in (
        ("fusion vs best single omics", best_single),
        ("fusion vs best classical baseline", best_classical),
    ):
        for fusion in FUSIONS:
            notes = (
                f"pooled out-of-fold macro F1 [95% bootstrap CI]: {fusion} "
                f"{_ci(summary, fusion, 'f1_macro')}, {baseline} "
                f"{_ci(summary, baseline, 'f1_macro')}; per split "
                f"{summary.loc[fusion, 'f1_macro_mean']:.3f} ± "
                f"{summary.loc[fusion, 'f1_macro_sd']:.3f} vs "
                f"{summary.loc[baseline, 'f1_macro_mean']:.3f} ± "
                f"{summary.loc[baseline, 'f1_macro_sd']:.3f}"
                + ("" if fusion == FUSIONS[0] else " (early fusion, shown beside the named one)")
            )
            rows.append(
                BenchRow(
                    case=case,
                    candidate=fusion,
                    baseline=baseline,
                    candidate_value=float(summary.loc[fusion, "f1_macro_pooled"]),
                    baseline_value=float(summary.loc[baseline, "f1_macro_pooled"]),
                    unit="macro F1",
                    target="> 1.0",
                    notes=notes,
                )
            )
    for case, baseline in (
        ("balanced accuracy: fusion vs best single omics", best_single),
        ("balanced accuracy: fusion vs best classical baseline", best_classical),
    ):
        rows.append(
            BenchRow(
                case=case,
                candidate=FUSIONS[0],
                baseline=baseline,
                candidate_value=float(summary.loc[FUSIONS[0], "balanced_accuracy_pooled"]),
                baseline_value=float(summary.loc[baseline, "balanced_accuracy_pooled"]),
                unit="balanced accuracy",
                notes=(
                    f"{FUSIONS[0]} {_ci(summary, FUSIONS[0], 'balanced_accuracy')}, "
                    f"{baseline} {_ci(summary, baseline, 'balanced_accuracy')}"
                ),
            )
        )
    details: dict[str, Any] = {
        "data": {
            "samples": len(labels),
            "omics": {name: int(frame.shape[1]) for name, frame in omics.items()},
            "classes": labels.value_counts().to_dict(),
        },
        "protocol": {
            "folds": n_splits,
            "seed": 0,
            "network_settings": NETWORK_SETTINGS,
            "trainer_overrides": trainer,
        },
        "summary": summary.reset_index(names="model").to_dict("records"),
        "splits": result.cv.table.to_dict("records"),
        "confusion": {m: r.confusion.to_dict() for m, r in result.reports.items()},
        "best_single_omics": best_single,
        "best_classical": best_classical,
        "seconds": time.perf_counter() - started,
        "load_average_start": load_start,
        "load_average_end": load_average(),
    }
    return BenchResult(rows, details)
