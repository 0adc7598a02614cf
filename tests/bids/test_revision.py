"""A vendor revises its live bid before bidding closes: still sealed, every revision audited."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from market.audit.models import AuditEvent
from market.bids.models import Bid
from tests.bids.conftest import valid_bid
from tests.conftest import assert_error
from tests.factories import BidFactory, OrderFactory


def _bid(api, actors, order):
    response = api.post(f"/api/v1/orders/{order.id}/bids", json=valid_bid(order), token=actors.token(actors.vendor))
    assert response.status_code == 201, response.text
    return response.json()


def test_a_vendor_revises_its_bid_and_the_trail_keeps_the_old_terms(api, actors, order, db_session):
    bid = _bid(api, actors, order)
    token = actors.token(actors.vendor)
    revised = api.patch(f"/api/v1/bids/{bid['id']}", json={"unit_price": "0.31", "technical_note": "三级质检"},
                        token=token)
    assert revised.status_code == 200, revised.text
    assert revised.json()["unit_price"] == "0.3100" and revised.json()["technical_note"] == "三级质检"
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "bid.revised"))
    assert event.organization_id == actors.vendor.organization_id
    assert event.data["previous"]["unit_price"] == "0.3500"
    # Still sealed: the agency and coordinators see neither the bid nor the revision.
    assert_error(api.get(f"/api/v1/bids/{bid['id']}", token=actors.token(actors.agency)), 404)
    events = api.get("/api/v1/audit-events", params={"object_type": "bid", "object_id": bid["id"]},
                     token=actors.token(actors.coordinator)).json()["items"]
    assert events == []


def test_a_revision_must_still_fit_the_order_and_changes_nothing_when_it_does_not(api, actors, order, db_session):
    bid = _bid(api, actors, order)
    token = actors.token(actors.vendor)
    assert_error(api.patch(f"/api/v1/bids/{bid['id']}", json={"volume": order.volume + 1}, token=token),
                 422, "volume")
    assert_error(api.patch(f"/api/v1/bids/{bid['id']}", json={}, token=token), 422, "_body")
    assert_error(api.patch(f"/api/v1/bids/{bid['id']}", json={"unit_price": "0.3５"}, token=token),
                 422, "unit_price")
    db_session.expire_all()
    assert str(db_session.get(Bid, bid["id"]).unit_price) == "0.3500"


def test_no_revision_after_closing_or_of_a_withdrawn_bid(api, actors, order, closed_order, db_session):
    token = actors.token(actors.vendor)
    late = BidFactory(order=closed_order, vendor=actors.vendor.organization)
    assert_error(api.patch(f"/api/v1/bids/{late.id}", json={"unit_price": "0.30"}, token=token), 409)
    bid = _bid(api, actors, order)
    assert api.post(f"/api/v1/bids/{bid['id']}/withdraw", token=token).status_code == 200
    assert_error(api.patch(f"/api/v1/bids/{bid['id']}", json={"unit_price": "0.30"}, token=token), 409)


def test_only_the_bidding_firm_revises(api, actors, order):
    bid = _bid(api, actors, order)
    other = actors.user("vendor")
    assert_error(api.patch(f"/api/v1/bids/{bid['id']}", json={"unit_price": "0.30"},
                           token=actors.token(other)), 404)
    assert_error(api.patch(f"/api/v1/bids/{bid['id']}", json={"unit_price": "0.30"},
                           token=actors.token(actors.agency)), 403)


def test_a_finish_date_after_the_deadline_is_refused(api, actors, db_session):
    order = OrderFactory(agency=actors.agency.organization)
    bid = _bid(api, actors, order)
    late = (order.delivery_deadline + dt.timedelta(days=3)).date().isoformat()
    assert_error(api.patch(f"/api/v1/bids/{bid['id']}", json={"proposed_finish_date": late},
                           token=actors.token(actors.vendor)), 422, "proposed_finish_date")
