"""SparseLinear: exact equivalence to a dense masked nn.Linear, transposed use, errors."""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F

from omicsnet.errors import ConfigError, DataError
from omicsnet.nn.sparse_linear import (
    SparseLinear,
    TransposedSparseLinear,
    check_edge_index,
    dense_masked_linear,
)


def random_edges(n_in, n_out, n_edges, seed=0):
    generator = torch.Generator().manual_seed(seed)
    keys = torch.randperm(n_in * n_out, generator=generator)[:n_edges]
    return torch.stack([keys % n_in, keys // n_in])


@pytest.mark.parametrize("backend", ["csr", "gather"])
@pytest.mark.parametrize("bias", [True, False])
def test_forward_and_gradients_equal_dense_masked_linear(backend, bias):
    torch.manual_seed(0)
    edges = random_edges(17, 11, 40)
    sparse = SparseLinear(17, 11, edges, bias=bias, backend=backend).double()
    dense, mask = dense_masked_linear(sparse)
    dense = dense.double()
    mask = mask.double()
    x = torch.randn(6, 17, dtype=torch.float64, requires_grad=True)
    x_dense = x.detach().clone().requires_grad_(True)
    target = torch.randn(6, 11, dtype=torch.float64)

    out_sparse = sparse(x)
    out_dense = F.linear(x_dense, dense.weight * mask, dense.bias)
    torch.testing.assert_close(out_sparse, out_dense, rtol=0, atol=1e-12)
    ((out_sparse - target) ** 2).sum().backward()
    ((out_dense - target) ** 2).sum().backward()

    torch.testing.assert_close(x.grad, x_dense.grad, rtol=0, atol=1e-12)
    src, dst = sparse.edge_index
    torch.testing.assert_close(sparse.weight.grad, dense.weight.grad[dst, src], rtol=0, atol=1e-12)
    # the dense gradient off the edges is exactly zero (masked)
    off = ~sparse.mask()
    assert float(dense.weight.grad[off].abs().max()) == 0.0
    if bias:
        torch.testing.assert_close(sparse.bias.grad, dense.bias.grad, rtol=0, atol=1e-12)


@pytest.mark.parametrize("backend", ["csr", "gather"])
def test_transposed_is_x_times_w_with_gradients(backend):
    torch.manual_seed(1)
    sparse = SparseLinear(9, 5, random_edges(9, 5, 18, seed=3), backend=backend).double()
    w_dense = sparse.to_dense().requires_grad_(True)
    y = torch.randn(4, 5, dtype=torch.float64, requires_grad=True)
    y_dense = y.detach().clone().requires_grad_(True)
    out = sparse.transposed(y)
    expected = y_dense @ w_dense
    torch.testing.assert_close(out, expected, rtol=0, atol=1e-12)
    (out.sin().sum()).backward()
    (expected.sin().sum()).backward()
    torch.testing.assert_close(y.grad, y_dense.grad, rtol=0, atol=1e-12)
    src, dst = sparse.edge_index
    torch.testing.assert_close(sparse.weight.grad, w_dense.grad[dst, src], rtol=0, atol=1e-12)


def test_gradcheck_of_the_csr_kernel():
    sparse = SparseLinear(6, 4, random_edges(6, 4, 10, seed=5), bias=False).double()
    x = torch.randn(3, 6, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda inp, w: _apply(sparse, inp, w), (x, sparse.weight))


def _apply(layer, x, weight):
    return layer._matmul(x, weight, transposed=False)


def test_memory_is_proportional_to_edges():
    edges = torch.stack([torch.arange(500) * 40, torch.arange(500) * 20])
    layer = SparseLinear(20_000, 10_000, edges, bias=False)
    assert sum(p.numel() for p in layer.parameters()) == 500
    assert layer.n_edges == 500
    assert layer(torch.randn(2, 20_000)).shape == (2, 10_000)


def test_tied_decoder_shares_weights_untied_has_its_own():
    enc = SparseLinear(5, 3, random_edges(5, 3, 7), bias=True)
    tied = TransposedSparseLinear(enc, tied=True)
    untied = TransposedSparseLinear(enc, tied=False)
    assert [n for n, _ in tied.named_parameters()] == ["bias"]
    assert untied.layer.n_edges == enc.n_edges
    x = torch.randn(2, 3)
    torch.testing.assert_close(tied(x), x @ enc.to_dense() + tied.bias)
    # changing the encoder changes the tied decoder only
    with torch.no_grad():
        enc.weight.add_(1.0)
    torch.testing.assert_close(tied(x), x @ enc.to_dense() + tied.bias)
    torch.testing.assert_close(untied(x), untied.layer(x) + untied.bias)


def test_edges_are_kept_sorted_and_state_dict_round_trips():
    edges = torch.tensor([[2, 0, 1], [1, 0, 0]])
    layer = SparseLinear(3, 2, edges)
    assert layer.edge_index.tolist() == [[0, 1, 2], [0, 0, 1]]
    state = layer.state_dict()
    assert set(state) == {"weight", "bias", "edge_index"}
    other = SparseLinear(3, 2, edges)
    other.load_state_dict(state)
    x = torch.randn(4, 3)
    torch.testing.assert_close(other(x), layer(x))


def test_degree_uniform_init_respects_each_outputs_fan_in():
    edges = torch.tensor([[0, 1, 2, 3, 0], [0, 0, 0, 0, 1]])
    torch.manual_seed(0)
    layer = SparseLinear(4, 2, edges, init="degree_uniform")
    dst = layer.edge_index[1]
    assert float(layer.weight.detach()[dst == 0].abs().max()) <= 0.5  # 1/sqrt(4)
    assert float(layer.weight.detach()[dst == 1].abs().max()) <= 1.0  # 1/sqrt(1)
    assert torch.all(SparseLinear(4, 2, edges, init="zeros").weight == 0)


def test_bad_edges_and_options_are_clear_errors():
    with pytest.raises(DataError, match=r"shape \(2, E\)"):
        check_edge_index([[0, 1, 2]], 3, 3)
    with pytest.raises(DataError, match=r"edge 1 \(0 -> 7\) is out of range"):
        SparseLinear(3, 2, [[0, 0], [0, 7]])
    with pytest.raises(DataError, match=r"edge 2 -> 1 appears more than once"):
        SparseLinear(3, 2, [[2, 2], [1, 1]])
    with pytest.raises(ConfigError, match="unknown init"):
        SparseLinear(3, 2, [[0], [0]], init="he")
    with pytest.raises(ConfigError, match="unknown backend"):
        SparseLinear(3, 2, [[0], [0]], backend="cusparse")
    with pytest.raises(DataError, match="expects 3 features"):
        SparseLinear(3, 2, [[0], [0]])(torch.randn(2, 4))
