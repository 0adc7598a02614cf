"""Building the allocation problem: input checks, scores in context, calendar and capacity."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from market.matching.build import prepare_match
from market.matching.eligibility import Bid, Capability, Order, Vendor
from market.matching.match import match
from market.matching.problem_json import read_json_problems
from tests.matching.helpers import order, vendor


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


def _order() -> Order:
    return Order(
        id="o", modality="text", annotation_type="ner", volume=1000, budget_ceiling=6000,
        start=date(2026, 12, 1), deadline=date(2026, 12, 18), splittable=True,
    )


def _vendor(vid: str, seats: int = 10) -> Vendor:
    return Vendor(id=vid, seats=seats, capabilities={("text", "ner"): Capability(30, 0.7)})


def test_a_bids_score_does_not_change_when_an_unrelated_bid_arrives():
    order = _order()
    vendors = [_vendor("a"), _vendor("b"), _vendor("c")]
    first = Bid("b1", "o", "a", unit_price=5.0, volume=600, quality=0.8)
    alone = prepare_match([order], vendors, [first]).scores[0]
    cheaper = Bid("b2", "o", "b", unit_price=1.0, volume=1000, quality=0.99)
    dearer = Bid("b3", "o", "c", unit_price=5.9, volume=400, quality=0.1)
    crowded = prepare_match([order], vendors, [cheaper, first, dearer]).scores[1]
    assert crowded == alone


def test_an_orders_own_weights_win_over_the_policy():
    order = replace(
        _order(), weights={"quality": 100, "price": 0, "capacity": 0, "local": 0, "fairness": 0}
    )
    bid = Bid("b1", "o", "a", unit_price=5.0, volume=600, quality=0.8)
    (score,) = prepare_match([order], [_vendor("a")], [bid]).scores
    assert score.total == pytest.approx(80.0)


def test_a_reference_price_replaces_the_ceiling_per_unit():
    order = replace(_order(), reference_unit_price=10)
    bid = Bid("b1", "o", "a", unit_price=5.0, volume=600, quality=0.8)
    (score,) = prepare_match([order], [_vendor("a")], [bid]).scores
    assert score["price"].score == 100.0


def test_quality_falls_back_to_the_assessed_proficiency():
    bid = Bid("b1", "o", "a", unit_price=5.0, volume=600)
    (score,) = prepare_match([_order()], [_vendor("a")], [bid]).scores
    assert score["quality"].raw == pytest.approx(0.7)


def test_problem_files_and_prepare_match_share_one_capacity_path(tmp_path):
    # The same vendors, weeks and running work, once as a scored problem file and once from
    # facts: both builders see the same horizon and free seat-days.
    orders = [
        {
            "id": "o1",
            "volume": 900,
            "start": "2026-12-01",
            "deadline": "2026-12-11",
            "splittable": True,
            "modality": "image",
            "annotation_type": "bbox",
            "budget_ceiling": 270,
        },
        {
            "id": "o2",
            "volume": 300,
            "start": "2026-12-09",
            "deadline": "2026-12-23",
            "modality": "image",
            "annotation_type": "bbox",
            "budget_ceiling": 90,
        },
    ]
    vendors = [
        {
            "id": v,
            "seats": seats,
            "capacity": {"2026-W50": 7, "2027-W10": 1},
            "capabilities": [
                {"modality": "image", "annotation_type": "bbox", "throughput_per_seat_day": 100}
            ],
        }
        for v, seats in (("a", 3), ("b", 10))
    ]
    running = [{"vendor": "b", "seat_days": 12, "start": "2026-12-07", "end": "2026-12-18"}]
    bids = [
        {"order": o["id"], "vendor": v["id"], "volume": o["volume"]}
        for o in orders
        for v in vendors
    ]
    common = {"orders": orders, "vendors": vendors, "running": running}
    scored = {**common, "bids": [{**b, "score": 50} for b in bids]}
    facts = {**common, "bids": [{**b, "unit_price": 0.2} for b in bids]}
    path = tmp_path / "both.json"
    path.write_text(json.dumps([scored, facts]))
    from_scores, from_facts = read_json_problems(path, path.read_text())
    a, b = from_scores.problem, from_facts.problem.problem
    assert a.week_labels == b.week_labels == ("2026-W49", "2026-W50", "2026-W51", "2026-W52")
    assert np.array_equal(a.capacity, b.capacity)
    assert a.capacity[:, 1].tolist() == [7, 7 - 12 * 5 / 10]
    assert np.array_equal(a.cand_load.toarray(), b.cand_load.toarray())
