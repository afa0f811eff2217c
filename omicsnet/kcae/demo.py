"""The kcae family's step of ``omicsnet demo`` (generated data, no download)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import torch

from omicsnet.families import DemoStep
from omicsnet.kcae.workflows import (
    finetune,
    phenotype_metrics,
    predict_phenotypes,
    prepare_expression,
    pretrain,
    reconstruction_pcc,
    save_kcae,
)
from omicsnet.utils.io import write_csv
from omicsnet.utils.numbers import format_number as num


def demo_kcae(out_dir: str | os.PathLike[str], *, quick: bool, progress: bool) -> DemoStep:
    """The demo's KCAE step: textbook graph, generated compendium, pretrain -> fine-tune.

    Wires a ``kcae`` (strategy C) from the e_coli_core (``textbook``) phenotype graph,
    pretrains it on a generated compendium of 6 studies, fine-tunes the biomass node on
    the generated growth rates of 4 studies and predicts the 2 held-out studies. Needs no
    downloaded data.
    """
    from omicsnet.kcae.compendium import synthetic_compendium
    from omicsnet.kcae.model import kcae_from_graph
    from omicsnet.kcae.plots import plot_predicted_vs_measured
    from omicsnet.knowledge.phenotype_graph import load_phenotype_graph

    started = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    graph = load_phenotype_graph("textbook", progress=False)
    comp = synthetic_compendium(graph.genes, n_samples=72 if quick else 240, n_studies=6, seed=0)
    test_studies = sorted(set(comp.studies))[-2:]
    is_test = comp.studies.isin(test_studies)
    train_ids = list(comp.studies.index[~is_test])
    test_ids = list(comp.studies.index[is_test])
    x, scaler, match = prepare_expression(comp.expression, graph.genes, fit_on=train_ids)
    model = kcae_from_graph(graph, strategy="C")
    epochs = (10, 30) if quick else (60, 150)
    pre = pretrain(model, x.loc[train_ids], epochs=epochs[0], lr=1e-2, progress=progress)
    fine = finetune(
        model,
        x.loc[train_ids],
        comp.phenotypes.loc[train_ids, ["growth_rate"]],
        epochs=epochs[1],
        lr=3e-3,
        progress=progress,
    )
    predicted = predict_phenotypes(model, x.loc[test_ids])
    biomass = graph.phenotypes[0]
    measured = comp.phenotypes.loc[test_ids, "growth_rate"]
    metrics = phenotype_metrics(measured, predicted[biomass], comp.studies.loc[test_ids])
    rec = float(reconstruction_pcc(model, x.loc[test_ids]).mean())
    write_csv(predicted, out / "kcae_predictions.csv", index=True)
    save_kcae(model, out / "kcae_model", scaler=scaler, stage="finetuned", overwrite=True)
    plot_predicted_vs_measured(
        measured,
        predicted[biomass],
        out / "kcae_growth.png",
        studies=comp.studies,
        quantity="growth rate",
        unit="1/h",
        title=f"held-out studies {', '.join(test_studies)} (generated data)",
    )
    seconds = time.perf_counter() - started
    ok = bool(np.isfinite(metrics["pooled_pcc"]) and len(pre.history) and len(fine.history))
    lines = [
        f"kcae on {graph.name}: {len(graph.genes)} genes -> {len(graph.proteins)} proteins -> "
        f"{len(graph.phenotypes)} phenotypes ({model.n_parameters()} parameters); "
        f"{match.summary()}",
        f"held-out studies {test_studies}: growth PCC {num(metrics['pooled_pcc'], 2)}, "
        f"{num(100 * metrics['within_20pct'])} % within 20 %, reconstruction PCC "
        f"{num(rec, 2)} (generated data, {num(seconds, 2)} s)",
    ]
    return DemoStep("kcae", lines, ok=ok)


__all__ = ["demo_kcae"]
