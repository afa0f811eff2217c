"""``kcae``: the knowledge-constrained autoencoder of DeepMetabolism (Guo et al.), rebuilt.

Layers are biology: genes -> proteins -> phenotypes (the bottleneck) -> reconstructed
proteins -> reconstructed genes. The encoder's connections follow a
:class:`~omicsnet.knowledge.phenotype_graph.PhenotypeGraph`: gene -> protein edges from
the gene-protein-reaction rules of a genome-scale model, protein -> phenotype edges from an
FBA essentiality screen. The decoder mirrors the encoder with the same edges read
backwards, either sharing the encoder's weights (``tied=True``) or with its own.

Strategies (one config switch, as compared in the paper):

* ``"A"``: dense, fully connected layers of the same widths (the knowledge graph only
  sets the sizes);
* ``"B"``: sparse layers on the graph's edges, trained supervised from scratch;
* ``"C"``: sparse layers, pretrained as an autoencoder on a transcriptome compendium, then
  fine-tuned (DeepMetabolism). B and C are the same network; the strategy is recorded so
  that the workflow (:mod:`omicsnet.kcae.workflows`) knows whether to pretrain.

``model(x)`` returns the phenotype layer (one column per phenotype, named by
``output_features``); :meth:`KCAE.reconstruct` runs the whole autoencoder. The graph's
edges live in the config (JSON) and in the state dict, so a saved model rebuilds exactly,
and ``knowledge_checksum`` records which graph wired it.

Examples
--------
>>> import torch
>>> from omicsnet.models import create_model
>>> model = create_model(
...     "kcae", n_genes=4, n_proteins=3, n_phenotypes=2,
...     gene_protein_edges=[[0, 1, 2, 3], [0, 0, 1, 2]],
...     protein_phenotype_edges=[[0, 1, 2], [0, 0, 1]],
... )
>>> model(torch.randn(5, 4)).shape
torch.Size([5, 2])
>>> model.reconstruct(torch.randn(5, 4)).shape
torch.Size([5, 4])
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from omicsnet.errors import ConfigError, DataError
from omicsnet.models.base import OmicsModel
from omicsnet.models.registry import create_model, register_model
from omicsnet.nn.activations import make_activation
from omicsnet.nn.sparse_linear import SparseLinear, TransposedSparseLinear

STRATEGIES = ("A", "B", "C")
#: Names of the trainable layer groups, for fine-tuning (see :meth:`KCAE.set_trainable`).
LAYER_GROUPS = ("gene_protein", "protein_phenotype", "readout", "decoder")


class _Readout(nn.Module):
    """``scale * h + shift`` per phenotype: the link from bottleneck units to measured units.

    An autoencoder's bottleneck has no fixed scale (the decoder can absorb any rescaling),
    so after pretraining a phenotype node's activation is proportional to, not equal to, a
    measured phenotype. Fine-tuning fits this readout (first by least squares, see
    :func:`omicsnet.kcae.workflows.finetune`); reconstruction does not use it.
    """

    def __init__(self, n: int) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(n))
        self.shift = nn.Parameter(torch.zeros(n))

    def forward(self, h: Tensor) -> Tensor:
        return h * self.scale + self.shift


class _DenseTransposed(nn.Module):
    """``x @ W + b`` for the weight ``W`` of a dense encoder layer (tied dense decoder)."""

    def __init__(self, source: nn.Linear, bias: bool) -> None:
        super().__init__()
        self._source = [source]  # not a child: its weight stays registered once
        self.bias = nn.Parameter(torch.zeros(source.in_features)) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self._source[0].weight.T, self.bias)


def default_edges(n_src: int, n_dst: int) -> list[list[int]]:
    """The wiring of a model built without a graph: source ``i`` feeds ``i % n_dst``,
    and source 0 also feeds every destination (so each destination has an input).

    Only for building the model from its default config (tests, examples); real models
    take their edges from a knowledge graph (:func:`kcae_from_graph`).

    Examples
    --------
    >>> default_edges(4, 2)
    [[0, 1, 2, 3, 0], [0, 1, 0, 1, 1]]
    """
    src = list(range(n_src)) + [0] * (n_dst - 1)
    dst = [i % n_dst for i in range(n_src)] + list(range(1, n_dst))
    unique = list(dict.fromkeys(zip(src, dst, strict=True)))  # drop repeats, keep order
    return [[s for s, _ in unique], [d for _, d in unique]]


@register_model("kcae", family="kcae")
class KCAE(OmicsModel):
    """Knowledge-constrained autoencoder gene -> protein -> phenotype (DeepMetabolism).

    Parameters
    ----------
    n_genes, n_proteins, n_phenotypes
        Layer widths.
    gene_protein_edges, protein_phenotype_edges
        ``[[source indices], [destination indices]]`` (a ``(2, E)`` array as nested lists,
        e.g. ``graph.gene_protein_edges.tolist()``). ``None`` gives the small
        :func:`default_edges` wiring (for smoke tests only).
    strategy
        ``"A"`` dense, ``"B"`` sparse without pretraining, ``"C"`` sparse with
        pretraining (see the module docstring).
    tied
        Decoder layers share the encoder's weights (transposed) instead of owning theirs.
    bias
        Biases on every layer.
    init
        Initialisation of the sparse weights (see
        :class:`~omicsnet.nn.sparse_linear.SparseLinear`); dense layers use torch's default.
    protein_activation, phenotype_activation, output_activation
        Activations after the protein layers (encoder and decoder), the phenotype layer
        and the reconstructed genes (DeepMetabolism: linear, softplus, linear).
    backend
        Sparse kernel (``"csr"`` or ``"gather"``).
    knowledge_checksum
        Checksum of the knowledge graph the edges came from (checked on load).
    protein_names
        Names of the protein nodes (for interpretation); optional.

    Examples
    --------
    >>> from omicsnet.models import create_model
    >>> sparse = create_model("kcae", n_genes=40, n_proteins=20, n_phenotypes=5)
    >>> dense = create_model("kcae", n_genes=40, n_proteins=20, n_phenotypes=5, strategy="A")
    >>> sparse.n_parameters() < dense.n_parameters()
    True
    """

    task = "regression"

    def __init__(
        self,
        n_genes: int = 8,
        n_proteins: int = 4,
        n_phenotypes: int = 2,
        gene_protein_edges: list[list[int]] | None = None,
        protein_phenotype_edges: list[list[int]] | None = None,
        strategy: str = "C",
        tied: bool = True,
        bias: bool = True,
        init: str = "degree_uniform",
        protein_activation: str = "identity",
        phenotype_activation: str = "softplus",
        output_activation: str = "identity",
        backend: str = "csr",
        knowledge_checksum: str | None = None,
        protein_names: list[str] | None = None,
    ) -> None:
        super().__init__()
        if strategy not in STRATEGIES:
            raise ConfigError(f"kcae strategy must be one of {STRATEGIES}, got {strategy!r}")
        if min(n_genes, n_proteins, n_phenotypes) < 1:
            raise ConfigError(
                f"kcae layer widths must be positive, got {n_genes}/{n_proteins}/{n_phenotypes}"
            )
        self.n_inputs, self.n_outputs = int(n_genes), int(n_phenotypes)
        self.n_proteins = int(n_proteins)
        self.strategy = strategy
        self.tied = bool(tied)
        self.knowledge_checksum = knowledge_checksum
        if protein_names is not None and len(protein_names) != self.n_proteins:
            raise ConfigError(
                f"{len(protein_names)} protein names for {self.n_proteins} protein nodes"
            )
        self.protein_names = list(protein_names) if protein_names is not None else None
        gp = gene_protein_edges or default_edges(self.n_inputs, self.n_proteins)
        pp = protein_phenotype_edges or default_edges(self.n_proteins, self.n_outputs)
        self.protein_act = make_activation(protein_activation)
        self.phenotype_act = make_activation(phenotype_activation)
        self.output_act = make_activation(output_activation)
        self.decoder_protein_act = make_activation(protein_activation)

        self.gene_protein: nn.Module
        self.protein_phenotype: nn.Module
        if strategy == "A":
            self.gene_protein = nn.Linear(self.n_inputs, self.n_proteins, bias=bias)
            self.protein_phenotype = nn.Linear(self.n_proteins, self.n_outputs, bias=bias)
            if self.tied:
                self.phenotype_protein: nn.Module = _DenseTransposed(self.protein_phenotype, bias)
                self.protein_gene: nn.Module = _DenseTransposed(self.gene_protein, bias)
            else:
                self.phenotype_protein = nn.Linear(self.n_outputs, self.n_proteins, bias=bias)
                self.protein_gene = nn.Linear(self.n_proteins, self.n_inputs, bias=bias)
        else:
            try:
                self.gene_protein = SparseLinear(
                    self.n_inputs, self.n_proteins, gp, bias=bias, init=init, backend=backend
                )
                self.protein_phenotype = SparseLinear(
                    self.n_proteins, self.n_outputs, pp, bias=bias, init=init, backend=backend
                )
            except DataError as err:
                raise ConfigError(f"kcae edges do not fit the layer widths: {err}") from err
            self.phenotype_protein = TransposedSparseLinear(
                self.protein_phenotype, tied=self.tied, bias=bias
            )
            self.protein_gene = TransposedSparseLinear(self.gene_protein, tied=self.tied, bias=bias)
        # per-phenotype affine readout of the bottleneck (identity until fine-tuning fits it)
        self.readout = _Readout(self.n_outputs)

    # ------------------------------------------------------------------ computation
    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Return ``(protein, phenotype)`` activations for genes ``x`` ``(batch, n_genes)``."""
        if x.ndim != 2 or x.shape[1] != self.n_inputs:
            raise DataError(
                f"kcae expects inputs of shape (batch, {self.n_inputs}) (one column per gene), "
                f"got {tuple(x.shape)}"
            )
        protein = self.protein_act(self.gene_protein(x))
        return protein, self.phenotype_act(self.protein_phenotype(protein))

    def decode(self, phenotype: Tensor) -> Tensor:
        """Reconstruct genes from phenotype activations (proteins in between)."""
        protein = self.decoder_protein_act(self.phenotype_protein(phenotype))
        return self.output_act(self.protein_gene(protein))

    def forward(self, x: Tensor) -> Tensor:
        """Phenotype predictions ``(batch, n_phenotypes)``: the phenotype layer through the
        readout (``scale * activation + shift`` per phenotype; the identity before fine-tuning)."""
        return self.readout(self.encode(x)[1])

    def reconstruct(self, x: Tensor) -> Tensor:
        """The autoencoder's output: reconstructed genes, ``(batch, n_genes)``."""
        return self.decode(self.encode(x)[1])

    # ------------------------------------------------------------------ training helpers
    @property
    def needs_pretraining(self) -> bool:
        """Whether the strategy pretrains as an autoencoder (A and C) before fine-tuning."""
        return self.strategy in ("A", "C")

    def layer_parameters(self, group: str) -> Iterator[nn.Parameter]:
        """Parameters of one layer group (``gene_protein``, ``protein_phenotype``, ``decoder``)."""
        if group not in LAYER_GROUPS:
            raise ConfigError(f"unknown kcae layer group {group!r}; choose from {LAYER_GROUPS}")
        if group == "decoder":
            yield from self.phenotype_protein.parameters()
            yield from self.protein_gene.parameters()
        else:
            yield from getattr(self, group).parameters()

    def set_trainable(self, groups: Sequence[str] | str = "all") -> list[str]:
        """Train only the given layer groups (``"all"``, ``"encoder"`` or a list of names).

        Parameters are frozen with ``requires_grad=False``; optimisers skip them. Returns
        the names of the groups left trainable.

        Examples
        --------
        >>> from omicsnet.models import create_model
        >>> m = create_model("kcae")
        >>> m.set_trainable(["protein_phenotype"])
        ['protein_phenotype']
        >>> sum(p.numel() for p in m.parameters() if p.requires_grad) == sum(
        ...     p.numel() for p in m.protein_phenotype.parameters())
        True
        """
        if isinstance(groups, str):
            if groups == "all":
                groups = list(LAYER_GROUPS)
            elif groups == "encoder":
                groups = ["gene_protein", "protein_phenotype", "readout"]
            else:
                groups = [g.strip() for g in groups.split(",") if g.strip()]
        chosen = list(dict.fromkeys(groups))
        for group in chosen:
            if group not in LAYER_GROUPS:
                raise ConfigError(
                    f"unknown kcae layer group {group!r}; choose from {LAYER_GROUPS}, "
                    "'all' or 'encoder'"
                )
        for group in LAYER_GROUPS:
            for param in self.layer_parameters(group):
                param.requires_grad_(group in chosen)
        return chosen

    def n_parameters(self, trainable_only: bool = False) -> int:
        """Number of (trainable) parameters."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad or not trainable_only)

    def phenotype_indices(self, names: Sequence[str]) -> list[int]:
        """Output columns of the named phenotypes, with a clear error for unknown names.

        Examples
        --------
        >>> from omicsnet.models import create_model
        >>> m = create_model("kcae", output_features=["growth", "EX_ac_e"])
        >>> m.phenotype_indices(["EX_ac_e"])
        [1]
        """
        outputs = self.output_features
        where = {name: i for i, name in enumerate(outputs)}
        missing = [n for n in names if n not in where]
        if missing:
            raise DataError(
                f"phenotype(s) {missing[:5]} are not nodes of this model "
                f"(its {len(outputs)} phenotypes start {outputs[:5]})"
            )
        return [where[n] for n in names]

    def example_input(self, batch_size: int = 4, generator: torch.Generator | None = None) -> Any:
        """Random log fold changes in [-1, 1], ``(batch_size, n_genes)``."""
        return torch.rand(batch_size, self.n_inputs, generator=generator) * 2 - 1


def kcae_from_graph(graph: Any, *, strategy: str = "C", **config: Any) -> KCAE:
    """Build a ``kcae`` wired by a phenotype graph (genes, proteins, phenotypes and edges).

    Parameters
    ----------
    graph
        A :class:`~omicsnet.knowledge.phenotype_graph.PhenotypeGraph` (anything with
        ``genes``, ``proteins``, ``phenotypes``, ``gene_protein_edges``,
        ``protein_phenotype_edges`` and ``checksum``).
    strategy
        ``"A"``, ``"B"`` or ``"C"``.
    **config
        Further ``kcae`` options (``tied``, ``bias``, activations...).

    Returns
    -------
    KCAE
        Inputs named by the graph's genes, outputs by its phenotypes, and the graph's
        checksum as ``knowledge_checksum``.

    Examples
    --------
    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> g = SimpleNamespace(genes=["b1", "b2"], proteins=["P1"], phenotypes=["growth"],
    ...     gene_protein_edges=np.array([[0, 1], [0, 0]]),
    ...     protein_phenotype_edges=np.array([[0], [0]]), checksum="abc")
    >>> m = kcae_from_graph(g, strategy="B")
    >>> m.input_features, m.output_features, m.knowledge_checksum
    (['b1', 'b2'], ['growth'], 'abc')
    """
    return create_model(
        "kcae",
        input_features=list(graph.genes),
        output_features=list(graph.phenotypes),
        n_genes=len(graph.genes),
        n_proteins=len(graph.proteins),
        n_phenotypes=len(graph.phenotypes),
        gene_protein_edges=[[int(v) for v in row] for row in graph.gene_protein_edges],
        protein_phenotype_edges=[[int(v) for v in row] for row in graph.protein_phenotype_edges],
        strategy=strategy,
        knowledge_checksum=str(graph.checksum),
        protein_names=[str(p) for p in graph.proteins],
        **config,
    )
