"""A matching run end to end: refusals, scores, volumes and reasons for every bid."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from market.matching.eligibility import Bid, Capability, Order, Vendor
from market.matching.match import match
from tests.matching.helpers import TOL, order, vendor


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


def test_nothing_goes_to_an_ineligible_bid_even_when_it_would_score_best():
    orders = [order("o1", data_classification="core")]
    vendors = [vendor("a", clearance="core"), vendor("b")]
    bids = [Bid("x", "o1", "a", 0.29, 900, quality=0.1), Bid("y", "o1", "b", 0.1, 900, quality=1.0)]
    r = match(orders, vendors, bids)
    assert [o.volume for o in r.outcomes] == pytest.approx([900, 0])
    assert [f.code for f in r.outcomes[1].refusals] == ["clearance_too_low"]


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
