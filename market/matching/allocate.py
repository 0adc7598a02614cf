"""Allocate all orders under evaluation to eligible bids within vendors' weekly seat-days."""

from __future__ import annotations

import math
import time
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import scipy
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from market.matching.calendar import (
    RunningContract,
    WeekCalendar,
    WeekSpread,
    subtract_running,
    vendor_week_capacity,
)
from market.matching.eligibility import Bid, Id, Order, Refusal, Vendor, check_eligibility
from market.matching.scoring import (
    DEFAULT_PARAMS,
    DEFAULT_WEIGHTS,
    ScoreBreakdown,
    ScoreParams,
    score_bid,
    validate_weights,
)

__all__ = [
    "AllocationProblem",
    "AllocationResult",
    "BidOutcome",
    "LossReason",
    "MatchResult",
    "PreparedMatch",
    "match",
    "prepare_match",
    "solve_allocation",
    "solve_match",
]

# Solver choice. The splittable part is a plain LP and the unsplittable part a GAP whose
# items (orders) consume capacity in several weeks at once, linked to the LP through the
# shared vendor-weeks. HiGHS (bundled with scipy) does both: its dual simplex returns an exact
# vertex optimum of the sparse LP (a vertex keeps the fractional orders few, which the
# rounding step relies on), and its branch and cut takes the same matrices with integrality
# marks, is deterministic and has a node limit, so no second modelling layer is needed.
# Alternatives weighed: GLOP solves the LP too but would need the MILP elsewhere; a min-cost
# flow cannot express one candidate consuming several vendor-weeks in fixed proportions;
# CP-SAT needs integer coefficients, while loads are fractional seat-days per unit.
# scipy's HiGHS is a private copy, so it coexists with OR-Tools in one process (which the
# GAP solver may use); the `highspy` package would not.

_EPS = 1e-9  # shares below this are zero
_INT_EPS = 1e-6  # a binary share this close to 0 or 1 counts as integral
# Up to this many 0/1 decisions, branch and cut also runs on the whole problem.
EXACT_MAX_BINARIES = 1000
_NODE_LIMIT = 5000  # deterministic work limit of each branch and cut, met before the safety net
_MIP_REL_GAP = 1e-4  # relax-and-fix sub-problems: their share of the objective is small
_EXACT_REL_GAP = 1e-6  # branch and cut on the whole problem: the "optimal" status threshold
_MIN_MILP_SECONDS = 0.5
# Local search after relax-and-fix: at most this many small branch and cuts (a deterministic
# work limit). In bench_scale with only whole orders, 50 rounds closed 40 % of the distance
# to the best known allocation, 100 rounds 60 %, at about 20 ms each.
LOCAL_SEARCH_ROUNDS = 100


@dataclass(frozen=True)
class AllocationProblem:
    """Orders, candidate (order, bid) pairs and vendors' free seat-days, as arrays.

    Orders (index o):
      ``order_volume[o]`` > 0; ``order_splittable[o]``; ``order_max_vendors[o]`` (0 means
      unlimited); ``order_min_lot[o]`` (0 means none).
    Candidates (index c), one per eligible bid:
      ``cand_order[c]``, ``cand_vendor[c]``; ``cand_score[c]`` (0-100, objective weight per
      unit of volume); ``cand_max_volume[c]`` (the volume the bid offers);
      ``cand_load`` a sparse (candidates x weeks) matrix: seat-days one unit of volume takes
      from the candidate's vendor in each week.
    Vendors (index v) x weeks (index w):
      ``capacity[v, w]`` free seat-days.
    ``week_labels`` (e.g. "2026-W49") only serve messages.
    """

    order_volume: np.ndarray
    order_splittable: np.ndarray
    order_max_vendors: np.ndarray
    order_min_lot: np.ndarray
    cand_order: np.ndarray
    cand_vendor: np.ndarray
    cand_score: np.ndarray
    cand_max_volume: np.ndarray
    cand_load: sp.csr_matrix
    capacity: np.ndarray
    week_labels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        def arr(name: str, dtype: type) -> np.ndarray:
            value = np.ascontiguousarray(np.asarray(getattr(self, name)), dtype=dtype)
            object.__setattr__(self, name, value)
            return value

        vol = arr("order_volume", np.float64)
        n_orders = vol.shape[0]
        for name, dtype in (
            ("order_splittable", np.bool_),
            ("order_max_vendors", np.int64),
            ("order_min_lot", np.float64),
        ):
            if arr(name, dtype).shape != (n_orders,):
                raise ValueError(f"{name} must have shape ({n_orders},)")
        cap = arr("capacity", np.float64)
        if cap.ndim != 2:
            raise ValueError("capacity must be a (vendors, weeks) matrix")
        n_vendors, n_weeks = cap.shape
        c_order = arr("cand_order", np.int64)
        n_cand = c_order.shape[0]
        for name, dtype in (
            ("cand_vendor", np.int64),
            ("cand_score", np.float64),
            ("cand_max_volume", np.float64),
        ):
            if arr(name, dtype).shape != (n_cand,):
                raise ValueError(f"{name} must have shape ({n_cand},)")
        load = sp.csr_matrix(self.cand_load, dtype=np.float64)
        load.sum_duplicates()
        object.__setattr__(self, "cand_load", load)
        if load.shape != (n_cand, n_weeks):
            raise ValueError(f"cand_load must have shape ({n_cand}, {n_weeks}), got {load.shape}")
        if self.week_labels and len(self.week_labels) != n_weeks:
            raise ValueError(f"week_labels must have {n_weeks} entries")
        def bad(values: np.ndarray, positive: bool = False) -> bool:
            too_small = values <= 0 if positive else values < 0
            return bool(not np.isfinite(values).all() or too_small.any())

        def out_of_range(index: np.ndarray, size: int) -> bool:
            return bool(index.size and (index.min() < 0 or index.max() >= size))

        checks = (
            (bad(vol, positive=True), "order volumes must be positive"),
            ((self.order_max_vendors < 0).any(), "max vendors must be >= 0"),
            (bad(self.order_min_lot), "min lots must be >= 0"),
            (out_of_range(c_order, n_orders), "cand_order out of range"),
            (out_of_range(self.cand_vendor, n_vendors), "cand_vendor out of range"),
            (not np.isfinite(self.cand_score).all(), "scores must be finite"),
            (bad(self.cand_max_volume), "candidate volumes must be >= 0"),
            (bad(load.data), "loads must be finite and >= 0"),
            (bad(cap), "capacities must be finite and >= 0"),
        )
        for failed, message in checks:
            if failed:
                raise ValueError(message)

    @property
    def n_orders(self) -> int:
        return int(self.order_volume.shape[0])

    @property
    def n_candidates(self) -> int:
        return int(self.cand_order.shape[0])

    @property
    def n_vendors(self) -> int:
        return int(self.capacity.shape[0])

    @property
    def n_weeks(self) -> int:
        return int(self.capacity.shape[1])


@dataclass(frozen=True)
class AllocationResult:
    """The allocation and how good it is.

    ``volume[c]``: volume given to candidate c. ``objective``: sum of score x volume.
    ``bound``: proven upper bound on the best possible objective (the LP relaxation of the
    whole problem, or the branch-and-cut bound when tighter); ``gap_pct`` = 100 x (bound -
    objective) / bound. ``status``: "optimal" (gap within 1e-4 %), "feasible" (stopped by
    the work limit with a larger gap) or "time_limit" (stopped by the wall-clock safety net).
    ``solver``: "highs-lp" (an LP was enough), "highs-relax-and-fix" or "highs-milp" (branch
    and cut on the whole problem won), with the scipy version.
    ``splittable_objective``: the part of the objective earned by splittable orders;
    ``splittable_lp_optimum``: the LP optimum of the splittable orders on the capacity the
    unsplittable ones leave (and with the vendor choices fixed where max vendors or min lot
    bite); the two are equal, which is what "the splittable part is solved to optimality"
    means.
    """

    volume: np.ndarray
    objective: float
    bound: float
    gap_pct: float
    seconds: float
    status: str
    solver: str
    splittable_objective: float
    splittable_lp_optimum: float
    lp_bound: float
    stats: dict[str, float] = field(default_factory=dict)


@dataclass
class _Model:
    """The problem in the solver's units: every column is a share (0-1) of its order's volume.

    Shares keep all columns on the same scale whatever the orders' units, which helps the
    simplex numerically, and make an unsplittable candidate a plain 0/1 column.
    """

    obj: np.ndarray  # score x order volume per unit share (maximised)
    ub: np.ndarray  # share upper bound; 0 for a candidate that can never be used
    lot: np.ndarray  # minimum positive share of splittable candidates (0: none)
    unsplit: np.ndarray  # column belongs to an unsplittable order
    order: np.ndarray  # column -> order
    vendor: np.ndarray  # column -> vendor
    a_cap: sp.csc_matrix  # capacity rows x columns, seat-days per unit share
    b_cap: np.ndarray  # free seat-days of each capacity row (one per vendor-week in use)
    a_ord: sp.csc_matrix  # orders x columns: the shares of an order sum to at most 1
    max_vendors: np.ndarray  # per order, 0 unlimited
    active: np.ndarray  # per order: splittable and max vendors or min lot can bite
    usable: np.ndarray  # columns with ub > 0

    @property
    def n_orders(self) -> int:
        return int(self.max_vendors.size)

    def columns_of(self, orders: np.ndarray) -> np.ndarray:
        """Usable columns of the given orders."""
        mask = np.zeros(self.n_orders, dtype=bool)
        mask[orders] = True
        return self.usable[mask[self.order[self.usable]]]


def _build_model(p: AllocationProblem) -> _Model:
    vol_c = p.order_volume[p.cand_order]
    split_c = p.order_splittable[p.cand_order]
    offered = np.minimum(p.cand_max_volume, vol_c)
    # An unsplittable order goes whole to one bid offering all of it; a splittable candidate
    # that cannot reach the minimum lot (within its offer and the order's volume) can never
    # be used; a bid scoring nothing adds nothing.
    whole = p.cand_max_volume >= vol_c * (1 - 1e-12)
    ub = np.where(split_c, offered / vol_c, np.where(whole, 1.0, 0.0))
    lot = np.where(split_c, p.order_min_lot[p.cand_order] / vol_c, 0.0)
    ub[split_c & (lot > ub * (1 + 1e-12))] = 0.0
    ub[p.cand_score <= 0] = 0.0
    ub[ub < _EPS] = 0.0

    load = p.cand_load.tocoo()
    n_weeks = p.n_weeks
    keep = (load.data > 0) & (ub[load.row] > 0)
    cand, week, vals = load.row[keep], load.col[keep], load.data[keep]
    used_rows, row_idx = np.unique(p.cand_vendor[cand] * n_weeks + week, return_inverse=True)
    n_cand = p.n_candidates
    a_cap = sp.csc_matrix((vals * vol_c[cand], (row_idx, cand)), shape=(used_rows.size, n_cand))
    row_vendor, row_week = np.divmod(used_rows, n_weeks)
    a_ord = sp.csc_matrix(
        (np.ones(n_cand), (p.cand_order, np.arange(n_cand))), shape=(p.n_orders, n_cand)
    )
    usable = np.flatnonzero(ub > 0)
    n_usable = np.bincount(p.cand_order[usable], minlength=p.n_orders)
    kv = p.order_max_vendors
    active = p.order_splittable & (
        ((kv > 0) & (n_usable > kv)) | ((p.order_min_lot > 0) & (n_usable > 0))
    )
    return _Model(
        obj=p.cand_score * vol_c,
        ub=ub,
        lot=lot,
        unsplit=~split_c,
        order=p.cand_order,
        vendor=p.cand_vendor,
        a_cap=a_cap,
        b_cap=p.capacity[row_vendor, row_week],
        a_ord=a_ord,
        max_vendors=kv,
        active=active,
        usable=usable,
    )


def _residual(m: _Model, share: np.ndarray, fixed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Capacity and order shares left once the ``fixed`` columns take ``share``."""
    x = np.where(fixed, share, 0.0)
    cap = np.maximum(m.b_cap - m.a_cap @ x, 0.0)
    ord_ = np.maximum(1.0 - m.a_ord @ x, 0.0)
    return cap, ord_


@dataclass
class _Rows:
    a: sp.csr_matrix
    b: np.ndarray
    cap_rows: np.ndarray  # the first cap_rows.size rows of ``a`` are these capacity rows


def _rows(
    m: _Model,
    cols: np.ndarray,
    ub: np.ndarray,
    b_cap: np.ndarray,
    b_ord: np.ndarray,
    vendor_rows: bool = False,
) -> _Rows:
    """Capacity and order rows restricted to ``cols`` (with upper bounds ``ub``).

    A row that cannot bind, because even every column at its upper bound fits, is left
    out: an exact reduction that removes a good share of the vendor-weeks in practice.
    ``vendor_rows`` adds, for each order with a max vendors K its columns could break,
    sum(share / ub) <= K: the LP relaxation of "at most K vendors" (each used vendor's share
    is at most its ub), which tightens the bound at the cost of one row per such order.
    """
    a_cap = m.a_cap[:, cols].tocsr()
    cap_rows = np.flatnonzero((a_cap @ ub) > b_cap * (1 + 1e-12))
    a_ord = m.a_ord[:, cols].tocsr()
    per_order = np.diff(a_ord.indptr)
    ord_rows = np.flatnonzero((per_order > 1) & ((a_ord @ ub) > b_ord * (1 + 1e-12)))
    blocks = [a_cap[cap_rows], a_ord[ord_rows]]
    rhs = [b_cap[cap_rows], b_ord[ord_rows]]
    if vendor_rows:
        kv = m.max_vendors
        orders = np.flatnonzero(m.active & (kv > 0) & (per_order > kv))
        if orders.size:
            positive = np.where(ub > 0, ub, 1.0)
            sub = a_ord[orders] @ sp.diags(np.where(ub > 0, 1.0 / positive, 0.0))
            blocks.append(sub.tocsr())
            rhs.append(kv[orders].astype(np.float64))
    return _Rows(sp.vstack(blocks, format="csr"), np.concatenate(rhs), cap_rows)


@dataclass
class _LpOutcome:
    x: np.ndarray  # shares of the columns
    value: float  # objective
    cap_duals: np.ndarray  # price of a seat-day in each capacity row of the model (>= 0)


# Dual simplex is fastest up to a few tens of thousands of columns (bench_scale at 5000
# orders, 31k columns: 0.5 s against 1.6 s of CPU for interior point); beyond, interior point
# followed by crossover (which returns a vertex, like simplex) wins clearly (20000 orders,
# 125k columns: 23 s against 75 s). Both are deterministic.
_IPM_MIN_COLUMNS = 60000


def _solve_lp(
    m: _Model,
    cols: np.ndarray,
    lb: np.ndarray,
    ub: np.ndarray,
    b_cap: np.ndarray,
    b_ord: np.ndarray,
    vendor_rows: bool = False,
) -> _LpOutcome | None:
    """Exact LP optimum over ``cols`` (shares within [lb, ub]) on the given residuals.

    None when HiGHS reports anything but optimal, which can only happen when some lb > 0.
    """
    duals = np.zeros(m.b_cap.size)
    if cols.size == 0:
        return _LpOutcome(np.zeros(0), 0.0, duals)
    ub = np.minimum(ub, b_ord[m.order[cols]])
    lb = np.minimum(lb, ub)
    rows = _rows(m, cols, ub, b_cap, b_ord, vendor_rows)
    res = linprog(
        -m.obj[cols],
        A_ub=rows.a if rows.a.shape[0] else None,
        b_ub=rows.b if rows.a.shape[0] else None,
        bounds=np.column_stack([lb, ub]),
        method="highs-ipm" if cols.size >= _IPM_MIN_COLUMNS else "highs-ds",
    )
    if res.status != 0 or res.x is None:
        return None
    x = np.clip(res.x, lb, ub)
    if rows.a.shape[0]:
        duals[rows.cap_rows] = np.maximum(-res.ineqlin.marginals[: rows.cap_rows.size], 0.0)
    return _LpOutcome(x, float(m.obj[cols] @ x), duals)


@dataclass
class _MilpOutcome:
    share: np.ndarray | None  # shares of the columns, None when no solution was found
    dual_bound: float  # upper bound on this sub-problem's objective
    nodes: int
    timed_out: bool


def _solve_milp(
    m: _Model,
    cols: np.ndarray,
    obj: np.ndarray,
    b_cap: np.ndarray,
    b_ord: np.ndarray,
    decide: np.ndarray,
    time_limit: float,
    rel_gap: float = _MIP_REL_GAP,
) -> _MilpOutcome:
    """Branch and cut over ``cols`` maximising ``obj`` (one value per column).

    Unsplittable columns are binary. Each column of a splittable order marked in ``decide``
    gets a binary partner z ("this vendor is used"): share <= ub z, share >= lot z, and at
    most max vendors z per order. Other columns stay continuous.
    """
    n = cols.size
    order = m.order[cols]
    unsplit = m.unsplit[cols]
    ub_cols = np.minimum(m.ub[cols], b_ord[order])
    ub_cols[unsplit] = np.floor(ub_cols[unsplit] + _INT_EPS)  # a whole order or nothing
    linked = np.flatnonzero((~unsplit) & decide[order] & m.active[order])
    k = linked.size
    base = _rows(m, cols, ub_cols, b_cap, b_ord)
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
    started = time.perf_counter()
    limit = max(time_limit, _MIN_MILP_SECONDS)
    res = milp(
        np.concatenate([-obj, np.zeros(k)]),
        integrality=integrality,
        bounds=Bounds(np.zeros(n + k), np.concatenate([ub_cols, np.ones(k)])),
        constraints=LinearConstraint(a_all, -np.inf, b_all) if a_all.shape[0] else None,
        options={"time_limit": limit, "node_limit": _NODE_LIMIT, "mip_rel_gap": rel_gap},
    )
    timed_out = res.status == 1 and time.perf_counter() - started >= limit * 0.98
    nodes = int(getattr(res, "mip_node_count", 0) or 0)
    dual = getattr(res, "mip_dual_bound", None)
    dual_bound = -float(dual) if dual is not None and np.isfinite(dual) else math.inf
    if res.x is None:
        return _MilpOutcome(None, dual_bound, nodes, timed_out)
    x = res.x[:n].copy()
    x[unsplit] = np.round(x[unsplit])
    if k:
        x[linked[res.x[n:] < 0.5]] = 0.0
    return _MilpOutcome(np.clip(x, 0.0, ub_cols), dual_bound, nodes, timed_out)


def _greedy_unsplittable(
    m: _Model, orders: np.ndarray, hint: np.ndarray, b_cap: np.ndarray
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


def _violating(m: _Model, share: np.ndarray, orders: np.ndarray) -> np.ndarray:
    """Orders among ``orders`` whose positive shares break max vendors or min lot."""
    if orders.size == 0:
        return orders
    cols = m.columns_of(orders)
    pos = share[cols] > _EPS
    count = np.bincount(m.order[cols][pos], minlength=m.n_orders)
    short = pos & (share[cols] < m.lot[cols] * (1 - 1e-9) - _EPS)
    bad = np.zeros(m.n_orders, dtype=bool)
    bad[m.order[cols][short]] = True
    bad |= (m.max_vendors > 0) & (count > m.max_vendors)
    return orders[bad[orders]]


def _splittable_lp(
    m: _Model, share: np.ndarray, decided: np.ndarray, support: np.ndarray
) -> tuple[np.ndarray, float]:
    """Re-solve every splittable column exactly, on the capacity the unsplittable orders leave.

    Orders in ``decided`` may only use the columns marked in ``support`` (each at least its
    minimum lot); all other splittable orders are free.
    """
    cols = m.usable[~m.unsplit[m.usable]]
    b_cap, b_ord = _residual(m, share, m.unsplit)
    lb = np.zeros(cols.size)
    ub = m.ub[cols].copy()
    in_decided = decided[m.order[cols]]
    chosen = support[cols]
    ub[in_decided & ~chosen] = 0.0
    lb[in_decided & chosen] = m.lot[cols][in_decided & chosen]
    solved = _solve_lp(m, cols, lb, ub, b_cap, b_ord)
    if solved is None:
        # The lots fit only within the solver's tolerance: keep the vendor sets, drop the
        # lower bounds, then zero any allocation left below its lot (less volume never
        # breaks a constraint).
        solved = _solve_lp(m, cols, np.zeros(cols.size), ub, b_cap, b_ord)
        x = solved.x if solved is not None else np.zeros(cols.size)
        x[x < m.lot[cols] * (1 - 1e-9)] = 0.0
    else:
        x = solved.x
    out = share.copy()
    out[cols] = x
    return out, float(m.obj[cols] @ x)


def _decide(
    m: _Model,
    share: np.ndarray,
    orders: np.ndarray,
    cols: np.ndarray,
    obj: np.ndarray,
    fixed: np.ndarray,
    decided: np.ndarray,
    deadline: float,
    stats: dict[str, float],
    rel_gap: float = _MIP_REL_GAP,
) -> tuple[np.ndarray, bool, float]:
    """Branch and cut for ``orders`` over their columns ``cols``, valued at ``obj``.

    ``fixed`` columns keep ``share``; the orders' other columns get nothing. Returns the new
    shares, whether the wall-clock safety net stopped the search, and the branch-and-cut
    bound on the value of the decided columns.
    """
    cols = cols[obj[cols] > 0]  # a column worth nothing at these prices stays empty
    fixed = fixed.copy()
    fixed[m.columns_of(orders)] = False
    b_cap, b_ord = _residual(m, share, fixed)
    result = np.where(fixed, share, 0.0)
    mark = np.zeros(m.n_orders, dtype=bool)
    mark[orders] = True
    decided |= mark
    stats["decided_orders"] = stats.get("decided_orders", 0.0) + orders.size
    if cols.size == 0:
        return result, False, 0.0
    out = _solve_milp(
        m, cols, obj[cols], b_cap, b_ord, mark, deadline - time.perf_counter(), rel_gap
    )
    stats["nodes"] = stats.get("nodes", 0.0) + out.nodes
    stats["milp_columns"] = stats.get("milp_columns", 0.0) + cols.size
    if out.share is not None:
        result[cols] = out.share
    else:
        result += _greedy_unsplittable(m, orders, share, b_cap)
    return result, out.timed_out, out.dual_bound


def _to_volume(p: AllocationProblem, m: _Model, share: np.ndarray) -> np.ndarray:
    """Shares back to volumes, with solver noise removed: tiny values to 0, bounds clipped."""
    share = np.clip(share, 0.0, m.ub)
    share[share < _EPS] = 0.0
    share[m.unsplit] = np.where(share[m.unsplit] > 0.5, 1.0, 0.0)
    return share * p.order_volume[p.cand_order]


@dataclass
class _Candidate:
    """One complete solution: shares, and the vendor sets fixed for the final LP."""

    share: np.ndarray
    decided: np.ndarray
    support: np.ndarray
    split_lp: float = 0.0
    value: float = 0.0


def _relax_and_fix(
    m: _Model,
    relax: _LpOutcome,
    unsplit_orders: np.ndarray,
    constrained: np.ndarray,
    deadline: float,
    stats: dict[str, float],
) -> tuple[_Candidate, bool]:
    """Step 2 for large problems: keep what the LP got right, branch and cut on the rest."""
    share = np.zeros(m.obj.size)
    share[m.usable] = relax.x
    decided = np.zeros(m.n_orders, dtype=bool)
    support = np.zeros(m.obj.size, dtype=bool)
    cols_u = m.columns_of(unsplit_orders)
    frac = cols_u[(share[cols_u] > _INT_EPS) & (share[cols_u] < 1 - _INT_EPS)]
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
    keep_cols = keep_cols[share[keep_cols] > _EPS]
    support[keep_cols] = True
    decided[keep] = True
    broken_cols = m.columns_of(broken)
    # Unsplittable orders may try every candidate; constrained orders only the vendors the
    # LP used (more than they may keep): about as good in tests and several times faster.
    cols = np.union1d(m.columns_of(frac_orders), broken_cols[share[broken_cols] > _EPS])
    share[cols_u] = np.where(share[cols_u] > 0.5, 1.0, 0.0)
    share[keep_cols] = m.lot[keep_cols]
    fixed = m.unsplit.copy()
    fixed[keep_cols] = True
    net = m.obj - m.a_cap.T @ relax.cap_duals
    share, hit, _ = _decide(m, share, free, cols, net, fixed, decided, deadline, stats)
    free_cols = m.columns_of(free)
    support[free_cols] = share[free_cols] > _EPS
    decided[unsplit_orders] = True
    decided[constrained] = True
    return _Candidate(share, decided, support), hit


def _local_search(
    m: _Model, best: _Candidate, deadline: float, stats: dict[str, float]
) -> tuple[np.ndarray, bool]:
    """Improve the whole orders by small branch and cuts around the most promising ones.

    A seed is an unsplittable order that is unassigned, or assigned below its best-scoring
    candidate, most value to gain first. Its neighbourhood: the vendors it could go to. Free
    in the sub-problem: the unsplittable orders on those vendors or unassigned with a
    candidate there (each may move to any of its vendors), and the splittable orders'
    columns on those vendors whose vendor sets are not fixed; everything else stays as it
    is. The current allocation is feasible for the sub-problem, so a move is taken only when
    it strictly improves the total. Returns the new shares and whether the wall-clock
    safety net stopped the search.
    """
    share = best.share.copy()
    ucols = m.usable[m.unsplit[m.usable]]
    if ucols.size == 0 or LOCAL_SEARCH_ROUNDS <= 0:
        return share, False
    scols = m.usable[~m.unsplit[m.usable]]
    scols = scols[~best.decided[m.order[scols]]]
    n_orders = m.n_orders
    by_order = _group(m.order[ucols], ucols, n_orders)
    by_vendor_u = _group(m.vendor[ucols], ucols, int(m.vendor.max()) + 1)
    by_vendor_s = _group(m.vendor[scols], scols, int(m.vendor.max()) + 1)
    best_value = np.zeros(n_orders)
    np.maximum.at(best_value, m.order[ucols], m.obj[ucols])
    used_cap = m.a_cap @ share
    used_ord = m.a_ord @ share
    rounds = improved = 0
    tried: set[tuple[int, float]] = set()
    while rounds < LOCAL_SEARCH_ROUNDS:
        current = np.zeros(n_orders)
        held = ucols[share[ucols] > 0.5]
        current[m.order[held]] = m.obj[held]
        assigned = np.zeros(n_orders, dtype=bool)
        assigned[m.order[held]] = True
        orders = np.unique(m.order[ucols])
        gain = best_value[orders] - current[orders]
        keep = gain > 1e-9 * np.maximum(best_value[orders], 1.0)
        seeds = orders[keep][np.argsort(-gain[keep], kind="stable")]
        progress = False
        for seed in seeds.tolist():
            if rounds >= LOCAL_SEARCH_ROUNDS or time.perf_counter() >= deadline:
                break
            key = (seed, round(float(current[seed]), 6))
            if key in tried:
                continue
            tried.add(key)
            rounds += 1
            vendors = np.unique(m.vendor[by_order[seed]])
            near = np.concatenate([by_vendor_u[v] for v in vendors.tolist()])
            # Orders held by a vendor outside the neighbourhood stay where they are.
            movable = np.unique(m.order[near])
            outside = held[~np.isin(m.vendor[held], vendors)]
            movable = np.setdiff1d(movable, m.order[outside], assume_unique=False)
            cols = np.concatenate(
                [by_order[o] for o in movable.tolist()] + [by_vendor_s[v] for v in vendors.tolist()]
            )
            old = share[cols]
            b_cap = np.maximum(m.b_cap - used_cap + m.a_cap[:, cols] @ old, 0.0)
            b_ord = np.maximum(1.0 - used_ord + m.a_ord[:, cols] @ old, 0.0)
            out = _solve_milp(
                m, cols, m.obj[cols], b_cap, b_ord, np.zeros(n_orders, dtype=bool),
                deadline - time.perf_counter(),
            )
            stats["nodes"] = stats.get("nodes", 0.0) + out.nodes
            if out.share is None:
                continue
            before, after = float(m.obj[cols] @ old), float(m.obj[cols] @ out.share)
            if after > before + 1e-9 * max(1.0, abs(before)):
                delta = out.share - old
                used_cap += m.a_cap[:, cols] @ delta
                used_ord += m.a_ord[:, cols] @ delta
                share[cols] = out.share
                improved += 1
                progress = True
                break  # the seeds' gains changed: rank them again
        if not progress:
            break
    stats["local_search_rounds"] = float(rounds)
    stats["local_search_moves"] = float(improved)
    return share, time.perf_counter() >= deadline and rounds < LOCAL_SEARCH_ROUNDS


def _group(keys: np.ndarray, values: np.ndarray, n_keys: int) -> list[np.ndarray]:
    """values grouped by key, as a list indexed by key (empty arrays for absent keys)."""
    order = np.argsort(keys, kind="stable")
    bounds = np.searchsorted(keys[order], np.arange(n_keys + 1))
    sorted_values = values[order]
    return [sorted_values[bounds[k] : bounds[k + 1]] for k in range(n_keys)]


def solve_allocation(problem: AllocationProblem, time_limit: float = 10.0) -> AllocationResult:
    """Allocate volume to candidates to maximise the sum of score x volume.

    Hard constraints, always respected: an order gets at most its volume; a vendor's load in
    each week stays within its free seat-days; a candidate gets at most what its bid offers;
    an unsplittable order goes whole to one candidate or to none; a splittable order uses at
    most ``max_vendors`` candidates and every positive allocation is at least ``min_lot``.

    Method (deterministic for the same input):

    1. The LP relaxation of the whole problem gives the bound (HiGHS; 0/1 choices relaxed,
       "at most K vendors" relaxed to sum(share / max share) <= K, min lots dropped). With
       no unsplittable order and no max vendors or min lot that can bite, this LP is the
       answer.
    2. Otherwise 0/1 decisions are needed: which candidate takes each unsplittable order,
       and which vendors may serve each splittable order whose max vendors or min lot can
       bite ("constrained" orders). Relax-and-fix decides them: an unsplittable order the LP
       gives whole to one candidate keeps it, a constrained order whose LP solution obeys its
       rules keeps the LP's vendors, and branch and cut decides the rest on the capacity
       left, valuing each candidate at its score x volume minus the LP's price of the
       seat-days it takes (what the splittable orders lose to it).
    3. The splittable orders are re-solved as one exact LP on the capacity the unsplittable
       orders leave, constrained orders limited to the vendors chosen for them (each at
       least its minimum lot).
    4. Local search: up to ``LOCAL_SEARCH_ROUNDS`` small branch and cuts, each around an
       unsplittable order that is unassigned or below its best candidate, move whole orders
       between the vendors involved when that raises the total; then step 3 again.
    5. With at most ``EXACT_MAX_BINARIES`` 0/1 decisions, branch and cut also runs on the
       whole problem, followed by step 3; the better of the two allocations wins and its
       bound tightens the LP's.

    So "optimal" for the splittable part means LP-optimal given those 0/1 decisions, and the
    whole allocation is within ``gap_pct`` of the bound. Branch and cut stops at a node limit
    and a relative gap of 1e-4 (deterministic); ``time_limit`` seconds, counted from the end
    of the LP relaxation, is only a wall-clock safety net for it, and when it fires the status
    says "time_limit" and the result may depend on the machine's speed. LPs are always
    solved to optimality, so the run takes longer than ``time_limit`` when they are large.
    """
    t0 = time.perf_counter()
    deadline = math.inf  # set once the LP relaxation is solved
    m = _build_model(problem)
    n_orders = problem.n_orders
    n_cand = problem.n_candidates
    stats: dict[str, float] = {"candidates": float(n_cand), "usable": float(m.usable.size)}
    best = _Candidate(np.zeros(n_cand), np.zeros(n_orders, bool), np.zeros(n_cand, bool))
    hit_time = False
    solver = "highs-lp"
    mip_bound = math.inf
    lp_bound = 0.0

    if m.usable.size:
        relax = _solve_lp(
            m, m.usable, np.zeros(m.usable.size), m.ub[m.usable], m.b_cap, np.ones(n_orders),
            vendor_rows=True,
        )
        if relax is None:  # zero is feasible and the LP bounded: only numerical trouble
            raise RuntimeError("HiGHS failed to solve the LP relaxation of the allocation")
        lp_bound = relax.value
        best.share[m.usable] = relax.x
        best.value = relax.value
        stats["lp_seconds"] = time.perf_counter() - t0
        # The safety net covers branch and cut only: LPs must finish, however long they take.
        deadline = time.perf_counter() + max(0.0, float(time_limit))

        orders = np.unique(m.order[m.usable])
        unsplit_orders = orders[~problem.order_splittable[orders]]
        constrained = orders[m.active[orders]]
        n_binaries = m.columns_of(np.concatenate([unsplit_orders, constrained])).size
        stats["binaries"] = float(n_binaries)
        if n_binaries:
            solver = "highs-relax-and-fix"
            t1 = time.perf_counter()
            best, hit = _relax_and_fix(m, relax, unsplit_orders, constrained, deadline, stats)
            hit_time |= hit
            best.share, best.split_lp = _splittable_lp(m, best.share, best.decided, best.support)
            stats["relax_and_fix_value"] = float(m.obj @ best.share)
            t2 = time.perf_counter()
            best.share, hit = _local_search(m, best, deadline, stats)
            hit_time |= hit
            best.share, best.split_lp = _splittable_lp(m, best.share, best.decided, best.support)
            best.value = float(m.obj @ best.share)
            stats["relax_and_fix_seconds"] = t2 - t1
            stats["local_search_seconds"] = time.perf_counter() - t2
        if 0 < n_binaries <= EXACT_MAX_BINARIES and time.perf_counter() < deadline:
            nothing = np.zeros(problem.n_candidates, dtype=bool)
            share, hit, mip_bound = _decide(
                m, np.zeros(problem.n_candidates), orders, m.usable, m.obj, nothing,
                np.zeros(n_orders, dtype=bool), deadline, stats, _EXACT_REL_GAP,
            )
            # Nothing was fixed, so the branch-and-cut bound holds for the whole problem.
            hit_time |= hit
            decided = np.zeros(n_orders, dtype=bool)  # only 0/1 orders keep their vendor sets
            decided[unsplit_orders] = True
            decided[constrained] = True
            exact = _Candidate(share, decided, share > _EPS)
            exact.share, exact.split_lp = _splittable_lp(
                m, exact.share, exact.decided, exact.support
            )
            exact.value = float(m.obj @ exact.share)
            if exact.value > best.value * (1 + 1e-12):
                best = exact
                solver = "highs-milp"
    if solver == "highs-lp":
        split_cols = m.usable[~m.unsplit[m.usable]]
        best.split_lp = float(m.obj[split_cols] @ best.share[split_cols])

    volume = _to_volume(problem, m, best.share)
    objective = float(problem.cand_score @ volume)
    split_c = problem.order_splittable[problem.cand_order]
    split_obj = float(problem.cand_score[split_c] @ volume[split_c])
    # A tolerance-level excess of the objective is no gap; + 0.0 turns -0.0 into 0.0.
    bound = max(min(lp_bound, mip_bound), objective) + 0.0
    gap = 0.0 if bound <= 0 else 100.0 * (bound - objective) / bound
    status = "time_limit" if hit_time else "optimal" if gap <= 1e-4 else "feasible"
    stats["seconds_total"] = time.perf_counter() - t0
    return AllocationResult(
        volume=volume,
        objective=objective,
        bound=bound,
        gap_pct=gap,
        seconds=time.perf_counter() - t0,
        status=status,
        solver=f"{solver} (scipy {scipy.__version__} HiGHS)",
        splittable_objective=split_obj,
        splittable_lp_optimum=best.split_lp,
        lp_bound=lp_bound,
        stats=stats,
    )


# ---------------------------------------------------------------------------------------
# Convenience layer: from orders, vendors and bids to one outcome per bid.
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LossReason:
    """Why an eligible bid got less than it offered: a machine ``code`` and a ``message``.

    Codes: ``outscored`` (the order went to higher-scoring bids), ``vendor_capacity`` (the
    vendor's free seat-days ran out in the week named), ``max_vendors`` (the order already
    has its maximum of vendors), ``min_lot`` (what is left of the order is below its
    minimum lot), ``better_fit`` (lower-scoring bids were chosen because together they fit
    the vendors' capacity better). A partly allocated bid's message starts with "partly
    allocated: ".
    """

    code: str
    message: str


@dataclass(frozen=True)
class BidOutcome:
    """Everything a coordinator needs about one bid after a run.

    ``eligible`` with its ``refusals`` (empty when eligible); ``score`` with its breakdown
    (None when ineligible); ``volume`` allocated (0 when ineligible or losing); ``reason``
    why an eligible bid got less than it offered (None when it got all it could: its offer,
    or the whole order).
    """

    bid_id: Id
    order_id: Id
    vendor_id: Id
    eligible: bool
    refusals: tuple[Refusal, ...]
    score: ScoreBreakdown | None
    volume: float
    reason: LossReason | None


@dataclass(frozen=True)
class PreparedMatch:
    """The allocation problem built from orders, vendors and bids, before solving.

    ``candidate_of_bid[i]`` is the candidate index of bid i in ``problem`` (-1 when the bid
    is ineligible). Built by ``prepare_match``; solved by ``solve_match``.
    """

    problem: AllocationProblem
    calendar: WeekCalendar
    orders: tuple[Order, ...]
    vendors: tuple[Vendor, ...]
    bids: tuple[Bid, ...]
    refusals: tuple[tuple[Refusal, ...], ...]
    scores: tuple[ScoreBreakdown | None, ...]
    candidate_of_bid: np.ndarray
    weights: dict[str, float]
    seconds: float


@dataclass(frozen=True)
class MatchResult:
    """A whole matching run: one outcome per bid (in input order) and the run's figures.

    ``weights`` is the policy used for orders without their own; ``build_seconds`` and
    ``allocation.seconds`` split ``seconds``. The run's stored figures are
    ``objective``, ``bound``, ``gap_pct``, ``seconds``, ``status`` and ``solver``.
    """

    outcomes: tuple[BidOutcome, ...]
    objective: float
    bound: float
    gap_pct: float
    seconds: float
    status: str
    solver: str
    weights: dict[str, float]
    build_seconds: float
    allocation: AllocationResult
    week_labels: tuple[str, ...]

    def allocated(self) -> list[BidOutcome]:
        """The proposed matches: outcomes with a positive volume."""
        return [o for o in self.outcomes if o.volume > 0]


def prepare_match(
    orders: Sequence[Order],
    vendors: Sequence[Vendor],
    bids: Sequence[Bid],
    *,
    running: Iterable[RunningContract] = (),
    excluded_pairs: Collection[tuple[Id, Id]] = frozenset(),
    weights: Mapping[str, Any] | None = None,
    params: ScoreParams = DEFAULT_PARAMS,
    weekly_capacity: Mapping[Id, Mapping[str, float]] | None = None,
) -> PreparedMatch:
    """Check every bid, score the eligible ones and build the allocation problem.

    A vendor's capacity in an ISO week is its seats times the week's working days, unless
    ``weekly_capacity[vendor id][week label]`` (e.g. ``"2026-W49"``) says otherwise (a
    holiday, seats lent elsewhere); labels outside the orders' horizon are ignored.
    ``running``: contracts already running, with ``vendor`` set to the vendor id; their
    seat-days are taken off that capacity. ``excluded_pairs``: (order id, vendor id)
    pairs rejected earlier by a coordinator. ``weights``: the policy's scoring weights
    (default ``DEFAULT_WEIGHTS``); an order's own weights win. Raises ValueError for
    inconsistent input (duplicate ids, a bid for an unknown order or vendor, two bids of one
    vendor for one order, invalid weights).
    """
    t0 = time.perf_counter()
    orders, vendors, bids = tuple(orders), tuple(vendors), tuple(bids)
    policy = validate_weights(DEFAULT_WEIGHTS if weights is None else weights)
    order_ix = _index(orders, "order")
    vendor_ix = _index(vendors, "vendor")
    seen: set[tuple[Id, Id]] = set()
    for bid in bids:
        if bid.order_id not in order_ix:
            raise ValueError(f"bid {bid.id!r} is for unknown order {bid.order_id!r}")
        if bid.vendor_id not in vendor_ix:
            raise ValueError(f"bid {bid.id!r} is from unknown vendor {bid.vendor_id!r}")
        pair = (bid.order_id, bid.vendor_id)
        if pair in seen:
            raise ValueError(f"vendor {bid.vendor_id!r} has two bids for order {bid.order_id!r}")
        seen.add(pair)

    if orders:
        calendar = WeekCalendar.covering(
            min(o.start for o in orders), max(max(o.deadline, o.start) for o in orders)
        )
    else:
        calendar = WeekCalendar.covering(date.today(), date.today())
    capacity = vendor_week_capacity([v.seats for v in vendors], calendar)
    if weekly_capacity:
        week_ix = {label: w for w, label in enumerate(calendar.labels)}
        for vendor_id, weeks in weekly_capacity.items():
            if vendor_id not in vendor_ix:
                raise ValueError(f"weekly capacity for unknown vendor {vendor_id!r}")
            for label, seat_days in weeks.items():
                if not (math.isfinite(seat_days) and seat_days >= 0):
                    raise ValueError(
                        f"weekly capacity of vendor {vendor_id!r} in {label} must be >= 0"
                    )
                if label in week_ix:
                    capacity[vendor_ix[vendor_id], week_ix[label]] = float(seat_days)
    free = subtract_running(capacity, running, calendar, vendor_index=vendor_ix)

    spreads: dict[int, WeekSpread | None] = {}
    day_share: dict[int, np.ndarray] = {}
    order_weights: dict[int, dict[str, float]] = {}
    working_days = calendar.working_days
    for i, order in enumerate(orders):
        try:
            spread = calendar.spread(order.start, order.deadline)
        except ValueError:
            spread = None  # refused by eligibility (no working day)
        spreads[i] = spread
        if spread is not None:
            # Share of each week's capacity that lies inside the window (free_in_window).
            day_share[i] = spread.days / working_days[spread.weeks]
        if order.weights is not None:
            try:
                order_weights[i] = validate_weights(order.weights)
            except ValueError as exc:
                raise ValueError(f"order {order.id!r}: {exc}") from None

    refusals: list[tuple[Refusal, ...]] = []
    scores: list[ScoreBreakdown | None] = []
    cand_of_bid = np.full(len(bids), -1, dtype=np.int64)
    c_order: list[int] = []
    c_vendor: list[int] = []
    c_score: list[float] = []
    c_volume: list[float] = []
    c_throughput: list[float] = []
    excluded = frozenset(excluded_pairs)
    for b, bid in enumerate(bids):
        oi, vi = order_ix[bid.order_id], vendor_ix[bid.vendor_id]
        order, vendor = orders[oi], vendors[vi]
        refused = check_eligibility(order, vendor, bid, excluded)
        refusals.append(refused)
        spread = spreads[oi]
        if refused or spread is None:
            scores.append(None)
            continue
        capability = vendor.capabilities[(order.modality, order.annotation_type)]
        throughput = float(capability.throughput_per_seat_day)
        offered = min(float(bid.volume), float(order.volume))
        reference = (
            order.reference_unit_price
            if order.reference_unit_price is not None
            else float(order.budget_ceiling) / float(order.volume)
        )
        breakdown = score_bid(
            quality_probability=capability.proficiency if bid.quality is None else bid.quality,
            unit_price=bid.unit_price,
            reference_unit_price=reference,
            seat_days_needed=offered / throughput,
            free_seat_days=float(free[vi, spread.weeks] @ day_share[oi]),
            local=vendor.local,
            recent_award_share=vendor.recent_award_share,
            weights=order_weights.get(oi, policy),
            params=params,
        )
        scores.append(breakdown)
        cand_of_bid[b] = len(c_order)
        c_order.append(oi)
        c_vendor.append(vi)
        c_score.append(breakdown.total)
        c_volume.append(float(bid.volume))
        c_throughput.append(throughput)

    load = _week_loads(c_order, c_throughput, spreads, calendar.n_weeks)
    problem = AllocationProblem(
        order_volume=np.array([float(o.volume) for o in orders], dtype=np.float64),
        order_splittable=np.array([o.splittable for o in orders], dtype=bool),
        order_max_vendors=np.array([o.max_vendors or 0 for o in orders], dtype=np.int64),
        order_min_lot=np.array([float(o.min_lot or 0) for o in orders], dtype=np.float64),
        cand_order=np.array(c_order, dtype=np.int64),
        cand_vendor=np.array(c_vendor, dtype=np.int64),
        cand_score=np.array(c_score, dtype=np.float64),
        cand_max_volume=np.array(c_volume, dtype=np.float64),
        cand_load=load,
        capacity=free.reshape(len(vendors), calendar.n_weeks),
        week_labels=calendar.labels,
    )
    return PreparedMatch(
        problem=problem,
        calendar=calendar,
        orders=orders,
        vendors=vendors,
        bids=bids,
        refusals=tuple(refusals),
        scores=tuple(scores),
        candidate_of_bid=cand_of_bid,
        weights=policy,
        seconds=time.perf_counter() - t0,
    )


def solve_match(prepared: PreparedMatch, time_limit: float = 10.0) -> MatchResult:
    """Solve a prepared match and explain the outcome of every bid."""
    result = solve_allocation(prepared.problem, time_limit=time_limit)
    reasons = _explain(prepared.problem, result.volume)
    outcomes = []
    for b, bid in enumerate(prepared.bids):
        c = int(prepared.candidate_of_bid[b])
        outcomes.append(
            BidOutcome(
                bid_id=bid.id,
                order_id=bid.order_id,
                vendor_id=bid.vendor_id,
                eligible=c >= 0,
                refusals=prepared.refusals[b],
                score=prepared.scores[b],
                volume=float(result.volume[c]) if c >= 0 else 0.0,
                reason=reasons.get(c) if c >= 0 else None,
            )
        )
    return MatchResult(
        outcomes=tuple(outcomes),
        objective=result.objective,
        bound=result.bound,
        gap_pct=result.gap_pct,
        seconds=prepared.seconds + result.seconds,
        status=result.status,
        solver=result.solver,
        weights=dict(prepared.weights),
        build_seconds=prepared.seconds,
        allocation=result,
        week_labels=prepared.calendar.labels,
    )


def match(
    orders: Sequence[Order],
    vendors: Sequence[Vendor],
    bids: Sequence[Bid],
    *,
    running: Iterable[RunningContract] = (),
    excluded_pairs: Collection[tuple[Id, Id]] = frozenset(),
    weights: Mapping[str, Any] | None = None,
    params: ScoreParams = DEFAULT_PARAMS,
    weekly_capacity: Mapping[Id, Mapping[str, float]] | None = None,
    time_limit: float = 10.0,
) -> MatchResult:
    """One matching run over all orders at once: eligibility, scores, allocation, reasons.

    See ``prepare_match`` for the arguments and ``solve_allocation`` for the method.
    """
    prepared = prepare_match(
        orders, vendors, bids,
        running=running, excluded_pairs=excluded_pairs, weights=weights, params=params,
        weekly_capacity=weekly_capacity,
    )
    return solve_match(prepared, time_limit=time_limit)


def _week_loads(
    c_order: list[int],
    c_throughput: list[float],
    spreads: Mapping[int, WeekSpread | None],
    n_weeks: int,
) -> sp.csr_matrix:
    """The (candidates x weeks) matrix of seat-days per unit of volume (see load_per_unit)."""
    n_cand = len(c_order)
    if n_cand == 0:
        return sp.csr_matrix((0, n_weeks))
    orders = np.asarray(c_order, dtype=np.int64)
    distinct = np.unique(orders)
    # Per order: its weeks and fractions, laid out once and gathered per candidate.
    lengths = np.zeros(int(orders.max()) + 1, dtype=np.int64)
    starts = np.zeros_like(lengths)
    weeks_flat, frac_flat, pos = [], [], 0
    for o in distinct.tolist():
        spread = spreads[o]
        assert spread is not None  # candidates only exist for orders with working days
        lengths[o] = spread.weeks.size
        starts[o] = pos
        pos += spread.weeks.size
        weeks_flat.append(spread.weeks)
        frac_flat.append(spread.fraction)
    weeks_all = np.concatenate(weeks_flat)
    frac_all = np.concatenate(frac_flat)
    per_cand = lengths[orders]
    indptr = np.concatenate([[0], np.cumsum(per_cand)])
    within = np.arange(indptr[-1]) - np.repeat(indptr[:-1], per_cand)
    offsets = within + np.repeat(starts[orders], per_cand)
    data = frac_all[offsets] / np.repeat(np.asarray(c_throughput, dtype=np.float64), per_cand)
    return sp.csr_matrix((data, weeks_all[offsets], indptr), shape=(n_cand, n_weeks))


def _index(items: Sequence[Order] | Sequence[Vendor], what: str) -> dict[Id, int]:
    index: dict[Id, int] = {}
    for i, item in enumerate(items):
        if item.id in index:
            raise ValueError(f"duplicate {what} id {item.id!r}")
        index[item.id] = i
    return index


_TOL = 1e-6


def _explain(p: AllocationProblem, volume: np.ndarray) -> dict[int, LossReason]:
    """A short reason for every candidate that got less than it could have.

    "Could have" is the bid's offer capped at the order's volume. Checked in this order:
    the order is covered (by higher-scoring bids, or by others); the order already has its
    maximum of vendors; the vendor's capacity is exhausted in some week; the order's
    remaining volume is below the minimum lot; otherwise it lost to a better overall fit.
    """
    reasons: dict[int, LossReason] = {}
    if p.n_candidates == 0:
        return reasons
    vol_c = p.order_volume[p.cand_order]
    want = np.minimum(p.cand_max_volume, vol_c)
    short = np.flatnonzero(volume < want * (1 - _TOL) - _TOL)
    if short.size == 0:
        return reasons
    given = np.bincount(p.cand_order, weights=volume, minlength=p.n_orders)
    used = np.bincount(p.cand_order, weights=(volume > 0).astype(np.float64), minlength=p.n_orders)
    load = p.cand_load
    used_cap = np.zeros_like(p.capacity)
    coo = load.tocoo()
    np.add.at(used_cap, (p.cand_vendor[coo.row], coo.col), coo.data * volume[coo.row])
    residual = p.capacity - used_cap
    # The winners of each order, to tell "outscored" from "displaced".
    winners: dict[int, list[int]] = {}
    for w in np.flatnonzero(volume > 0).tolist():
        winners.setdefault(int(p.cand_order[w]), []).append(w)
    labels = p.week_labels or tuple(f"week {w}" for w in range(p.n_weeks))

    for c in short.tolist():
        o = int(p.cand_order[c])
        partly = volume[c] > 0
        remaining = p.order_volume[o] - given[o]
        # The most exhausted week this candidate would need for its next unit of work.
        lo, hi = load.indptr[c], load.indptr[c + 1]
        weeks, per_unit = load.indices[lo:hi], load.data[lo:hi]
        capacity_reason = None
        if weeks.size:
            res = np.maximum(residual[p.cand_vendor[c], weeks], 0.0)
            more = p.order_volume[o] if not p.order_splittable[o] else want[c] - volume[c]
            need = per_unit * max(more, 0.0)
            lacking = res < need * (1 - _TOL) - _TOL
            if lacking.any():
                ratio = np.where(lacking, res / np.maximum(need, 1e-300), np.inf)
                # The most lacking week; the earliest one among equals (ties are common).
                k = int(np.flatnonzero(ratio <= ratio.min() * (1 + 1e-9) + 1e-12)[0])
                week = labels[int(weeks[k])]
                if res[k] <= _TOL * max(1.0, float(p.capacity[p.cand_vendor[c], weeks[k]])):
                    text = f"vendor capacity exhausted in week {week}"
                else:
                    text = (
                        f"not enough vendor capacity in week {week} "
                        f"({res[k]:.3g} of {need[k]:.3g} seat-days free)"
                    )
                capacity_reason = LossReason("vendor_capacity", text)
        if remaining <= p.order_volume[o] * _TOL:
            others = [w for w in winners.get(o, []) if w != c]
            if all(p.cand_score[w] >= p.cand_score[c] for w in others):
                if partly:
                    message = "the rest of the order went to higher-scoring bids"
                elif not p.order_splittable[o]:
                    message = "outscored: order awarded whole to a higher-scoring bid"
                else:
                    message = "outscored: order covered by higher-scoring bids"
                reason = LossReason("outscored", message)
            elif capacity_reason is not None:
                reason = capacity_reason
            else:
                reason = LossReason(
                    "better_fit",
                    "order covered by lower-scoring bids that fit the vendors' capacity "
                    "better overall",
                )
        elif (
            p.order_splittable[o]
            and p.order_max_vendors[o] > 0
            and not partly
            and used[o] >= p.order_max_vendors[o]
        ):
            k = int(p.order_max_vendors[o])
            reason = LossReason(
                "max_vendors", f"order already has its maximum of {k} vendor{'s' if k > 1 else ''}"
            )
        elif capacity_reason is not None:
            reason = capacity_reason
        elif p.order_splittable[o] and not partly and remaining < p.order_min_lot[o] * (1 - _TOL):
            reason = LossReason(
                "min_lot",
                f"remaining volume {remaining:g} is below the minimum lot {p.order_min_lot[o]:g}",
            )
        else:
            reason = LossReason(
                "better_fit",
                "not selected: other bids give a higher total score within the vendors' capacity",
            )
        if partly:
            reason = LossReason(reason.code, "partly allocated: " + reason.message)
        reasons[c] = reason
    return reasons
