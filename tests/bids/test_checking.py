"""check_bid: the rules a bid's terms meet, applied before anything is stored (a page's
check-your-answers step), the same as submitting or revising applies them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from market.audit.models import AuditEvent
from market.bids import services as bids
from market.bids.models import Bid
from market.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.factories import BidFactory, OrderFactory


def _terms(order, **overrides) -> dict:
    return {"unit_price": Decimal("0.35"), "volume": order.volume, "seats_committed": 20,
            "proposed_finish_date": (order.delivery_deadline - dt.timedelta(days=5)).date(),
            "technical_note": ""} | overrides


def _stored(db_session) -> tuple[int, int]:
    return (db_session.scalar(select(func.count()).select_from(Bid)),
            db_session.scalar(select(func.count()).select_from(AuditEvent)))


def test_terms_that_fit_pass_and_nothing_is_stored(db_session, actors, order):
    before = _stored(db_session)
    assert bids.check_bid(db_session, order.id, _terms(order), actor=actors.vendor)["volume"] == order.volume
    assert _stored(db_session) == before


def test_terms_the_service_would_refuse_are_refused_with_the_same_fields(db_session, actors, order):
    terms = _terms(order, unit_price=order.budget_ceiling, volume=order.volume + 1)
    with pytest.raises(InvalidInput) as checked:
        bids.check_bid(db_session, order.id, terms, actor=actors.vendor)
    with pytest.raises(InvalidInput) as submitted:
        bids.submit_bid(db_session, order.id, terms, actor=actors.vendor)
    assert set(checked.value.errors) == set(submitted.value.errors) >= {"unit_price", "volume"}


def test_a_revision_is_checked_against_the_live_bids_other_terms(db_session, actors, order):
    BidFactory(order=order, vendor=actors.vendor.organization, seats_committed=20)
    assert bids.check_bid(db_session, order.id, {"unit_price": Decimal("0.30")},
                          actor=actors.vendor)["seats_committed"] == 20
    with pytest.raises(InvalidInput) as refused:
        bids.check_bid(db_session, order.id, {"volume": order.volume + 1}, actor=actors.vendor)
    assert "volume" in refused.value.errors


def test_a_closed_order_another_role_or_a_draft_is_refused_as_submitting_would(db_session, actors, closed_order):
    with pytest.raises(Conflict):
        bids.check_bid(db_session, closed_order.id, _terms(closed_order), actor=actors.vendor)
    with pytest.raises(Forbidden):
        bids.check_bid(db_session, closed_order.id, _terms(closed_order), actor=actors.agency)
    draft = OrderFactory(draft=True)
    with pytest.raises(NotFound):
        bids.check_bid(db_session, draft.id, _terms(draft), actor=actors.vendor)
