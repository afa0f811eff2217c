"""Command-line flows of the knowledge-guided autoencoder (``omicsnet kcae guided|explain``).

* :func:`run_guided`: graph + compendium (+ phenotype table) -> a trained ``kgae`` folder
  (the model, its scaler and the graph it came from in the metadata);
* :func:`run_explain`: a saved ``kgae`` + expression -> node activities, head predictions,
  node attributions per head and a node-activity heat map labelled with reaction and
  protein names, in a new output folder.

Examples
--------
>>> import tempfile, pathlib
>>> from omicsnet.kcae.compendium import synthetic_compendium
>>> from omicsnet.knowledge.phenotype_graph import load_phenotype_graph
>>> graph = load_phenotype_graph("textbook", progress=False)
>>> comp = synthetic_compendium(graph.genes + ["yjjX"], n_samples=40, n_studies=4, seed=0)
>>> tmp = pathlib.Path(tempfile.mkdtemp())
>>> comp.expression.T.to_csv(tmp / "x.csv"); comp.phenotypes.to_csv(tmp / "y.csv")
>>> summary = run_guided("textbook", tmp / "x.csv", tmp / "model", phenotypes=tmp / "y.csv",
...                      pretrain_epochs=3, epochs=3, progress=False)
>>> summary["genes"], summary["knowledge_nodes"], summary["heads"]
(138, 13, ['growth_rate'])
>>> out = run_explain(tmp / "model", tmp / "x.csv", tmp / "explained", nsamples=10)
>>> sorted(p.name for p in (tmp / "explained").iterdir() if not p.name.startswith("."))
['attributions_growth_rate.csv', 'node_activity.csv', 'node_activity.png', 'predictions.csv']
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from omicsnet.errors import CheckpointError, DataError
from omicsnet.kcae.compendium import RangeScaler
from omicsnet.utils.output import check_output_dir

logger = logging.getLogger(__name__)

METADATA_KEY = "kgae"


def save_kgae(
    model: Any,
    path: str | os.PathLike[str],
    *,
    scaler: RangeScaler,
    graph_name: str,
    extra: dict[str, Any] | None = None,
    overwrite: bool = False,
) -> Path:
    """Save a ``kgae`` with its scaler and the name of the graph it was wired from."""
    from omicsnet.models.serialization import save

    record = {"scaler": scaler.to_dict(), "graph": graph_name, **dict(extra or {})}
    return save(model, path, overwrite=overwrite, metadata={METADATA_KEY: record})


def load_kgae(path: str | os.PathLike[str]) -> tuple[Any, RangeScaler, dict[str, Any]]:
    """Load a model saved by :func:`save_kgae`: ``(model, scaler, record)``.

    Raises
    ------
    CheckpointError
        The folder holds another kind of model, or no scaler.
    """
    from omicsnet.models.serialization import load, read_model_files

    config, metadata = read_model_files(path)
    if config.get("model") != "kgae":
        raise CheckpointError(f"{path} holds a {config.get('model')!r} model, not a kgae model")
    record = dict(metadata.get(METADATA_KEY) or {})
    if "scaler" not in record:
        raise CheckpointError(f"{path} has no saved scaler (not written by 'omicsnet kcae guided')")
    return load(path), RangeScaler.from_dict(record["scaler"]), record


def run_guided(
    graph_source: Any,
    compendium: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    phenotypes: str | os.PathLike[str] | None = None,
    nodes: str = "phenotype",
    n_free: int = 16,
    penalty: float = 0.5,
    penalty_kind: str = "l1",
    hard_mask: bool = False,
    encoder: str = "masked",
    decoder: str = "linear",
    variational: bool = False,
    head: str = "linear",
    schedule: str = "head",
    scaling: str = "global",
    genes_in_rows: bool = True,
    epochs: int = 100,
    pretrain_epochs: int = 150,
    batch_size: int = 32,
    lr: float = 3e-3,
    seed: int = 0,
    overwrite: bool = False,
    progress: bool = True,
) -> dict[str, Any]:
    """``omicsnet kcae guided``: train a knowledge-guided autoencoder and save it.

    Every gene of the compendium is an input and an output (the whole transcriptome); the
    knowledge nodes come from the graph (:func:`~omicsnet.kcae.guided.knowledge_programs`);
    the phenotype table's columns become the heads (samples without a value only
    reconstruct). The [-1, 1] scaling is fitted on the compendium and saved with the model.
    Returns a summary dict.
    """
    import torch

    from omicsnet.data.tables import read_table
    from omicsnet.kcae.compendium import read_compendium
    from omicsnet.kcae.guided import kgae_from_graph
    from omicsnet.kcae.guided_train import fit_guided
    from omicsnet.knowledge.phenotype_graph import load_phenotype_graph

    target = Path(out)
    check_output_dir(target, overwrite=overwrite)  # before any work
    graph = load_phenotype_graph(graph_source, progress=progress)
    frame = read_compendium(compendium, genes_in_rows=genes_in_rows)
    measured = read_table(phenotypes) if phenotypes is not None else None
    heads = list(measured.columns) if measured is not None else ["none"]
    if measured is not None:
        unknown = [s for s in measured.index if s not in set(frame.index)]
        if unknown:
            raise DataError(
                f"{phenotypes}: {len(unknown)} samples are not in the compendium, "
                f"e.g. {unknown[:3]}"
            )
    scaler = RangeScaler(scaling).fit(frame)
    x = scaler.transform(frame).astype(np.float32)
    torch.manual_seed(seed)
    model = kgae_from_graph(
        graph, list(frame.columns), nodes=nodes, n_free=n_free, heads=heads,
        hard_mask=hard_mask, encoder=encoder, decoder=decoder, variational=variational,
        head=head,
    )  # fmt: skip
    result = fit_guided(
        model, x, measured, schedule=schedule, epochs=epochs, pretrain_epochs=pretrain_epochs,
        penalty=penalty, penalty_kind=penalty_kind, batch_size=batch_size, lr=lr, seed=seed,
        progress=progress,
    )  # fmt: skip
    history = result["history"]
    summary = {
        "graph": graph.name,
        "samples": len(x),
        "labelled": int(measured.notna().any(axis=1).sum()) if measured is not None else 0,
        "genes": len(frame.columns),
        "genes_in_programs": int(model.mask[:, : model.n_knowledge].sum(1).gt(0).sum()),
        "knowledge_nodes": model.n_knowledge,
        "free_nodes": model.n_free,
        "heads": heads if measured is not None else [],
        "final_loss": float(history["train_loss"].iloc[-1]),
        "off_graph": result["off_graph"],
    }
    save_kgae(model, target, scaler=scaler, graph_name=graph.name,
              extra={"train": summary}, overwrite=overwrite)  # fmt: skip
    return summary


def run_explain(
    model_dir: str | os.PathLike[str],
    expression: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    background: str | os.PathLike[str] | None = None,
    graph_source: Any = None,
    studies: str | os.PathLike[str] | None = None,
    genes_in_rows: bool = True,
    method: str = "gradient",
    nsamples: int = 200,
    top: int = 30,
    overwrite: bool = False,
) -> dict[str, Any]:
    """``omicsnet kcae explain``: node activities, predictions, attributions, heat map.

    Parameters
    ----------
    model_dir
        A folder written by :func:`run_guided`.
    expression
        Genes x samples table (the samples to explain).
    out
        New output folder: ``node_activity.csv`` (samples x nodes), ``predictions.csv``
        (samples x heads, measured units), ``attributions_<head>.csv`` (node, label,
        kind, mean |SHAP|, share, rank) and ``node_activity.png`` (the top nodes by
        attribution of the first head, labelled with reaction/protein names).
    background
        Reference samples for SHAP (default: the samples explained).
    graph_source
        Graph for the labels (default: the one named in the model's metadata; labels fall
        back to node ids when its checksum differs from the model's).
    studies
        Optional two-column table sample -> study, to order the heat map by study.
    method, nsamples
        SHAP method and samples (see :func:`omicsnet.kcae.interpret.node_attributions`).
    top
        Nodes in the heat map.
    """
    from omicsnet.data.tables import read_table
    from omicsnet.kcae.compendium import map_genes, read_compendium
    from omicsnet.kcae.guided_train import latent_activity, predict_heads
    from omicsnet.kcae.interpret import node_attributions, node_labels
    from omicsnet.kcae.plots import plot_node_activity
    from omicsnet.utils.io import write_csv
    from omicsnet.utils.output import atomic_directory

    check_output_dir(out, overwrite=overwrite)
    model, scaler, record = load_kgae(model_dir)
    frame, match = map_genes(read_compendium(expression, genes_in_rows=genes_in_rows),
                             model.input_features)  # fmt: skip
    x = scaler.transform(frame).astype(np.float32)
    reference = x
    if background is not None:
        raw = read_compendium(background, genes_in_rows=genes_in_rows)
        reference = scaler.transform(map_genes(raw, model.input_features)[0]).astype(np.float32)
    graph = _label_graph(model, graph_source or record.get("graph"))
    labels = node_labels(model, graph)
    groups = None
    if studies is not None:
        table = read_table(studies, numeric=False)
        groups = table.iloc[:, 0].astype(str).reindex(x.index).fillna("unknown")
    activity = latent_activity(model, x)
    heads = list((record.get("train") or {}).get("heads") or [])  # trained heads only
    tables = {}
    for head in heads:
        t = node_attributions(model, x, reference, head=head, method=method, nsamples=nsamples)
        t.insert(1, "label", t["node"].map(labels))
        tables[head] = t
    if tables:
        first = tables[heads[0]]
        nodes = list(first["node"][:top])
        title = f"node activity: the {len(nodes)} nodes that drive {heads[0]} most"
    else:
        nodes = None
        title = f"node activity: the {min(top, model.n_latent)} most variable nodes"
    with atomic_directory(out, overwrite=overwrite, command="omicsnet kcae explain") as tmp:
        write_csv(activity, tmp / "node_activity.csv", index=True)
        if heads:
            write_csv(predict_heads(model, x)[heads], tmp / "predictions.csv", index=True)
        for head, t in tables.items():
            write_csv(t, tmp / f"attributions_{_safe(head)}.csv")
        plot_node_activity(activity, tmp / "node_activity.png", labels=labels, groups=groups,
                           nodes=nodes, top=top, title=title)  # fmt: skip
    return {
        "samples": len(x),
        "gene_match": match.summary(),
        "top_nodes": first.head(5)[["node", "label", "share"]].to_dict("records") if tables else [],
        "out": str(out),
    }


def _label_graph(model: Any, source: Any) -> Any:
    """The graph to label nodes with, if it is the one the model was wired from."""
    if source is None:
        return None
    from omicsnet.knowledge.phenotype_graph import load_phenotype_graph

    try:
        graph = load_phenotype_graph(source, progress=False)
    except (DataError, OSError) as err:
        logger.warning("no node names: cannot load graph %s (%s)", source, err)
        return None
    if model.knowledge_checksum and graph.checksum != model.knowledge_checksum:
        logger.warning("graph %s is not the one the model was wired from: labels are ids", source)
        return None
    return graph


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in str(name))


__all__ = ["load_kgae", "run_explain", "run_guided", "save_kgae"]
