"""Linear layers whose weights exist only on the edges of a graph.

A :class:`SparseLinear` layer holds one weight per edge ``input -> output`` (plus an
optional bias per output), so its memory and compute grow with the number of edges, not
with ``in_features x out_features``. Knowledge-constrained models (gene -> protein ->
phenotype in DeepMetabolism) wire their layers this way.

How it computes
---------------
The edges are sorted once by (output, input), which makes the weight vector the value
array of a CSR matrix ``W`` (``out_features x in_features``). A custom autograd function
then computes

* forward: ``y = (W @ x.T).T + b`` with a CSR sparse-dense product;
* gradient of ``x``: ``(W.T @ g.T).T`` with a second CSR matrix over the same values in
  (input, output) order (a fixed permutation, precomputed);
* gradient of the edge weights: ``g.T @ x`` sampled on the edges only
  (:func:`torch.sparse.sampled_addmm`), never the dense ``out x in`` matrix.

The same kernels run on CPU and CUDA. ``backend="gather"`` computes the product with
``index_select`` + ``index_add`` instead (plain autograd, ``batch x edges`` memory); it is
kept as a measured alternative (``benchmarks/bench_kcae.py`` times both against a dense
masked ``nn.Linear``). :meth:`SparseLinear.transposed` applies ``W.T`` (the mirror layer of
an autoencoder's decoder with tied weights).

Examples
--------
>>> import torch
>>> edges = torch.tensor([[0, 1, 2], [0, 0, 1]])      # inputs 0, 1 -> output 0; 2 -> 1
>>> layer = SparseLinear(3, 2, edges, bias=False, init="ones")
>>> layer(torch.tensor([[1.0, 2.0, 3.0]]))
tensor([[3., 3.]], grad_fn=<...>)
>>> layer.to_dense()
tensor([[1., 1., 0.],
        [0., 0., 1.]])
>>> layer.transposed(torch.tensor([[1.0, 10.0]]))
tensor([[ 1.,  1., 10.]], grad_fn=<...>)
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from omicsnet.errors import ConfigError, DataError

INITS = ("degree_uniform", "xavier_uniform", "normal", "ones", "zeros")
BACKENDS = ("csr", "gather")


def check_edge_index(edge_index: Any, in_features: int, out_features: int) -> Tensor:
    """Return a validated ``(2, E)`` int64 edge index (row 0 input, row 1 output).

    Parameters
    ----------
    edge_index
        Array-like of shape ``(2, E)``: ``edge_index[0]`` are input indices,
        ``edge_index[1]`` output indices.
    in_features, out_features
        Layer sizes the indices must fit.

    Raises
    ------
    DataError
        Wrong shape, negative or out-of-range indices, or a repeated edge (the message
        names the first offending edge).

    Examples
    --------
    >>> check_edge_index([[0, 1], [1, 1]], 2, 2).tolist()
    [[0, 1], [1, 1]]
    >>> check_edge_index([[0, 5], [0, 0]], 2, 1)
    Traceback (most recent call last):
    ...
    omicsnet.errors.DataError: edge 1 (5 -> 0) is out of range for a layer with 2 inputs ...
    """
    index = torch.as_tensor(np.asarray(edge_index), dtype=torch.long)
    if index.ndim != 2 or index.shape[0] != 2:
        raise DataError(f"edge_index must have shape (2, E), got {tuple(index.shape)}")
    src, dst = index[0], index[1]
    bad = (src < 0) | (src >= in_features) | (dst < 0) | (dst >= out_features)
    if bool(bad.any()):
        e = int(bad.nonzero()[0])
        raise DataError(
            f"edge {e} ({int(src[e])} -> {int(dst[e])}) is out of range for a layer with "
            f"{in_features} inputs and {out_features} outputs"
        )
    key = dst * in_features + src
    unique, counts = torch.unique(key, return_counts=True)
    if bool((counts > 1).any()):
        dup = int(unique[counts > 1][0])
        raise DataError(
            f"edge {dup % in_features} -> {dup // in_features} appears more than once in edge_index"
        )
    return index.contiguous()


def _csr_pointers(rows: Tensor, n_rows: int) -> Tensor:
    pointers = torch.zeros(n_rows + 1, dtype=torch.long)
    pointers[1:] = torch.bincount(rows, minlength=n_rows).cumsum(0)
    return pointers


class _CsrMatmul(torch.autograd.Function):
    """``x @ W.T`` for CSR ``W`` (out x in) whose values are a differentiable vector."""

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any,
        x: Tensor,
        values: Tensor,
        crow: Tensor,
        col: Tensor,
        perm_t: Tensor,
        crow_t: Tensor,
        col_t: Tensor,
        n_out: int,
        n_in: int,
    ) -> Tensor:
        matrix = torch.sparse_csr_tensor(crow, col, values, (n_out, n_in), check_invariants=False)
        ctx.save_for_backward(x, values, crow, col, perm_t, crow_t, col_t)
        ctx.sizes = (n_out, n_in)
        return (matrix @ x.T).T

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor | None, ...]:  # type: ignore[override]
        x, values, crow, col, perm_t, crow_t, col_t = ctx.saved_tensors
        n_out, n_in = ctx.sizes
        grad_t = grad.T.contiguous()
        grad_x = grad_values = None
        if ctx.needs_input_grad[0]:
            transposed = torch.sparse_csr_tensor(
                crow_t, col_t, values[perm_t], (n_in, n_out), check_invariants=False
            )
            grad_x = (transposed @ grad_t).T
        if ctx.needs_input_grad[1]:
            pattern = torch.sparse_csr_tensor(
                crow, col, values.detach(), (n_out, n_in), check_invariants=False
            )
            sampled = torch.sparse.sampled_addmm(pattern, grad_t, x.to(grad.dtype), beta=0.0)
            grad_values = sampled.values()
        return grad_x, grad_values, None, None, None, None, None, None, None


class SparseLinear(nn.Module):
    """Linear map ``in_features -> out_features`` with weights on given edges only.

    Parameters
    ----------
    in_features, out_features
        Layer sizes.
    edge_index
        ``(2, E)`` integer array: row 0 the input index, row 1 the output index of each
        edge (e.g. ``PhenotypeGraph.gene_protein_edges``). Duplicates are refused. The
        layer stores the edges sorted by (output, input); :attr:`edge_index` is that order,
        which is also the order of :attr:`weight`.
    bias
        Add a learnable bias per output.
    init
        ``"degree_uniform"`` (default; as ``nn.Linear`` but with each output's own number
        of inputs as fan-in: U(-1/sqrt(k), 1/sqrt(k))), ``"xavier_uniform"`` (per edge,
        from the in-degree of its output and the out-degree of its input), ``"normal"``
        (N(0, 0.01^2)), ``"ones"`` or ``"zeros"``. Biases start at zero except with
        ``degree_uniform``, which draws them like the weights.
    backend
        ``"csr"`` (sparse CSR kernels, default) or ``"gather"`` (index_select + index_add).

    Attributes
    ----------
    weight : nn.Parameter
        One value per edge, shape ``(E,)``.
    edge_index : Tensor
        ``(2, E)`` buffer (saved in the state dict).

    Examples
    --------
    >>> import torch
    >>> layer = SparseLinear(4, 2, [[0, 1, 3], [0, 1, 1]])
    >>> layer.weight.shape, layer.n_edges
    (torch.Size([3]), 3)
    >>> layer(torch.randn(5, 4)).shape
    torch.Size([5, 2])
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        edge_index: Any,
        bias: bool = True,
        init: str = "degree_uniform",
        backend: str = "csr",
    ) -> None:
        super().__init__()
        if in_features < 1 or out_features < 1:
            raise ConfigError(
                f"SparseLinear sizes must be positive, got {in_features} -> {out_features}"
            )
        if init not in INITS:
            raise ConfigError(f"unknown init {init!r}; choose one of {', '.join(INITS)}")
        if backend not in BACKENDS:
            raise ConfigError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.backend = backend
        self.init = init
        index = check_edge_index(edge_index, self.in_features, self.out_features)
        order = torch.argsort(index[1] * self.in_features + index[0])
        index = index[:, order]
        src, dst = index[0], index[1]
        perm_t = torch.argsort(src * self.out_features + dst)
        self.register_buffer("edge_index", index)
        self.register_buffer("_crow", _csr_pointers(dst, self.out_features), persistent=False)
        self.register_buffer("_perm_t", perm_t, persistent=False)
        self.register_buffer("_crow_t", _csr_pointers(src, self.in_features), persistent=False)
        self.register_buffer("_col_t", dst[perm_t].contiguous(), persistent=False)
        self.weight = nn.Parameter(torch.empty(index.shape[1]))
        self.bias = nn.Parameter(torch.empty(self.out_features)) if bias else None
        self.reset_parameters()

    @property
    def n_edges(self) -> int:
        """Number of edges (= number of weights)."""
        return int(self.edge_index.shape[1])

    def in_degree(self) -> Tensor:
        """Number of inputs feeding each output, shape ``(out_features,)``."""
        return torch.bincount(self.edge_index[1], minlength=self.out_features)

    def out_degree(self) -> Tensor:
        """Number of outputs each input feeds, shape ``(in_features,)``."""
        return torch.bincount(self.edge_index[0], minlength=self.in_features)

    def reset_parameters(self) -> None:
        """Draw the weights (and bias) again according to :attr:`init`."""
        src, dst = self.edge_index[0], self.edge_index[1]
        with torch.no_grad():
            fan_in = self.in_degree().clamp_min(1).to(torch.float32)
            if self.init == "degree_uniform":
                bound = 1.0 / fan_in.sqrt()
                self.weight.copy_((torch.rand(self.n_edges) * 2 - 1) * bound[dst])
                if self.bias is not None:
                    self.bias.copy_((torch.rand(self.out_features) * 2 - 1) * bound)
                return
            if self.init == "xavier_uniform":
                fan_out = self.out_degree().clamp_min(1).to(torch.float32)
                bound = torch.sqrt(6.0 / (fan_in[dst] + fan_out[src]))
                self.weight.copy_((torch.rand(self.n_edges) * 2 - 1) * bound)
            elif self.init == "normal":
                self.weight.normal_(0.0, 0.01)
            elif self.init == "ones":
                self.weight.fill_(1.0)
            else:
                self.weight.zero_()
            if self.bias is not None:
                self.bias.zero_()

    def _matmul(self, x: Tensor, values: Tensor, transposed: bool) -> Tensor:
        squeeze = x.ndim == 1
        if squeeze:
            x = x[None]
        n_in = self.out_features if transposed else self.in_features
        if x.shape[-1] != n_in:
            raise DataError(
                f"SparseLinear{' (transposed)' if transposed else ''} expects {n_in} "
                f"features, got input of shape {tuple(x.shape)}"
            )
        values = values.to(x.dtype)
        if self.backend == "gather":
            src, dst = self.edge_index[0], self.edge_index[1]
            if transposed:
                src, dst = dst, src
            n_out = self.in_features if transposed else self.out_features
            out = x.new_zeros(x.shape[0], n_out).index_add(1, dst, x.index_select(1, src) * values)
        else:
            if transposed:  # W.T in CSR form is the (input, output)-sorted copy of the edges
                args = (
                    values[self._perm_t],
                    self._crow_t,
                    self._col_t,
                    self._inverse_perm(),
                    self._crow,
                    self.edge_index[0],
                    self.in_features,
                    self.out_features,
                )
            else:
                args = (
                    values,
                    self._crow,
                    self.edge_index[0],
                    self._perm_t,
                    self._crow_t,
                    self._col_t,
                    self.out_features,
                    self.in_features,
                )
            with warnings.catch_warnings():  # "sparse CSR support is in beta"
                warnings.filterwarnings("ignore", message=".*[Ss]parse.*")
                out = _CsrMatmul.apply(x, *args)
        return out[0] if squeeze else out

    def _inverse_perm(self) -> Tensor:
        inverse = getattr(self, "_inv_perm_cache", None)
        if inverse is None or inverse.device != self._perm_t.device:
            inverse = torch.empty_like(self._perm_t)
            inverse[self._perm_t] = torch.arange(len(self._perm_t), device=self._perm_t.device)
            self._inv_perm_cache = inverse
        return inverse

    def forward(self, x: Tensor) -> Tensor:
        """``x @ W.T + b`` for ``x`` of shape ``(batch, in_features)``."""
        out = self._matmul(x, self.weight, transposed=False)
        return out if self.bias is None else out + self.bias.to(out.dtype)

    def transposed(self, x: Tensor, bias: Tensor | None = None) -> Tensor:
        """``x @ W (+ bias)``: the same edges read backwards (``out_features -> in_features``).

        Used by tied decoders: the mirror layer shares :attr:`weight` and has its own bias.
        """
        out = self._matmul(x, self.weight, transposed=True)
        return out if bias is None else out + bias.to(out.dtype)

    def to_dense(self) -> Tensor:
        """The weight matrix ``(out_features, in_features)`` with zeros off the edges."""
        dense = torch.zeros(
            self.out_features, self.in_features, dtype=self.weight.dtype, device=self.weight.device
        )
        dense[self.edge_index[1], self.edge_index[0]] = self.weight.detach()
        return dense

    def mask(self) -> Tensor:
        """Boolean ``(out_features, in_features)`` matrix, True on the edges."""
        mask = torch.zeros(
            self.out_features, self.in_features, dtype=torch.bool, device=self.weight.device
        )
        mask[self.edge_index[1], self.edge_index[0]] = True
        return mask

    def extra_repr(self) -> str:
        density = self.n_edges / (self.in_features * self.out_features)
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"edges={self.n_edges} ({density:.2%} dense), bias={self.bias is not None}, "
            f"backend={self.backend!r}"
        )


class TransposedSparseLinear(nn.Module):
    """The mirror of a :class:`SparseLinear` layer (``out -> in`` over the same edges).

    Parameters
    ----------
    source
        The encoder layer whose edges are read backwards.
    tied
        Share the source's edge weights (``True``) or own an independent copy of the
        edges with their own weights (``False``).
    bias
        Own bias per output (the source's inputs).

    Examples
    --------
    >>> import torch
    >>> enc = SparseLinear(3, 2, [[0, 1, 2], [0, 0, 1]], bias=False, init="ones")
    >>> dec = TransposedSparseLinear(enc, tied=True, bias=False)
    >>> dec(torch.tensor([[1.0, 2.0]]))
    tensor([[1., 1., 2.]], grad_fn=<...>)
    >>> sum(p.numel() for p in dec.parameters())   # tied: no weights of its own
    0
    """

    def __init__(self, source: SparseLinear, *, tied: bool = True, bias: bool = True) -> None:
        super().__init__()
        self.tied = bool(tied)
        self.in_features, self.out_features = source.out_features, source.in_features
        if self.tied:
            # a plain attribute list keeps the source out of this module's children (no
            # second registration of its parameters)
            self._source = [source]
            self.layer = None
        else:
            self._source = []
            self.layer = SparseLinear(
                source.out_features,
                source.in_features,
                source.edge_index.flip(0).cpu(),
                bias=False,
                init=source.init,
                backend=source.backend,
            )
        self.bias = nn.Parameter(torch.zeros(self.out_features)) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        if self.tied:
            return self._source[0].transposed(x, self.bias)
        assert self.layer is not None
        out = self.layer(x)
        return out if self.bias is None else out + self.bias.to(out.dtype)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, tied={self.tied}"


def dense_masked_linear(layer: SparseLinear) -> tuple[nn.Linear, Tensor]:
    """A dense ``nn.Linear`` with the same weights and the layer's mask (for comparisons).

    Returns the dense layer and its ``(out, in)`` mask; ``F.linear(x, dense.weight * mask,
    dense.bias)`` equals ``layer(x)``.

    Examples
    --------
    >>> import torch
    >>> sparse = SparseLinear(4, 3, [[0, 1, 3], [0, 2, 2]])
    >>> dense, mask = dense_masked_linear(sparse)
    >>> x = torch.randn(2, 4)
    >>> torch.allclose(torch.nn.functional.linear(x, dense.weight * mask, dense.bias), sparse(x))
    True
    """
    dense = nn.Linear(layer.in_features, layer.out_features, bias=layer.bias is not None)
    with torch.no_grad():
        dense.weight.copy_(layer.to_dense())
        if layer.bias is not None and dense.bias is not None:
            dense.bias.copy_(layer.bias.detach())
    return dense, layer.mask().to(dense.weight.dtype)
