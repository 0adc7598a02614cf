"""Not-splittable orders on the product path: the GAP machinery, with a capacity row per vendor-week.

After relax-and-fix and the splittable LP, the whole (not-splittable) orders are re-decided as
one assignment problem on the seat-days the splittable orders leave: each order to at most one
of its candidates, every vendor-week row within its residual seat-days, maximising the score x
volume of the whole orders. The splittable allocation stays feasible whatever this phase does,
so its result, followed by the splittable LP again, is never worse than what it started from
(the caller keeps the better of the two).

Two engines, chosen by the shape of the sub-problem:

* GAP-shaped (every candidate's load falls in one vendor-week row, at most one candidate per
  order and row): the rows are the agents and the orders the jobs of a generalised assignment
  problem, solved by ``market.matching.gap.solver.solve_gap`` (LP relaxation, Lagrangian bound,
  ejection-chain iterated search, CP-SAT on the reduced problem). Leaving an order out is a
  dummy agent with no capacity and no weight, unless every order is worth more than all the
  differences between candidates together (then leaving an order out never pays and the
  classic GAP is posed as it is, which is what the OR-Library benchmark's encoding gives).
  Scores given with a few decimals become exact integers after scaling by a power of ten,
  which lets the Lagrangian bound and CP-SAT run.
* Several rows per candidate (orders spread over weeks): the LP relaxation of the sub-problem
  fixes the candidates whose reduced cost shows they cannot be in a better assignment, and
  CP-SAT, starting from the current assignment as a hint, searches the rest with its
  large-neighbourhood subsolvers interleaved on one thread (deterministic), seat-days scaled
  to integers with loads rounded up and capacities down (so its answers fit exactly).

Both are limited by work (iterations, CP-SAT deterministic time) sized from the time limit,
never by the clock; the clock is only the safety net, and whether it bound is reported.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from ortools.sat.python import cp_model

from market.matching.solver.highs import solve_lp as highs_lp
from market.matching.solver.model import Model
from market.matching.solver.status import Status

__all__ = ["CPSAT_WORK_SHARE", "GAP_WORK_SHARE", "gap_shaped", "improve_whole_orders"]

# The phase's work budget, in seconds of the reference machine, as a share of the time limit.
# The GAP engine runs two threads; with another process keeping one core busy its phases take
# up to twice as long, and the clock (a halt flag inside its compiled searches) then stops it
# at the limit with the best found so far. On a quiet machine it uses most of the limit, as
# the GAP solver does on its own (at 0.9 and 1.0 of the limit gapd came out the same).
# CP-SAT runs one thread; on the multi-week problems its gains are small (the gap there is
# mostly the LP bound's), so it gets a small share.
GAP_WORK_SHARE = 0.9
CPSAT_WORK_SHARE = 0.1
CPSAT_DET_PER_SECOND = 0.5  # CP-SAT deterministic time per reference second (measured, busy)
CPSAT_WORKERS = 3  # interleaved subsolvers (core search and neighbourhoods), one thread
SEAT_SCALE = 1_000_000  # CP-SAT seat-days in millionths (loads up, capacities down)
VALUE_SCALE = 1e7  # CP-SAT objective: the largest candidate value becomes about this
MAX_CPSAT_COLUMNS = 400_000  # more candidates left after fixing: the phase is skipped
# CP-SAT runs only when the sub-problem's LP bound leaves more than this share of the current
# assignment's value to gain (bench_scale, 5000 orders: 0.05 % left, CP-SAT found 0.004 % in
# 2 s, so it is skipped there).
CPSAT_MIN_GAIN = 1e-3
# The GAP solver works on dense agents x jobs matrices (several copies): beyond this many cells
# a GAP-shaped problem goes to CP-SAT, which is sparse, to keep memory well under 2 GB.
MAX_GAP_CELLS = 5_000_000
_TOL = 1e-9


@dataclass
class _Sub:
    """The whole-order sub-problem over the columns ``cols`` of the model."""

    cols: np.ndarray  # model columns
    job: np.ndarray  # column -> job (compact order index)
    n_jobs: int
    value: np.ndarray  # score x volume per column
    a: sp.csc_matrix  # compact rows x columns: seat-days
    b: np.ndarray  # residual seat-days per compact row: what the splittable orders leave
    b_hard: np.ndarray  # all free seat-days of the row (the splittable LP is solved again after)
    start: np.ndarray  # columns currently assigned (a feasible assignment)
    whole: bool  # no splittable column: this is the whole problem (for the bound)


def gap_shaped(m: Model) -> bool:
    """Whether the whole problem is a GAP for the GAP solver: only whole orders, each candidate
    in one row, small enough for its dense matrices."""
    cols = m.usable
    if cols.size == 0 or not m.unsplit[cols].all():
        return False
    rows = np.unique(m.a_cap[:, cols].tocsc().indices).size
    if rows * np.unique(m.order[cols]).size > MAX_GAP_CELLS:
        return False
    return _single_rows(m.a_cap[:, cols].tocsc(), m.order[cols])


def _single_rows(a: sp.csc_matrix, job: np.ndarray) -> bool:
    """Every column loads exactly one row, and no job has two columns on one row."""
    if not bool((np.diff(a.indptr) == 1).all()):
        return False
    pairs = job.astype(np.int64) * a.shape[0] + a.indices[a.indptr[:-1]]
    return bool(np.unique(pairs).size == pairs.size)


def improve_whole_orders(
    m: Model, share: np.ndarray, time_limit: float, deadline: float, stats: dict[str, float]
) -> tuple[np.ndarray, bool, float]:
    """Re-decide the whole orders on the capacity the rest of ``share`` leaves.

    Returns the new shares (only whole orders' columns change; the result is feasible and
    worth at least as much as ``share``), whether the wall-clock safety net bound, and an
    upper bound on the whole problem's objective (inf unless the phase saw the whole problem:
    no splittable order, and the GAP engine's proven bound).
    """
    sub = _sub_problem(m, share)
    if sub is None or sub.n_jobs == 0:
        return share, False, math.inf
    before = float(sub.value[sub.start].sum())
    t0 = time.perf_counter()
    bound = math.inf
    if _single_rows(sub.a, sub.job) and sub.b.size * sub.n_jobs <= MAX_GAP_CELLS:
        chosen, clock, bound = _solve_as_gap(sub, GAP_WORK_SHARE * time_limit, deadline, stats)
        stats["whole_engine_gap"] = 1.0
        if not sub.whole:
            bound = math.inf
    else:
        chosen, clock = _solve_by_cpsat(sub, CPSAT_WORK_SHARE * time_limit, deadline, stats)
        stats["whole_engine_cpsat"] = 1.0
    stats["whole_seconds"] = time.perf_counter() - t0
    stats["whole_clock_bound"] = float(clock)
    if chosen is None or not _fits(sub, chosen):
        return share, clock, bound
    after = float(sub.value[chosen].sum())
    stats["whole_value_before"] = before
    stats["whole_value_after"] = after
    if after <= before + 1e-12 * max(1.0, abs(before)):
        return share, clock, bound
    out = share.copy()
    out[sub.cols] = np.where(chosen, 1.0, 0.0)
    return out, clock, bound


def _sub_problem(m: Model, share: np.ndarray) -> _Sub | None:
    ucols = m.usable[m.unsplit[m.usable]]
    if ucols.size == 0:
        return None
    scols = m.usable[~m.unsplit[m.usable]]
    used = m.a_cap[:, scols] @ share[scols] if scols.size else np.zeros(m.b_cap.size)
    b_all = np.maximum(m.b_cap - used, 0.0)
    a = m.a_cap[:, ucols].tocsc()
    coo = a.tocoo()
    too_big = coo.data > b_all[coo.row] * (1 + _TOL) + _TOL
    fits = np.ones(ucols.size, dtype=bool)
    fits[coo.col[too_big]] = False
    start = share[ucols] > 0.5
    fits |= start  # the current assignment fits (it is feasible)
    ucols, a, start = ucols[fits], a[:, fits], start[fits]
    rows = np.unique(a.indices)
    remap = np.full(m.b_cap.size, -1, dtype=np.int64)
    remap[rows] = np.arange(rows.size)
    a = sp.csc_matrix((a.data, remap[a.indices], a.indptr), shape=(rows.size, ucols.size))
    orders, job = np.unique(m.order[ucols], return_inverse=True)
    return _Sub(
        ucols, job, orders.size, m.obj[ucols], a, b_all[rows], m.b_cap[rows], start,
        whole=scols.size == 0,
    )


def _fits(sub: _Sub, chosen: np.ndarray) -> bool:
    """One column per job at most, every row within its free seat-days.

    The residual ``b`` is what the engines aim at; the hard limit is the row's whole capacity,
    as the splittable LP is solved again on what the whole orders leave.
    """
    if np.bincount(sub.job[chosen], minlength=sub.n_jobs).max(initial=0) > 1:
        return False
    load = sub.a @ chosen.astype(np.float64)
    return bool((load <= sub.b_hard * (1 + _TOL) + _TOL).all())


def _integral(values: np.ndarray) -> bool:
    return bool(np.all(np.abs(values - np.round(values)) <= _TOL * np.maximum(1.0, np.abs(values))))


def _decimal_scale(values: np.ndarray) -> float:
    """The smallest power of ten (up to 10^6) that makes every value an integer, else 1."""
    for k in range(7):
        if _integral(values * 10.0**k):
            return 10.0**k
    return 1.0


def _solve_as_gap(
    sub: _Sub, work: float, deadline: float, stats: dict[str, float]
) -> tuple[np.ndarray | None, bool, float]:
    """The GAP solver on the sub-problem: assignment, clock bound, bound on its value."""
    # Imported here: the GAP solver brings numba and its compiled kernels.
    from market.matching.gap.orlib import GapInstance
    from market.matching.gap.solver import solve_gap

    n_rows, n = sub.b.size, sub.n_jobs
    agent = sub.a.indices[sub.a.indptr[:-1]]  # the one row of each column
    load = sub.a.data[sub.a.indptr[:-1]]
    scale = _decimal_scale(sub.value)
    value = sub.value * scale
    integral = scale > 1.0 or _integral(value)
    if integral:
        value = np.round(value)
    high, low = float(value.max()), float(value.min())
    weights_integral = _integral(load)
    cap = np.floor(sub.b + 1e-9) if weights_integral else sub.b.copy()
    # The GAP's bound holds for the sub-problem when the rounding changed nothing but noise.
    exact_data = integral or scale == 1.0
    exact_data &= not weights_integral or _integral(sub.b)
    w_col = np.round(load) if weights_integral else load
    # Pairs without a candidate weigh more than the row holds: the GAP solver never uses them.
    weight = np.repeat((cap + 1.0)[:, None], n, axis=1)
    cost = np.full((n_rows, n), high)
    weight[agent, sub.job] = w_col
    cost[agent, sub.job] = high - value  # maximising value = minimising high - value
    every_job_fits = bool((weight <= cap[:, None] + 1e-9).any(axis=0).all())
    dominant = every_job_fits and low > n * (high - low)
    stats["whole_gap_scale"] = scale
    attempts = [False, True] if dominant else [True]
    clock = False
    for with_dummy in attempts:
        w, c, k = weight, cost, cap
        if with_dummy:  # the dummy agent takes any order at no capacity: "left out"
            w = np.vstack([weight, np.zeros((1, n))])
            c = np.vstack([cost, np.full((1, n), high)])
            k = np.concatenate([cap, [0.0]])
        left = deadline - time.perf_counter()
        if left <= 0:
            return None, True, math.inf
        res = solve_gap(GapInstance("whole-orders", "min", c, w, k), time_limit=left, work=work)
        clock |= res.clock_bound
        stats["whole_gap_status_optimal"] = float(res.status is Status.OPTIMAL)
        if res.objective == res.objective and (res.assignment >= 0).all():  # not nan
            stats["whole_gap_dummy"] = float(with_dummy)
            # Costs are high - value per job (a job left out costs high): value <= n high - lower.
            # Without the dummy this is the classic GAP's bound; with every order worth more
            # than all differences, and a full assignment found, the optimum assigns every job.
            bound = (n * high - res.bound) / scale if exact_data else math.inf
            column_of = np.full((n_rows, n), -1, dtype=np.int64)
            column_of[agent, sub.job] = np.arange(sub.cols.size)
            a = res.assignment
            real = a < n_rows
            picked = column_of[a[real], np.flatnonzero(real)]
            if (picked < 0).any():
                return None, clock, math.inf
            chosen = np.zeros(sub.cols.size, dtype=bool)
            chosen[picked] = True
            return chosen, clock, bound
    return None, clock, math.inf


def _solve_by_cpsat(
    sub: _Sub, work: float, deadline: float, stats: dict[str, float]
) -> tuple[np.ndarray | None, bool]:
    keep, lp_value = _reduced(sub, stats)
    stats["whole_cpsat_columns"] = float(keep.sum())
    incumbent = float(sub.value[sub.start].sum())
    if keep.sum() > MAX_CPSAT_COLUMNS or lp_value - incumbent <= CPSAT_MIN_GAIN * abs(incumbent):
        return None, False
    cols = np.flatnonzero(keep)
    a = sub.a[:, cols].tocsc()
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{t}") for t in range(cols.size)]
    by_job: dict[int, list[int]] = {}
    for t, j in enumerate(sub.job[cols].tolist()):
        by_job.setdefault(j, []).append(t)
    for ts in by_job.values():
        if len(ts) > 1:
            model.add_at_most_one(x[t] for t in ts)
    rows = a.tocsr()
    # Loads rounded up, capacities down: CP-SAT's answers fit. The current assignment fits the
    # residual only within HiGHS' tolerance; where its rounded load exceeds the rounded
    # residual, the row keeps that load (still within the row's whole capacity), so the hint
    # stays feasible and CP-SAT starts from it.
    cap = np.floor(sub.b * SEAT_SCALE + 1e-6).astype(np.int64)
    hard = np.floor(sub.b_hard * SEAT_SCALE + 1e-6).astype(np.int64)
    start = sub.start[cols]
    for r in range(rows.shape[0]):
        lo, hi = rows.indptr[r], rows.indptr[r + 1]
        if hi == lo:
            continue
        w = np.ceil(rows.data[lo:hi] * SEAT_SCALE - 1e-6).astype(np.int64)
        held = int(w[start[rows.indices[lo:hi]]].sum())
        if held > cap[r]:
            cap[r] = min(held, hard[r])
        if int(w.sum()) <= cap[r]:
            continue  # the row cannot overflow
        terms = zip(w.tolist(), rows.indices[lo:hi].tolist(), strict=True)
        model.add(sum(wi * x[t] for wi, t in terms) <= int(cap[r]))
    top = float(sub.value[cols].max()) if cols.size else 1.0
    coef = np.round(sub.value[cols] * (VALUE_SCALE / max(top, 1e-12))).astype(np.int64)
    model.maximize(sum(int(c) * x[t] for t, c in enumerate(coef.tolist())))
    for t, on in enumerate(sub.start[cols].tolist()):
        model.add_hint(x[t], bool(on))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = CPSAT_WORKERS
    solver.parameters.interleave_search = True
    solver.parameters.interleave_batch_size = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_deterministic_time = max(0.01, work * CPSAT_DET_PER_SECOND)
    wall = deadline - time.perf_counter()
    if wall <= 0.05:
        return None, True
    solver.parameters.max_time_in_seconds = wall
    status = solver.solve(model)
    stats["whole_cpsat_ran"] = 1.0
    clock = solver.wall_time >= wall * 0.999
    stats["whole_cpsat_deterministic"] = float(solver.deterministic_time)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, clock
    on = np.array([solver.boolean_value(v) for v in x], dtype=bool)
    chosen = np.zeros(sub.cols.size, dtype=bool)
    chosen[cols[on]] = True
    return chosen, clock


def _reduced(sub: _Sub, stats: dict[str, float]) -> tuple[np.ndarray, float]:
    """Columns that may be in an assignment better than the current one (by LP reduced cost),
    and the LP bound of the sub-problem (inf when the LP failed: then every column is kept)."""
    n_cols = sub.cols.size
    a_job = sp.csr_matrix((np.ones(n_cols), (sub.job, np.arange(n_cols))), shape=(sub.n_jobs, n_cols))
    res = highs_lp(
        -sub.value,
        a_ub=sp.vstack([sub.a.tocsr(), a_job], format="csr"),
        b_ub=np.concatenate([sub.b, np.ones(sub.n_jobs)]),
        bounds=np.column_stack([np.zeros(n_cols), np.ones(n_cols)]),
        method="highs-ds",
    )
    if res.status is not Status.OPTIMAL or res.lower_marginals is None:
        return np.ones(n_cols, dtype=bool), math.inf
    lp_value = -res.objective
    stats["whole_lp_value"] = lp_value
    rc = np.maximum(res.lower_marginals, 0.0)
    incumbent = float(sub.value[sub.start].sum())
    margin = 1e-9 * max(1.0, abs(incumbent))
    return (lp_value - rc > incumbent + margin) | sub.start | (res.x > 1e-9), lp_value
