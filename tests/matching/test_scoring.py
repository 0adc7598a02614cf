"""Bid scores: five 0-100 components, a validated weighting, and a breakdown that explains them."""

from __future__ import annotations

import copy
import json
import math
import pickle
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from market.matching.scoring import (
    COMPONENTS,
    DEFAULT_WEIGHTS,
    ScoreParams,
    capacity_score,
    fairness_score,
    price_score,
    score_bid,
    validate_weights,
)

FACTS = dict(
    quality_probability=0.8,
    unit_price=9.0,
    reference_unit_price=10.0,
    seat_days_needed=10.0,
    free_seat_days=40.0,
    local=True,
    recent_award_share=0.05,
)


def test_the_default_weights_are_valid_and_sum_to_100():
    assert validate_weights(DEFAULT_WEIGHTS) == {
        "quality": 40.0, "price": 25.0, "capacity": 15.0, "local": 10.0, "fairness": 10.0
    }


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({"quality": 50, "price": 50}, "missing capacity, local, fairness"),
        ({**DEFAULT_WEIGHTS, "speed": 0}, "unknown speed"),
        ({**DEFAULT_WEIGHTS, "quality": 41}, "weights must sum to 100, they sum to 101"),
        (
            {**DEFAULT_WEIGHTS, "quality": 60, "price": -20, "capacity": 35},
            "weight of price must be a finite number >= 0",
        ),
        ({**DEFAULT_WEIGHTS, "quality": "40"}, "weight of quality must be a number"),
        ({**DEFAULT_WEIGHTS, "local": True}, "weight of local must be a number"),
        ({**DEFAULT_WEIGHTS, "quality": math.nan}, "weight of quality must be a finite number"),
        ([("quality", 100)], "weights must be a mapping"),
    ],
)
def test_invalid_weights_are_refused_with_a_clear_message(weights, message):
    with pytest.raises(ValueError, match=message):
        validate_weights(weights)


def test_weights_may_be_decimals_and_floats_that_sum_to_100():
    weights = {
        "quality": Decimal("33.4"),
        "price": 33.3,
        "capacity": 33.3,
        "local": 0,
        "fairness": 0,
    }
    assert validate_weights(weights)["quality"] == pytest.approx(33.4)


def test_validated_weights_cannot_be_changed_behind_the_checks_back_but_can_be_copied():
    weights = validate_weights(DEFAULT_WEIGHTS)
    with pytest.raises(TypeError):
        weights["price"] = 99
    assert copy.deepcopy(weights) == weights
    assert pickle.loads(pickle.dumps(weights)) == weights


def test_score_bid_refuses_invalid_weights():
    with pytest.raises(ValueError, match="sum to 100"):
        score_bid(**FACTS, weights={**DEFAULT_WEIGHTS, "local": 0})


def test_the_breakdown_explains_the_total():
    b = score_bid(**FACTS)
    assert [c.name for c in b.components] == list(COMPONENTS)
    assert b["quality"].score == pytest.approx(80.0)
    assert b["price"].raw == pytest.approx(0.9)
    assert b["capacity"].raw == pytest.approx(0.25)
    assert b["local"].score == 100.0
    for c in b.components:
        assert c.contribution == pytest.approx(c.weight * c.score / 100)
    assert b.total == pytest.approx(sum(c.contribution for c in b.components))
    assert b.total == pytest.approx(32 + 5 + 15 + 10 + 8)


def test_the_breakdown_is_json_ready_even_with_no_free_capacity():
    b = score_bid(**{**FACTS, "free_seat_days": 0.0})
    data = json.loads(json.dumps(b.as_dict(), allow_nan=False))
    assert data["components"]["capacity"]["raw"] is None
    assert data["components"]["capacity"]["score"] == 0.0
    assert (
        data["components"]["capacity"]["explanation"]
        == "needs 10.0 seat-days but has none free in the window"
    )


def test_quality_is_100_times_the_probability():
    for p in (0.0, 0.37, 1.0):
        assert score_bid(**{**FACTS, "quality_probability": p})["quality"].score == pytest.approx(
            100 * p
        )
    with pytest.raises(ValueError, match="quality probability must be in"):
        score_bid(**{**FACTS, "quality_probability": 1.2})


def test_price_scores_zero_at_the_reference_and_full_marks_at_half_of_it():
    assert price_score(10, 10)[0] == 0.0
    assert price_score(7.5, 10)[0] == pytest.approx(50.0)
    assert price_score(5, 10)[0] == 100.0
    assert price_score(1, 10)[0] == 100.0
    assert price_score(12, 10)[0] == 0.0
    assert price_score(Decimal("7.5"), Decimal("10"))[0] == pytest.approx(50.0)


def test_the_price_floor_is_a_policy_knob():
    assert price_score(7.5, 10, ScoreParams(price_full_marks_ratio=0.0))[0] == pytest.approx(25.0)


def test_capacity_fit_is_full_while_comfortable_and_zero_when_the_bid_needs_everything():
    assert capacity_score(10, 100)[0] == 100.0
    assert capacity_score(70, 100)[0] == pytest.approx(100.0)
    assert capacity_score(85, 100)[0] == pytest.approx(50.0)
    assert capacity_score(100, 100)[0] == 0.0
    assert capacity_score(150, 100)[0] == 0.0
    assert capacity_score(0, 0)[0] == 100.0


def test_a_larger_share_of_recent_awards_scores_lower_on_fairness():
    scores = [fairness_score(s)[0] for s in (0.0, 0.05, 0.1, 0.25, 0.6)]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] == 100.0 and scores[-1] == 0.0
    with pytest.raises(ValueError):
        fairness_score(1.5)


def test_a_local_vendor_gets_the_local_points():
    assert score_bid(**FACTS)["local"].score == 100.0
    assert score_bid(**{**FACTS, "local": False})["local"].score == 0.0


@given(
    p=st.floats(0, 1),
    price=st.floats(0, 30),
    need=st.floats(0, 1e4),
    free=st.floats(0, 1e4),
    local=st.booleans(),
    share=st.floats(0, 1),
)
def test_every_component_and_the_total_stay_between_0_and_100(p, price, need, free, local, share):
    b = score_bid(
        quality_probability=p, unit_price=price, reference_unit_price=10, seat_days_needed=need,
        free_seat_days=free, local=local, recent_award_share=share,
    )
    assert all(0.0 <= c.score <= 100.0 for c in b.components)
    assert 0.0 <= b.total <= 100.0
