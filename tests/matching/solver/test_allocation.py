"""Allocation over all orders at once: hard constraints always hold, the LP part is optimal."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from market.matching.problem import AllocationProblem
from market.matching.solver import allocation
from market.matching.solver.allocation import solve_allocation
from market.matching.solver.model import build_model, to_volume
from market.matching.solver.relax_and_fix import splittable_lp
from tests.matching.helpers import check_hard_constraints, problem


def dense_lp_optimum(p: AllocationProblem) -> float:
    """The splittable LP written directly from its definition, with dense matrices."""
    n = p.n_candidates
    rows, rhs = [], []
    load = p.cand_load.toarray()
    for v in range(p.n_vendors):
        for w in range(p.n_weeks):
            rows.append(np.where(p.cand_vendor == v, load[:, w], 0.0))
            rhs.append(p.capacity[v, w])
    for o in range(p.n_orders):
        rows.append((p.cand_order == o).astype(float))
        rhs.append(p.order_volume[o])
    ub = np.minimum(p.cand_max_volume, p.order_volume[p.cand_order])
    res = linprog(
        -p.cand_score, A_ub=np.array(rows), b_ub=np.array(rhs), bounds=list(zip([0.0] * n, ub, strict=True))
    )
    assert res.status == 0
    return -res.fun


# --- small hand-made cases ---------------------------------------------------------------


def test_a_splittable_order_goes_to_the_best_bids_first():
    p = problem(
        [(100, True, 0, 0)], [(0, 0, 90, 60, [1.0]), (0, 1, 50, 100, [1.0])], [[1000], [1000]]
    )
    r = solve_allocation(p)
    assert r.volume.tolist() == pytest.approx([60, 40])
    assert r.objective == pytest.approx(90 * 60 + 50 * 40)
    assert r.status == "optimal" and r.gap_pct == pytest.approx(0.0)


def test_vendor_capacity_limits_the_volume_each_week():
    # Half the work falls in each of two weeks; the vendor has 10 seat-days in week 2.
    p = problem([(100, True, 0, 0)], [(0, 0, 90, 100, [0.5, 0.5])], [[100, 10]])
    r = solve_allocation(p)
    assert r.volume.tolist() == pytest.approx([20])


def test_an_unsplittable_order_goes_whole_to_one_vendor_or_to_none():
    # Neither vendor can take all 100 units; splitting would fit but is not allowed.
    p = problem(
        [(100, False, 0, 0)], [(0, 0, 90, 100, [1.0]), (0, 1, 80, 100, [1.0])], [[60], [60]]
    )
    r = solve_allocation(p)
    assert r.volume.tolist() == [0, 0]
    assert r.objective == 0
    # The relaxation knows a whole order that fits in no week of a vendor cannot go there, so
    # it does not split the order between the two (90 x 60 + 80 x 40) and the bound is exact.
    assert r.lp_bound == 0
    assert r.bound == 0 and r.status == "optimal"


def test_the_relaxation_leaves_out_a_whole_order_that_fits_no_week_of_a_vendor():
    # Vendor 0 scores higher but has 60 free seat-days for a 100-unit whole order; vendor 1
    # has room. The LP alone already gives the order whole to vendor 1.
    p = problem(
        [(100, False, 0, 0)], [(0, 0, 90, 100, [1.0]), (0, 1, 80, 100, [1.0])], [[60], [120]]
    )
    r = solve_allocation(p)
    assert r.volume.tolist() == [0, 100]
    assert r.lp_bound == pytest.approx(80 * 100)  # not 90 x 60 + 80 x 40
    assert r.gap_pct == 0 and r.status == "optimal"


def test_a_whole_order_goes_to_the_vendor_whose_capacity_serves_the_total_best():
    # Order 0 prefers vendor 0, but order 1 can only use vendor 0: giving order 0 to
    # vendor 1 serves both.
    p = problem(
        [(50, False, 0, 0), (50, False, 0, 0)],
        [(0, 0, 90, 50, [1.0]), (0, 1, 85, 50, [1.0]), (1, 0, 80, 50, [1.0])],
        [[50], [50]],
    )
    r = solve_allocation(p)
    assert r.volume.tolist() == [0, 50, 50]
    assert r.status == "optimal"


def test_max_vendors_caps_the_number_of_vendors_on_a_splittable_order():
    cands = [(0, v, 90 - v, 40, [1.0]) for v in range(3)]
    p = problem([(100, True, 2, 0)], cands, [[1000]] * 3)
    r = solve_allocation(p)
    assert (r.volume > 0).sum() == 2
    assert r.volume.tolist() == pytest.approx([40, 40, 0])


def test_every_allocation_is_zero_or_at_least_the_minimum_lot():
    # Vendor 0 could add 10 units after vendor 1 takes 90, but 10 is below the lot of 30.
    p = problem(
        [(100, True, 0, 30)], [(0, 0, 50, 100, [1.0]), (0, 1, 90, 90, [1.0])], [[1000], [1000]]
    )
    r = solve_allocation(p)
    check_hard_constraints(p, r.volume)
    assert r.objective == pytest.approx(max(90 * 70 + 50 * 30, 90 * 90))


def test_a_candidate_never_gets_more_than_its_bid_offers():
    p = problem([(100, True, 0, 0)], [(0, 0, 90, 30, [0.01])], [[1000]])
    assert solve_allocation(p).volume.tolist() == pytest.approx([30])


def test_an_empty_problem_is_solved_trivially():
    p = problem([(10, True, 0, 0)], [], [[5]])
    r = solve_allocation(p)
    assert r.volume.size == 0 and r.objective == 0 and r.status == "optimal"


def test_the_same_input_gives_the_same_allocation():
    rng = np.random.default_rng(7)
    p = random_problem(rng, n_orders=40, n_vendors=6, n_weeks=4)
    first, second = solve_allocation(p), solve_allocation(p)
    assert np.array_equal(first.volume, second.volume)
    assert first.objective == second.objective and first.bound == second.bound


def random_problem(
    rng: np.random.Generator, n_orders: int, n_vendors: int, n_weeks: int
) -> AllocationProblem:
    orders, cands = [], []
    for o in range(n_orders):
        vol = float(rng.integers(10, 100))
        split = bool(rng.random() < 0.6)
        orders.append(
            (
                vol,
                split,
                int(rng.integers(0, 3)) if split else 0,
                float(rng.integers(0, 20)) if split else 0.0,
            )
        )
        for v in rng.choice(n_vendors, size=min(n_vendors, 3), replace=False):
            load = np.zeros(n_weeks)
            weeks = rng.choice(n_weeks, size=int(rng.integers(1, n_weeks + 1)), replace=False)
            load[weeks] = rng.uniform(0.05, 0.5, weeks.size)
            cands.append(
                (
                    o,
                    int(v),
                    float(rng.integers(1, 100)),
                    float(rng.integers(10, 120)),
                    load.tolist(),
                )
            )
    capacity = rng.uniform(0, 60, (n_vendors, n_weeks)).tolist()
    return problem(orders, cands, capacity)


# --- properties on random small instances ------------------------------------------------


@st.composite
def instances(draw, splittable_only: bool = False) -> AllocationProblem:
    n_vendors = draw(st.integers(1, 3))
    n_weeks = draw(st.integers(1, 3))
    n_orders = draw(st.integers(1, 5))
    orders, cands = [], []
    for o in range(n_orders):
        volume = float(draw(st.integers(1, 100)))
        split = True if splittable_only else draw(st.booleans())
        max_vendors = 0 if splittable_only or not split else draw(st.integers(0, 2))
        min_lot = 0.0 if splittable_only or not split else float(draw(st.integers(0, int(volume))))
        orders.append((volume, split, max_vendors, min_lot))
        for v in range(n_vendors):
            if draw(st.booleans()):
                load = [
                    draw(st.sampled_from([0.0, 0.05, 0.1, 0.25, 0.5, 1.0])) for _ in range(n_weeks)
                ]
                score = float(draw(st.integers(0, 100)))
                max_volume = float(draw(st.integers(0, 150)))
                cands.append((o, v, score, max_volume, load))
    capacity = [[float(draw(st.integers(0, 60))) for _ in range(n_weeks)] for _ in range(n_vendors)]
    if not cands:
        return problem(orders, [], capacity)
    return problem(orders, cands, capacity)


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(instances())
def test_random_instances_respect_every_hard_constraint(p):
    r = solve_allocation(p)
    check_hard_constraints(p, r.volume)
    assert r.objective == pytest.approx(float(p.cand_score @ r.volume), abs=1e-6)
    assert r.bound >= r.objective - 1e-6 * max(1.0, r.objective)
    assert 0.0 <= r.gap_pct <= 100.0
    assert r.status in ("optimal", "feasible")


@PROPERTY
@given(instances())
def test_relax_and_fix_alone_respects_every_hard_constraint(p):
    # Large problems skip branch and cut on the whole problem; force that path here.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(allocation, "EXACT_MAX_BINARIES", 0)
        r = solve_allocation(p)
    check_hard_constraints(p, r.volume)
    assert r.bound >= r.objective - 1e-6 * max(1.0, r.objective)
    assert r.splittable_objective == pytest.approx(r.splittable_lp_optimum, rel=1e-9, abs=1e-6)


@PROPERTY
@given(instances(splittable_only=True))
def test_a_purely_splittable_instance_is_solved_to_its_lp_optimum(p):
    r = solve_allocation(p)
    check_hard_constraints(p, r.volume)
    expected = dense_lp_optimum(p) if p.n_candidates else 0.0
    assert r.objective == pytest.approx(expected, rel=1e-7, abs=1e-6)
    assert r.splittable_objective == pytest.approx(r.splittable_lp_optimum, rel=1e-9, abs=1e-6)
    assert r.status == "optimal"


@PROPERTY
@given(instances())
def test_small_instances_with_whole_orders_only_reach_the_true_optimum(p):
    whole = replace(p, order_splittable=np.zeros(p.n_orders, dtype=bool))
    r = solve_allocation(whole)
    check_hard_constraints(whole, r.volume)
    assert r.objective == pytest.approx(brute_force_whole_orders(whole), rel=1e-6, abs=1e-6)
    assert r.status == "optimal"


def brute_force_whole_orders(p: AllocationProblem) -> float:
    """Try every assignment of each order to one of its full-volume candidates or to none."""
    options = []
    for o in range(p.n_orders):
        mine = [
            c for c in np.flatnonzero(p.cand_order == o).tolist()
            if p.cand_max_volume[c] >= p.order_volume[o] and p.cand_score[c] > 0
        ]
        options.append([None, *mine])
    load = p.cand_load.toarray()
    best = 0.0
    for pick in itertools.product(*options):
        used = np.zeros_like(p.capacity)
        value = 0.0
        for o, c in enumerate(pick):
            if c is not None:
                used[p.cand_vendor[c]] += load[c] * p.order_volume[o]
                value += p.cand_score[c] * p.order_volume[o]
        if (used <= p.capacity + 1e-9).all():
            best = max(best, value)
    return best


def test_the_allocation_runs_in_a_process_that_has_loaded_ortools():
    # The GAP solver may use OR-Tools; scipy's private HiGHS must coexist with it.
    cp_model = pytest.importorskip("ortools.sat.python.cp_model")
    model = cp_model.CpModel()
    x = model.new_bool_var("x")
    model.maximize(x)
    assert cp_model.CpSolver().solve(model) == cp_model.OPTIMAL
    p = problem(
        [(100, False, 0, 0), (100, True, 0, 0)],
        [(0, 0, 90, 100, [1.0]), (1, 0, 50, 100, [1.0])],
        [[150]],
    )
    r = solve_allocation(p)
    assert r.volume.tolist() == pytest.approx([100, 50])


# --- when the LPs do not finish within the time limit ----------------------------------------


@PROPERTY
@given(instances())
def test_without_time_for_the_lp_relaxation_the_fallback_is_feasible_and_its_bound_holds(p):
    # No time for the LP relaxation at all: the Lagrangian bound and the greedy allocation.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(allocation, "_LP_SHARE", 0.0)
        r = solve_allocation(p)
    check_hard_constraints(p, r.volume)
    assert r.objective == pytest.approx(float(p.cand_score @ r.volume), abs=1e-6)
    if build_model(p).usable.size:  # some candidate can be given something
        assert r.status == "time_limit" and r.solver.startswith("lagrangian-greedy")
        # A valid bound: never below the LP relaxation's value, never below the answer.
        assert r.bound >= solve_allocation(p).lp_bound - 1e-6 * max(1.0, r.bound)
    assert r.bound >= r.objective - 1e-6 * max(1.0, r.objective)


@PROPERTY
@given(instances())
def test_a_splittable_lp_cut_off_by_the_time_limit_leaves_a_greedy_feasible_fill(p):
    m = build_model(p)
    full = solve_allocation(p)
    share = np.where(m.unsplit, full.volume / p.order_volume[p.cand_order], 0.0)
    nothing = np.zeros(p.n_orders, dtype=bool)
    out, value = splittable_lp(m, share, nothing, np.zeros(m.obj.size, dtype=bool), deadline=0.0)
    assert np.isnan(value) == bool((~m.unsplit[m.usable]).any())  # nothing to solve: no LP
    assert np.array_equal(out[m.unsplit], share[m.unsplit])  # the whole orders stay
    check_hard_constraints(p, to_volume(p, m, out))


def test_a_run_whose_lp_relaxation_is_cut_off_says_so_and_keeps_every_rule():
    # A problem whose LP takes far longer than a millisecond: the real time limit binds.
    p = random_problem(np.random.default_rng(3), n_orders=400, n_vendors=30, n_weeks=6)
    r = solve_allocation(p, time_limit=0.001)
    check_hard_constraints(p, r.volume)
    assert r.status == "time_limit" and r.solver.startswith("lagrangian-greedy")
    assert r.objective > 0 and r.bound >= solve_allocation(p).lp_bound * (1 - 1e-9)
