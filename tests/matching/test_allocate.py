"""Allocation over all orders at once: hard constraints always hold, the LP part is optimal."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from market.matching import allocate
from market.matching.allocate import AllocationProblem, match, solve_allocation
from market.matching.calendar import RunningContract
from market.matching.eligibility import Bid, Capability, Order, Vendor

TOL = 1e-6


def problem(
    orders: list[tuple[float, bool, int, float]],
    cands: list[tuple[int, int, float, float, list[float]]],
    capacity: list[list[float]],
) -> AllocationProblem:
    """orders: (volume, splittable, max vendors, min lot); cands: (order, vendor, score,
    max volume, seat-days per unit in each week); capacity: vendors x weeks."""
    return AllocationProblem(
        order_volume=np.array([o[0] for o in orders], dtype=float),
        order_splittable=np.array([o[1] for o in orders], dtype=bool),
        order_max_vendors=np.array([o[2] for o in orders], dtype=np.int64),
        order_min_lot=np.array([o[3] for o in orders], dtype=float),
        cand_order=np.array([c[0] for c in cands], dtype=np.int64),
        cand_vendor=np.array([c[1] for c in cands], dtype=np.int64),
        cand_score=np.array([c[2] for c in cands], dtype=float),
        cand_max_volume=np.array([c[3] for c in cands], dtype=float),
        cand_load=sp.csr_matrix(
            np.array([c[4] for c in cands], dtype=float).reshape(len(cands), len(capacity[0]))
        ),
        capacity=np.array(capacity, dtype=float),
    )


def check_hard_constraints(p: AllocationProblem, volume: np.ndarray) -> None:
    assert volume.shape == (p.n_candidates,)
    assert (volume >= 0).all()
    assert (volume <= p.cand_max_volume * (1 + TOL) + TOL).all()
    given_ = np.bincount(p.cand_order, weights=volume, minlength=p.n_orders)
    assert (given_ <= p.order_volume * (1 + TOL) + TOL).all()
    used = np.zeros_like(p.capacity)
    coo = p.cand_load.tocoo()
    np.add.at(used, (p.cand_vendor[coo.row], coo.col), coo.data * volume[coo.row])
    assert (used <= p.capacity + TOL * np.maximum(1.0, p.capacity)).all()
    for o in range(p.n_orders):
        mine = np.flatnonzero((p.cand_order == o) & (volume > 0))
        if not p.order_splittable[o]:
            assert mine.size <= 1
            if mine.size:
                assert volume[mine[0]] == pytest.approx(p.order_volume[o])
        else:
            if p.order_max_vendors[o] > 0:
                assert mine.size <= p.order_max_vendors[o]
            assert (volume[mine] >= p.order_min_lot[o] * (1 - TOL) - TOL).all()


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
        -p.cand_score,
        A_ub=np.array(rows),
        b_ub=np.array(rhs),
        bounds=list(zip([0.0] * n, ub, strict=True)),
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
    assert r.lp_bound == pytest.approx(90 * 60 + 80 * 40)  # the LP relaxation splits it
    assert r.bound == 0 and r.status == "optimal"  # branch and cut proves nothing fits


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


def test_invalid_arrays_are_refused():
    with pytest.raises(ValueError, match="order volumes must be positive"):
        problem([(0, True, 0, 0)], [(0, 0, 90, 30, [1.0])], [[5]])
    with pytest.raises(ValueError, match="cand_vendor out of range"):
        problem([(10, True, 0, 0)], [(0, 3, 90, 30, [1.0])], [[5]])


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
        mp.setattr(allocate, "EXACT_MAX_BINARIES", 0)
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


# --- the convenience layer ------------------------------------------------------------------

START, END = date(2026, 12, 1), date(2026, 12, 11)  # 9 working days in 2026-W49 and W50


def order(oid: str, volume: float = 900, **kw) -> Order:
    defaults = dict(
        modality="image",
        annotation_type="bbox",
        budget_ceiling=volume * 0.3,
        start=START,
        deadline=END,
    )
    return Order(id=oid, volume=volume, **{**defaults, **kw})


def vendor(vid: str, seats: int = 10, throughput: float = 100, **kw) -> Vendor:
    return Vendor(
        id=vid, seats=seats, capabilities={("image", "bbox"): Capability(throughput, 0.8)}, **kw
    )


def test_match_reports_refusals_scores_volumes_and_reasons_for_every_bid():
    orders = [order("o1", splittable=True, max_vendors=1)]
    vendors = [vendor("a"), vendor("b"), vendor("c", verification="pending")]
    bids = [
        Bid("x", "o1", "a", 0.2, 900, quality=0.9),
        Bid("y", "o1", "b", 0.2, 900, quality=0.5),
        Bid("z", "o1", "c", 0.2, 900, quality=0.9),
    ]
    r = match(orders, vendors, bids)
    x, y, z = r.outcomes
    assert [o.bid_id for o in r.outcomes] == ["x", "y", "z"]
    assert x.eligible and x.volume == pytest.approx(900) and x.reason is None
    assert y.eligible and y.volume == 0
    assert y.reason.code == "outscored"
    assert y.reason.message == "outscored: order covered by higher-scoring bids"
    assert y.score.total < x.score.total
    assert not z.eligible and z.volume == 0 and z.score is None and z.reason is None
    assert [f.code for f in z.refusals] == ["vendor_not_verified"]
    assert r.allocated() == [x]
    assert r.objective == pytest.approx(x.score.total * 900)
    assert r.status == "optimal"


def test_a_losing_bid_hears_which_week_its_vendor_ran_out_of_capacity():
    # Vendor a (one seat) is nearly booked up in week 2026-W50 by a running contract, and 5/9
    # of every unit's work falls in that week; b is free but scores lower.
    orders = [order("o1", splittable=True)]
    vendors = [vendor("a", seats=1), vendor("b", seats=10, local=False)]
    running = [RunningContract("a", 4.5, date(2026, 12, 7), date(2026, 12, 11))]
    bids = [
        Bid("x", "o1", "a", 0.2, 900, quality=0.95),
        Bid("y", "o1", "b", 0.29, 900, quality=0.3),
    ]
    r = match(orders, vendors, bids, running=running)
    x, y = r.outcomes
    assert x.volume == pytest.approx(0.5 / (5 / 9 / 100))
    assert x.reason.code == "vendor_capacity"
    assert x.reason.message == "partly allocated: vendor capacity exhausted in week 2026-W50"
    assert y.volume == pytest.approx(900 - x.volume)


def test_a_losing_bid_on_an_order_at_its_vendor_limit_is_told_so():
    # Bid x offers only 600 of the 900 units, but with a limit of one vendor its high score
    # still beats y taking all 900, and y cannot add the rest.
    orders = [order("o1", splittable=True, max_vendors=1)]
    bids = [
        Bid("x", "o1", "a", 0.2, 600, quality=0.99),
        Bid("y", "o1", "b", 0.29, 900, quality=0.2),
    ]
    r = match(orders, [vendor("a"), vendor("b")], bids)
    x, y = r.outcomes
    assert x.score.total * 600 > y.score.total * 900
    assert x.volume == pytest.approx(600) and x.reason is None
    assert y.volume == 0
    assert y.reason.code == "max_vendors"
    assert y.reason.message == "order already has its maximum of 1 vendor"


def test_a_vendor_too_small_for_a_whole_order_is_told_how_short_it_is():
    # One seat at 50 a day over 9 days covers 450 of the 900 units: b gets the order.
    bids = [
        Bid("x", "o1", "a", 0.2, 900, quality=0.99),
        Bid("y", "o1", "b", 0.29, 900, quality=0.2),
    ]
    r = match([order("o1")], [vendor("a", seats=1, throughput=50), vendor("b")], bids)
    x, y = r.outcomes
    assert x.volume == 0 and y.volume == pytest.approx(900)
    assert x.reason.code == "vendor_capacity"
    # Week 2026-W50 has 5 seat-days and would need 10 (5/9 of 18).
    assert (
        x.reason.message == "not enough vendor capacity in week 2026-W50 (5 of 10 seat-days free)"
    )


def test_nothing_goes_to_an_ineligible_bid_even_when_it_would_score_best():
    orders = [order("o1", data_classification="core")]
    vendors = [vendor("a", clearance="core"), vendor("b")]
    bids = [Bid("x", "o1", "a", 0.29, 900, quality=0.1), Bid("y", "o1", "b", 0.1, 900, quality=1.0)]
    r = match(orders, vendors, bids)
    assert [o.volume for o in r.outcomes] == pytest.approx([900, 0])
    assert [f.code for f in r.outcomes[1].refusals] == ["clearance_too_low"]


def test_match_refuses_inconsistent_input():
    with pytest.raises(ValueError, match="unknown order"):
        match([order("o1")], [vendor("a")], [Bid("x", "o2", "a", 0.2, 900)])
    with pytest.raises(ValueError, match="two bids for order"):
        match(
            [order("o1")],
            [vendor("a")],
            [Bid("x", "o1", "a", 0.2, 900), Bid("y", "o1", "a", 0.2, 900)],
        )
    with pytest.raises(ValueError, match="duplicate vendor id"):
        match([order("o1")], [vendor("a"), vendor("a")], [])


def test_weekly_capacity_overrides_seats_times_working_days():
    orders = [order("o1", splittable=True, deadline=date(2026, 12, 4))]  # W49 only
    bids = [Bid("x", "o1", "a", 0.2, 900)]
    r = match(orders, [vendor("a")], bids, weekly_capacity={"a": {"2026-W49": 2}})
    assert r.outcomes[0].volume == pytest.approx(200)


@st.composite
def markets(draw):
    n_vendors = draw(st.integers(1, 3))
    vendors = [
        Vendor(
            id=f"v{v}",
            seats=draw(st.integers(0, 4)),
            verification=draw(st.sampled_from(["verified", "verified", "pending"])),
            clearance=draw(st.sampled_from(["general", "important", "core"])),
            onsite_possible=draw(st.booleans()),
            local=draw(st.booleans()),
            recent_award_share=draw(st.sampled_from([0.0, 0.1, 0.5])),
            capabilities={
                ("image", "bbox"): Capability(draw(st.sampled_from([20.0, 50.0, 100.0])), 0.7)
            }
            if draw(st.integers(0, 4))
            else {},
        )
        for v in range(n_vendors)
    ]
    orders, bids = [], []
    for o in range(draw(st.integers(1, 4))):
        volume = float(draw(st.integers(10, 400)))
        split = draw(st.booleans())
        start = date(2026, 11, 30) + timedelta(days=draw(st.integers(0, 10)))
        orders.append(
            Order(
                id=f"o{o}", modality="image", annotation_type="bbox", volume=volume,
                budget_ceiling=volume * 0.3, start=start,
                deadline=start + timedelta(days=draw(st.integers(0, 15))),
                data_classification=draw(st.sampled_from(["general", "general", "important"])),
                onsite_required=draw(st.sampled_from([False, False, True])),
                splittable=split,
                max_vendors=draw(st.integers(0, 2)) if split else None,
                min_lot=float(draw(st.integers(0, int(volume // 2)))) if split else None,
            )
        )
        for v in range(n_vendors):
            if draw(st.booleans()):
                bids.append(
                    Bid(
                        id=f"b{o}-{v}", order_id=f"o{o}", vendor_id=f"v{v}",
                        unit_price=draw(st.sampled_from([0.1, 0.2, 0.3, 0.35])),
                        volume=float(draw(st.integers(0, int(volume) + 50))),
                        quality=draw(st.sampled_from([0.0, 0.4, 0.9])),
                    )
                )
    excluded = {(b.order_id, b.vendor_id) for b in bids if draw(st.integers(0, 9)) == 0}
    return orders, vendors, bids, excluded


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markets())
def test_random_markets_allocate_only_to_eligible_bids_within_every_constraint(market):
    orders, vendors, bids, excluded = market
    r = match(orders, vendors, bids, excluded_pairs=excluded)
    assert len(r.outcomes) == len(bids)
    for outcome in r.outcomes:
        assert outcome.eligible == (not outcome.refusals)
        if not outcome.eligible:
            assert outcome.volume == 0 and outcome.score is None
        if (outcome.order_id, outcome.vendor_id) in excluded:
            assert not outcome.eligible
    problem_ = r.allocation
    assert problem_.objective == pytest.approx(r.objective)
    by_order: dict[str, list[float]] = {}
    for outcome in r.outcomes:
        if outcome.volume > 0:
            by_order.setdefault(outcome.order_id, []).append(outcome.volume)
    for o in orders:
        vols = by_order.get(o.id, [])
        assert sum(vols) <= o.volume * (1 + TOL)
        if not o.splittable:
            assert len(vols) <= 1 and all(v == pytest.approx(o.volume) for v in vols)
        else:
            if o.max_vendors:
                assert len(vols) <= o.max_vendors
            assert all(v >= (o.min_lot or 0) * (1 - TOL) for v in vols)


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
