"""The compiled dual ascent (omicsnet.networks.pcsf_ascent): its invariants on random
arborescence instances and the bound against brute force."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order

from omicsnet.networks.pcsf_ascent import AscentState, cut_arcs
from omicsnet.networks.pcsf_reduce import _sap_arcs, dual_ascent

from .test_pcsf_reduce import _rooted_case


def _random_arborescence(rng: np.random.Generator, n: int) -> tuple:
    """Random arcs over n nodes (root 0, every node reachable) and a few terminals."""
    tree_tail = np.array([int(rng.integers(0, v)) for v in range(1, n)])
    extra = rng.integers(0, n, size=(3 * n, 2))
    extra = extra[extra[:, 0] != extra[:, 1]]
    tail = np.concatenate([tree_tail, extra[:, 0]])
    head = np.concatenate([np.arange(1, n), extra[:, 1]])
    cost = rng.choice([0.0, 0.5, 1.0, 2.0, 3.5], size=len(tail))
    terminals = rng.choice(np.arange(1, n), size=max(1, n // 4), replace=False)
    return tail, head, cost, terminals


def _reach_from_root(tail, head, mask, n, root=0) -> np.ndarray:
    graph = sp.csr_matrix((np.ones(int(mask.sum())), (tail[mask], head[mask])), shape=(n, n))
    reached = np.zeros(n, dtype=bool)
    reached[breadth_first_order(graph, root, directed=True, return_predecessors=False)] = True
    return reached


@pytest.mark.parametrize("seed", range(8))
def test_reduced_costs_are_the_costs_less_the_cuts_they_enter(seed):
    """The ascent's bookkeeping: cost − Σ (dual value of each raised cut the arc enters) =
    reduced cost ≥ 0; the dual values add up to the bound; a finished ascent connects the
    root to every terminal through arcs of zero reduced cost."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(8, 40))
    tail, head, cost, terminals = _random_arborescence(rng, n)
    state = AscentState.start(tail, head, cost, n, terminals, record=True)
    assert state.run(0)
    deltas = state.raised_delta[: state.n_records]
    assert state.bound == pytest.approx(deltas.sum())
    lowered = np.zeros(len(tail))
    for (_, arcs), delta in zip(cut_arcs(state, head), deltas.tolist(), strict=True):
        lowered[arcs] += delta
    assert (state.reduced >= 0).all()
    np.testing.assert_allclose(cost - lowered, state.reduced, atol=1e-9)
    reached = _reach_from_root(tail, head, state.reduced <= 0, n)
    assert reached[terminals].all()


def test_a_sliced_ascent_equals_one_run():
    """The time budget runs the kernel in slices: the result must not depend on them."""
    rng = np.random.default_rng(3)
    tail, head, cost, terminals = _random_arborescence(rng, 60)
    whole = AscentState.start(tail, head, cost, 60, terminals)
    whole.run(0)
    sliced = AscentState.start(tail, head, cost, 60, terminals)
    slices = 0
    while not sliced.run(0, max_steps=1):
        slices += 1
    assert slices > 1
    assert sliced.bound == whole.bound
    np.testing.assert_array_equal(sliced.reduced, whole.reduced)


def test_an_unreachable_terminal_stops_its_ascent_without_error():
    # node 2 has no arc into it: its cut is empty, the ascent ends, the bound stays valid
    tail, head, cost = np.array([0]), np.array([1]), np.array([1.5])
    state = AscentState.start(tail, head, cost, 3, np.array([1, 2]))
    assert state.run(0)
    assert state.bound == 1.5


def test_no_terminals_is_a_zero_bound():
    state = AscentState.start(np.array([0]), np.array([1]), np.array([1.0]), 2, np.array([]))
    assert state.run(0) and state.bound == 0.0


def test_cut_arcs_needs_a_recorded_ascent():
    state = AscentState.start(np.array([0]), np.array([1]), np.array([1.0]), 2, np.array([1]))
    state.run(0)
    with pytest.raises(ValueError, match="not recorded"):
        next(cut_arcs(state, np.array([1])))


def test_dual_ascent_bound_never_exceeds_the_brute_force_optimum():
    rng = np.random.default_rng(11)
    for _ in range(15):
        pairs, values, prize_array, root, best = _rooted_case(rng, (6, 12), 0.4)
        tail, head, cost, _, copies = _sap_arcs(pairs, values, prize_array, root)
        bound, reduced, done = dual_ascent(
            tail, head, cost, len(prize_array) + len(copies), root, copies
        )
        assert done and bound <= best + 1e-9 and (reduced >= 0).all()


def test_a_time_budget_of_zero_still_gives_a_valid_partial_bound():
    rng = np.random.default_rng(12)
    pairs, values, prize_array, root, best = _rooted_case(rng, (10, 12), 0.5)
    tail, head, cost, _, copies = _sap_arcs(pairs, values, prize_array, root)
    bound, reduced, _ = dual_ascent(
        tail, head, cost, len(prize_array) + len(copies), root, copies, time_budget=0.0
    )
    full, _, _ = dual_ascent(tail, head, cost, len(prize_array) + len(copies), root, copies)
    assert 0.0 <= bound <= full <= best + 1e-9 and (reduced >= 0).all()
