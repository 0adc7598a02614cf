"""Fixtures shared by the bid tests: orders open or closed for bidding, and bodies of valid bids."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import OrderFactory, able_to


def valid_bid(order, **overrides) -> dict:
    """The JSON body of a bid that fits `order`, with `overrides` applied."""
    body = {
        "unit_price": "0.35",
        "volume": order.volume,
        "seats_committed": 20,
        "proposed_finish_date": (order.delivery_deadline - dt.timedelta(days=5)).date().isoformat(),
        "technical_note": "双人复核，质检抽样 10%。",
    }
    body.update(overrides)
    return body


@pytest.fixture(autouse=True)
def capable_vendor(actors):
    """`actors.vendor`'s firm can do the factories' orders (image / bbox), so the hard rules let it bid."""
    able_to(actors.vendor.organization)
    return actors.vendor


@pytest.fixture
def order(actors):
    """A published order of `actors.agency`'s organisation, open for bids for another week."""
    return OrderFactory(agency=actors.agency.organization)


@pytest.fixture
def closed_order(actors):
    """An order closed for bids by the clock but still 'published': the closing job never ran."""
    return OrderFactory(closed=True, agency=actors.agency.organization)
