"""Exact phase of a GAP solve: reduced-cost fixing, then CP-SAT (or HiGHS) on the pairs left."""

from __future__ import annotations

import math
import threading
from concurrent.futures import ThreadPoolExecutor, wait

import numpy as np
from ortools.sat.python import cp_model
from scipy.sparse import csr_matrix

from market.matching.gap.budgets import (
    DET_PER_SECOND,
    EXACT_NODE_LIMIT,
    EXACT_PER_JOB,
    EXACT_ROUNDS,
    EXACT_SMALL,
    PROVE_SHARE,
)
from market.matching.gap.state import Fixing, State
from market.matching.solver.highs import solve_milp
from market.matching.solver.status import Status

__all__ = ["exact_rounds", "exact_size", "kept_pairs", "prove"]

_INF = np.inf


def exact_size(s: State) -> float:
    """Kept pairs small enough to try to prove optimality on."""
    return max(EXACT_SMALL, EXACT_PER_JOB * s.n)


def kept_pairs(s: State, fixing: Fixing) -> np.ndarray | None:
    """Pairs that may appear in a solution strictly better than the incumbent (None: no incumbent).

    A pair is dropped when forcing it to 1 provably costs more than the incumbent minus one
    unit, by its LP reduced cost or by its Lagrangian knapsack penalty. If that leaves some
    job with no pair at all, the incumbent is optimal and the lower bound is raised to it.
    """
    if s.best_a is None:
        return None
    lp_value, rc_lp, lag_value, penalty = fixing
    threshold = s.improve_threshold()
    keep = s.allowed & (lp_value + rc_lp <= threshold + 1e-7)
    if penalty is not None:
        keep &= lag_value + penalty <= threshold + 1e-7
    if not keep.any(axis=0).all():
        s.lower = max(s.lower, s.best_cost)
    return keep


def exact_rounds(s: State, fixing: Fixing) -> None:
    """Prove optimality (or improve) exactly on the pairs that could still beat the incumbent.

    Each improvement tightens the fixing, so a few rounds usually end in a proof.
    """
    for _ in range(EXACT_ROUNDS):
        if s.proven():
            return
        incumbent = s.best_cost
        keep = kept_pairs(s, fixing)
        if keep is None:
            keep, threshold = s.allowed.copy(), _INF
        else:
            threshold = s.improve_threshold()
            if s.proven() or keep.sum() > exact_size(s):
                return
        if not _solve_reduced(s, keep, threshold):
            return
        if not s.best_cost < incumbent:
            return


def _solve_reduced(s: State, keep: np.ndarray, threshold: float) -> bool:
    """One exact run on the kept variables; returns False when out of time."""
    time_left = s.time_left()
    if s.clock_stops(0.05):
        return False
    if s.integral_cost and s.integral_weight:
        if s.exact_budget <= 0.01:
            return False
        _cpsat_reduced(s, keep, threshold, time_left)
    else:
        _highs_reduced(s, keep, threshold, time_left)
    return True


def _cpsat_reduced(s: State, keep: np.ndarray, threshold: float, time_left: float) -> None:
    """CP-SAT on the kept pairs, with the objective capped just below the incumbent."""
    incumbent = s.best_cost
    status, a, bound, used = _cpsat(
        s.cost, s.weight, s.capacity, keep, threshold, s.best_a, s.exact_budget, time_left
    )
    s.exact_budget -= used
    _apply_exact(s, status, a, bound, threshold, incumbent)


def _highs_reduced(s: State, keep: np.ndarray, threshold: float, time_left: float) -> None:
    """HiGHS on the kept pairs (used when costs or weights are not integral)."""
    incumbent = s.best_cost
    status, a, bound = _highs(
        s.cost, s.weight, s.capacity, keep, threshold, EXACT_NODE_LIMIT, time_left
    )
    _apply_exact(s, status, a, bound, threshold, incumbent)


def prove(s: State, keep: np.ndarray) -> None:
    """Two CP-SAT runs (different seeds) side by side on the kept pairs, capped below the incumbent.

    On the hardest B/C instances the last unit is a compound change of 15-20 jobs over 8-14
    agents; how soon a run finds it varies a lot with the search's random choices (3 to over
    10 s), so two runs with different seeds use the two cores. HiGHS was tried as the second
    engine: as good, but it cannot be stopped once the first run has a proof.
    Deterministic: the first run is never interrupted; the second is stopped only when the
    first proves, and then its result is not used.
    """
    threshold = s.improve_threshold()
    incumbent = s.best_cost
    deterministic = PROVE_SHARE * s.time_limit * DET_PER_SECOND
    wall = max(0.05, s.time_left())
    args = (s.cost, s.weight, s.capacity, keep, threshold, s.best_a, deterministic, wall)
    stop = threading.Event()
    started: list = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(_cpsat, *args, 0)
        second = pool.submit(_cpsat, *args, 1, stop, started)
        status, a, bound, _ = first.result()
        proven = status in (Status.OPTIMAL, Status.INFEASIBLE)
        if proven:
            stop.set()
            # Repeated: a stop that reaches the second run just before its solve begins is lost.
            while not second.done():
                for solver in started:
                    solver.stop_search()
                wait([second], timeout=0.05)
        other = second.result()
    _apply_exact(s, status, a, bound, threshold, incumbent)
    if not proven:
        _apply_exact(s, *other[:3], threshold, incumbent)


def _apply_exact(
    s: State, status: Status, a: np.ndarray | None, bound: float, threshold: float, incumbent: float
) -> None:
    """Fold an exact run on kept pairs (objective capped at threshold) into incumbent and bound.

    status: OPTIMAL or INFEASIBLE (the reduced problem was solved), LIMIT (stopped by a
    deterministic work limit: solution and bound usable), TIME_LIMIT (stopped by the safety
    net: nothing used, and the solve is marked as clock-bound) or UNKNOWN (nothing usable).
    """
    if status is Status.TIME_LIMIT:
        s.clock_bound = True
        return
    if status is Status.OPTIMAL and (a is None or not s.acceptable(a)):
        # The engine's tolerance (HiGHS: ~1e-6 on capacities) let through what ours does
        # not: its answer is no proof here.
        status = Status.LIMIT
    s.offer(a)
    if status in (Status.OPTIMAL, Status.INFEASIBLE):
        # Nothing in the reduced space beats what CP-SAT returned (or the incumbent it was
        # capped by), and nothing outside it can.
        if s.best_a is not None:
            s.lower = max(s.lower, min(s.best_cost, incumbent))
        else:
            s.infeasible = True
    elif status is Status.LIMIT and math.isfinite(threshold) and math.isfinite(bound):
        s.raise_lower(min(bound, threshold))


def _cpsat(
    cost: np.ndarray,
    weight: np.ndarray,
    capacity: np.ndarray,
    keep: np.ndarray,
    threshold: float,
    hint: np.ndarray | None,
    deterministic: float,
    wall: float,
    seed: int = 0,
    stop: threading.Event | None = None,
    started: list | None = None,
) -> tuple[Status, np.ndarray | None, float, float]:
    """CP-SAT on the kept pairs of an integral GAP, objective capped at `threshold`.

    One worker and a deterministic time limit keep the answer reproducible; the wall-clock limit
    is only the safety net. Pure, so it can run on a thread of its own (CP-SAT releases the GIL).
    `stop` and `started` let another thread cancel the run: the solver is appended to `started`
    before it starts, and a run whose `stop` is already set does not start.
    Returns (status, assignment or None, best objective bound, deterministic time used).
    """
    m, n = cost.shape
    if deterministic <= 0.01:
        return Status.UNKNOWN, None, -_INF, 0.0
    agent_of, job_of = np.nonzero(keep)
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{t}") for t in range(len(agent_of))]
    by_job: list[list[int]] = [[] for _ in range(n)]
    by_agent: list[list[int]] = [[] for _ in range(m)]
    for t, (i, j) in enumerate(zip(agent_of.tolist(), job_of.tolist(), strict=True)):
        by_job[j].append(t)
        by_agent[i].append(t)
    for ts in by_job:
        model.add_exactly_one(x[t] for t in ts)
    w = np.round(weight).astype(np.int64)
    c = np.round(cost).astype(np.int64)
    for i, ts in enumerate(by_agent):
        if ts:
            model.add(
                sum(int(w[i, job_of[t]]) * x[t] for t in ts) <= int(math.floor(capacity[i] + 1e-9))
            )
    objective = sum(int(c[agent_of[t], job_of[t]]) * x[t] for t in range(len(x)))
    if math.isfinite(threshold):
        model.add(objective <= int(math.floor(threshold + 1e-6)))
    model.minimize(objective)
    if hint is not None:
        for t in range(len(x)):
            model.add_hint(x[t], bool(hint[job_of[t]] == agent_of[t]))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    # The LP relaxation with cuts (level 2) and core-based optimisation paid off on the reduced
    # B/C problems (5-7 s where the defaults took 10-20 s).
    solver.parameters.linearization_level = 2
    solver.parameters.optimize_with_core = True
    solver.parameters.max_deterministic_time = deterministic
    solver.parameters.max_time_in_seconds = max(0.05, wall)
    if started is not None:
        started.append(solver)
    if stop is not None and stop.is_set():
        return Status.UNKNOWN, None, -_INF, 0.0
    status = solver.solve(model)
    a = None
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        chosen = np.array([solver.boolean_value(v) for v in x], dtype=bool)
        a = np.full(n, -1, dtype=np.int64)
        a[job_of[chosen]] = agent_of[chosen]
    kinds = {
        cp_model.OPTIMAL: Status.OPTIMAL,
        cp_model.INFEASIBLE: Status.INFEASIBLE,
        cp_model.FEASIBLE: Status.LIMIT,
    }
    kind = kinds.get(status, Status.UNKNOWN)
    if kind in (Status.LIMIT, Status.UNKNOWN) and solver.wall_time >= wall * 0.999:
        # Stopped by the clock, not by its work limit: not reproducible, so not used.
        kind, a = Status.TIME_LIMIT, None
    return kind, a, float(solver.best_objective_bound), float(solver.deterministic_time)


def _highs(
    cost: np.ndarray,
    weight: np.ndarray,
    capacity: np.ndarray,
    keep: np.ndarray,
    threshold: float,
    node_limit: int,
    wall: float,
) -> tuple[Status, np.ndarray | None, float]:
    """HiGHS branch and bound on the kept pairs, objective capped at `threshold`.

    The node limit is the work limit; HiGHS has no deterministic clock, so a run stopped by the
    wall-clock limit returns nothing (its partial result would depend on machine speed). Pure.
    Returns (status, assignment, dual bound).
    """
    m, n = cost.shape
    agent_of, job_of = np.nonzero(keep)
    kept = len(agent_of)
    cols = np.arange(kept)
    c = cost[agent_of, job_of]
    rows = [
        (csr_matrix((np.ones(kept), (job_of, cols)), shape=(n, kept)), 1, 1),
        (
            csr_matrix((weight[agent_of, job_of], (agent_of, cols)), shape=(m, kept)),
            -np.inf,
            capacity,
        ),
    ]
    if math.isfinite(threshold):
        rows.append((c[None, :], -np.inf, threshold))
    res = solve_milp(
        c,
        integrality=np.ones(kept),
        lower=0,
        upper=1,
        rows=rows,
        time_limit=max(0.05, wall),
        node_limit=node_limit,
        rel_gap=0.0,
    )
    if res.status is Status.TIME_LIMIT:
        return Status.TIME_LIMIT, None, -_INF
    # Anything but a proof either way stopped at the node limit: solution and bound stand.
    kind = res.status if res.status in (Status.OPTIMAL, Status.INFEASIBLE) else Status.LIMIT
    a = None
    if res.x is not None:
        x = np.asarray(res.x).reshape(-1) > 0.5
        a = np.full(n, -1, dtype=np.int64)
        a[job_of[x]] = agent_of[x]
    bound = res.dual_bound
    return kind, a, bound
