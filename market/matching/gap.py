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
#     need. The inner loops are compiled with numba (gap_kernels.py) and release the GIL.
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
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import csr_matrix

from market.matching import gap_kernels
from market.matching.orlib import GapInstance

__all__ = ["GapResult", "solve_gap", "warm_up"]

SOLVER_NAME = "lp+lagrangian+ejection-chain-ils+cp-sat"
_INF = np.inf


@dataclass(frozen=True)
class GapResult:
    """Outcome of solve_gap, with objective and bound in the instance's own sense."""

    assignment: np.ndarray  # (n,) agent index per job; -1 only when no feasible solution exists/was found
    objective: float  # profit (max) or cost (min); nan without a feasible solution
    bound: float  # proven bound: upper for max, lower for min
    gap_pct: float  # 100*|bound-objective|/max(1,|objective|); 0.0 when proven optimal
    seconds: float
    status: str  # "optimal" | "feasible" | "infeasible" | "unknown"
    solver: str


# --------------------------------------------------------------------------------------------
# Work budgets. They are expressed in iterations computed from the instance size, so the answer
# does not depend on machine speed. The constants are calibrated so that, on one core of the
# 2-core reference machine, each phase takes roughly the stated share of the time limit.
_FIRST_SHARE = 0.05  # first descent from the rounded LP solution
_IMPROVE_SHARE = 0.12  # then two iterated searches side by side on all pairs
_LAG_SHARE = 0.10  # subgradient ascent
_LAG_MAX_ITERATIONS = 5000
_LAG_STALL = 60  # steps without a better bound before the step size halves
_PROVE_SHARE = 0.80  # two CP-SAT runs side by side, when fixing leaves a provable problem
_SEARCH_SHARE = 0.45  # two searches side by side, when it does not (typically type D)
_EXACT_MORE_SHARE = 0.15  # CP-SAT deterministic time for the rounds after an improvement
_DET_PER_SECOND = 1.0  # CP-SAT deterministic time units per second, two runs side by side (measured)
# Measured cost of one local-search iteration (one core): a fixed part plus the improvement
# graph (n^2), the chain labels (depth * beam * n, both families) and the insertion table (m n).
_IT_FIXED_S = 2.0e-5
_IT_GRAPH_S = 5.0e-9
_IT_LABEL_S = 1.0e-8
_IT_TABLE_S = 2.0e-9
# Knapsack dynamic programming: per subgradient step a fixed part plus the table cells.
_DP_STEP_S = 1.0e-5
_DP_CELL_S = 2.0e-10
_ALPHA_UP = 0.1  # relative rise of an overloaded agent's penalty weight at a local optimum
_ALPHA_DOWN = 0.1  # relative fall of all weights at a feasible local optimum
_MAX_CHAIN = 10  # longest ejection chain / exchange cycle explored
_BEAM = 30  # labels kept per chain depth in the first descent
_ILS_BEAM = 10  # narrower in the iterated search: half the cost per step, as good in our tests
_ILS_KICK = 0.04  # share of the jobs moved at random by a kick
# Searches without a proof keep the pairs whose Lagrangian penalty is at most this share of the gap.
_FOCUS = 0.2
_EXACT_NODE_LIMIT = 200  # HiGHS nodes per round; deterministic, unlike a time limit
_EXACT_ROUNDS = 3  # each improvement tightens the fixing, so the next round is smaller
_EXACT_SMALL = 600  # variables: small enough to always try to prove optimality
_EXACT_PER_JOB = 4.0  # otherwise prove only when fixing leaves at most this many variables per job
_MAX_DP_CELLS = 10_000_000  # knapsack tables (float64 cells) larger than this are not built
_SIMPLEX_PAIRS = 50_000  # LP relaxations with more pairs use the interior-point method
_MAX_SEARCH_JOBS = 5000  # the improvement graph is n x n; larger instances only get the exact phase


def warm_up() -> None:
    """Compile (or load from the cache) the numba kernels, so that no timed solve pays for it."""
    cost = np.array([[1.0, 2.0], [2.0, 1.0]])
    weight = np.ones((2, 2))
    capacity = np.ones(2)
    start = np.zeros(2, dtype=np.int64)
    gap_kernels.local_search(cost, weight, capacity, start, 5, 5, 2, 2, 1.0, 0.1, 0.1, -_INF)
    gap_kernels.iterated_local_search(cost, weight, capacity, start, 5, 5, 2, 2, 1.0, 0.1, 0.1, 1, 0, -_INF)
    gap_kernels.knapsacks(cost, np.ones((2, 2), dtype=np.int64), np.ones(2, dtype=np.int64))
    gap_kernels.lagrangian_penalties(cost, np.ones((2, 2), dtype=np.int64), np.ones(2, dtype=np.int64))


def solve_gap(inst: GapInstance, time_limit: float = 10.0, seed: int = 0) -> GapResult:
    """Solve a classic GAP instance (every job assigned exactly once).

    Returns the best assignment found, a proven bound and the status; deterministic for the same
    instance, time_limit and seed unless the wall-clock safety net (time_limit) is hit.
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
    # Everything below minimises; profits are negated.
    sign = 1.0 if inst.sense == "min" else -1.0
    solver = _Solver(sign * value, weight, capacity, time_limit, deadline, seed)
    assignment, cost, lower, status = solver.run()

    if assignment is None:
        objective = math.nan
        no_bound = math.inf if inst.sense == "min" else -math.inf
        bound = sign * lower if math.isfinite(lower) and status != "infeasible" else no_bound
        gap_pct = math.nan
        assignment = np.full(value.shape[1], -1, dtype=np.int64)
    else:
        objective = sign * cost + 0.0  # + 0.0: no "-0.0" for a zero profit
        bound = sign * lower + 0.0
        gap_pct = 0.0 if status == "optimal" else 100.0 * abs(bound - objective) / max(1.0, abs(objective))
    return GapResult(
        assignment=assignment,
        objective=float(objective),
        bound=float(bound),
        gap_pct=float(gap_pct),
        seconds=time.perf_counter() - start,
        status=status,
        solver=SOLVER_NAME,
    )


class _Solver:
    """One minimisation solve; holds the data shared by the phases."""

    def __init__(
        self,
        cost: np.ndarray,
        weight: np.ndarray,
        capacity: np.ndarray,
        time_limit: float,
        deadline: float,
        seed: int = 0,
    ) -> None:
        self.cost = cost
        self.weight = weight
        self.capacity = capacity
        self.m, self.n = cost.shape
        self.time_limit = max(0.0, time_limit)
        self.deadline = deadline
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
        self.exact_budget = _EXACT_MORE_SHARE * self.time_limit * _DET_PER_SECOND

    # ---- bookkeeping ------------------------------------------------------------------------
    def _offer(self, a: np.ndarray | None) -> None:
        """Keep `a` if it is feasible and better than the incumbent (objective recomputed exactly)."""
        if a is None or not self._acceptable(a):
            return
        c = float(self.cost[a, np.arange(self.n)].sum())
        if c < self.best_cost - 1e-9:
            self.best_cost = c
            self.best_a = a.astype(np.int64).copy()

    def _acceptable(self, a: np.ndarray) -> bool:
        """Whether `a` assigns every job within capacity, by the same test as _offer."""
        if (a < 0).any():
            return False
        jobs = np.arange(self.n)
        if not self.allowed[a, jobs].all():
            return False
        load = np.bincount(a, weights=self.weight[a, jobs], minlength=self.m)
        return not np.any(load > self.capacity + 1e-9)

    def _raise_lower(self, bound: float) -> None:
        if self.integral_cost:
            # Integral costs: any solution costs at least the next integer above a bound.
            bound = math.ceil(bound - 1e-6)
        self.lower = max(self.lower, bound)

    def _proven(self) -> bool:
        return self.best_a is not None and self.best_cost <= self.lower + 1e-6

    def _improve_threshold(self) -> float:
        """Cost a solution must not exceed to be strictly better than the incumbent."""
        if self.integral_cost:
            return self.best_cost - 1.0 + 1e-6
        return self.best_cost - 1e-9 * max(1.0, abs(self.best_cost))

    def _time_left(self) -> float:
        return self.deadline - time.perf_counter()

    # ---- driver -----------------------------------------------------------------------------
    def run(self) -> tuple[np.ndarray | None, float, float, str]:
        if self.n == 0:
            return np.zeros(0, dtype=np.int64), 0.0, 0.0, "optimal"
        if self.m == 0 or not self.allowed.any(axis=0).all():
            # Some job fits no agent at all.
            return None, math.nan, _INF, "infeasible"

        lp = self._lp_relaxation()
        if lp is None:
            return None, math.nan, _INF, "infeasible"
        lp_value, lp_x, u_lp, rc_lp = lp
        self._raise_lower(lp_value)

        searchable = self.n <= _MAX_SEARCH_JOBS
        start = self._round_lp(lp_x)
        if not searchable:
            self._offer(start)  # often feasible, and optimal when the LP solution is integral
        if searchable:
            # A first descent from the rounded LP solution; small instances converge long before
            # the budget (the 60n cap keeps them quick). Then, unless the LP bound already proves
            # it, two iterated searches improve it: the better the incumbent, the more fixing removes.
            budget = min(self._iterations(_FIRST_SHARE, self.n, _BEAM), 60 * self.n)
            self._offer(self._search(self.allowed, start, budget, _BEAM, kick=0, seed=0))
            if not self._proven():
                self._two_searches(self.allowed, _IMPROVE_SHARE, _BEAM, start)

        penalty: np.ndarray | None = None
        lag_value = -_INF
        if not self._proven() and self.integral_weight and self._dp_cells() <= _MAX_DP_CELLS:
            lag = self._lagrangian(u_lp)
            if lag is not None and not self._proven():
                u, lag_value = lag
                penalty = gap_kernels.lagrangian_penalties(
                    u[None, :] - np.where(self.allowed, self.cost, _INF),
                    np.round(self.weight).astype(np.int64),
                    np.floor(self.capacity + 1e-9).astype(np.int64),
                )
        fixing = (lp_value, rc_lp, lag_value, penalty)

        if self._proven():
            pass
        elif self.best_a is None:
            # Tight capacities and a short first budget (large instances): keep searching from
            # the rounded LP solution before handing over to the exact phase, which also proves
            # infeasibility.
            if searchable:
                self._two_searches(self.allowed, _SEARCH_SHARE, _ILS_BEAM, start)
            if self.best_a is None:
                self._exact(fixing)
        else:
            keep = self._keep(fixing)
            if self._proven():
                pass  # fixing alone emptied some job's candidates: the incumbent is optimal
            elif keep is not None and keep.sum() <= self._exact_size():
                # Few pairs can still beat the incumbent: two CP-SAT runs on them side by side
                # (a search, then HiGHS, when the data are fractional), then more rounds if that
                # improved.
                if self.integral_cost and self.integral_weight:
                    self._prove(keep)
                elif searchable:
                    mask = keep.copy()
                    mask[self.best_a, np.arange(self.n)] = True
                    budget = self._iterations(_SEARCH_SHARE, self.n, _ILS_BEAM)
                    found = self._search(mask, self.best_a, budget, _ILS_BEAM, self._kick(), self.seed)
                    self._offer(found)
                self._exact(fixing)
            elif searchable:
                # Not provable in the budget (typically tight type-D instances): two iterated
                # searches side by side, focused on the pairs the Lagrangian bound favours.
                self._two_searches(self._focus(fixing), _SEARCH_SHARE, _ILS_BEAM)
                keep = self._keep(fixing)
                if not self._proven() and keep is not None and keep.sum() <= self._exact_size():
                    self._exact(fixing)

        if self.best_a is None:
            return None, math.nan, self.lower, "infeasible" if self.infeasible else "unknown"
        status = "optimal" if self._proven() else "feasible"
        lower = min(self.lower, self.best_cost)
        return self.best_a, self.best_cost, lower, status

    # ---- LP relaxation ----------------------------------------------------------------------
    def _lp_relaxation(self) -> tuple[float, np.ndarray, np.ndarray, np.ndarray] | None:
        """LP bound, solution, duals of the assignment rows and reduced costs (None if infeasible)."""
        m, n = self.m, self.n
        cols = np.arange(m * n)
        agent_of, job_of = np.divmod(cols, n)
        a_eq = csr_matrix((np.ones(m * n), (job_of, cols)), shape=(n, m * n))
        a_ub = csr_matrix((self.weight.ravel(), (agent_of, cols)), shape=(m, m * n))
        # No explicit x <= 1: the assignment rows imply it, and leaving it out keeps every reduced
        # cost non-negative, which the fixing test relies on.
        ub = np.where(self.allowed.ravel(), np.inf, 0.0)
        res = linprog(
            np.where(self.allowed, self.cost, 0.0).ravel(),
            A_ub=a_ub,
            b_ub=self.capacity,
            A_eq=a_eq,
            b_eq=np.ones(n),
            bounds=np.column_stack([np.zeros(m * n), ub]),
            # Dual simplex stalls on large degenerate assignment LPs (19 s at 50 x 3000, where the
            # interior-point method with crossover takes 1 s); small ones keep the simplex path.
            method="highs" if m * n <= _SIMPLEX_PAIRS else "highs-ipm",
        )
        if res.status == 2:
            return None
        if res.status != 0:
            raise RuntimeError(f"LP relaxation failed: {res.message}")
        rc = np.maximum(np.asarray(res.lower.marginals).reshape(m, n), 0.0)
        return float(res.fun), res.x.reshape(m, n), np.asarray(res.eqlin.marginals), rc

    def _round_lp(self, x: np.ndarray) -> np.ndarray:
        # A basic LP solution splits at most m jobs, so rounding each job to its largest share
        # starts the search next to a near-perfect packing.
        return np.argmax(np.where(self.allowed, x, -1.0), axis=0).astype(np.int64)

    # ---- local search -------------------------------------------------------------------------
    def _iterations(self, share: float, jobs: int, beam: int) -> int:
        """Local-search iterations that take about `share` of the time limit on one core."""
        depth = min(_MAX_CHAIN, self.m)
        beam = min(beam, max(jobs, 1))
        per_iter = (
            _IT_FIXED_S
            + _IT_GRAPH_S * jobs * jobs
            + _IT_LABEL_S * depth * beam * jobs
            + _IT_TABLE_S * self.m * jobs
        )
        return max(1, int(share * self.time_limit / per_iter))

    def _kick(self) -> int:
        return max(1, int(round(_ILS_KICK * self.n)))

    def _search(
        self, mask: np.ndarray, start: np.ndarray, budget: int, beam: int, kick: int, seed: int
    ) -> np.ndarray | None:
        """Local search (kick=0) or iterated local search among the pairs in `mask`.

        `start` must use only masked pairs. Jobs with a single masked pair are fixed and taken out,
        which makes each step cheaper. Pure: reads the solver's data, changes nothing, so two can
        run at once. Returns the best feasible assignment found, or None.
        """
        n = self.n
        jobs = np.arange(n)
        single = mask.sum(axis=0) == 1
        free = np.flatnonzero(~single)
        fixed = np.flatnonzero(single)
        fixed_agent = np.argmax(mask, axis=0)
        cap = self.capacity - np.bincount(
            fixed_agent[fixed], weights=self.weight[fixed_agent[fixed], fixed], minlength=self.m
        )
        result = start.astype(np.int64).copy()
        result[fixed] = fixed_agent[fixed]
        if free.size == 0:
            return result if (cap >= -1e-9).all() else None
        if (cap < -1e-9).any():
            return None
        sub_mask = mask[:, free]
        cm = np.where(sub_mask, self.cost[:, free], _INF)
        w = np.ascontiguousarray(self.weight[:, free])
        # Initial penalty weight: cost per unit of capacity, so that neither term dominates.
        positive = sub_mask & (np.abs(self.cost[:, free]) > 0)
        scale = 1.0
        if positive.any():
            scale = float(np.abs(self.cost[:, free][positive]).mean() / max(w[positive].mean(), 1e-9))
        stop = self.lower - float(self.cost[fixed_agent[fixed], fixed].sum()) + 1e-6
        depth = min(_MAX_CHAIN, self.m)
        nf = free.size
        sub_start = start[free].astype(np.int64)
        if kick == 0:
            best_a, best, _ = gap_kernels.local_search(
                cm, w, cap, sub_start, budget, 25 * nf + 200, depth, min(beam, nf),
                max(scale, 1e-6), _ALPHA_UP, _ALPHA_DOWN, stop,
            )
        else:
            patience = 2 * nf + 100  # short descents between kicks: more kicks per budget
            best_a, best, _, _ = gap_kernels.iterated_local_search(
                cm, w, cap, sub_start, budget, patience, depth, min(beam, nf),
                max(scale, 1e-6), _ALPHA_UP, _ALPHA_DOWN, min(kick, nf), seed, stop,
            )
        if not math.isfinite(best):
            return None
        result[free] = best_a
        return result if self.allowed[result, jobs].all() else None

    def _focus(self, fixing: tuple[float, np.ndarray, float, np.ndarray | None]) -> np.ndarray:
        """Pairs worth searching when the incumbent cannot be proven: small Lagrangian penalty.

        A solution's cost exceeds the Lagrangian bound by at least each of its pairs' penalties, so
        good solutions use low-penalty pairs; keeping those within a share of the current gap
        shrinks the search space several-fold on type D. Every job keeps its incumbent pair and
        its two lowest-penalty pairs.
        """
        _, _, lag_value, penalty = fixing
        if penalty is None or self.best_a is None:
            return self.allowed.copy()
        delta = max(_FOCUS * (self.best_cost - lag_value), 1e-6)
        mask = self.allowed & (penalty <= delta)
        order = np.argsort(np.where(self.allowed, penalty, _INF), axis=0, kind="stable")[:2]
        jobs = np.arange(self.n)
        for row in order:
            mask[row, jobs] |= self.allowed[row, jobs]
        mask[self.best_a, jobs] = True
        return mask

    def _two_searches(
        self, mask: np.ndarray, share: float, beam: int, start: np.ndarray | None = None
    ) -> None:
        """Two differently seeded iterated searches from the incumbent (else `start`), on two threads."""
        start = self.best_a if self.best_a is not None else start
        if start is None:
            return
        free = int((mask.sum(axis=0) > 1).sum())
        budget = self._iterations(share, free, beam)
        kick = self._kick()
        with ThreadPoolExecutor(max_workers=2) as pool:
            runs = [
                pool.submit(self._search, mask, start, budget, beam, kick, 2 * self.seed + k)
                for k in (1, 2)
            ]
            results = [run.result() for run in runs]
        for a in results:  # fixed order: the outcome does not depend on which finished first
            self._offer(a)

    def _prove(self, keep: np.ndarray) -> None:
        """Two CP-SAT runs (different seeds) side by side on the kept pairs, capped below the incumbent.

        On the hardest B/C instances the last unit is a compound change of 15-20 jobs over 8-14
        agents; how soon a run finds it varies a lot with the search's random choices (3 to over
        10 s), so two runs with different seeds use the two cores. HiGHS was tried as the second
        engine: as good, but it cannot be stopped once the first run has a proof.
        Deterministic: the first run is never interrupted; the second is stopped only when the
        first proves, and then its result is not used.
        """
        threshold = self._improve_threshold()
        incumbent = self.best_cost
        deterministic = _PROVE_SHARE * self.time_limit * _DET_PER_SECOND
        wall = max(0.05, self._time_left() - 0.05 * self.time_limit)
        args = (self.cost, self.weight, self.capacity, keep, threshold, self.best_a, deterministic, wall)
        stop = threading.Event()
        started: list = []
        with ThreadPoolExecutor(max_workers=2) as pool:
            first = pool.submit(_cpsat, *args, 0)
            second = pool.submit(_cpsat, *args, 1, stop, started)
            status, a, bound, _ = first.result()
            proven = status in ("optimal", "infeasible")
            if proven:
                stop.set()
                # Repeated: a stop that reaches the second run just before its solve begins is lost.
                while not second.done():
                    for solver in started:
                        solver.stop_search()
                    wait([second], timeout=0.05)
            other = second.result()
        self._apply_exact(status, a, bound, threshold, incumbent)
        if not proven:
            self._apply_exact(*other[:3], threshold, incumbent)

    def _apply_exact(
        self, status: str, a: np.ndarray | None, bound: float, threshold: float, incumbent: float
    ) -> None:
        """Fold an exact run on kept pairs (objective capped at threshold) into incumbent and bound.

        status: "optimal" or "infeasible" (the reduced problem was solved), "limit" (stopped by a
        deterministic work limit: solution and bound usable) or "unknown" (nothing usable).
        """
        if status == "optimal" and (a is None or not self._acceptable(a)):
            # The engine's tolerance (HiGHS: ~1e-6 on capacities) let through what ours does
            # not: its answer is no proof here.
            status = "limit"
        self._offer(a)
        if status in ("optimal", "infeasible"):
            # Nothing in the reduced space beats what CP-SAT returned (or the incumbent it was
            # capped by), and nothing outside it can.
            if self.best_a is not None:
                self.lower = max(self.lower, min(self.best_cost, incumbent))
            else:
                self.infeasible = True
        elif status == "limit" and math.isfinite(threshold) and math.isfinite(bound):
            self._raise_lower(min(bound, threshold))

    # ---- Lagrangian relaxation of the assignment constraints ----------------------------------
    def _dp_cells(self) -> int:
        return self.n * self.m * (int(self.capacity.max()) + 1)

    def _lagrangian(self, u0: np.ndarray) -> tuple[np.ndarray, float] | None:
        """Subgradient ascent on L(u) = sum(u) - sum_i knapsack_i(u - c_i); returns (u, L(u))."""
        if self.best_a is None:
            return None
        cap_int = np.floor(self.capacity + 1e-9).astype(np.int64)
        w_int = np.round(self.weight).astype(np.int64)
        per_iter = _DP_STEP_S + _DP_CELL_S * self.n * float((cap_int + 1).sum())
        iterations = max(5, min(_LAG_MAX_ITERATIONS, int(_LAG_SHARE * self.time_limit / per_iter)))
        cost = np.where(self.allowed, self.cost, _INF)
        u = u0.astype(np.float64).copy()
        best_u, best_val = u.copy(), -_INF
        theta, stall = 1.0, 0
        for _ in range(iterations):
            take, val = gap_kernels.knapsacks(u[None, :] - cost, w_int, cap_int)
            lag = float(u.sum() - val.sum())
            if lag > best_val + 1e-9:
                best_val, best_u, stall = lag, u.copy(), 0
                self._raise_lower(lag)
                if self._proven():
                    break
            else:
                stall += 1
                if stall >= _LAG_STALL:
                    theta, stall = theta * 0.5, 0
            g = 1.0 - take.sum(axis=0)
            norm = float(g @ g)
            if norm == 0.0:
                # The knapsacks partition the jobs: that assignment is optimal.
                self._offer(np.argmax(take, axis=0))
                break
            target = self.best_cost if math.isfinite(self.best_cost) else best_val + abs(best_val) * 0.01 + 1
            u = u + theta * max(target - lag, 1e-3) / norm * g
            if theta < 1e-5 or time.perf_counter() > self.deadline - 0.5 * self.time_limit:
                break
        return best_u, best_val

    # ---- reduced-cost fixing + exact MILP --------------------------------------------------------
    def _exact_size(self) -> float:
        return max(_EXACT_SMALL, _EXACT_PER_JOB * self.n)

    def _keep(self, fixing: tuple[float, np.ndarray, float, np.ndarray | None]) -> np.ndarray | None:
        """Pairs that may appear in a solution strictly better than the incumbent (None: no incumbent).

        A pair is dropped when forcing it to 1 provably costs more than the incumbent minus one
        unit, by its LP reduced cost or by its Lagrangian knapsack penalty. If that leaves some
        job with no pair at all, the incumbent is optimal and the lower bound is raised to it.
        """
        if self.best_a is None:
            return None
        lp_value, rc_lp, lag_value, penalty = fixing
        threshold = self._improve_threshold()
        keep = self.allowed & (lp_value + rc_lp <= threshold + 1e-7)
        if penalty is not None:
            keep &= lag_value + penalty <= threshold + 1e-7
        if not keep.any(axis=0).all():
            self.lower = max(self.lower, self.best_cost)
        return keep

    def _exact(self, fixing: tuple[float, np.ndarray, float, np.ndarray | None]) -> None:
        """Prove optimality (or improve) exactly on the pairs that could still beat the incumbent.

        Each improvement tightens the fixing, so a few rounds usually end in a proof.
        """
        for _ in range(_EXACT_ROUNDS):
            if self._proven():
                return
            incumbent = self.best_cost
            keep = self._keep(fixing)
            if keep is None:
                keep, threshold = self.allowed.copy(), _INF
            else:
                threshold = self._improve_threshold()
                if self._proven() or keep.sum() > self._exact_size():
                    return
            if not self._solve_reduced(keep, threshold):
                return
            if not self.best_cost < incumbent:
                return

    def _solve_reduced(self, keep: np.ndarray, threshold: float) -> bool:
        """One exact run on the kept variables; returns False when out of time."""
        time_left = self._time_left() - 0.1 * self.time_limit
        if time_left <= 0.05:
            return False
        if self.integral_cost and self.integral_weight:
            if self.exact_budget <= 0.01:
                return False
            self._cpsat_reduced(keep, threshold, time_left)
        else:
            self._highs_reduced(keep, threshold, time_left)
        return True

    def _cpsat_reduced(self, keep: np.ndarray, threshold: float, time_left: float) -> None:
        """CP-SAT on the kept pairs, with the objective capped just below the incumbent."""
        incumbent = self.best_cost
        status, a, bound, used = _cpsat(
            self.cost, self.weight, self.capacity, keep, threshold, self.best_a, self.exact_budget, time_left
        )
        self.exact_budget -= used
        self._apply_exact(status, a, bound, threshold, incumbent)

    def _highs_reduced(self, keep: np.ndarray, threshold: float, time_left: float) -> None:
        """HiGHS on the kept pairs (used when costs or weights are not integral)."""
        incumbent = self.best_cost
        status, a, bound = _highs(
            self.cost, self.weight, self.capacity, keep, threshold, _EXACT_NODE_LIMIT, time_left
        )
        self._apply_exact(status, a, bound, threshold, incumbent)

# ------------------------------------------------------------------------------------------------
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
) -> tuple[str, np.ndarray | None, float, float]:
    """CP-SAT on the kept pairs of an integral GAP, objective capped at `threshold`.

    One worker and a deterministic time limit keep the answer reproducible; the wall-clock limit
    is only the safety net. Pure, so it can run on a thread of its own (CP-SAT releases the GIL).
    `stop` and `started` let another thread cancel the run: the solver is appended to `started`
    before it starts, and a run whose `stop` is already set does not start.
    Returns (status, assignment or None, best objective bound, deterministic time used).
    """
    m, n = cost.shape
    if deterministic <= 0.01:
        return "unknown", None, -_INF, 0.0
    agent_of, job_of = np.nonzero(keep)
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{t}") for t in range(len(agent_of))]
    by_job: list[list[int]] = [[] for _ in range(n)]
    by_agent: list[list[int]] = [[] for _ in range(m)]
    for t, (i, j) in enumerate(zip(agent_of.tolist(), job_of.tolist())):
        by_job[j].append(t)
        by_agent[i].append(t)
    for ts in by_job:
        model.add_exactly_one(x[t] for t in ts)
    w = np.round(weight).astype(np.int64)
    c = np.round(cost).astype(np.int64)
    for i, ts in enumerate(by_agent):
        if ts:
            model.add(sum(int(w[i, job_of[t]]) * x[t] for t in ts) <= int(math.floor(capacity[i] + 1e-9)))
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
        return "unknown", None, -_INF, 0.0
    status = solver.solve(model)
    a = None
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        chosen = np.array([solver.boolean_value(v) for v in x], dtype=bool)
        a = np.full(n, -1, dtype=np.int64)
        a[job_of[chosen]] = agent_of[chosen]
    kinds = {cp_model.OPTIMAL: "optimal", cp_model.INFEASIBLE: "infeasible", cp_model.FEASIBLE: "limit"}
    kind = kinds.get(status, "unknown")
    if kind == "limit" and solver.wall_time >= wall * 0.999:
        kind, a = "unknown", None  # stopped by the clock, not by its work limit: not reproducible
    return kind, a, float(solver.best_objective_bound), float(solver.deterministic_time)


def _highs(
    cost: np.ndarray,
    weight: np.ndarray,
    capacity: np.ndarray,
    keep: np.ndarray,
    threshold: float,
    node_limit: int,
    wall: float,
) -> tuple[str, np.ndarray | None, float]:
    """HiGHS branch and bound on the kept pairs, objective capped at `threshold`.

    The node limit is the work limit; HiGHS has no deterministic clock, so a run stopped by the
    wall-clock limit returns nothing (its partial result would depend on machine speed). Pure, and
    Returns (status, assignment, dual bound).
    """
    m, n = cost.shape
    agent_of, job_of = np.nonzero(keep)
    kept = len(agent_of)
    cols = np.arange(kept)
    c = cost[agent_of, job_of]
    constraints = [
        LinearConstraint(csr_matrix((np.ones(kept), (job_of, cols)), shape=(n, kept)), 1, 1),
        LinearConstraint(
            csr_matrix((weight[agent_of, job_of], (agent_of, cols)), shape=(m, kept)), -np.inf, capacity
        ),
    ]
    if math.isfinite(threshold):
        constraints.append(LinearConstraint(c[None, :], -np.inf, threshold))
    res = milp(
        c,
        integrality=np.ones(kept),
        bounds=Bounds(0, 1),
        constraints=constraints,
        options={"time_limit": max(0.05, wall), "node_limit": node_limit, "mip_rel_gap": 0.0},
    )
    if res.status == 0:
        kind = "optimal"
    elif res.status == 2:
        kind = "infeasible"
    elif res.status == 1 and "time limit" in str(res.message).lower():
        return "unknown", None, -_INF
    else:
        kind = "limit"
    a = None
    if res.x is not None:
        x = np.asarray(res.x).reshape(-1) > 0.5
        a = np.full(n, -1, dtype=np.int64)
        a[job_of[x]] = agent_of[x]
    dual = getattr(res, "mip_dual_bound", None)
    bound = float(dual) if dual is not None and math.isfinite(dual) else -_INF
    return kind, a, bound
