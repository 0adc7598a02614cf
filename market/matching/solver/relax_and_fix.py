"""Relax-and-fix: keep what the LP relaxation got right, branch and cut on the rest, then
re-solve the splittable orders as one exact LP."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from market.matching.solver.fallback import greedy_fill
from market.matching.solver.model import EPS, INT_EPS, Model, residual
from market.matching.solver.subproblems import MIP_REL_GAP, LpOutcome, solve_lp, solve_milp

__all__ = ["Candidate", "decide", "relax_and_fix", "splittable_lp"]

def _greedy_unsplittable(
    m: Model, orders: np.ndarray, hint: np.ndarray, b_cap: np.ndarray
) -> np.ndarray:
    """Fallback rounding when branch and cut found nothing: fit whole orders greedily.

    Orders go in descending value of their ``hint`` (LP) shares; each takes the candidate it
    leaned to most that still fits. Deterministic and always within ``b_cap``.
    """
    share = np.zeros(m.obj.size)
    cap = b_cap.copy()
    cols = m.columns_of(orders)
    cols = cols[m.unsplit[cols]]
    by_order: dict[int, list[int]] = {}
    for c in cols.tolist():
        by_order.setdefault(int(m.order[c]), []).append(c)
    value = {o: max(hint[c] * m.obj[c] for c in cs) for o, cs in by_order.items()}
    for o in sorted(by_order, key=lambda o: (-value[o], o)):
        for c in sorted(by_order[o], key=lambda c: (-hint[c], -m.obj[c], c)):
            col = m.a_cap[:, [c]]
            if (col.data <= cap[col.indices] + 1e-9).all():
                cap[col.indices] -= col.data
                share[c] = 1.0
                break
    return share


def _violating(m: Model, share: np.ndarray, orders: np.ndarray) -> np.ndarray:
    """Orders among ``orders`` whose positive shares break max vendors or min lot."""
    if orders.size == 0:
        return orders
    cols = m.columns_of(orders)
    pos = share[cols] > EPS
    count = np.bincount(m.order[cols][pos], minlength=m.n_orders)
    short = pos & (share[cols] < m.lot[cols] * (1 - 1e-9) - EPS)
    bad = np.zeros(m.n_orders, dtype=bool)
    bad[m.order[cols][short]] = True
    bad |= (m.max_vendors > 0) & (count > m.max_vendors)
    return orders[bad[orders]]


def splittable_lp(
    m: Model,
    share: np.ndarray,
    decided: np.ndarray,
    support: np.ndarray,
    deadline: float = math.inf,
) -> tuple[np.ndarray, float]:
    """Re-solve every splittable column exactly, on the capacity the unsplittable orders leave.

    Orders in ``decided`` may only use the columns marked in ``support`` (each at least its
    minimum lot); all other splittable orders are free. Returns the shares and the LP's
    value; when the LP is not solved by ``deadline``, the splittable columns are filled
    greedily instead and the value is nan.
    """
    cols = m.usable[~m.unsplit[m.usable]]
    b_cap, b_ord = residual(m, share, m.unsplit)
    lb = np.zeros(cols.size)
    ub = m.ub[cols].copy()
    in_decided = decided[m.order[cols]]
    chosen = support[cols]
    ub[in_decided & ~chosen] = 0.0
    lb[in_decided & chosen] = m.lot[cols][in_decided & chosen]
    out = share.copy()
    solved = solve_lp(m, cols, lb, ub, b_cap, b_ord, deadline=deadline)
    if solved is None and time.perf_counter() < deadline:
        # The lots fit only within the solver's tolerance: keep the vendor sets, drop the
        # lower bounds, then zero any allocation left below its lot (less volume never
        # breaks a constraint).
        solved = solve_lp(m, cols, np.zeros(cols.size), ub, b_cap, b_ord, deadline=deadline)
        if solved is not None:
            solved.x[solved.x < m.lot[cols] * (1 - 1e-9)] = 0.0
    if solved is None:  # out of time (or of numerical luck): what fits, best value first
        out[cols] = 0.0
        return greedy_fill(m, cols[ub > 0], out, m.obj), math.nan
    out[cols] = solved.x
    return out, float(m.obj[cols] @ solved.x)


def decide(
    m: Model,
    share: np.ndarray,
    orders: np.ndarray,
    cols: np.ndarray,
    obj: np.ndarray,
    fixed: np.ndarray,
    decided: np.ndarray,
    deadline: float,
    stats: dict[str, float],
    rel_gap: float = MIP_REL_GAP,
) -> tuple[np.ndarray, bool, float]:
    """Branch and cut for ``orders`` over their columns ``cols``, valued at ``obj``.

    ``fixed`` columns keep ``share``; the orders' other columns get nothing. Returns the new
    shares, whether the wall-clock safety net stopped the search, and the branch-and-cut
    bound on the value of the decided columns.
    """
    cols = cols[obj[cols] > 0]  # a column worth nothing at these prices stays empty
    fixed = fixed.copy()
    fixed[m.columns_of(orders)] = False
    b_cap, b_ord = residual(m, share, fixed)
    result = np.where(fixed, share, 0.0)
    mark = np.zeros(m.n_orders, dtype=bool)
    mark[orders] = True
    decided |= mark
    stats["decided_orders"] = stats.get("decided_orders", 0.0) + orders.size
    if cols.size == 0:
        return result, False, 0.0
    out = solve_milp(
        m, cols, obj[cols], b_cap, b_ord, mark, deadline - time.perf_counter(), rel_gap
    )
    stats["nodes"] = stats.get("nodes", 0.0) + out.nodes
    stats["milp_columns"] = stats.get("milp_columns", 0.0) + cols.size
    if out.share is not None:
        result[cols] = out.share
    else:
        result += _greedy_unsplittable(m, orders, share, b_cap)
    return result, out.timed_out, out.dual_bound


@dataclass
class Candidate:
    """One complete solution: shares, and the vendor sets fixed for the final LP."""

    share: np.ndarray
    decided: np.ndarray
    support: np.ndarray
    split_lp: float = 0.0
    value: float = 0.0


def relax_and_fix(
    m: Model,
    relax: LpOutcome,
    unsplit_orders: np.ndarray,
    constrained: np.ndarray,
    deadline: float,
    stats: dict[str, float],
) -> tuple[Candidate, bool]:
    """Step 2 for large problems: keep what the LP got right, branch and cut on the rest."""
    share = np.zeros(m.obj.size)
    share[m.usable] = relax.x
    decided = np.zeros(m.n_orders, dtype=bool)
    support = np.zeros(m.obj.size, dtype=bool)
    cols_u = m.columns_of(unsplit_orders)
    frac = cols_u[(share[cols_u] > INT_EPS) & (share[cols_u] < 1 - INT_EPS)]
    frac_orders = np.unique(m.order[frac])
    broken = _violating(m, share, constrained)
    free = np.union1d(frac_orders, broken).astype(np.int64)
    stats["fractional_orders"] = float(frac_orders.size)
    stats["broken_orders"] = float(broken.size)
    # Fixed while branch and cut decides the free orders: whole unsplittable orders, and the
    # minimum lots of constrained orders that keep the LP's vendors. Other splittable
    # columns give way; the LP's seat-day prices charge each candidate for the splittable
    # value it displaces.
    keep = np.setdiff1d(constrained, broken)
    keep_cols = m.columns_of(keep)
    keep_cols = keep_cols[share[keep_cols] > EPS]
    support[keep_cols] = True
    decided[keep] = True
    broken_cols = m.columns_of(broken)
    # Unsplittable orders may try every candidate; constrained orders only the vendors the
    # LP used (more than they may keep): about as good in tests and several times faster.
    cols = np.union1d(m.columns_of(frac_orders), broken_cols[share[broken_cols] > EPS])
    share[cols_u] = np.where(share[cols_u] > 0.5, 1.0, 0.0)
    share[keep_cols] = m.lot[keep_cols]
    fixed = m.unsplit.copy()
    fixed[keep_cols] = True
    net = m.obj - m.a_cap.T @ relax.cap_duals
    share, hit, _ = decide(m, share, free, cols, net, fixed, decided, deadline, stats)
    free_cols = m.columns_of(free)
    support[free_cols] = share[free_cols] > EPS
    decided[unsplit_orders] = True
    decided[constrained] = True
    return Candidate(share, decided, support), hit

