"""Generalised assignment problem (GAP) solver: every job to one agent, within agent capacities."""

# Solver choice. Four parts are combined, each for what it does best:
#   * HiGHS through scipy (linprog): the LP relaxation (bound, duals, reduced costs). It is
#     bundled with scipy and deterministic. scipy.optimize.milp (also HiGHS) is the exact fallback
#     when costs or weights are not integral.
#   * A Lagrangian relaxation of the assignment constraints (one 0-1 knapsack per agent, solved by
#     numpy dynamic programming, subgradient ascent): a bound much tighter than the LP on type C/D
#     and per-pair penalties for reduced-cost fixing (typically 1-2 pairs per job survive on A-C).
#   * Our own penalised local search over multi-exchange (ejection chain / cyclic exchange) moves:
#     general MILP engines stall 0.8-1.7 % above the best known values on type D, and shift/swap
#     moves alone got stuck 1-2 % away in our tests; chains and cycles through several agents are
#     what tight capacities need.
#   * CP-SAT (ortools) on the fixed, reduced problem with the objective capped below the incumbent:
#     it proves optimality or finds the last improvement. With one worker and
#     max_deterministic_time it is reproducible, which HiGHS' clock-based time limit is not, and on
#     these reduced problems it proved faster than HiGHS in our tests. ortools and
#     scipy.optimize.milp import fine in one process (highspy is not used).
#
# Determinism: every phase is limited by work counts (iterations, branch-and-bound nodes), never
# by the clock, and no phase uses randomness (`seed` is accepted for the interface and ignored).
# The wall-clock time limit is only a safety net; it can change the answer only on a machine so
# loaded that the work budget, sized for well under the limit, overruns it.

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from ortools.sat.python import cp_model
from scipy.sparse import csr_matrix

from market.matching.orlib import GapInstance

__all__ = ["GapResult", "solve_gap"]

SOLVER_NAME = "lp+lagrangian+ejection-chain-search+cp-sat"
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
_LS_SHARE = 0.30  # first local search
_LS_MORE_SHARE = 0.25  # second local search among the pairs left by fixing, before CP-SAT
_LS_LONG_SHARE = 0.40  # second local search when fixing leaves too much to prove (type D)
_LAG_SHARE = 0.12  # subgradient ascent
_LAG_MAX_ITERATIONS = 200
# Measured costs (one core, loaded machine): per local-search iteration a fixed numpy overhead
# plus a per-chain-depth overhead plus the array elements touched; per knapsack DP item step an
# overhead plus the table cells touched.
_LS_CALL_S = 1.0e-4
_LS_DEPTH_S = 3.5e-5
_LS_ELEMENT_S = 3.8e-9
_DP_STEP_S = 3.0e-5
_DP_CELL_S = 5.0e-9
_ALPHA_UP = 0.1  # relative rise of an overloaded agent's penalty weight at a local optimum
_ALPHA_DOWN = 0.1  # relative fall of all weights at a feasible local optimum
_MAX_CHAIN = 10  # longest ejection chain / exchange cycle explored
_BEAM = 30  # labels kept per chain depth
_EXACT_NODE_LIMIT = 200  # HiGHS nodes per round; deterministic, unlike a time limit
_EXACT_DETERMINISTIC_SHARE = 0.30  # CP-SAT deterministic time, all rounds, as a share of the limit
_EXACT_ROUNDS = 3  # each improvement tightens the fixing, so the next round is smaller
_EXACT_SMALL = 600  # variables: small enough to always try to prove optimality
_EXACT_PER_JOB = 4.0  # otherwise prove only when fixing leaves at most this many variables per job
_MAX_DP_CELLS = 10_000_000  # knapsack tables (float64 cells) larger than this are not built


def solve_gap(inst: GapInstance, time_limit: float = 10.0, seed: int = 0) -> GapResult:
    """Solve a classic GAP instance (every job assigned exactly once).

    Returns the best assignment found, a proven bound and the status; deterministic for the same
    instance and time_limit unless the wall-clock safety net (time_limit) is hit.
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
    # Everything below minimises; profits are negated.
    sign = 1.0 if inst.sense == "min" else -1.0
    solver = _Solver(sign * value, weight, capacity, time_limit, deadline)
    assignment, cost, lower, status = solver.run()

    if assignment is None:
        objective = math.nan
        bound = sign * lower if math.isfinite(lower) else (math.inf if inst.sense == "min" else -math.inf)
        gap_pct = math.nan
        assignment = np.full(value.shape[1], -1, dtype=np.int64)
    else:
        objective = sign * cost
        bound = sign * lower
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
    ) -> None:
        self.cost = cost
        self.weight = weight
        self.capacity = capacity
        self.m, self.n = cost.shape
        self.time_limit = max(0.0, time_limit)
        self.deadline = deadline
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
        # CP-SAT deterministic time left for all exact rounds together.
        self.exact_budget = _EXACT_DETERMINISTIC_SHARE * self.time_limit

    # ---- bookkeeping ------------------------------------------------------------------------
    def _offer(self, a: np.ndarray) -> None:
        """Keep `a` if it is feasible and better than the incumbent (objective recomputed exactly)."""
        jobs = np.arange(self.n)
        if not self.allowed[a, jobs].all():
            return
        load = np.bincount(a, weights=self.weight[a, jobs], minlength=self.m)
        if np.any(load > self.capacity + 1e-9):
            return
        c = float(self.cost[a, jobs].sum())
        if c < self.best_cost - 1e-9:
            self.best_cost = c
            self.best_a = a.astype(np.int64).copy()

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

        # Small instances converge long before the budget; the 60n cap keeps them quick.
        first = min(self._ls_iterations(_LS_SHARE), 60 * self.n)
        self._local_search(self._round_lp(lp_x), first, self.deadline - 0.6 * self.time_limit)

        penalty: np.ndarray | None = None
        lag_value = -_INF
        if not self._proven() and self.integral_weight and self._dp_cells() <= _MAX_DP_CELLS:
            lag = self._lagrangian(u_lp)
            if lag is not None and not self._proven():
                u, lag_value = lag
                penalty = _lagrangian_penalties(
                    u[None, :] - np.where(self.allowed, self.cost, _INF),
                    np.round(self.weight).astype(np.int64),
                    np.floor(self.capacity + 1e-9).astype(np.int64),
                )
        fixing = (lp_value, rc_lp, lag_value, penalty)

        if not self._proven():
            keep = self._keep(fixing)
            more = self._ls_iterations(_LS_MORE_SHARE)
            safety = self.deadline - 0.3 * self.time_limit
            if self._proven():
                pass  # fixing alone emptied some job's candidates: the incumbent is optimal
            elif keep is not None and keep.sum() <= self._exact_size():
                # Few pairs can still beat the incumbent: search only among them (plus the
                # incumbent's own pairs), then let CP-SAT prove or improve.
                mask = keep.copy()
                mask[self.best_a, np.arange(self.n)] = True
                self._local_search(self.best_a, more, safety, mask)
                self._exact(fixing)
            elif self.best_a is not None:
                # Not provable in the budget (typically tight type-D instances): spend the rest
                # of the work budget on a second search from the incumbent, fresh weights.
                self._local_search(self.best_a, self._ls_iterations(_LS_LONG_SHARE), safety)
            else:
                self._exact(fixing)

        if self.best_a is None:
            return None, math.nan, self.lower, "infeasible" if self.infeasible else "unknown"
        status = "optimal" if self._proven() else "feasible"
        lower = min(self.lower, self.best_cost)
        return self.best_a, self.best_cost, lower, status

    def _time_left(self) -> float:
        return self.deadline - time.perf_counter()

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
            method="highs",
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
        return np.argmax(np.where(self.allowed, x, -1.0), axis=0)

    # ---- penalised multi-exchange local search -----------------------------------------------
    def _ls_iterations(self, share: float) -> int:
        n = self.n
        depth = min(_MAX_CHAIN, self.m)
        beam = min(_BEAM, n)
        elements = 3 * n * n + 2 * depth * beam * n + 6 * self.m * n
        per_iter = _LS_CALL_S + _LS_DEPTH_S * depth + _LS_ELEMENT_S * elements
        return max(1, int(share * self.time_limit / per_iter))

    def _local_search(
        self, a0: np.ndarray, iterations: int, safety: float, mask: np.ndarray | None = None
    ) -> None:
        """Penalised descent over shift / swap / ejection-chain / cyclic-exchange moves.

        Capacity violations are allowed but charged alpha_i per unit of overload. At every local
        optimum the weights adapt (up on overloaded agents, down everywhere when feasible), which
        lets the search cross infeasible regions between tightly packed feasible solutions.
        """
        m, n = self.m, self.n
        W = self.weight
        cap = self.capacity
        cm = np.where(self.allowed if mask is None else self.allowed & mask, self.cost, _INF)
        jobs = np.arange(n)
        onehot = np.eye(m, dtype=bool)
        depth = min(_MAX_CHAIN, m)
        beam = min(_BEAM, n)
        patience = 25 * n + 200

        a = a0.astype(np.int64).copy()
        load = np.bincount(a, weights=W[a, jobs], minlength=m)
        cost = float(cm[a, jobs].sum())
        pos = self.allowed & (np.abs(self.cost) > 0)
        scale = float(np.abs(self.cost[pos]).mean() / max(W[pos].mean(), 1e-9)) if pos.any() else 1.0
        alpha = np.full(m, max(scale, 1e-6))
        best_here = _INF
        last_improvement = 0
        inc, dec = _ALPHA_UP, _ALPHA_DOWN

        for it in range(1, iterations + 1):
            over = np.maximum(load - cap, 0.0)
            feasible = not over.any()
            if feasible and cost < best_here - 1e-9:
                best_here = cost
                last_improvement = it
                self._offer(a)
                if self._proven():
                    return
            if it - last_improvement > patience or (it % 64 == 0 and time.perf_counter() > safety):
                return

            own_c = cm[a, jobs]
            own_w = W[a, jobs]
            a_alpha = alpha[a]
            # rem[j]: change when job j leaves its agent; add[i, j]: change when j joins agent i.
            rem = -own_c + a_alpha * (np.maximum(load[a] - own_w - cap[a], 0.0) - over[a])
            add = cm + alpha[:, None] * (np.maximum(load[:, None] + W - cap[:, None], 0.0) - over[:, None])
            add[a, jobs] = _INF
            # G[x, y]: change at agent a[x] when job y replaces job x there.
            repl_load = (load[a] - own_w)[:, None] + W[a]
            G = cm[a] - own_c[:, None] + a_alpha[:, None] * (
                np.maximum(repl_load - cap[a][:, None], 0.0) - over[a][:, None]
            )
            G[a[:, None] == a[None, :]] = _INF

            move = _best_exchange(G, add, rem, a, onehot, depth, beam)
            if move is None:
                if feasible:
                    alpha *= 1.0 - dec
                else:
                    alpha *= 1.0 + inc * over / over.max()
                continue
            for job, dest in move:
                src = a[job]
                load[src] -= W[src, job]
                load[dest] += W[dest, job]
                cost += cm[dest, job] - cm[src, job]
                a[job] = dest

    # ---- Lagrangian relaxation of the assignment constraints ----------------------------------
    def _dp_cells(self) -> int:
        return self.n * self.m * (int(self.capacity.max()) + 1)

    def _lagrangian(self, u0: np.ndarray) -> tuple[np.ndarray, float] | None:
        """Subgradient ascent on L(u) = sum(u) - sum_i knapsack_i(u - c_i); returns (u, L(u))."""
        if self.best_a is None:
            return None
        cap_int = np.floor(self.capacity + 1e-9).astype(np.int64)
        w_int = np.round(self.weight).astype(np.int64)
        per_iter = self.n * (_DP_STEP_S + _DP_CELL_S * self.m * (int(cap_int.max()) + 1))
        iterations = max(5, min(_LAG_MAX_ITERATIONS, int(_LAG_SHARE * self.time_limit / per_iter)))
        cost = np.where(self.allowed, self.cost, _INF)
        u = u0.astype(np.float64).copy()
        best_u, best_val = u.copy(), -_INF
        theta, stall = 1.0, 0
        for _ in range(iterations):
            take, val = _knapsacks(u[None, :] - cost, w_int, cap_int)
            lag = float(u.sum() - val.sum())
            if lag > best_val + 1e-9:
                best_val, best_u, stall = lag, u.copy(), 0
                self._raise_lower(lag)
                if self._proven():
                    break
            else:
                stall += 1
                if stall >= 15:
                    theta, stall = theta * 0.5, 0
            g = 1.0 - take.sum(axis=0)
            norm = float(g @ g)
            if norm == 0.0:
                # The knapsacks partition the jobs: that assignment is optimal.
                self._offer(np.argmax(take, axis=0))
                break
            target = self.best_cost if math.isfinite(self.best_cost) else best_val + abs(best_val) * 0.01 + 1
            u = u + theta * max(target - lag, 1e-3) / norm * g
            if theta < 1e-3 or time.perf_counter() > self.deadline - 0.4 * self.time_limit:
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
        """CP-SAT on the kept pairs, with the objective capped just below the incumbent.

        One worker and a deterministic time limit keep the answer reproducible; the wall-clock
        limit is only the safety net.
        """
        m, n = self.m, self.n
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
        w = np.round(self.weight).astype(np.int64)
        c = np.round(self.cost).astype(np.int64)
        for i, ts in enumerate(by_agent):
            if ts:
                model.add(sum(int(w[i, job_of[t]]) * x[t] for t in ts) <= int(math.floor(self.capacity[i] + 1e-9)))
        objective = sum(int(c[agent_of[t], job_of[t]]) * x[t] for t in range(len(x)))
        if math.isfinite(threshold):
            model.add(objective <= int(math.floor(threshold + 1e-6)))
        model.minimize(objective)
        if self.best_a is not None:
            for t in range(len(x)):
                model.add_hint(x[t], bool(self.best_a[job_of[t]] == agent_of[t]))
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = 0
        solver.parameters.max_deterministic_time = self.exact_budget
        solver.parameters.max_time_in_seconds = max(0.05, time_left)
        status = solver.solve(model)
        self.exact_budget -= solver.deterministic_time
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            chosen = np.array([solver.boolean_value(v) for v in x], dtype=bool)
            a = np.full(n, -1, dtype=np.int64)
            a[job_of[chosen]] = agent_of[chosen]
            if (a >= 0).all():
                self._offer(a)
        if status in (cp_model.OPTIMAL, cp_model.INFEASIBLE):
            # Nothing in the reduced space beats the incumbent, and nothing outside it can.
            if self.best_a is not None:
                self.lower = max(self.lower, self.best_cost)
            else:
                self.infeasible = True
        elif status == cp_model.FEASIBLE and math.isfinite(threshold):
            self._raise_lower(min(solver.best_objective_bound, threshold))

    def _highs_reduced(self, keep: np.ndarray, threshold: float, time_left: float) -> None:
        """HiGHS on the kept pairs (used when costs or weights are not integral)."""
        m, n = self.m, self.n
        agent_of, job_of = np.nonzero(keep)
        kept = len(agent_of)
        cols = np.arange(kept)
        a_eq = csr_matrix((np.ones(kept), (job_of, cols)), shape=(n, kept))
        a_ub = csr_matrix((self.weight[agent_of, job_of], (agent_of, cols)), shape=(m, kept))
        res = milp(
            self.cost[agent_of, job_of],
            integrality=np.ones(kept),
            bounds=Bounds(0, 1),
            constraints=[LinearConstraint(a_eq, 1, 1), LinearConstraint(a_ub, -np.inf, self.capacity)],
            options={"time_limit": time_left, "node_limit": _EXACT_NODE_LIMIT, "mip_rel_gap": 0.0},
        )
        if res.x is not None:
            x = np.asarray(res.x).reshape(-1) > 0.5
            a = np.full(n, -1, dtype=np.int64)
            a[job_of[x]] = agent_of[x]
            if (a >= 0).all():
                self._offer(a)
        if res.status == 0:
            # The reduced problem was solved: nothing outside it beats the incumbent either.
            self.lower = max(self.lower, self.best_cost)
        elif res.status == 2:
            if self.best_a is not None:
                self.lower = max(self.lower, self.best_cost)
            else:
                self.infeasible = True
        else:
            dual = getattr(res, "mip_dual_bound", None)
            if dual is not None and math.isfinite(dual) and math.isfinite(threshold):
                # Solutions outside the reduced space cost more than the threshold.
                self._raise_lower(min(dual, threshold))


# ------------------------------------------------------------------------------------------------
def _best_exchange(
    G: np.ndarray,
    add: np.ndarray,
    rem: np.ndarray,
    a: np.ndarray,
    onehot: np.ndarray,
    depth: int,
    beam: int,
) -> list[tuple[int, int]] | None:
    """Best improving ejection chain or cyclic exchange, as (job, new agent) pairs, or None.

    Label-correcting search on the improvement graph whose arc x -> y (cost G[x, y]) means "job y
    replaces job x in x's agent". Two label families are grown in parallel, each keeping one label
    per end job (its cheapest path) and extending only the `beam` cheapest labels per depth:
      * chains start by moving a job into the agent where it fits best (add), and close when the
        last agent simply loses its job (rem); depth 1 is a shift, depth 2 a double shift;
      * cycles start anywhere at zero and close by sending the first job into the last agent;
        depth 2 is a swap.
    Each agent may appear only once along a path, which makes the summed arc costs exact.
    """
    m_total, n = add.shape
    jobs = np.arange(n)
    agent_mask = onehot[a]

    dest0 = np.argmin(add, axis=0)
    chain_d = add[dest0, jobs]
    chain_used = agent_mask | onehot[dest0]
    cycle_d = np.zeros(n)
    cycle_used = agent_mask.copy()
    cycle_start = jobs.copy()
    chain_pred: list[np.ndarray] = []
    cycle_pred: list[np.ndarray] = []

    best_val = -1e-9
    best: tuple[str, int, int, int] | None = None  # family, depth, end job, chain destination
    closing = chain_d + rem
    j = int(np.argmin(closing))
    if closing[j] < best_val:
        best_val, best = float(closing[j]), ("chain", 1, j, int(dest0[j]))

    for k in range(2, depth + 1):
        if not (np.isfinite(chain_d).any() or np.isfinite(cycle_d).any()):
            break
        # Extend chains.
        src = np.argpartition(chain_d, beam - 1)[:beam] if beam < n else jobs
        cand = np.where(~chain_used[src][:, a], chain_d[src][:, None] + G[src], _INF)
        pick = np.argmin(cand, axis=0)
        prev = src[pick]
        chain_d = cand[pick, jobs]
        chain_used = chain_used[prev] | agent_mask
        dest0 = dest0[prev]
        chain_pred.append(prev)
        # Extend cycles; at depth 2 every job is a start, so no beam there.
        src = np.argpartition(cycle_d, beam - 1)[:beam] if (beam < n and k > 2) else jobs
        cand = np.where(~cycle_used[src][:, a], cycle_d[src][:, None] + G[src], _INF)
        pick = np.argmin(cand, axis=0)
        prev = src[pick]
        cycle_d = cand[pick, jobs]
        cycle_used = cycle_used[prev] | agent_mask
        cycle_start = cycle_start[prev]
        cycle_pred.append(prev)

        closing = chain_d + rem
        j = int(np.argmin(closing))
        if closing[j] < best_val:
            best_val, best = float(closing[j]), ("chain", k, j, int(dest0[j]))
        closing = cycle_d + G[jobs, cycle_start]
        j = int(np.argmin(closing))
        if closing[j] < best_val:
            best_val, best = float(closing[j]), ("cycle", k, j, -1)

    if best is None:
        return None
    family, k, end, dest = best
    preds = chain_pred if family == "chain" else cycle_pred
    path = [end]
    for step in range(k - 2, -1, -1):
        path.append(int(preds[step][path[-1]]))
    path.reverse()  # path[0] starts; path[i+1] replaces path[i] in path[i]'s agent
    moves = [(path[i + 1], int(a[path[i]])) for i in range(k - 1)]
    if family == "chain":
        moves.append((path[0], dest))
    else:
        moves.append((path[0], int(a[path[-1]])))
    return moves


def _knapsacks(profit: np.ndarray, weight: np.ndarray, capacity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Solve m independent 0-1 knapsacks max profit[i]·x s.t. weight[i]·x <= capacity[i].

    Dynamic programming over capacity, vectorised across agents; returns (chosen (m, n), values).
    """
    m, n = profit.shape
    width = int(capacity.max()) + 1
    cols = np.arange(width)
    rows = np.arange(m)[:, None]
    valid = cols[None, :] <= capacity[:, None]
    dp = np.where(valid, 0.0, -_INF)
    useful = (profit > 0) & (weight <= capacity[:, None])
    items = np.flatnonzero(useful.any(axis=0))
    took = np.zeros((len(items), m, width), dtype=bool)
    for t, j in enumerate(items):
        src = cols[None, :] - weight[:, j][:, None]
        cand = np.where(src >= 0, dp[rows, np.maximum(src, 0)], -_INF) + profit[:, j][:, None]
        better = (cand > dp) & valid & useful[:, j][:, None]
        took[t] = better
        dp = np.where(better, cand, dp)
    used = np.argmax(dp, axis=1)
    value = dp[np.arange(m), used]
    chosen = np.zeros((m, n), dtype=bool)
    agents = np.arange(m)
    for t in range(len(items) - 1, -1, -1):
        j = items[t]
        hit = took[t, agents, used]
        chosen[:, j] = hit
        used = used - np.where(hit, weight[:, j], 0)
    return chosen, value


def _lagrangian_penalties(profit: np.ndarray, weight: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """Increase of the Lagrangian bound when x_ij is forced to 1, for every pair (i, j).

    With prefix and suffix DP tables, the best knapsack containing item j is
    profit_ij + max_c F_j[c] + B_{j+1}[cap_i - w_ij - c].
    """
    m, n = profit.shape
    width = int(capacity.max()) + 1
    cols = np.arange(width)
    rows = np.arange(m)[:, None]
    valid = cols[None, :] <= capacity[:, None]
    base = np.where(valid, 0.0, -_INF)
    fits = weight <= capacity[:, None]
    p = np.where(fits, profit, -_INF)

    def step(table: np.ndarray, j: int) -> np.ndarray:
        src = cols[None, :] - weight[:, j][:, None]
        cand = np.where((src >= 0) & valid, table[rows, np.maximum(src, 0)] + p[:, j][:, None], -_INF)
        return np.maximum(table, cand)

    forward = np.empty((n + 1, m, width))
    forward[0] = base
    for j in range(n):
        forward[j + 1] = step(forward[j], j)
    best = forward[n].max(axis=1)
    penalty = np.full((m, n), _INF)
    backward = base
    for j in range(n - 1, -1, -1):
        rest = capacity - weight[:, j]
        idx = rest[:, None] - cols[None, :]
        tail = np.where(idx >= 0, backward[rows, np.maximum(idx, 0)], -_INF)
        with_j = p[:, j] + np.max(forward[j] + tail, axis=1)
        penalty[:, j] = np.where(fits[:, j], best - with_j, _INF)
        backward = step(backward, j)
    return np.maximum(penalty, 0.0)
