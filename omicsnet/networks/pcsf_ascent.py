"""Wong's dual ascent for the Steiner arborescence problem, compiled with numba.

:func:`omicsnet.networks.pcsf_reduce.dual_ascent` is the entry point; this module holds its
compiled kernel. The ascent keeps, for each terminal, the set of nodes that reach it
through arcs of zero reduced cost and the list of arcs entering that set; it repeatedly
takes the terminal whose cut has the fewest arcs, lowers the reduced costs of the cut by
their minimum (the dual value of the cut) and grows the set through the arcs that reach
zero, until the root is in every set.

The sets of one terminal only grow, so all of them are stored in one table:
``entry[k, v]`` is the number of cuts of terminal ``k`` raised before node ``v`` joined
its set (``-1``: never). The ``r``-th cut of ``k`` is entered by the arcs ``(u, v)`` with
``entry[k, v] ≤ r < entry[k, u]`` (an ``entry`` of ``-1`` counting as infinity), which
gives the recorded cuts back without storing them (:func:`cut_arcs`).

On iRefIndex v14 (w=5 b=1 g=3, 11,958 nodes / 154,886 edges after the degree and
shorter-path tests, 13,165 cuts raised) the ascent takes 5.7 s, against 17 s for the
earlier numpy version of the same algorithm.

Examples
--------
>>> import numpy as np
>>> state = AscentState.start(np.array([0, 0, 1]), np.array([1, 2, 2]),
...                           np.array([1.0, 3.0, 1.0]), 3, np.array([2]))
>>> state.run(0, max_steps=0)
True
>>> state.bound, state.reduced.tolist()
(2.0, [0.0, 1.0, 0.0])
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np

__all__ = ["AscentState", "cut_arcs"]


@numba.njit(cache=True)
def _heap_push(keys: Any, ids: Any, size: int, key: int, ident: int) -> int:
    i = size
    keys[i] = key
    ids[i] = ident
    while i > 0:
        parent = (i - 1) // 2
        if keys[parent] < keys[i] or (keys[parent] == keys[i] and ids[parent] <= ids[i]):
            break
        keys[parent], keys[i] = keys[i], keys[parent]
        ids[parent], ids[i] = ids[i], ids[parent]
        i = parent
    return size + 1


@numba.njit(cache=True)
def _heap_pop(keys: Any, ids: Any, size: int) -> tuple[int, int]:
    ident = ids[0]
    size -= 1
    keys[0], ids[0] = keys[size], ids[size]
    i = 0
    while True:
        left = 2 * i + 1
        right = left + 1
        smallest = i
        if left < size and (
            keys[left] < keys[smallest]
            or (keys[left] == keys[smallest] and ids[left] < ids[smallest])
        ):
            smallest = left
        if right < size and (
            keys[right] < keys[smallest]
            or (keys[right] == keys[smallest] and ids[right] < ids[smallest])
        ):
            smallest = right
        if smallest == i:
            break
        keys[smallest], keys[i] = keys[i], keys[smallest]
        ids[smallest], ids[i] = ids[i], ids[smallest]
        i = smallest
    return ident, size


@numba.njit(cache=True)
def _extend(
    k: int, starts: Any, n_start: int, entry: Any, stamp: int, in_ptr: Any, in_arc: Any,
    tail: Any, red: Any, queue: Any, out: Any, n_out: int, root: int,
) -> tuple[Any, int, bool]:  # fmt: skip
    """Add ``starts`` and every node that reaches them through zero reduced-cost arcs to
    the set of terminal ``k``; append the other arcs entering the set to ``out``."""
    head_q, tail_q = 0, 0
    for i in range(n_start):
        s = starts[i]
        if entry[k, s] < 0:
            entry[k, s] = stamp
            queue[tail_q] = s
            tail_q += 1
    hit_root = False
    while head_q < tail_q:
        v = queue[head_q]
        head_q += 1
        if v == root:
            hit_root = True
        for j in range(in_ptr[v], in_ptr[v + 1]):
            a = in_arc[j]
            u = tail[a]
            if entry[k, u] >= 0:
                continue
            if red[a] <= 0.0:
                entry[k, u] = stamp
                queue[tail_q] = u
                tail_q += 1
            else:
                if n_out == len(out):
                    out = np.concatenate((out, np.empty(len(out) + 16, dtype=np.int64)))
                out[n_out] = a
                n_out += 1
    return out, n_out, hit_root


@numba.njit(cache=True)
def _ascend(
    tail: Any, in_ptr: Any, in_arc: Any, red: Any, root: int, terminals: Any, entry: Any,
    n_raised: Any, cuts: Any, started: Any, keys: Any, ids: Any, size: int,
    raised_terminal: Any, raised_delta: Any, n_records: int, bound: float, max_steps: int,
    record: bool,
) -> tuple[int, Any, Any, int, float]:  # fmt: skip
    """Up to ``max_steps`` terminal visits of the ascent (0: to the end); the state
    arrays are updated in place, the rest is returned."""
    n_nodes = entry.shape[1]
    queue = np.empty(n_nodes, dtype=np.int64)
    starts = np.empty(n_nodes, dtype=np.int64)
    steps = 0
    while size > 0:
        if max_steps > 0 and steps >= max_steps:
            break
        steps += 1
        k, size = _heap_pop(keys, ids, size)
        stamp = n_raised[k] if record else 0
        hit_root = False
        if not started[k]:
            started[k] = True
            starts[0] = terminals[k]
            out, n_out, hit_root = _extend(
                k, starts, 1, entry, stamp, in_ptr, in_arc, tail, red, queue,
                np.empty(64, dtype=np.int64), 0, root,
            )  # fmt: skip
            current = out[:n_out]
        else:
            current = cuts[k]
        while not hit_root:
            # arcs whose tail joined the set leave the cut; arcs of zero reduced cost
            # (lowered by other terminals' cuts) grow the set
            n_keep, n_start = 0, 0
            for i in range(len(current)):
                a = current[i]
                u = tail[a]
                if entry[k, u] >= 0:
                    continue
                if red[a] <= 0.0:
                    starts[n_start] = u
                    n_start += 1
                else:
                    current[n_keep] = a
                    n_keep += 1
            if n_start == 0:
                current = current[:n_keep]
                break
            out, n_out, hit_root = _extend(
                k, starts, n_start, entry, stamp, in_ptr, in_arc, tail, red, queue,
                current, n_keep, root,
            )  # fmt: skip
            current = out[:n_out]
        if hit_root or len(current) == 0:
            cuts[k] = np.empty(0, dtype=np.int64)
            continue
        delta = np.inf
        for i in range(len(current)):
            if red[current[i]] < delta:
                delta = red[current[i]]
        bound += delta
        tolerance = 1e-12 * max(1.0, delta)
        n_keep, n_start = 0, 0
        for i in range(len(current)):
            a = current[i]
            red[a] -= delta
            if red[a] <= tolerance:
                red[a] = 0.0
                starts[n_start] = tail[a]
                n_start += 1
            else:
                current[n_keep] = a
                n_keep += 1
        if n_records == len(raised_terminal):
            raised_terminal = np.concatenate((raised_terminal, np.empty_like(raised_terminal)))
            raised_delta = np.concatenate((raised_delta, np.empty_like(raised_delta)))
        raised_terminal[n_records] = k
        raised_delta[n_records] = delta
        n_records += 1
        n_raised[k] += 1
        stamp = n_raised[k] if record else 0
        out, n_out, hit_root = _extend(
            k, starts, n_start, entry, stamp, in_ptr, in_arc, tail, red, queue,
            current, n_keep, root,
        )  # fmt: skip
        if hit_root:
            cuts[k] = np.empty(0, dtype=np.int64)
            continue
        cuts[k] = out[:n_out].copy()
        size = _heap_push(keys, ids, size, n_out, k)
    return size, raised_terminal, raised_delta, n_records, bound


@dataclass
class AscentState:
    """A dual ascent in progress (resumable, so that a time budget can stop it).

    Attributes
    ----------
    tail, in_ptr, in_arc
        Arc tails and the arcs entering each node (CSR by head).
    reduced
        Reduced costs (``≥ 0``), lowered in place.
    root, terminals
        The root and the terminals to connect.
    entry
        ``entry[k, v]``: cuts of terminal ``k`` raised before ``v`` joined its set
        (``-1``: not in it); with ``record=False`` only membership (``0``) is kept.
    n_raised
        Cuts raised per terminal.
    bound
        The lower bound so far (the sum of the dual values raised).
    raised_terminal, raised_delta
        Terminal and dual value of each raised cut, in the order raised.
    """

    tail: np.ndarray
    in_ptr: np.ndarray
    in_arc: np.ndarray
    reduced: np.ndarray
    root: int
    terminals: np.ndarray
    entry: np.ndarray
    n_raised: np.ndarray
    record: bool
    cuts: Any
    started: np.ndarray
    keys: np.ndarray
    ids: np.ndarray
    size: int
    raised_terminal: np.ndarray
    raised_delta: np.ndarray
    n_records: int = 0
    bound: float = 0.0

    @classmethod
    def start(
        cls,
        tail: np.ndarray,
        head: np.ndarray,
        cost: np.ndarray,
        n_nodes: int,
        terminals: np.ndarray,
        *,
        record: bool = False,
    ) -> AscentState:
        """A new ascent on arcs ``tail → head`` with costs ``≥ 0``.

        ``record`` keeps the raise number at which each node joined each terminal's set
        (an ``int32`` table, terminals × nodes) so that the cuts can be listed afterwards;
        otherwise one byte per terminal and node marks membership.
        """
        tail = np.ascontiguousarray(tail, dtype=np.int64)
        head = np.ascontiguousarray(head, dtype=np.int64)
        in_arc = np.argsort(head, kind="stable").astype(np.int64)
        in_ptr = np.searchsorted(head[in_arc], np.arange(n_nodes + 1)).astype(np.int64)
        terminals = np.ascontiguousarray(terminals, dtype=np.int64)
        n_terminals = len(terminals)
        cuts = numba.typed.List.empty_list(numba.types.int64[::1])
        for _ in range(n_terminals):
            cuts.append(np.empty(0, dtype=np.int64))
        keys = np.zeros(n_terminals + 1, dtype=np.int64)
        ids = np.zeros(n_terminals + 1, dtype=np.int64)
        ids[:n_terminals] = np.arange(n_terminals)  # all keys 0: a valid heap in id order
        return cls(
            tail=tail,
            in_ptr=in_ptr,
            in_arc=in_arc,
            reduced=np.array(cost, dtype=np.float64),
            root=-1,
            terminals=terminals,
            entry=np.full((n_terminals, n_nodes), -1, dtype=np.int32 if record else np.int8),
            n_raised=np.zeros(n_terminals, dtype=np.int64),
            record=record,
            cuts=cuts,
            started=np.zeros(n_terminals, dtype=np.bool_),
            keys=keys,
            ids=ids,
            size=n_terminals,
            raised_terminal=np.empty(1024, dtype=np.int64),
            raised_delta=np.empty(1024, dtype=np.float64),
        )

    def run(self, root: int, *, max_steps: int = 0) -> bool:
        """Continue the ascent towards ``root`` for at most ``max_steps`` terminal visits
        (0: to the end); returns whether it finished."""
        self.root = int(root)
        if self.size == 0:
            return True
        (
            self.size, self.raised_terminal, self.raised_delta, self.n_records, self.bound,
        ) = _ascend(
            self.tail, self.in_ptr, self.in_arc, self.reduced, self.root, self.terminals,
            self.entry, self.n_raised, self.cuts, self.started, self.keys, self.ids,
            self.size, self.raised_terminal, self.raised_delta, self.n_records,
            float(self.bound), int(max_steps), bool(self.record),
        )  # fmt: skip
        return self.size == 0


def cut_arcs(state: AscentState, head: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
    """The raised cuts of a recorded ascent, in the order raised: ``(terminal node, arcs
    entering its set)``; each is a valid inequality ``x(arcs) ≥ 1`` of the arborescence
    problem, and their dual values add up to the bound.

    Examples
    --------
    >>> import numpy as np
    >>> tail, head = np.array([0, 0, 1]), np.array([1, 2, 2])
    >>> state = AscentState.start(tail, head, np.array([1.0, 3.0, 1.0]), 3, np.array([2]),
    ...                           record=True)
    >>> state.run(0)
    True
    >>> [(t, arcs.tolist()) for t, arcs in cut_arcs(state, head)]
    [(2, [1, 2]), (2, [0, 1])]
    """
    if not state.record:
        raise ValueError("the ascent was not recorded (AscentState.start(record=True))")
    tail = state.tail
    order = state.raised_terminal[: state.n_records]
    rank = np.zeros(state.n_records, dtype=np.int64)  # the r of each raise, per terminal
    seen = np.zeros(len(state.terminals), dtype=np.int64)
    for i, k in enumerate(order.tolist()):
        rank[i] = seen[k]
        seen[k] += 1
    per_terminal: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for i, k in enumerate(order.tolist()):
        if k not in per_terminal:
            joined = state.entry[k]
            into = np.flatnonzero(joined[head] >= 0)
            head_at = joined[head[into]].astype(np.int64)
            tail_at = joined[tail[into]].astype(np.int64)
            tail_at[tail_at < 0] = np.iinfo(np.int64).max
            per_terminal[k] = (into, head_at, tail_at)
        into, head_at, tail_at = per_terminal[k]
        r = rank[i]
        yield int(state.terminals[k]), into[(head_at <= r) & (r < tail_at)]
