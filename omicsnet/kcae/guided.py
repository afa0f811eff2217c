"""``kgae``: knowledge-guided autoencoders (knowledge nodes + free nodes, soft masks).

The DeepMetabolism design (:mod:`omicsnet.kcae.model`) makes the bottleneck *only* the
metabolic model's phenotypes and wires every layer by hard masks; on held-out studies it
barely beats the training-mean profile. This model keeps the biology and lifts the
restrictions, as expiMap/scArches (Lotfollahi et al. 2023), VEGA and pmVAE do:

* **latent = knowledge nodes + free nodes**: one latent node per node of the knowledge
  graph (phenotypes and/or proteins of the metabolic model, each with its *gene program*:
  the genes that reach it in the graph, see :func:`knowledge_programs`), plus ``n_free``
  free nodes for what the graph misses: genes outside the metabolic model connect through
  them. By default (``free_scope="outside"``) the free nodes' own program is the genes in
  no knowledge program, soft-masked like the others, so that a pathway's signal has to go
  through its knowledge node and cannot hide in a free node (with unconstrained free nodes,
  ``free_scope="all"``, a planted pathway's signal landed in free nodes for some seeds);
* **soft masks**: the weights between a knowledge node and genes outside its program exist
  but are penalised (L1 or group lasso, applied as a proximal step after each optimiser
  step, see :class:`omicsnet.kcae.guided_train.SoftMaskProximal`); ``hard_mask=True`` is
  the limit (those weights are always 0). :meth:`KnowledgeGuidedAE.off_graph_weight`
  reports how much weight sits off the graph;
* **the whole transcriptome** in and out (every measured gene, not only the model's);
* a **linear masked decoder** (default; node ``k``'s gene program is column ``k`` of
  :meth:`KnowledgeGuidedAE.decoder_weight`, as in expiMap) or an MLP decoder, an encoder
  that is soft-masked linear (node activity = a weighted sum of mostly its own genes) or an
  MLP, a **variational** option, untied encoder and decoder weights;
* **supervised heads** on the latent (growth, any phenotype table): ``model(x)`` returns
  the heads' predictions in the measured units; training (joint, or after pretraining;
  every sample reconstructs, labelled samples also predict) lives in
  :mod:`omicsnet.kcae.guided_train`.

Examples
--------
>>> import torch
>>> from omicsnet.models import create_model
>>> model = create_model("kgae", n_genes=6, n_knowledge=2, n_free=1,
...                      program_edges=[[0, 1, 2, 3], [0, 0, 1, 1]])
>>> model(torch.randn(5, 6)).shape               # one column per head
torch.Size([5, 1])
>>> model.reconstruct(torch.randn(5, 6)).shape
torch.Size([5, 6])
>>> model.latent_names
['node_0', 'node_1', 'free_0']
>>> model.mask[:, :2].T.int().tolist()           # gene programs: genes x latent, on-graph = 1
[[1, 1, 0, 0, 0, 0], [0, 0, 1, 1, 0, 0]]
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from omicsnet.errors import ConfigError, DataError
from omicsnet.models.base import OmicsModel
from omicsnet.models.registry import create_model, register_model
from omicsnet.nn.activations import make_activation

ENCODERS = ("masked", "mlp")
DECODERS = ("linear", "mlp")
HEADS = ("linear", "mlp")
NODE_KINDS = ("phenotype", "protein", "both")
PENALTIES = ("l1", "group")
FREE_SCOPES = ("outside", "all")


def _default_programs(n_genes: int, n_knowledge: int) -> list[list[int]]:
    """Gene ``i`` belongs to program ``i % n_knowledge`` (smoke tests and examples only)."""
    genes = list(range(n_genes))
    return [genes, [g % n_knowledge for g in genes]]


class _SoftMaskedLinear(nn.Module):
    """``y = x @ W.T + b`` with a 0/1 mask on ``W`` that is either enforced (hard) or only a
    record of which weights are on the graph (soft: the proximal step penalises the rest).

    ``mask`` has the weight's shape ``(out, in)``; a row or column of ones is unconstrained.
    """

    def __init__(self, n_in: int, n_out: int, mask: Tensor, *, hard: bool, bias: bool = True):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_out, n_in))
        self.bias = nn.Parameter(torch.zeros(n_out)) if bias else None
        self.register_buffer("mask", mask.to(torch.float32), persistent=False)
        self.hard = bool(hard)
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.hard:
            with torch.no_grad():
                self.weight.mul_(self.mask)

    def effective_weight(self) -> Tensor:
        return self.weight * self.mask if self.hard else self.weight

    def forward(self, x: Tensor) -> Tensor:
        return nn.functional.linear(x, self.effective_weight(), self.bias)


def _mlp(sizes: Sequence[int], activation: str, dropout: float) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(make_activation(activation))
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


@register_model("kgae", family="kcae")
class KnowledgeGuidedAE(OmicsModel):
    """Knowledge-guided autoencoder: knowledge nodes + free nodes, soft masks, heads.

    Parameters
    ----------
    n_genes
        Input and output width (the whole transcriptome).
    n_knowledge
        Number of knowledge nodes (phenotypes and/or proteins).
    n_free
        Number of free latent nodes (0 allowed).
    free_scope
        ``"outside"``: the free nodes' program is every gene in no knowledge program (soft:
        their weights on program genes are penalised like off-graph weights);
        ``"all"``: free nodes are unconstrained.
    program_edges
        ``[[gene indices], [knowledge node indices]]``: gene ``g`` is in node ``k``'s
        program (see :func:`knowledge_programs`). ``None``: a toy wiring for smoke tests.
    node_names, node_kinds
        Name (a phenotype reaction or protein id) and kind (``"phenotype"`` or
        ``"protein"``) of each knowledge node.
    encoder
        ``"masked"``: a soft-masked linear map genes -> latent (node activity is mostly a
        weighted sum of its own genes); ``"mlp"``: an unconstrained MLP (as expiMap; the
        nodes' meaning then comes from the decoder).
    hidden, activation, dropout
        Hidden widths, activation and dropout of the MLP encoder, decoder and head.
    decoder
        ``"linear"``: soft-masked linear latent -> genes (each node's gene program is
        readable from :meth:`decoder_weight`); ``"mlp"``: unconstrained MLP (needs the
        masked encoder, else nothing ties the nodes to the graph).
    variational
        A VAE: the encoder gives a mean and a log-variance per node, training samples
        from it (``kl_weight`` of the training plan); the mean is the node's activity.
    hard_mask
        Off-graph weights of knowledge nodes are always 0 (the limit of the soft mask).
    n_heads, head, head_hidden
        Supervised outputs on the latent (named by ``output_features``): a linear map or an
        MLP with one hidden layer.
    knowledge_checksum
        Checksum of the knowledge graph the programs came from (checked on load).

    Examples
    --------
    >>> from omicsnet.models import create_model
    >>> m = create_model("kgae", n_genes=6, n_knowledge=2, n_free=1, variational=True,
    ...                  program_edges=[[0, 1, 2, 3], [0, 0, 1, 1]], hard_mask=True)
    >>> m.off_graph_weight()["decoder_share"]
    0.0
    """

    task = "regression"

    def __init__(
        self,
        n_genes: int = 12,
        n_knowledge: int = 3,
        n_free: int = 2,
        free_scope: str = "outside",
        program_edges: list[list[int]] | None = None,
        node_names: list[str] | None = None,
        node_kinds: list[str] | None = None,
        encoder: str = "masked",
        decoder: str = "linear",
        hidden: list[int] | tuple[int, ...] = (64,),
        activation: str = "relu",
        dropout: float = 0.0,
        variational: bool = False,
        hard_mask: bool = False,
        n_heads: int = 1,
        head: str = "linear",
        head_hidden: int = 16,
        knowledge_checksum: str | None = None,
    ) -> None:
        super().__init__()
        for option, value, allowed in (
            ("free_scope", free_scope, FREE_SCOPES),
            ("encoder", encoder, ENCODERS),
            ("decoder", decoder, DECODERS),
            ("head", head, HEADS),
        ):
            if value not in allowed:
                raise ConfigError(f"kgae {option} must be one of {allowed}, got {value!r}")
        if encoder == "mlp" and decoder == "mlp":
            raise ConfigError(
                "kgae with an MLP encoder and an MLP decoder has no knowledge in it: use "
                "encoder='masked' or decoder='linear'"
            )
        if min(n_genes, n_knowledge, n_heads) < 1 or n_free < 0:
            raise ConfigError(
                f"kgae sizes must be positive (n_free >= 0), got n_genes={n_genes}, "
                f"n_knowledge={n_knowledge}, n_free={n_free}, n_heads={n_heads}"
            )
        if not 0.0 <= float(dropout) < 1.0:
            raise ConfigError(f"dropout must be in [0, 1), got {dropout}")
        self.n_inputs, self.n_outputs = int(n_genes), int(n_heads)
        self.n_knowledge, self.n_free = int(n_knowledge), int(n_free)
        self.n_latent = self.n_knowledge + self.n_free
        self.variational = bool(variational)
        self.knowledge_checksum = knowledge_checksum
        self.node_names = self._names(node_names, "node")
        kinds = list(node_kinds) if node_kinds is not None else ["phenotype"] * self.n_knowledge
        if len(kinds) != self.n_knowledge or any(k not in ("phenotype", "protein") for k in kinds):
            raise ConfigError(
                f"node_kinds needs {self.n_knowledge} entries 'phenotype' or 'protein'"
            )
        self.node_kinds = kinds
        edges = program_edges or _default_programs(self.n_inputs, self.n_knowledge)
        self.register_buffer(
            "mask",
            program_mask(edges, self.n_inputs, self.n_knowledge, self.n_free, free_scope),
            persistent=False,
        )  # genes x latent

        hidden = [int(h) for h in hidden]
        if not hidden and "mlp" in (encoder, decoder):
            raise ConfigError("kgae's MLP encoder/decoder needs at least one hidden width")
        n_stats = 2 if self.variational else 1
        self.encoder_kind, self.decoder_kind = encoder, decoder
        if encoder == "masked":
            self.encoder = nn.ModuleList(
                _SoftMaskedLinear(self.n_inputs, self.n_latent, self.mask.T, hard=hard_mask)
                for _ in range(n_stats)
            )
        else:
            trunk = _mlp([self.n_inputs, *hidden], activation, dropout)
            self.encoder = nn.ModuleList(
                [
                    nn.Sequential(trunk, make_activation(activation)),
                    *(nn.Linear(hidden[-1], self.n_latent) for _ in range(n_stats)),
                ]
            )
        if decoder == "linear":
            self.decoder = _SoftMaskedLinear(
                self.n_latent, self.n_inputs, self.mask, hard=hard_mask
            )
        else:
            self.decoder = _mlp([self.n_latent, *hidden, self.n_inputs], activation, dropout)
        if head == "linear":
            self.head = _mlp([self.n_latent, self.n_outputs], activation, 0.0)
        else:
            self.head = _mlp([self.n_latent, int(head_hidden), self.n_outputs], activation, dropout)
        # measured units of the heads: prediction = head(latent) * head_scale + head_center
        self.register_buffer("head_center", torch.zeros(self.n_outputs))
        self.register_buffer("head_scale", torch.ones(self.n_outputs))

    def _names(self, names: Sequence[str] | None, prefix: str) -> list[str]:
        if names is None:
            return [f"{prefix}_{i}" for i in range(self.n_knowledge)]
        names = [str(n) for n in names]
        if len(names) != self.n_knowledge or len(set(names)) != len(names):
            raise ConfigError(f"node_names needs {self.n_knowledge} distinct names")
        return names

    # ------------------------------------------------------------------ structure
    @property
    def latent_names(self) -> list[str]:
        """Knowledge node names, then ``free_0``, ``free_1``, ..."""
        return self.node_names + [f"free_{i}" for i in range(self.n_free)]

    @property
    def is_knowledge(self) -> np.ndarray:
        """Boolean per latent node: ``True`` for knowledge nodes, ``False`` for free ones."""
        return np.arange(self.n_latent) < self.n_knowledge

    def decoder_weight(self) -> Tensor:
        """Genes x latent weights of the linear decoder (column ``k``: node ``k``'s program)."""
        if self.decoder_kind != "linear":
            raise ConfigError("decoder_weight() needs the linear decoder (decoder='linear')")
        return self.decoder.effective_weight().detach()

    def soft_masked_layers(self) -> list[tuple[str, _SoftMaskedLinear]]:
        """The soft-masked layers (encoder and/or decoder) as ``(name, layer)`` pairs."""
        out = [
            (f"encoder.{i}", m)
            for i, m in enumerate(self.encoder)
            if isinstance(m, _SoftMaskedLinear)
        ]
        if isinstance(self.decoder, _SoftMaskedLinear):
            out.append(("decoder", self.decoder))
        return out

    @torch.no_grad()
    def off_graph_weight(self) -> dict[str, float]:
        """How much weight of the knowledge nodes sits off the graph, per masked layer.

        ``<layer>_share``: the off-graph share of the knowledge nodes' absolute weight;
        ``<layer>_nonzero``: the share of off-graph weights that are not 0 (the proximal
        L1 / group-lasso step sets weights exactly to 0); ``<layer>_ratio``: mean |weight|
        on the graph over mean |weight| off it (off-graph weights are many: a small share
        of each can add up). Free nodes are not counted.

        Examples
        --------
        >>> from omicsnet.models import create_model
        >>> m = create_model("kgae", n_genes=4, n_knowledge=2, n_free=0,
        ...                  program_edges=[[0, 1, 2, 3], [0, 0, 1, 1]])
        >>> _ = m.decoder.weight.data.fill_(1.0)
        >>> m.off_graph_weight()["decoder_share"]
        0.5
        """
        out: dict[str, float] = {}
        for name, layer in self.soft_masked_layers():
            weight, mask = layer.effective_weight().abs(), layer.mask
            free = self._free_slice(weight, layer)
            free_on = self._free_slice(mask, layer).bool()
            if free.numel() and not bool(free_on.all()):
                total_free = float(free.sum())
                out[f"{name}_free_share"] = (
                    float(free[~free_on].sum()) / total_free if total_free > 0 else 0.0
                )
            knowledge = self._knowledge_slice(weight, layer)
            on = self._knowledge_slice(mask, layer).bool()
            total = float(knowledge.sum())
            off = knowledge[~on]
            out[f"{name}_share"] = float(off.sum()) / total if total > 0 else 0.0
            out[f"{name}_nonzero"] = float((off > 0).float().mean()) if off.numel() else 0.0
            mean_off = float(off.mean()) if off.numel() else 0.0
            mean_on = float(knowledge[on].mean()) if bool(on.any()) else 0.0
            out[f"{name}_ratio"] = mean_on / mean_off if mean_off > 0 else float("inf")
        return out

    def _free_slice(self, tensor: Tensor, layer: _SoftMaskedLinear) -> Tensor:
        """The free-node part of a masked layer's weight-shaped tensor."""
        if layer is self.decoder:
            return tensor[:, self.n_knowledge :]
        return tensor[self.n_knowledge :]

    def _knowledge_slice(self, tensor: Tensor, layer: _SoftMaskedLinear) -> Tensor:
        """The knowledge-node part of a masked layer's weight-shaped tensor."""
        if layer is self.decoder:  # genes x latent
            return tensor[:, : self.n_knowledge]
        return tensor[: self.n_knowledge]  # latent x genes

    # ------------------------------------------------------------------ computation
    def _check(self, x: Tensor) -> None:
        if x.ndim != 2 or x.shape[1] != self.n_inputs:
            raise DataError(
                f"kgae expects inputs of shape (batch, {self.n_inputs}) (one column per gene), "
                f"got {tuple(x.shape)}"
            )

    def encode_stats(self, x: Tensor) -> tuple[Tensor, Tensor | None]:
        """``(mean, log-variance or None)`` of the latent nodes for genes ``x``."""
        self._check(x)
        if self.encoder_kind == "masked":
            mean = self.encoder[0](x)
            logvar = self.encoder[1](x) if self.variational else None
        else:
            h = self.encoder[0](x)
            mean = self.encoder[1](h)
            logvar = self.encoder[2](h) if self.variational else None
        if logvar is not None:
            logvar = logvar.clamp(-10.0, 10.0)
        return mean, logvar

    def encode(self, x: Tensor) -> Tensor:
        """Latent node activities (the mean for the variational model), ``(batch, n_latent)``."""
        return self.encode_stats(x)[0]

    def sample(self, mean: Tensor, logvar: Tensor | None) -> Tensor:
        """A draw from the latent distribution in training; the mean otherwise."""
        if logvar is None or not self.training:
            return mean
        return mean + torch.randn_like(mean) * torch.exp(0.5 * logvar)

    def decode(self, z: Tensor) -> Tensor:
        """Reconstructed genes from latent activities."""
        return self.decoder(z)

    def predict_heads(self, z: Tensor) -> Tensor:
        """The heads on latent activities, in measured units."""
        return self.head(z) * self.head_scale + self.head_center

    def forward(self, x: Tensor) -> Tensor:
        """Head predictions ``(batch, n_heads)`` in measured units."""
        return self.predict_heads(self.encode(x))

    def reconstruct(self, x: Tensor) -> Tensor:
        """Reconstructed genes ``(batch, n_genes)`` (from the latent mean)."""
        return self.decode(self.encode(x))

    def forward_all(self, x: Tensor) -> dict[str, Tensor | None]:
        """Everything training needs: ``reconstruction``, standardised ``heads``, ``mean``,
        ``logvar`` (the heads and the reconstruction use a latent draw in training)."""
        mean, logvar = self.encode_stats(x)
        z = self.sample(mean, logvar)
        return {
            "reconstruction": self.decode(z),
            "heads": self.head(z),
            "mean": mean,
            "logvar": logvar,
        }

    def example_input(self, batch_size: int = 4, generator: torch.Generator | None = None) -> Any:
        """Random scaled log fold changes in [-1, 1], ``(batch_size, n_genes)``."""
        return torch.rand(batch_size, self.n_inputs, generator=generator) * 2 - 1


def program_mask(
    program_edges: Sequence[Sequence[int]],
    n_genes: int,
    n_knowledge: int,
    n_free: int,
    free_scope: str = "all",
) -> Tensor:
    """Genes x latent 0/1 mask: gene programs of the knowledge nodes, then the free nodes'
    columns: 1 for every gene (``free_scope="all"``) or for the genes in no program
    (``"outside"``).

    Raises
    ------
    ConfigError
        Edges that do not fit the sizes, or a knowledge node with an empty program.

    Examples
    --------
    >>> program_mask([[0, 2], [0, 1]], 3, 2, 1).int().tolist()
    [[1, 0, 1], [0, 0, 1], [0, 1, 1]]
    >>> program_mask([[0, 2], [0, 1]], 3, 2, 1, "outside").int().tolist()
    [[1, 0, 0], [0, 0, 1], [0, 1, 0]]
    """
    index = np.asarray(program_edges, dtype=np.int64).reshape(2, -1)
    genes, nodes = index
    if len(genes) and (
        genes.min() < 0 or genes.max() >= n_genes or nodes.min() < 0 or nodes.max() >= n_knowledge
    ):
        raise ConfigError(
            f"program_edges do not fit {n_genes} genes and {n_knowledge} knowledge nodes"
        )
    mask = torch.zeros(n_genes, n_knowledge + n_free)
    mask[torch.as_tensor(genes), torch.as_tensor(nodes)] = 1.0
    empty = np.flatnonzero(mask[:, :n_knowledge].sum(0).numpy() == 0)
    if len(empty):
        raise ConfigError(f"knowledge node(s) {empty[:5].tolist()} have no gene in their program")
    if free_scope == "all":
        mask[:, n_knowledge:] = 1.0
    else:
        outside = mask[:, :n_knowledge].sum(1) == 0
        mask[outside, n_knowledge:] = 1.0
    return mask


def knowledge_programs(
    graph: Any,
    genes: Sequence[str],
    *,
    nodes: str = "phenotype",
    min_genes: int = 1,
) -> tuple[list[str], list[str], list[list[int]]]:
    """Gene programs of the knowledge nodes of a phenotype graph, over the data's genes.

    A **phenotype** node's program is every gene with a path gene -> protein -> phenotype
    (the subunits of every protein the knockout screen found essential for it); a
    **protein** node's program is its subunits (only proteins essential for at least one
    phenotype are used). Genes of ``genes`` outside the metabolic model belong to no
    program (they reach the latent through the free nodes or penalised weights).

    Parameters
    ----------
    graph
        A :class:`~omicsnet.knowledge.phenotype_graph.PhenotypeGraph`.
    genes
        The model's input genes (e.g. every gene of a compendium), in input order.
    nodes
        ``"phenotype"``, ``"protein"`` or ``"both"`` (proteins first, then phenotypes).
    min_genes
        Nodes with fewer of their genes among ``genes`` are left out.

    Returns
    -------
    (node ids, node kinds, program edges ``[[gene index], [node index]]``)

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> g = SimpleNamespace(genes=["b1", "b2", "b3"], proteins=["b1", "b2+b3"],
    ...     phenotypes=["growth", "EX_ac_e"],
    ...     gene_protein_edges=np.array([[0, 1, 2], [0, 1, 1]]),
    ...     protein_phenotype_edges=np.array([[0, 1, 1], [0, 0, 1]]))
    >>> knowledge_programs(g, ["b3", "x", "b1", "b2"])
    (['growth', 'EX_ac_e'], ['phenotype', 'phenotype'], [[0, 2, 3, 0, 3], [0, 0, 0, 1, 1]])
    >>> knowledge_programs(g, ["b3", "x", "b1"], nodes="protein")[0]
    ['b1', 'b2+b3']
    """
    if nodes not in NODE_KINDS:
        raise ConfigError(f"nodes must be one of {NODE_KINDS}, got {nodes!r}")
    position = {str(g): i for i, g in enumerate(genes)}
    protein_genes: dict[int, set[int]] = {}
    for gene, protein in np.asarray(graph.gene_protein_edges).T:
        where = position.get(str(graph.genes[int(gene)]))
        if where is not None:
            protein_genes.setdefault(int(protein), set()).add(where)
    phenotype_proteins: dict[int, set[int]] = {}
    linked: set[int] = set()
    for protein, phenotype in np.asarray(graph.protein_phenotype_edges).T:
        phenotype_proteins.setdefault(int(phenotype), set()).add(int(protein))
        linked.add(int(protein))
    programs: list[tuple[str, str, set[int]]] = []
    if nodes in ("protein", "both"):
        for p in sorted(linked):
            programs.append((str(graph.proteins[p]), "protein", protein_genes.get(p, set())))
    if nodes in ("phenotype", "both"):
        for j, name in enumerate(graph.phenotypes):
            members = set().union(
                *(protein_genes.get(p, set()) for p in phenotype_proteins.get(j, set()))
            )
            programs.append((str(name), "phenotype", members))
    kept = [(n, k, m) for n, k, m in programs if len(m) >= max(1, int(min_genes))]
    if not kept:
        raise DataError(
            "no knowledge node has a gene among the data's genes (do the data use the "
            f"model's gene IDs? model genes look like {list(graph.genes[:3])}, data genes "
            f"like {list(genes[:3])})"
        )
    src = [g for _, _, m in kept for g in sorted(m)]
    dst = [k for k, (_, _, m) in enumerate(kept) for _ in m]
    return [n for n, _, _ in kept], [k for _, k, _ in kept], [src, dst]


def kgae_from_graph(
    graph: Any,
    genes: Sequence[str],
    *,
    nodes: str = "phenotype",
    n_free: int = 16,
    heads: Sequence[str] = ("growth_rate",),
    min_genes: int = 1,
    **config: Any,
) -> KnowledgeGuidedAE:
    """Build a ``kgae`` over ``genes`` whose knowledge nodes come from a phenotype graph.

    Parameters
    ----------
    graph
        A :class:`~omicsnet.knowledge.phenotype_graph.PhenotypeGraph`.
    genes
        Every input gene (the whole transcriptome; the graph's genes need not all be there).
    nodes, min_genes
        Which graph nodes become knowledge nodes (see :func:`knowledge_programs`).
    n_free
        Unconstrained latent nodes.
    heads
        Names of the supervised outputs (the measured phenotype columns).
    **config
        Further ``kgae`` options (encoder, decoder, variational, hard_mask, head...).

    Examples
    --------
    >>> from omicsnet.knowledge.phenotype_graph import load_phenotype_graph
    >>> g = load_phenotype_graph("textbook", progress=False)
    >>> m = kgae_from_graph(g, g.genes + ["yjjX"], n_free=4)
    >>> m.n_knowledge, m.n_latent, m.input_features[-1], m.knowledge_checksum == g.checksum
    (13, 17, 'yjjX', True)
    """
    names, kinds, edges = knowledge_programs(graph, genes, nodes=nodes, min_genes=min_genes)
    return create_model(
        "kgae",
        input_features=[str(g) for g in genes],
        output_features=[str(h) for h in heads],
        n_genes=len(genes),
        n_knowledge=len(names),
        n_free=n_free,
        program_edges=edges,
        node_names=names,
        node_kinds=kinds,
        n_heads=len(heads),
        knowledge_checksum=str(graph.checksum),
        **config,
    )


__all__ = ["KnowledgeGuidedAE", "kgae_from_graph", "knowledge_programs", "program_mask"]
