"""Text that says nothing and numbers that do not mean exactly what they say are refused, storing nothing."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from market.orders.models import Order, Question
from tests.bids.conftest import valid_bid
from tests.conftest import assert_error
from tests.factories import OrderFactory, QuestionFactory
from tests.orders.conftest import order_body

NOTHING = ["", "   ", "\u200b", " \u200e\u200f ", "\ufeff", "\u2060\u00a0",
           # not format characters, yet blank: combining grapheme joiner, Hangul fillers, Braille blank
           "\u034f", "\u115f", "\u3164", "\u2800", "a\ufe0f"[1:]]


@pytest.mark.parametrize("title", NOTHING)
def test_an_order_titled_with_nothing_is_refused(api, actors, db_session, title):
    response = api.post(
        "/api/v1/orders", json=order_body(title=title), token=actors.token(actors.agency)
    )
    assert_error(response, 422, "title")
    assert db_session.scalar(select(func.count(Order.id))) == 0


@pytest.mark.parametrize("labels", [["\u200b"], ["\u3164"], ["a", "a\u200b"]])
def test_labels_that_say_nothing_or_repeat_another_are_refused(api, actors, db_session, labels):
    response = api.post("/api/v1/orders", json=order_body(label_set=labels),
                        token=actors.token(actors.agency))
    assert_error(response, 422, "label_set")
    assert db_session.scalar(select(func.count(Order.id))) == 0


@pytest.mark.parametrize("text", NOTHING[1:])
def test_a_question_of_nothing_is_refused(api, actors, db_session, text):
    order = OrderFactory(agency=actors.agency.organization)
    response = api.post(f"/api/v1/orders/{order.id}/questions", json={"text": text},
                        token=actors.token(actors.vendor))
    assert_error(response, 422, "text")
    assert db_session.scalar(select(func.count(Question.id))) == 0


def test_a_blank_answer_is_refused_and_the_question_can_still_be_answered(api, actors, db_session):
    question = QuestionFactory(order=OrderFactory(agency=actors.agency.organization))
    token = actors.token(actors.agency)
    assert_error(
        api.post(
            f"/api/v1/questions/{question.id}/answer", json={"answer": "\u200b "}, token=token
        ),
        422,
        "answer",
    )
    answered = api.post(
        f"/api/v1/questions/{question.id}/answer", json={"answer": "提供样例数据。"}, token=token
    )
    assert answered.status_code == 200, answered.text


def test_a_reason_of_invisible_characters_is_refused(api, actors, db_session):
    order = OrderFactory(agency=actors.agency.organization)
    response = api.post(f"/api/v1/orders/{order.id}/cancel", json={"reason": "\u200b\u200b"},
                        token=actors.token(actors.agency))
    assert_error(response, 422, "reason")
    db_session.refresh(order)
    assert order.status == "published"


@pytest.mark.parametrize(
    "ceiling", ["٨٣٤٥٦", "０.３５", "8.3456e4", "83456.009", "-5", " 100", "1,000", True]
)
def test_a_budget_that_is_not_plain_digits_with_two_decimals_is_refused(
    api, actors, db_session, ceiling
):
    response = api.post(
        "/api/v1/orders", json=order_body(budget_ceiling=ceiling), token=actors.token(actors.agency)
    )
    assert_error(response, 422, "budget_ceiling")
    assert db_session.scalar(select(func.count(Order.id))) == 0


@pytest.mark.parametrize("number", ["8.3456E4", "83456.0000000000001", "83456.009"])
def test_a_budget_as_a_json_number_with_an_exponent_or_more_decimals_is_refused(
    api, actors, db_session, number
):
    # Written into the body as a JSON number, not a string: a float would read 83456.0 and pass.
    body = json.dumps(order_body(budget_ceiling="PLACEHOLDER")).replace('"PLACEHOLDER"', number)
    response = api.post("/api/v1/orders", data=body, headers={"Content-Type": "application/json"},
                        token=actors.token(actors.agency))
    assert_error(response, 422, "budget_ceiling")
    assert db_session.scalar(select(func.count(Order.id))) == 0


@pytest.mark.parametrize("ceiling", ["83456", "83456.5", "83456.50", 83456, 83456.5])
def test_a_budget_written_plainly_is_kept_exactly(api, actors, ceiling):
    response = api.post(
        "/api/v1/orders", json=order_body(budget_ceiling=ceiling), token=actors.token(actors.agency)
    )
    assert response.status_code == 201, response.text
    assert response.json()["budget_ceiling"] in ("83456.00", "83456.50")


@pytest.mark.parametrize("price", ["0.35001", "３.5", "3.5e-1", "0.٣٥"])
def test_a_unit_price_beyond_four_decimals_or_in_other_digits_is_refused(api, actors, price):
    order = OrderFactory(agency=actors.agency.organization)
    response = api.post(f"/api/v1/orders/{order.id}/bids", json=valid_bid(order, unit_price=price),
                        token=actors.token(actors.vendor))
    assert_error(response, 422, "unit_price")


def test_seats_must_be_a_whole_number(api, actors, db_session):
    vendor = actors.vendor.organization
    before = vendor.vendor_profile.seats
    response = api.patch(
        f"/api/v1/organizations/{vendor.id}",
        json={"vendor_profile": {"seats": 1.5}},
        token=actors.token(actors.vendor),
    )
    assert_error(response, 422)
    db_session.refresh(vendor.vendor_profile)
    assert vendor.vendor_profile.seats == before
