"""The order's derived rules (hybrids) give the same answer in Python and in SQL, in every state."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import select

from market.db import utcnow
from market.orders.models import ORDER_STATUSES, Order
from tests.factories import OrderFactory

# Every status with and without a publishing time, where the database allows the pair.
STATES = [
    (status, published)
    for status, published in itertools.product(ORDER_STATUSES, (False, True))
    if published or status in ("draft", "cancelled")
]


@pytest.mark.parametrize("closes_in_days", [-1, 1])
@pytest.mark.parametrize(("status", "published"), STATES)
def test_derived_rules_agree_in_python_and_sql(
    db_session, factories, status, published, closes_in_days
):
    now = utcnow()
    stamps = {} if status in ("draft", "published") else {f"{status}_at": now}
    order = OrderFactory(
        status=status,
        published_at=now - dt.timedelta(days=2) if published else None,
        bidding_closes_at=now + dt.timedelta(days=closes_in_days),
        **stamps,
    )
    db_session.flush()
    sql = db_session.execute(
        select(Order.was_published, Order.bidding_open(now), Order.bids_sealed(now),
               Order.effective_status(now)).where(Order.id == order.id)
    ).one()
    python = (
        order.was_published,
        order.bidding_open(now),
        order.bids_sealed(now),
        order.effective_status(now),
    )
    assert tuple(sql) == python


def test_a_cancelled_order_keeps_its_bids_sealed_until_its_closing_time(factories):
    now = utcnow()
    order = OrderFactory(
        status="cancelled",
        cancelled_at=now,
        published_at=now - dt.timedelta(days=1),
        bidding_closes_at=now + dt.timedelta(hours=1),
    )
    assert order.bids_sealed(now)
    assert not order.bids_sealed(now + dt.timedelta(hours=2))


def test_a_published_order_past_its_closing_is_evaluating_and_unsealed(factories):
    now = utcnow()
    order = OrderFactory(status="published", bidding_closes_at=now - dt.timedelta(minutes=1))
    assert order.effective_status(now) == "evaluating"
    assert not order.bidding_open(now)
    assert not order.bids_sealed(now)
