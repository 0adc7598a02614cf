"""The allocation model's LP and branch-and-cut sub-problems over a set of columns, sent to HiGHS."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from market.matching.solver.highs import solve_lp as highs_lp
from market.matching.solver.highs import solve_milp as highs_milp
from market.matching.solver.model import INT_EPS, Model, constraint_rows
from market.matching.solver.status import Status

__all__ = ["MIP_REL_GAP", "LpOutcome", "MilpOutcome", "solve_lp", "solve_milp"]

_NODE_LIMIT = 5000  # deterministic work limit of each branch and cut, met before the safety net
MIP_REL_GAP = 1e-4  # relax-and-fix sub-problems: their share of the objective is small
_MIN_MILP_SECONDS = 0.5


@dataclass
class LpOutcome:
    x: np.ndarray  # shares of the columns
    value: float  # objective
    cap_duals: np.ndarray  # price of a seat-day in each capacity row of the model (>= 0)


# Dual simplex is fastest up to a few tens of thousands of columns (bench_scale at 5000
# orders, 31k columns: 0.5 s against 1.6 s of CPU for interior point); beyond, interior point
# followed by crossover (which returns a vertex, like simplex) wins clearly (20000 orders,
# 125k columns: 23 s against 75 s). Both are deterministic.
_IPM_MIN_COLUMNS = 60000


def solve_lp(
    m: Model,
    cols: np.ndarray,
    lb: np.ndarray,
    ub: np.ndarray,
    b_cap: np.ndarray,
    b_ord: np.ndarray,
    vendor_rows: bool = False,
    deadline: float = math.inf,
) -> LpOutcome | None:
    """Exact LP optimum over ``cols`` (shares within [lb, ub]) on the given residuals.

    None when HiGHS reports anything but optimal, which can only happen when some lb > 0,
    or when the LP is not solved by ``deadline`` (a ``time.perf_counter()`` instant).
    """
    duals = np.zeros(m.b_cap.size)
    if cols.size == 0:
        return LpOutcome(np.zeros(0), 0.0, duals)
    left = deadline - time.perf_counter()
    if left <= 0:
        return None
    ub = np.minimum(ub, b_ord[m.order[cols]])
    lb = np.minimum(lb, ub)
    rows = constraint_rows(m, cols, ub, b_cap, b_ord, vendor_rows)
    res = highs_lp(
        -m.obj[cols],
        a_ub=rows.a if rows.a.shape[0] else None,
        b_ub=rows.b if rows.a.shape[0] else None,
        bounds=np.column_stack([lb, ub]),
        method="highs-ipm" if cols.size >= _IPM_MIN_COLUMNS else "highs-ds",
        time_limit=left,
    )
    if res.status is not Status.OPTIMAL or res.x is None:
        return None
    x = np.clip(res.x, lb, ub)
    if rows.a.shape[0]:
        duals[rows.cap_rows] = np.maximum(-res.ineq_marginals[: rows.cap_rows.size], 0.0)
    return LpOutcome(x, float(m.obj[cols] @ x), duals)


@dataclass
class MilpOutcome:
    share: np.ndarray | None  # shares of the columns, None when no solution was found
    dual_bound: float  # upper bound on this sub-problem's objective
    nodes: int
    timed_out: bool


def solve_milp(
    m: Model,
    cols: np.ndarray,
    obj: np.ndarray,
    b_cap: np.ndarray,
    b_ord: np.ndarray,
    decide: np.ndarray,
    time_limit: float,
    rel_gap: float = MIP_REL_GAP,
) -> MilpOutcome:
    """Branch and cut over ``cols`` maximising ``obj`` (one value per column).

    Unsplittable columns are binary. Each column of a splittable order marked in ``decide``
    gets a binary partner z ("this vendor is used"): share <= ub z, share >= lot z, and at
    most max vendors z per order. Other columns stay continuous.
    """
    n = cols.size
    order = m.order[cols]
    unsplit = m.unsplit[cols]
    ub_cols = np.minimum(m.ub[cols], b_ord[order])
    ub_cols[unsplit] = np.floor(ub_cols[unsplit] + INT_EPS)  # a whole order or nothing
    linked = np.flatnonzero((~unsplit) & decide[order] & m.active[order])
    k = linked.size
    base = constraint_rows(m, cols, ub_cols, b_cap, b_ord)
    blocks = [sp.hstack([base.a, sp.csr_matrix((base.a.shape[0], k))], format="csr")]
    upper = [base.b]
    if k:
        pick = sp.csr_matrix((np.ones(k), (np.arange(k), linked)), shape=(k, n))
        blocks.append(sp.hstack([pick, sp.diags(-ub_cols[linked], format="csr")], format="csr"))
        upper.append(np.zeros(k))
        lot = m.lot[cols[linked]]
        has_lot = np.flatnonzero(lot > 0)
        if has_lot.size:
            blocks.append(
                sp.hstack([-pick[has_lot], sp.diags(lot, format="csr")[has_lot]], format="csr")
            )
            upper.append(np.zeros(has_lot.size))
        capped = np.flatnonzero(m.max_vendors[order[linked]] > 0)
        if capped.size:
            groups, inv = np.unique(order[linked][capped], return_inverse=True)
            blocks.append(
                sp.csr_matrix((np.ones(capped.size), (inv, n + capped)), shape=(groups.size, n + k))
            )
            upper.append(m.max_vendors[groups].astype(np.float64))
    a_all = sp.vstack(blocks, format="csr")
    b_all = np.concatenate(upper)
    integrality = np.concatenate([unsplit.astype(np.int8), np.ones(k, dtype=np.int8)])
    res = highs_milp(
        np.concatenate([-obj, np.zeros(k)]),
        integrality=integrality,
        lower=np.zeros(n + k),
        upper=np.concatenate([ub_cols, np.ones(k)]),
        rows=[(a_all, -np.inf, b_all)] if a_all.shape[0] else [],
        time_limit=max(time_limit, _MIN_MILP_SECONDS),
        node_limit=_NODE_LIMIT,
        rel_gap=rel_gap,
    )
    timed_out = res.status is Status.TIME_LIMIT
    dual_bound = -res.dual_bound  # HiGHS minimised -obj
    if res.x is None:
        return MilpOutcome(None, dual_bound, res.nodes, timed_out)
    x = res.x[:n].copy()
    x[unsplit] = np.round(x[unsplit])
    if k:
        x[linked[res.x[n:] < 0.5]] = 0.0
    return MilpOutcome(np.clip(x, 0.0, ub_cols), dual_bound, res.nodes, timed_out)
