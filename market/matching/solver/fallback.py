"""When an LP does not finish within the time limit: a greedy allocation and a Lagrangian bound.

Both are cheap (a pass over the columns, a few dozen vectorised iterations) and keep the
solver's promise at sizes where one exact LP takes longer than the limit: the run still
returns an allocation that respects every rule, with a proven bound and its gap.
"""

from __future__ import annotations

import math
import time

import numpy as np

from market.matching.solver.model import EPS, Model

__all__ = ["greedy_fill", "lagrangian_bound"]

_SUBGRADIENT_ITERATIONS = 60


def greedy_fill(
    m: Model, cols: np.ndarray, share: np.ndarray, value: np.ndarray
) -> np.ndarray:
    """``share`` with as much of ``cols`` added as fits, highest ``value`` (per column) first.

    The other columns keep their shares and their seat-days. A whole order takes its
    column whole or not at all; a splittable column takes what its offer, its order's share
    left and its vendor-weeks allow, when that reaches its minimum lot and its order has a
    vendor left under max vendors. Columns of value <= 0 stay empty. Deterministic.
    """
    out = share.copy()
    out[cols] = 0.0
    cap = (m.b_cap - m.a_cap @ out).tolist()
    left = (1.0 - m.a_ord @ out).tolist()
    used = np.bincount(m.order[out > EPS], minlength=m.n_orders).tolist()
    cols = cols[value[cols] > 0]
    ranked = cols[np.lexsort((cols, -value[cols]))]
    a = m.a_cap
    indptr, indices, data = a.indptr, a.indices.tolist(), a.data.tolist()
    starts, ends = indptr[ranked].tolist(), indptr[ranked + 1].tolist()
    order, ub, lot = m.order[ranked].tolist(), m.ub[ranked].tolist(), m.lot[ranked].tolist()
    unsplit, kv = m.unsplit[ranked].tolist(), m.max_vendors.tolist()
    taken = np.zeros(ranked.size)
    for k in range(ranked.size):
        o = order[k]
        if kv[o] and used[o] >= kv[o]:
            continue
        room = min(ub[k], left[o])
        for p in range(starts[k], ends[k]):
            room = min(room, cap[indices[p]] / data[p])
        if unsplit[k]:
            if room < 1.0 - 1e-9:
                continue
            room = 1.0
        elif room <= EPS or room < lot[k] * (1 + 1e-9):
            continue
        for p in range(starts[k], ends[k]):
            cap[indices[p]] = max(cap[indices[p]] - room * data[p], 0.0)
        left[o] = max(left[o] - room, 0.0)
        used[o] += 1
        taken[k] = room
    out[ranked] = taken
    return out


def lagrangian_bound(
    m: Model, cols: np.ndarray, deadline: float, floor: float
) -> tuple[float, np.ndarray]:
    """An upper bound on the allocation over ``cols``, and the seat-day prices that give it.

    For any prices y >= 0 on the vendor-weeks, y @ b plus each order's best fractional
    choice of its columns valued at obj - y @ a (shares within their bounds, summing to at
    most 1) bounds every feasible allocation: the classic Lagrangian relaxation of the
    capacity rows, everything else (wholeness, max vendors, lots) relaxed too. Subgradient
    steps (Polyak's, towards ``floor``, a known feasible value) lower it from y = 0 for a
    fixed number of iterations, or until ``deadline``; the best bound seen is returned.
    """
    if cols.size == 0:
        return 0.0, np.zeros(m.b_cap.size)
    a = m.a_cap[:, cols].tocsr()
    at = a.T.tocsr()
    obj = m.obj[cols]
    ub = np.minimum(m.ub[cols], 1.0)
    order = m.order[cols]
    b = m.b_cap
    y = np.zeros(b.size)
    best, best_y = math.inf, y
    step = 2.0
    since = 0
    for _ in range(_SUBGRADIENT_ITERATIONS):
        reduced = obj - at @ y
        x = _fractional_choice(reduced, ub, order)
        value = float(y @ b + reduced @ x)
        if value < best - 1e-9 * abs(best if math.isfinite(best) else value):
            best, best_y, since = value, y, 0
        else:
            since += 1
            if since >= 5:
                step, since = step / 2, 0
        g = b - a @ x  # the bound's slope in y
        norm = float(g @ g)
        if norm <= 0 or time.perf_counter() >= deadline or best <= floor * (1 + 1e-9):
            break
        y = np.maximum(y - step * max(value - floor, 0.0) / norm * g, 0.0)
    return best, best_y


def _fractional_choice(value: np.ndarray, ub: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Per order, the shares (within ub, summing to at most 1) that maximise value @ x."""
    x = np.zeros(value.size)
    good = np.flatnonzero(value > 0)
    if good.size == 0:
        return x
    ranked = good[np.lexsort((-value[good], order[good]))]
    o = order[ranked]
    cum = np.cumsum(ub[ranked])
    first = np.r_[True, o[1:] != o[:-1]]
    # What the order's earlier columns hold: the running sum less its value where the order's
    # run starts (sums only grow, so the latest start is the running maximum).
    start = np.maximum.accumulate(np.where(first, cum - ub[ranked], -np.inf))
    given = cum - ub[ranked] - start
    x[ranked] = np.clip(1.0 - given, 0.0, ub[ranked])
    return x
