"""Generalised assignment problem (GAP) solver: every job to one agent, within agent capacities."""

# Solver choice. Four parts are combined, each for what it does best:
#   * HiGHS through scipy (linprog): the LP relaxation (bound, duals, reduced costs). It is
#     bundled with scipy and deterministic. scipy.optimize.milp (also HiGHS) is the exact fallback
#     when costs or weights are not integral.
#   * A Lagrangian relaxation of the assignment constraints (one 0-1 knapsack per agent by
#     dynamic programming, subgradient ascent): a bound much tighter than the LP on type C/D and
#     per-pair penalties for fixing (typically 1-2 pairs per job survive on A-C).
#   * Our own penalised local search over multi-exchange (ejection chain / cyclic exchange) moves,
#     iterated with random kicks: general MILP engines stall 0.8-1.7 % above the best known
#     values on type D, and shift/swap moves alone got stuck 1-2 % away in our tests (also as a
#     compiled tabu search); chains and cycles through several agents are what tight capacities
#     need. The inner loops are compiled with numba (kernels.py) and release the GIL.
#   * CP-SAT (ortools) on the fixed, reduced problem with the objective capped below the incumbent:
#     it proves optimality or finds the last improvement, which on the hardest B/C instances is a
#     compound change of 15-20 jobs over 8-14 agents that no local move reaches; two runs with
#     different seeds go side by side, as their times vary a lot. With one worker
#     and max_deterministic_time it is reproducible, which HiGHS' clock-based limit is not, and on
#     these reduced problems it proved faster than HiGHS. ortools and scipy.optimize.milp import
#     fine in one process (highspy is not used).
# The two cores are used by running two of these at once in threads (numba and CP-SAT release
# the GIL): two differently seeded CP-SAT runs when fixing leaves a provable problem, two
# differently seeded searches otherwise.
#
# Determinism: every phase is limited by work counts (iterations, CP-SAT deterministic time,
# branch-and-bound nodes), never by the clock; the random kicks come from generators seeded from
# `seed`; the parallel phases exchange nothing while they run (except that a proof by the first
# CP-SAT run stops the second, whose result is then ignored) and their results are merged in a
# fixed order. The wall-clock time limit is only a safety net; it can change the answer only on
# a machine so loaded that the work budget, sized for well under the limit, overruns it.

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

import numpy as np

from market.matching.gap import kernels
from market.matching.gap.bounds import dp_cells, lagrangian, lp_relaxation
from market.matching.gap.budgets import (
    BEAM,
    FIRST_SHARE,
    ILS_BEAM,
    IMPROVE_SHARE,
    MAX_DP_CELLS,
    MAX_SEARCH_JOBS,
    SEARCH_SHARE,
)
from market.matching.gap.exact import exact_rounds, exact_size, kept_pairs, prove
from market.matching.gap.orlib import GapInstance
from market.matching.gap.search import focus, iterations, kick_size, round_lp, search, two_searches
from market.matching.gap.state import State
from market.matching.solver.status import Status

__all__ = ["GapResult", "solve_gap", "warm_up"]

SOLVER_NAME = "lp+lagrangian+ejection-chain-ils+cp-sat"
_INF = np.inf


@dataclass(frozen=True)
class GapResult:
    """Outcome of solve_gap, with objective and bound in the instance's own sense."""

    assignment: (
        np.ndarray
    )  # (n,) agent index per job; -1 only when no feasible solution exists/was found
    objective: float  # profit (max) or cost (min); nan without a feasible solution
    bound: float  # proven bound: upper for max, lower for min
    gap_pct: float  # 100*|bound-objective|/max(1,|objective|); 0.0 when proven optimal
    seconds: float
    status: Status  # OPTIMAL, FEASIBLE, INFEASIBLE or UNKNOWN
    solver: str
    # True when the wall-clock safety net stopped a phase before its work budget: only then
    # can two runs with the same input, time limit and work budget differ.
    clock_bound: bool = False


def warm_up() -> None:
    """Compile (or load from the cache) the numba kernels, so that no timed solve pays for it."""
    cost = np.array([[1.0, 2.0], [2.0, 1.0]])
    weight = np.ones((2, 2))
    capacity = np.ones(2)
    start = np.zeros(2, dtype=np.int64)
    go = np.zeros(1, dtype=np.uint8)
    kernels.local_search(cost, weight, capacity, start, 5, 5, 2, 2, 1.0, 0.1, 0.1, -_INF, go)
    kernels.iterated_local_search(
        cost, weight, capacity, start, 5, 5, 2, 2, 1.0, 0.1, 0.1, 1, 0, -_INF, go
    )
    kernels.knapsacks(cost, np.ones((2, 2), dtype=np.int64), np.ones(2, dtype=np.int64))
    kernels.lagrangian_penalties(cost, np.ones((2, 2), dtype=np.int64), np.ones(2, dtype=np.int64))


def solve_gap(
    inst: GapInstance, time_limit: float = 10.0, seed: int = 0, work: float | None = None
) -> GapResult:
    """Solve a classic GAP instance (every job assigned exactly once).

    Returns the best assignment found, a proven bound and the status. ``work`` (default: the
    time limit) sizes the phases' work budgets in seconds of the reference machine;
    ``time_limit`` is the wall-clock safety net. The answer is deterministic for the same
    instance, work and seed unless the safety net binds first (``clock_bound`` says so):
    a smaller ``work`` than ``time_limit`` leaves room for a busy machine.
    """
    start = time.perf_counter()
    deadline = start + max(0.0, time_limit)
    value = np.asarray(inst.value, dtype=np.float64)
    weight = np.asarray(inst.weight, dtype=np.float64)
    capacity = np.asarray(inst.capacity, dtype=np.float64).reshape(-1)
    if inst.sense not in ("max", "min"):
        raise ValueError(f"{inst.name}: sense must be 'max' or 'min', got {inst.sense!r}")
    if value.ndim != 2 or value.shape != weight.shape or capacity.shape != (value.shape[0],):
        raise ValueError(
            f"{inst.name}: value {value.shape}, weight {weight.shape} and capacity "
            f"{capacity.shape} do not describe m agents by n jobs"
        )
    if not (np.isfinite(value).all() and np.isfinite(weight).all() and np.isfinite(capacity).all()):
        raise ValueError(f"{inst.name}: values, weights and capacities must be finite")
    if (weight < 0).any():
        raise ValueError(f"{inst.name}: weights must not be negative")
    if not math.isfinite(time_limit) or time_limit < 0:
        raise ValueError(f"time_limit must be a finite number of seconds, got {time_limit!r}")
    if work is not None and (not math.isfinite(work) or work < 0):
        raise ValueError(f"work must be a finite number of seconds, got {work!r}")
    # Everything below minimises; profits are negated.
    sign = 1.0 if inst.sense == "min" else -1.0
    state = State(sign * value, weight, capacity, time_limit, deadline, seed, work)
    # The safety net inside the compiled searches: a timer raises their halt flag at the
    # deadline (they run without the GIL and test it every iteration).
    timer = threading.Timer(max(0.0, deadline - time.perf_counter()), state.halt.fill, (1,))
    timer.daemon = True
    timer.start()
    try:
        assignment, cost, lower, status = _run(state)
    finally:
        timer.cancel()
    if state.halt[0]:
        state.clock_bound = True  # the searches may have stopped early: machine-dependent

    if assignment is None:
        objective = math.nan
        no_bound = math.inf if inst.sense == "min" else -math.inf
        bound = (
            sign * lower if math.isfinite(lower) and status is not Status.INFEASIBLE else no_bound
        )
        gap_pct = math.nan
        assignment = np.full(value.shape[1], -1, dtype=np.int64)
    else:
        objective = sign * cost + 0.0  # + 0.0: no "-0.0" for a zero profit
        bound = sign * lower + 0.0
        gap_pct = (
            0.0
            if status is Status.OPTIMAL
            else 100.0 * abs(bound - objective) / max(1.0, abs(objective))
        )
    return GapResult(
        assignment=assignment,
        objective=float(objective),
        bound=float(bound),
        gap_pct=float(gap_pct),
        seconds=time.perf_counter() - start,
        status=status,
        solver=SOLVER_NAME,
        clock_bound=state.clock_bound,
    )


def _run(s: State) -> tuple[np.ndarray | None, float, float, Status]:
    """The phases in order: LP bound, searches, Lagrangian bound, then proof or more search."""
    if s.n == 0:
        return np.zeros(0, dtype=np.int64), 0.0, 0.0, Status.OPTIMAL
    if s.m == 0 or not s.allowed.any(axis=0).all():
        # Some job fits no agent at all.
        return None, math.nan, _INF, Status.INFEASIBLE

    lp = lp_relaxation(s)
    if lp is None:
        return None, math.nan, _INF, Status.INFEASIBLE
    lp_value, lp_x, u_lp, rc_lp = lp
    s.raise_lower(lp_value)

    searchable = s.n <= MAX_SEARCH_JOBS
    start = round_lp(s, lp_x)
    if not searchable:
        s.offer(start)  # often feasible, and optimal when the LP solution is integral
    if searchable:
        # A first descent from the rounded LP solution; small instances converge long before
        # the budget (the 60n cap keeps them quick). Then, unless the LP bound already proves
        # it, two iterated searches improve it: the better the incumbent, the more fixing removes.
        budget = min(iterations(s, FIRST_SHARE, s.n, BEAM), 60 * s.n)
        s.offer(search(s, s.allowed, start, budget, BEAM, kick=0, seed=0))
        if not s.proven():
            two_searches(s, s.allowed, IMPROVE_SHARE, BEAM, start)

    penalty: np.ndarray | None = None
    lag_value = -_INF
    if not s.proven() and s.integral_weight and dp_cells(s) <= MAX_DP_CELLS:
        lag = lagrangian(s, u_lp)
        if lag is not None and not s.proven():
            u, lag_value = lag
            penalty = kernels.lagrangian_penalties(
                u[None, :] - np.where(s.allowed, s.cost, _INF),
                np.round(s.weight).astype(np.int64),
                np.floor(s.capacity + 1e-9).astype(np.int64),
            )
    fixing = (lp_value, rc_lp, lag_value, penalty)

    if s.proven():
        pass
    elif s.best_a is None:
        # Tight capacities and a short first budget (large instances): keep searching from
        # the rounded LP solution before handing over to the exact phase, which also proves
        # infeasibility.
        if searchable:
            two_searches(s, s.allowed, SEARCH_SHARE, ILS_BEAM, start)
        if s.best_a is None:
            exact_rounds(s, fixing)
    else:
        keep = kept_pairs(s, fixing)
        if s.proven():
            pass  # fixing alone emptied some job's candidates: the incumbent is optimal
        elif keep is not None and keep.sum() <= exact_size(s):
            # Few pairs can still beat the incumbent: two CP-SAT runs on them side by side
            # (a search, then HiGHS, when the data are fractional), then more rounds if that
            # improved.
            if s.integral_cost and s.integral_weight:
                prove(s, keep)
            elif searchable:
                mask = keep.copy()
                mask[s.best_a, np.arange(s.n)] = True
                budget = iterations(s, SEARCH_SHARE, s.n, ILS_BEAM)
                found = search(s, mask, s.best_a, budget, ILS_BEAM, kick_size(s), s.seed)
                s.offer(found)
            exact_rounds(s, fixing)
        elif searchable:
            # Not provable in the budget (typically tight type-D instances): two iterated
            # searches side by side, focused on the pairs the Lagrangian bound favours.
            two_searches(s, focus(s, fixing), SEARCH_SHARE, ILS_BEAM)
            keep = kept_pairs(s, fixing)
            if not s.proven() and keep is not None and keep.sum() <= exact_size(s):
                exact_rounds(s, fixing)

    if s.best_a is None:
        return None, math.nan, s.lower, Status.INFEASIBLE if s.infeasible else Status.UNKNOWN
    status = Status.OPTIMAL if s.proven() else Status.FEASIBLE
    lower = min(s.lower, s.best_cost)
    return s.best_a, s.best_cost, lower, status
