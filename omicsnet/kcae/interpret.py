"""Interpretation of ``kgae`` models that can be checked: node activities, which nodes
drive a prediction, how much signal the knowledge nodes carry, each node's gene program.

* :func:`node_attributions`: SHAP values of a head with respect to the latent nodes,
  through the shared :func:`omicsnet.explain.shap_values` (expected gradients, or DeepLIFT
  for ``method="deep"``) on the part of the model from the latent to the head; one row
  per node with its mean |SHAP|, share and rank, knowledge nodes labelled;
* :func:`signal_shares`: the share of the reconstruction carried by the knowledge nodes
  (by ablation) and, given attributions, their share of a head's attribution;
* :func:`gene_program`: the decoder weights of one node, its program genes marked;
* the per-sample activity of each node is
  :func:`omicsnet.kcae.guided_train.latent_activity`.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from omicsnet.models import create_model
>>> m = create_model("kgae", n_genes=6, n_knowledge=2, n_free=1,
...     program_edges=[[0, 1, 2, 3], [0, 0, 1, 1]], input_features=list("abcdef"))
>>> x = pd.DataFrame(np.random.default_rng(0).normal(size=(20, 6)).astype("float32"),
...                  columns=m.input_features)
>>> table = node_attributions(m, x, x, method="deep")
>>> list(table.columns)
['node', 'kind', 'mean_abs_shap', 'share', 'rank']
>>> round(float(table["share"].sum()), 6)
1.0
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from omicsnet.errors import ConfigError
from omicsnet.kcae.guided_train import latent_activity, reconstruction_frame


class _LatentToHeads(nn.Module):
    """The model from latent activities to head predictions (what SHAP explains)."""

    def __init__(self, model: Any) -> None:
        super().__init__()
        self.model = model
        self.n_inputs = model.n_latent

    def forward(self, z: Tensor) -> Tensor:
        return self.model.predict_heads(z)


def node_kinds(model: Any) -> list[str]:
    """Kind of every latent node: the knowledge node kinds, then ``"free"``.

    Examples
    --------
    >>> from omicsnet.models import create_model
    >>> node_kinds(create_model("kgae", n_knowledge=2, n_free=1,
    ...            program_edges=[[0, 1], [0, 1]]))
    ['phenotype', 'phenotype', 'free']
    """
    return list(model.node_kinds) + ["free"] * model.n_free


def node_labels(model: Any, graph: Any = None, *, width: int = 40) -> dict[str, str]:
    """Readable labels of the latent nodes: reaction names for phenotypes, gene symbols for
    proteins (from the graph's names, see
    :meth:`~omicsnet.knowledge.phenotype_graph.PhenotypeGraph.label`), ``free node i``.

    Examples
    --------
    >>> from omicsnet.models import create_model
    >>> node_labels(create_model("kgae", n_knowledge=2, n_free=1,
    ...             program_edges=[[0, 1], [0, 1]]))
    {'node_0': 'node_0', 'node_1': 'node_1', 'free_0': 'free node 0'}
    """
    out = {}
    for name, kind in zip(model.latent_names, node_kinds(model), strict=True):
        if kind == "free":
            out[name] = f"free node {name.split('_')[-1]}"
        elif graph is not None:
            out[name] = graph.label(kind, name, width=width)
        else:
            out[name] = name
    return out


def node_attributions(
    model: Any,
    expression: pd.DataFrame,
    background: pd.DataFrame,
    *,
    head: int | str = 0,
    method: str = "gradient",
    nsamples: int = 200,
    max_background: int = 100,
    seed: int = 0,
) -> pd.DataFrame:
    """Which latent nodes drive a head's predictions: mean |SHAP| per node.

    Parameters
    ----------
    model
        A trained ``kgae``.
    expression
        Samples to explain (samples x the model's genes, scaled).
    background
        Reference samples (usually the training samples).
    head
        Index or name of the head (a column of ``model.output_features``).
    method
        ``"gradient"`` (expected gradients) or ``"deep"`` (DeepLIFT), see
        :func:`omicsnet.explain.shap_values`.
    nsamples, max_background, seed
        Passed to :func:`omicsnet.explain.shap_values`.

    Returns
    -------
    DataFrame
        One row per latent node, sorted by ``rank`` (1 = largest mean |SHAP|): ``node``,
        ``kind`` (``phenotype``, ``protein`` or ``free``), ``mean_abs_shap``, ``share``
        (of the total over nodes).
    """
    from omicsnet.explain import shap_values

    heads = list(model.output_features)
    if isinstance(head, str):
        if head not in heads:
            raise ConfigError(f"no head {head!r}; the model's heads are {heads}")
        head = heads.index(head)
    z = latent_activity(model, expression)
    z_background = latent_activity(model, background)
    result = shap_values(
        _LatentToHeads(model),
        z,
        z_background,
        outputs=[int(head)],
        method=method,
        output_names=heads,
        nsamples=nsamples,
        max_background=max_background,
        keep_values=False,
        seed=seed,
    )
    mean_abs = np.asarray(result.mean_abs[0], dtype=float)
    total = mean_abs.sum()
    table = pd.DataFrame(
        {
            "node": model.latent_names,
            "kind": node_kinds(model),
            "mean_abs_shap": mean_abs,
            "share": mean_abs / total if total > 0 else np.zeros_like(mean_abs),
        }
    )
    table["rank"] = table["mean_abs_shap"].rank(ascending=False, method="first").astype(int)
    return table.sort_values("rank").reset_index(drop=True)


@torch.no_grad()
def signal_shares(
    model: Any, expression: pd.DataFrame, attributions: pd.DataFrame | None = None
) -> dict[str, float]:
    """How much of the signal the knowledge nodes carry.

    ``reconstruction_knowledge_share``: by ablation on ``expression`` (scaled). With
    ``R²`` the share of the genes' variance (around the samples' mean) that the
    reconstruction explains, setting the knowledge nodes to their mean over these samples
    loses ``ΔK`` and setting the free nodes to their mean loses ``ΔF``; the share is
    ``ΔK / (ΔK + ΔF)``. ``prediction_knowledge_share``: the knowledge nodes' share of a
    head's mean |SHAP| (from :func:`node_attributions`), when given.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from omicsnet.models import create_model
    >>> m = create_model("kgae", n_genes=6, n_knowledge=2, n_free=1,
    ...     program_edges=[[0, 1, 2, 3], [0, 0, 1, 1]], input_features=list("abcdef"))
    >>> x = pd.DataFrame(np.random.default_rng(0).normal(size=(20, 6)).astype("float32"),
    ...                  columns=m.input_features)
    >>> sorted(signal_shares(m, x))
    ['reconstruction_knowledge_share', 'reconstruction_r2']
    """
    values = expression.to_numpy(np.float64)
    z = latent_activity(model, expression).to_numpy(np.float32)
    knowledge = model.is_knowledge

    def r2(latent: np.ndarray) -> float:
        with torch.no_grad():
            was = model.training
            model.eval()
            rec = model.decode(torch.as_tensor(latent)).double().numpy()
            model.train(was)
        centred = values - values.mean(0)
        return 1.0 - float(((values - rec) ** 2).sum() / max((centred**2).sum(), 1e-12))

    full = r2(z)
    no_k, no_f = z.copy(), z.copy()
    no_k[:, knowledge] = z[:, knowledge].mean(0)
    no_f[:, ~knowledge] = z[:, ~knowledge].mean(0) if (~knowledge).any() else 0.0
    delta_k = max(full - r2(no_k), 0.0)
    delta_f = max(full - r2(no_f), 0.0)
    out = {
        "reconstruction_r2": full,
        "reconstruction_knowledge_share": delta_k / (delta_k + delta_f)
        if delta_k + delta_f > 0
        else float("nan"),
    }
    if attributions is not None:
        known = attributions["kind"] != "free"
        total = float(attributions["mean_abs_shap"].sum())
        out["prediction_knowledge_share"] = (
            float(attributions.loc[known, "mean_abs_shap"].sum()) / total if total > 0 else 0.0
        )
    return out


def gene_program(model: Any, node: str, *, top: int = 20) -> pd.DataFrame:
    """The genes a node writes to (linear decoder weights), largest first.

    Returns ``gene``, ``weight``, ``in_program`` (on the graph) for the ``top`` genes by
    absolute weight, and ``share_in_program`` of the node's absolute weight in ``attrs``.

    Examples
    --------
    >>> from omicsnet.models import create_model
    >>> m = create_model("kgae", n_genes=4, n_knowledge=2, n_free=0, hard_mask=True,
    ...     program_edges=[[0, 1, 2, 3], [0, 0, 1, 1]], input_features=list("abcd"))
    >>> table = gene_program(m, "node_1")
    >>> sorted(table.loc[table["weight"] != 0, "gene"])
    ['c', 'd']
    >>> table.attrs["share_in_program"]
    1.0
    """
    names = model.latent_names
    if node not in names:
        raise ConfigError(f"no latent node {node!r} (nodes start {names[:5]})")
    k = names.index(node)
    weight = model.decoder_weight()[:, k].cpu().numpy().astype(float)
    in_program = model.mask[:, k].cpu().numpy() > 0
    table = pd.DataFrame({"gene": model.input_features, "weight": weight, "in_program": in_program})
    order = np.argsort(-np.abs(weight), kind="stable")[:top]
    total = np.abs(weight).sum()
    out = table.iloc[order].reset_index(drop=True)
    out.attrs["share_in_program"] = (
        float(np.abs(weight[in_program]).sum() / total) if total > 0 else 0.0
    )
    return out


def reconstruction_pcc(model: Any, expression: pd.DataFrame) -> pd.Series:
    """Per-sample Pearson r between the (scaled) genes and their reconstruction.

    Examples
    --------
    >>> from omicsnet.models import create_model
    >>> m = create_model("kgae", input_features=[f"g{i}" for i in range(12)])
    >>> x = pd.DataFrame(np.random.default_rng(0).normal(size=(3, 12)).astype("float32"),
    ...                  columns=m.input_features)
    >>> reconstruction_pcc(m, x).shape
    (3,)
    """
    from omicsnet.train.metrics import row_pearson

    rec = reconstruction_frame(model, expression)
    return pd.Series(row_pearson(expression.to_numpy(), rec.to_numpy()), index=expression.index)


__all__ = [
    "gene_program",
    "node_attributions",
    "node_kinds",
    "node_labels",
    "reconstruction_pcc",
    "signal_shares",
]
