"""Allocate volume to candidates to maximise the total score, within every hard constraint."""

from __future__ import annotations

import math
import time

import numpy as np

from market.matching.problem import AllocationProblem, AllocationResult
from market.matching.solver.fallback import greedy_fill, lagrangian_bound
from market.matching.solver.highs import HIGHS
from market.matching.solver.local_search import local_search
from market.matching.solver.model import EPS, Model, build_model, to_volume
from market.matching.solver.relax_and_fix import Candidate, decide, relax_and_fix, splittable_lp
from market.matching.solver.status import Status
from market.matching.solver.subproblems import solve_lp
from market.matching.solver.whole_orders import gap_shaped, improve_whole_orders

__all__ = ["EXACT_MAX_BINARIES", "solve_allocation"]

# Solver choice. The splittable part is a plain LP and the unsplittable part a GAP whose
# items (orders) consume capacity in several weeks at once, linked to the LP through the
# shared vendor-weeks. HiGHS (bundled with scipy) does both: its dual simplex returns an exact
# vertex optimum of the sparse LP (a vertex keeps the fractional orders few, which the
# rounding step relies on), and its branch and cut takes the same matrices with integrality
# marks, is deterministic and has a node limit, so no second modelling layer is needed.
# Alternatives weighed: GLOP solves the LP too but would need the MILP elsewhere; a min-cost
# flow cannot express one candidate consuming several vendor-weeks in fixed proportions;
# CP-SAT needs integer coefficients, while loads are fractional seat-days per unit.

# Up to this many 0/1 decisions, branch and cut also runs on the whole problem.
EXACT_MAX_BINARIES = 1000
_EXACT_REL_GAP = 1e-6  # branch and cut on the whole problem: the "optimal" status threshold
# The LP relaxation may use this share of the time limit; when it does not finish by then, the
# rest goes to the fallback (a Lagrangian bound and a greedy allocation on its prices), whose
# cost grows with the problem, not with the limit (about 2 s at 125,000 columns).
_LP_SHARE = 0.8
_FALLBACK_SHARE = 0.95


def _improved(m: Model, best: Candidate, share: np.ndarray, deadline: float) -> Candidate:
    """``best``, or the solution with these shares after the splittable LP when it is better."""
    if share is best.share:
        return best
    other = Candidate(share, best.decided, best.support)
    other.share, other.split_lp = splittable_lp(
        m, other.share, other.decided, other.support, deadline
    )
    other.value = float(m.obj @ other.share)
    return other if other.value > best.value * (1 + 1e-12) else best


def _fallback(m: Model, deadline: float, stats: dict[str, float]) -> tuple[Candidate, float]:
    """The LP relaxation did not finish in time: a greedy allocation, and a Lagrangian bound.

    Greedy by score first (its value steers the subgradient steps), then greedy by the
    score less the Lagrangian prices of the seat-days a candidate takes; the better one wins.
    """
    nothing = np.zeros(m.obj.size)
    plain = greedy_fill(m, m.usable, nothing, m.obj)
    floor = float(m.obj @ plain)
    bound, prices = lagrangian_bound(m, m.usable, deadline, floor)
    priced = greedy_fill(m, m.usable, nothing, m.obj - m.a_cap.T @ prices)
    share = priced if float(m.obj @ priced) > floor else plain
    stats["lagrangian_bound"] = bound
    every = np.ones(m.n_orders, dtype=bool)
    best = Candidate(share, every, share > EPS, split_lp=math.nan, value=float(m.obj @ share))
    return best, max(bound, best.value)


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
    4. Whole orders (``whole_orders.improve_whole_orders``): they are decided again as one
       assignment problem on the seat-days the splittable orders leave, by the GAP solver
       (LP, Lagrangian bound, ejection-chain search, CP-SAT on the reduced problem) when the
       problem is a GAP (whole orders only, each candidate's load in one vendor-week), else
       by CP-SAT with reduced-cost fixing from the current assignment, one capacity row per
       vendor-week; then step 3 again, kept when the total is higher. Before it, except on
       a GAP, the local search of relax-and-fix: up to ``LOCAL_SEARCH_ROUNDS`` small branch
       and cuts, each around an unsplittable order that is unassigned or below its best
       candidate, moving whole orders between the vendors involved; then step 3 again. So
       the answer is never worse than relax-and-fix with its local search.
    5. With at most ``EXACT_MAX_BINARIES`` 0/1 decisions, branch and cut also runs on the
       whole problem, followed by step 3; the better of the two allocations wins and its
       bound tightens the LP's. When the GAP solver saw the whole problem, its bound
       tightens the LP's instead, and this step is left out.

    So "optimal" for the splittable part means LP-optimal given those 0/1 decisions, and the
    whole allocation is within ``gap_pct`` of the bound. Every phase is limited by work
    (branch-and-cut nodes, search iterations, CP-SAT deterministic time, sized from
    ``time_limit``), so the answer is the same for the same input and time limit. The
    wall clock is a safety net: ``time_limit`` seconds from the start, for every phase;
    when the net fires, the best allocation so far is returned with its bound, the status
    says "time_limit" and the result may depend on the machine's speed. The LPs are limited
    too: when the LP relaxation is not solved within 80 % of the limit, the answer is
    greedy on Lagrangian seat-day prices, with the Lagrangian bound
    (``fallback.lagrangian_bound``); when a later splittable LP is cut off, the splittable
    orders are filled greedily. So a run returns within ``time_limit`` plus the last
    sub-problem's overshoot (measured: within 10 %).
    """
    t0 = time.perf_counter()
    # The safety net counts from the start of the run.
    limit = max(0.0, float(time_limit))
    deadline = t0 + limit
    m = build_model(problem)
    n_orders = problem.n_orders
    n_cand = problem.n_candidates
    stats: dict[str, float] = {"candidates": float(n_cand), "usable": float(m.usable.size)}
    best = Candidate(np.zeros(n_cand), np.zeros(n_orders, bool), np.zeros(n_cand, bool))
    hit_time = False
    solver = "highs-lp"
    mip_bound = math.inf
    lp_bound = 0.0

    if m.usable.size:
        lp_deadline = t0 + _LP_SHARE * limit
        relax = solve_lp(
            m, m.usable, np.zeros(m.usable.size), m.ub[m.usable], m.b_cap, np.ones(n_orders),
            vendor_rows=True, deadline=lp_deadline,
        )
        if relax is None and time.perf_counter() < lp_deadline:
            # Zero is feasible and the LP bounded: only numerical trouble stops HiGHS early.
            raise RuntimeError("HiGHS failed to solve the LP relaxation of the allocation")
        if relax is None:
            best, lp_bound = _fallback(m, t0 + _FALLBACK_SHARE * limit, stats)
            return _result(problem, m, best, lp_bound, math.inf, "lagrangian-greedy", True, t0, stats)
        lp_bound = relax.value
        best.share[m.usable] = relax.x
        best.value = relax.value
        stats["lp_seconds"] = time.perf_counter() - t0

        orders = np.unique(m.order[m.usable])
        unsplit_orders = orders[~problem.order_splittable[orders]]
        constrained = orders[m.active[orders]]
        n_binaries = m.columns_of(np.concatenate([unsplit_orders, constrained])).size
        stats["binaries"] = float(n_binaries)
        if n_binaries:
            solver = "highs-relax-and-fix"
            t1 = time.perf_counter()
            best, hit = relax_and_fix(m, relax, unsplit_orders, constrained, deadline, stats)
            hit_time |= hit
            best.share, best.split_lp = splittable_lp(
                m, best.share, best.decided, best.support, deadline
            )
            best.value = float(m.obj @ best.share)
            stats["relax_and_fix_value"] = best.value
            t2 = time.perf_counter()
            stats["relax_and_fix_seconds"] = t2 - t1
            # A GAP (whole orders only, one capacity row each) goes to the GAP engine at once:
            # its searches and exact phase replace the local search. Otherwise the local
            # search runs first and the whole-order phase improves on its result, so the
            # answer is never worse than relax-and-fix with local search alone.
            if not gap_shaped(m):
                t3 = time.perf_counter()
                share, hit = local_search(m, best, deadline, stats)
                hit_time |= hit
                best = _improved(m, best, share, deadline)
                stats["local_search_seconds"] = time.perf_counter() - t3
            if unsplit_orders.size and time.perf_counter() < deadline:
                share, hit, whole_bound = improve_whole_orders(
                    m, best.share, max(0.0, float(time_limit)), deadline, stats
                )
                hit_time |= hit
                mip_bound = min(mip_bound, whole_bound)
                best = _improved(m, best, share, deadline)
                # The label names the phases that ran (the engine may find nothing better).
                if stats.get("whole_engine_gap"):
                    solver = "highs-relax-and-fix+whole-orders-gap"
                elif stats.get("whole_cpsat_ran"):
                    solver = "highs-relax-and-fix+whole-orders-cp-sat"
                if math.isfinite(whole_bound):
                    # The GAP solver saw the whole problem: its bound holds, and its exact phase
                    # (CP-SAT on the reduced problem) replaces branch and cut on the whole.
                    n_binaries = 0
        if 0 < n_binaries <= EXACT_MAX_BINARIES and time.perf_counter() < deadline:
            nothing = np.zeros(problem.n_candidates, dtype=bool)
            share, hit, exact_bound = decide(
                m, np.zeros(problem.n_candidates), orders, m.usable, m.obj, nothing,
                np.zeros(n_orders, dtype=bool), deadline, stats, _EXACT_REL_GAP,
            )
            # Nothing was fixed, so the branch-and-cut bound holds for the whole problem.
            mip_bound = min(mip_bound, exact_bound)
            hit_time |= hit
            decided = np.zeros(n_orders, dtype=bool)  # only 0/1 orders keep their vendor sets
            decided[unsplit_orders] = True
            decided[constrained] = True
            exact = Candidate(share, decided, share > EPS)
            exact.share, exact.split_lp = splittable_lp(
                m, exact.share, exact.decided, exact.support, deadline
            )
            exact.value = float(m.obj @ exact.share)
            if exact.value > best.value * (1 + 1e-12):
                best = exact
                solver = "highs-milp"
    if solver == "highs-lp":
        split_cols = m.usable[~m.unsplit[m.usable]]
        best.split_lp = float(m.obj[split_cols] @ best.share[split_cols])
    hit_time |= math.isnan(best.split_lp)  # a splittable LP was cut off by the time limit
    return _result(problem, m, best, lp_bound, mip_bound, solver, hit_time, t0, stats)


def _result(
    problem: AllocationProblem,
    m: Model,
    best: Candidate,
    lp_bound: float,
    mip_bound: float,
    solver: str,
    hit_time: bool,
    t0: float,
    stats: dict[str, float],
) -> AllocationResult:
    volume = to_volume(problem, m, best.share)
    objective = float(problem.cand_score @ volume)
    split_c = problem.order_splittable[problem.cand_order]
    split_obj = float(problem.cand_score[split_c] @ volume[split_c])
    # A tolerance-level excess of the objective is no gap; + 0.0 turns -0.0 into 0.0.
    bound = max(min(lp_bound, mip_bound), objective) + 0.0
    gap = 0.0 if bound <= 0 else 100.0 * (bound - objective) / bound
    status = Status.TIME_LIMIT if hit_time else Status.OPTIMAL if gap <= 1e-4 else Status.FEASIBLE
    stats["seconds_total"] = time.perf_counter() - t0
    return AllocationResult(
        volume=volume,
        objective=objective,
        bound=bound,
        gap_pct=gap,
        seconds=time.perf_counter() - t0,
        status=status,
        solver=f"{solver} ({HIGHS})",
        splittable_objective=split_obj,
        splittable_lp_optimum=best.split_lp,
        lp_bound=lp_bound,
        stats=stats,
    )
