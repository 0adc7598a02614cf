"""The data, incumbent and proven bound of one GAP solve, shared by its phases."""

from __future__ import annotations

import math
import time

import numpy as np

from market.matching.gap.budgets import DET_PER_SECOND, EXACT_MORE_SHARE

__all__ = ["Fixing", "State"]

_INF = np.inf

# What reduced-cost fixing needs: LP value, LP reduced costs, Lagrangian value and the
# Lagrangian per-pair penalties (None when the Lagrangian bound was not computed).
Fixing = tuple[float, np.ndarray, float, np.ndarray | None]


class State:
    """One minimisation solve: the instance, the incumbent and the lower bound.

    The phases (bounds, search, exact) are functions of a State; the searches only read it, so
    two can run on threads at once; every change goes through ``offer`` and ``raise_lower``.
    """

    def __init__(
        self,
        cost: np.ndarray,
        weight: np.ndarray,
        capacity: np.ndarray,
        time_limit: float,
        deadline: float,
        seed: int = 0,
        work: float | None = None,
    ) -> None:
        self.cost = cost
        self.weight = weight
        self.capacity = capacity
        self.m, self.n = cost.shape
        # ``work`` sizes every phase's budget (iterations, CP-SAT deterministic time) in seconds
        # of the reference machine; ``deadline`` is only the wall-clock safety net. The answer
        # depends on ``work`` alone unless the clock binds first, which ``clock_bound`` records.
        self.time_limit = max(0.0, time_limit if work is None else work)
        self.deadline = deadline
        self.clock_bound = False
        self.halt = np.zeros(1, dtype=np.uint8)  # set at the deadline; the searches stop on it
        self.seed = int(seed) % 2**31  # numba's generator takes a 32-bit seed
        # A pair whose job alone exceeds the agent's capacity can never be used.
        self.allowed = weight <= capacity[:, None] + 1e-9
        self.integral_cost = bool(np.all(cost == np.round(cost)))
        self.integral_weight = bool(
            np.all(weight == np.round(weight)) and np.all(capacity == np.floor(capacity))
        )
        self.best_a: np.ndarray | None = None
        self.best_cost = _INF
        self.lower = -_INF
        self.infeasible = False  # set when the exact phase proves there is no feasible solution
        # CP-SAT deterministic time left for the exact rounds after the parallel phase.
        self.exact_budget = EXACT_MORE_SHARE * self.time_limit * DET_PER_SECOND

    def offer(self, a: np.ndarray | None) -> None:
        """Keep `a` if it is feasible and better than the incumbent (objective recomputed exactly)."""
        if a is None or not self.acceptable(a):
            return
        c = float(self.cost[a, np.arange(self.n)].sum())
        if c < self.best_cost - 1e-9:
            self.best_cost = c
            self.best_a = a.astype(np.int64).copy()

    def acceptable(self, a: np.ndarray) -> bool:
        """Whether `a` assigns every job within capacity, by the same test as offer."""
        if (a < 0).any():
            return False
        jobs = np.arange(self.n)
        if not self.allowed[a, jobs].all():
            return False
        load = np.bincount(a, weights=self.weight[a, jobs], minlength=self.m)
        return not np.any(load > self.capacity + 1e-9)

    def raise_lower(self, bound: float) -> None:
        if self.integral_cost:
            # Integral costs: any solution costs at least the next integer above a bound.
            bound = math.ceil(bound - 1e-6)
        self.lower = max(self.lower, bound)

    def proven(self) -> bool:
        return self.best_a is not None and self.best_cost <= self.lower + 1e-6

    def improve_threshold(self) -> float:
        """Cost a solution must not exceed to be strictly better than the incumbent."""
        if self.integral_cost:
            return self.best_cost - 1.0 + 1e-6
        return self.best_cost - 1e-9 * max(1.0, abs(self.best_cost))

    def time_left(self) -> float:
        return self.deadline - time.perf_counter()

    def clock_stops(self, reserve: float = 0.0) -> bool:
        """Whether the safety net (less ``reserve`` seconds) is reached; records that it bound."""
        if self.time_left() <= reserve:
            self.clock_bound = True
            return True
        return False
