"""Lower bounds of a GAP solve: the LP relaxation and the Lagrangian relaxation of assignment."""

from __future__ import annotations

import math

import numpy as np
from scipy.sparse import csr_matrix

from market.matching.gap import kernels
from market.matching.gap.budgets import (
    DP_CELL_S,
    DP_STEP_S,
    LAG_MAX_ITERATIONS,
    LAG_SHARE,
    LAG_STALL,
    SIMPLEX_PAIRS,
)
from market.matching.gap.state import State
from market.matching.solver.highs import solve_lp
from market.matching.solver.status import Status

__all__ = ["dp_cells", "lagrangian", "lp_relaxation"]

_INF = np.inf


def lp_relaxation(s: State) -> tuple[float, np.ndarray, np.ndarray, np.ndarray] | None:
    """LP bound, solution, duals of the assignment rows and reduced costs (None if infeasible)."""
    m, n = s.m, s.n
    cols = np.arange(m * n)
    agent_of, job_of = np.divmod(cols, n)
    a_eq = csr_matrix((np.ones(m * n), (job_of, cols)), shape=(n, m * n))
    a_ub = csr_matrix((s.weight.ravel(), (agent_of, cols)), shape=(m, m * n))
    # No explicit x <= 1: the assignment rows imply it, and leaving it out keeps every reduced
    # cost non-negative, which the fixing test relies on.
    ub = np.where(s.allowed.ravel(), np.inf, 0.0)
    res = solve_lp(
        np.where(s.allowed, s.cost, 0.0).ravel(),
        a_ub=a_ub,
        b_ub=s.capacity,
        a_eq=a_eq,
        b_eq=np.ones(n),
        bounds=np.column_stack([np.zeros(m * n), ub]),
        # Dual simplex stalls on large degenerate assignment LPs (19 s at 50 x 3000, where the
        # interior-point method with crossover takes 1 s); small ones keep the simplex path.
        method="highs" if m * n <= SIMPLEX_PAIRS else "highs-ipm",
    )
    if res.status is Status.INFEASIBLE:
        return None
    if res.status is not Status.OPTIMAL:
        raise RuntimeError(f"LP relaxation failed: {res.message}")
    rc = np.maximum(res.lower_marginals.reshape(m, n), 0.0)
    return res.objective, res.x.reshape(m, n), res.eq_marginals, rc


def dp_cells(s: State) -> int:
    """Cells of the knapsack tables of one Lagrangian step."""
    return s.n * s.m * (int(s.capacity.max()) + 1)


def lagrangian(s: State, u0: np.ndarray) -> tuple[np.ndarray, float] | None:
    """Subgradient ascent on L(u) = sum(u) - sum_i knapsack_i(u - c_i); returns (u, L(u))."""
    if s.best_a is None:
        return None
    cap_int = np.floor(s.capacity + 1e-9).astype(np.int64)
    w_int = np.round(s.weight).astype(np.int64)
    per_iter = DP_STEP_S + DP_CELL_S * s.n * float((cap_int + 1).sum())
    iterations = max(5, min(LAG_MAX_ITERATIONS, int(LAG_SHARE * s.time_limit / per_iter)))
    cost = np.where(s.allowed, s.cost, _INF)
    u = u0.astype(np.float64).copy()
    best_u, best_val = u.copy(), -_INF
    theta, stall = 1.0, 0
    for _ in range(iterations):
        take, val = kernels.knapsacks(u[None, :] - cost, w_int, cap_int)
        lag = float(u.sum() - val.sum())
        if lag > best_val + 1e-9:
            best_val, best_u, stall = lag, u.copy(), 0
            s.raise_lower(lag)
            if s.proven():
                break
        else:
            stall += 1
            if stall >= LAG_STALL:
                theta, stall = theta * 0.5, 0
        g = 1.0 - take.sum(axis=0)
        norm = float(g @ g)
        if norm == 0.0:
            # The knapsacks partition the jobs: that assignment is optimal.
            s.offer(np.argmax(take, axis=0))
            break
        target = s.best_cost if math.isfinite(s.best_cost) else best_val + abs(best_val) * 0.01 + 1
        u = u + theta * max(target - lag, 1e-3) / norm * g
        if theta < 1e-5 or s.clock_stops():
            break
    return best_u, best_val
