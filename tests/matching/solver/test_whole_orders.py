"""Whole (not-splittable) orders on the product path: as strong as the GAP solver, never worse
than relax-and-fix, sound on the multi-week model, deterministic."""

from __future__ import annotations

import itertools
import math
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from market.matching.gap.orlib import GapInstance
from market.matching.gap.solver import solve_gap
from market.matching.problem import AllocationProblem
from market.matching.solver import allocation, whole_orders
from market.matching.solver.allocation import solve_allocation
from tests.matching.helpers import check_hard_constraints, problem

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def mixed(draw, max_orders: int = 4) -> AllocationProblem:
    """Small multi-week instances with whole orders and splittable ones (some with max vendors
    and minimum lots), loads over one to three weeks."""
    n_vendors = draw(st.integers(1, 3))
    n_weeks = draw(st.integers(1, 3))
    n_orders = draw(st.integers(1, max_orders))
    orders, cands = [], []
    for o in range(n_orders):
        volume = float(draw(st.integers(1, 60)))
        split = draw(st.booleans())
        max_vendors = draw(st.integers(0, 2)) if split else 0
        min_lot = float(draw(st.integers(0, int(volume)))) if split else 0.0
        orders.append((volume, split, max_vendors, min_lot))
        for v in range(n_vendors):
            if draw(st.booleans()):
                load = [draw(st.sampled_from([0.0, 0.1, 0.25, 0.5, 1.0])) for _ in range(n_weeks)]
                score = float(draw(st.integers(1, 100)))
                offer = float(draw(st.sampled_from([volume, volume / 2, 2 * volume])))
                cands.append((o, v, score, offer, load))
    capacity = [[float(draw(st.integers(0, 40))) for _ in range(n_weeks)] for _ in range(n_vendors)]
    return problem(orders, cands, capacity)


def today(p: AllocationProblem, monkeypatch: pytest.MonkeyPatch) -> float:
    """The objective of relax-and-fix with its local search alone (the path before this phase)."""
    with monkeypatch.context() as mp:
        mp.setattr(allocation, "improve_whole_orders", lambda m, share, *a, **k: (share, False, math.inf))
        mp.setattr(allocation, "gap_shaped", lambda m: False)
        return solve_allocation(p).objective


@PROPERTY
@given(mixed())
def test_mixed_multi_week_allocations_are_feasible_bounded_and_never_worse_than_relax_and_fix(p):
    with pytest.MonkeyPatch.context() as mp:
        r = solve_allocation(p)
        check_hard_constraints(p, r.volume)
        assert r.bound >= r.objective - 1e-6 * max(1.0, r.objective)
        assert r.objective >= today(p, mp) - 1e-6 * max(1.0, r.objective)
        assert r.splittable_objective == pytest.approx(r.splittable_lp_optimum, rel=1e-9, abs=1e-6)


@PROPERTY
@given(mixed())
def test_without_branch_and_cut_on_the_whole_problem_the_answer_is_still_sound(p):
    # Large problems skip the exact step: the whole-order phase then carries the quality.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(allocation, "EXACT_MAX_BINARIES", 0)
        r = solve_allocation(p)
        check_hard_constraints(p, r.volume)
        assert r.bound >= r.objective - 1e-6 * max(1.0, r.objective)
        assert r.objective >= today(p, mp) - 1e-6 * max(1.0, r.objective)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mixed(max_orders=3))
def test_tiny_mixed_instances_reach_the_brute_force_optimum(p):
    r = solve_allocation(p)
    check_hard_constraints(p, r.volume)
    assert r.objective == pytest.approx(brute_force(p), rel=1e-6, abs=1e-6)


def brute_force(p: AllocationProblem) -> float:
    """Every whole order to one of its full-volume candidates or to none; every splittable order
    whose max vendors or minimum lot can bite to each allowed set of its candidates (each at
    least the lot); the remaining volumes by a dense LP. The best total."""
    volume = p.order_volume[p.cand_order]
    offer = np.minimum(p.cand_max_volume, volume)
    lot = p.order_min_lot[p.cand_order]
    usable = (p.cand_score > 0) & np.where(
        p.order_splittable[p.cand_order], offer >= np.maximum(lot, 1e-12), p.cand_max_volume >= volume
    )
    choices = []
    for o in range(p.n_orders):
        mine = [c for c in np.flatnonzero((p.cand_order == o) & usable).tolist()]
        if not p.order_splittable[o]:
            choices.append([(c,) if c is not None else () for c in [None, *mine]])
            continue
        k = int(p.order_max_vendors[o]) or len(mine)
        if p.order_min_lot[o] > 0 or k < len(mine):
            choices.append([s for r in range(min(k, len(mine)) + 1) for s in itertools.combinations(mine, r)])
        else:
            choices.append([tuple(mine)])
    load = p.cand_load.toarray()
    best = 0.0
    for pick in itertools.product(*choices):
        lo = np.zeros(p.n_candidates)
        hi = np.zeros(p.n_candidates)
        for o, chosen in enumerate(pick):
            for c in chosen:
                if p.order_splittable[o]:
                    hi[c] = offer[c]
                    lo[c] = lot[c] if (p.order_min_lot[o] > 0 or p.order_max_vendors[o]) else 0.0
                else:
                    lo[c] = hi[c] = volume[c]
        rows, rhs = [], []
        for v in range(p.n_vendors):
            for w in range(p.n_weeks):
                rows.append(np.where(p.cand_vendor == v, load[:, w], 0.0))
                rhs.append(p.capacity[v, w])
        for o in range(p.n_orders):
            rows.append((p.cand_order == o).astype(float))
            rhs.append(p.order_volume[o])
        if p.n_candidates == 0:
            continue
        res = linprog(
            -p.cand_score, A_ub=np.array(rows), b_ub=np.array(rhs),
            bounds=list(zip(lo, hi, strict=True)), method="highs",
        )
        if res.status == 0:
            best = max(best, -res.fun)
    return best


# --- GAP-shaped input -------------------------------------------------------------------


def gap_problem(cost: np.ndarray, weight: np.ndarray, capacity: np.ndarray, base: float):
    """A GAP posed as an allocation: one week, a vendor per agent, a whole order of volume 1
    per job, a candidate per feasible pair scoring base - cost (as bench_gap --product-path)."""
    m, n = cost.shape
    orders = [(1.0, False, 0, 0.0)] * n
    cands = [
        (j, i, base - float(cost[i, j]), 1.0, [float(weight[i, j])])
        for i in range(m)
        for j in range(n)
        if weight[i, j] <= capacity[i]
    ]
    return problem(orders, cands, [[float(c)] for c in capacity])


def test_a_gap_posed_to_the_product_is_solved_by_the_gap_engine_to_the_gap_optimum():
    rng = np.random.default_rng(5)
    m, n = 5, 40
    weight = rng.integers(5, 25, size=(m, n))
    cost = rng.integers(10, 50, size=(m, n))
    capacity = (0.8 * weight.sum(axis=1) / m).astype(int)
    reference = solve_gap(GapInstance("ref", "min", cost, weight, capacity), time_limit=10)
    assert reference.status == "optimal"
    base = n * 40 + 51.0  # every order worth more than all differences together
    r = solve_allocation(gap_problem(cost, weight, capacity, base), time_limit=10)
    assert "whole-orders-gap" in r.solver or r.stats.get("whole_engine_gap")
    assert n * base - r.objective == pytest.approx(reference.objective)
    assert r.status == "optimal" and r.bound == pytest.approx(r.objective)


def test_a_gap_where_leaving_orders_out_pays_is_solved_with_a_dummy_agent():
    # Low scores and tight capacity: the best allocation leaves some orders out.
    rng = np.random.default_rng(11)
    m, n = 3, 12
    weight = rng.integers(5, 25, size=(m, n))
    cost = rng.integers(0, 30, size=(m, n))
    capacity = (0.4 * weight.sum(axis=1) / m).astype(int)
    p = gap_problem(cost, weight, capacity, base=31.0)
    r = solve_allocation(p, time_limit=10)
    check_hard_constraints(p, r.volume)
    assert r.stats.get("whole_engine_gap") and r.stats.get("whole_gap_dummy")
    assert (r.volume > 0).sum() < n
    assert r.objective == pytest.approx(brute_force_gap(p))
    assert r.status == "optimal"


def brute_force_gap(p: AllocationProblem) -> float:
    """Best subset assignment of a small GAP-shaped problem, by dynamic programming over jobs."""
    states = {tuple(np.zeros(p.n_vendors)): 0.0}
    load = p.cand_load.toarray()[:, 0]
    for o in range(p.n_orders):
        nxt = dict(states)
        for used, value in states.items():
            for c in np.flatnonzero(p.cand_order == o).tolist():
                v = int(p.cand_vendor[c])
                u = list(used)
                u[v] += load[c]
                if u[v] <= p.capacity[v, 0] + 1e-9:
                    key = tuple(u)
                    nxt[key] = max(nxt.get(key, -1.0), value + p.cand_score[c])
        states = nxt
    return max(states.values())


def test_the_whole_order_phase_is_deterministic_on_multi_week_problems():
    rng = np.random.default_rng(3)
    n_orders, n_vendors, n_weeks = 60, 6, 4
    orders, cands = [], []
    for o in range(n_orders):
        orders.append((float(rng.integers(10, 60)), False, 0, 0.0))
        for v in rng.choice(n_vendors, size=3, replace=False).tolist():
            load = np.zeros(n_weeks)
            weeks = rng.choice(n_weeks, size=2, replace=False)
            load[weeks] = rng.uniform(0.05, 0.3, 2)
            cands.append((o, v, float(rng.integers(20, 100)), 100.0, load.tolist()))
    p = problem(orders, cands, rng.uniform(20, 60, (n_vendors, n_weeks)).tolist())
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(allocation, "EXACT_MAX_BINARIES", 0)
        mp.setattr(whole_orders, "CPSAT_MIN_GAIN", 0.0)  # always run CP-SAT here
        first, second = solve_allocation(p, time_limit=30), solve_allocation(p, time_limit=30)
    assert first.stats.get("whole_engine_cpsat") and not first.stats.get("whole_clock_bound")
    check_hard_constraints(p, first.volume)
    assert np.array_equal(first.volume, second.volume)
    assert (first.objective, first.bound) == (second.objective, second.bound)


def test_a_short_time_limit_is_kept_with_the_best_found_so_far():
    # Type-D-like GAP of 20 x 200: far from provable in half a second.
    rng = np.random.default_rng(1020)
    m, n = 20, 200
    weight = rng.integers(1, 101, size=(m, n))
    cost = 111 - weight + rng.integers(-10, 11, size=(m, n))
    capacity = (0.8 * weight.sum(axis=1) / m).astype(int)
    p = gap_problem(cost, weight, capacity, base=n * 140 + 1.0)
    started = time.perf_counter()
    r = solve_allocation(p, time_limit=1.0)
    elapsed = time.perf_counter() - started
    check_hard_constraints(p, r.volume)
    assert r.bound >= r.objective
    assert r.gap_pct >= 0.0
    assert elapsed < 3.0  # the limit plus the LPs and compiled phases between clock checks


def test_a_gap_too_large_for_dense_matrices_goes_to_cp_sat_and_stays_sound():
    rng = np.random.default_rng(8)
    m, n = 4, 30
    weight = rng.integers(5, 25, size=(m, n))
    cost = rng.integers(10, 50, size=(m, n))
    capacity = (0.7 * weight.sum(axis=1) / m).astype(int)
    p = gap_problem(cost, weight, capacity, base=60.0)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(whole_orders, "MAX_GAP_CELLS", 0)
        mp.setattr(allocation, "EXACT_MAX_BINARIES", 0)
        mp.setattr(whole_orders, "CPSAT_MIN_GAIN", 0.0)
        r = solve_allocation(p, time_limit=10)
        before = today(p, mp)
    assert r.stats.get("whole_engine_cpsat") and not r.stats.get("whole_engine_gap")
    check_hard_constraints(p, r.volume)
    assert r.objective >= before - 1e-6
    assert r.bound >= r.objective
