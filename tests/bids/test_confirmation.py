"""A vendor confirms its live bid after a material amendment of the order, or revises it; a bid
still unconfirmed when bidding closes reads as lapsed, whether or not the closing job ran."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from market.audit.models import AuditEvent
from market.bids.models import Bid
from market.db import utcnow
from market.orders import services as orders
from market.orders.models import Order
from tests.conftest import assert_error
from tests.factories import BidFactory, VendorFactory, able_to


def in_days(days: float) -> dt.datetime:
    return utcnow() + dt.timedelta(days=days)


def amended(db_session, actors, order, **changes):
    orders.amend_order(db_session, order.id, {"note": "交付范围调整。", **changes},
                       actor=actors.agency)
    db_session.flush()


def bidder(actors, order):
    user = actors.user("vendor", VendorFactory())
    able_to(user.organization, order.modality, order.annotation_type)  # the hard rules let it bid
    return user, BidFactory(order=order, vendor=user.organization)


def test_the_vendor_confirms_its_bid_and_it_is_matched_as_before(api, actors, order, db_session):
    vendor, bid = bidder(actors, order)
    amended(db_session, actors, order, delivery_deadline=in_days(70))
    response = api.post(f"/api/v1/bids/{bid.id}/confirm", token=actors.token(vendor))
    assert response.status_code == 200, response.text
    assert response.json()["confirmation_requested_at"] is None
    assert response.json()["confirmed_at"] is not None
    assert_error(api.post(f"/api/v1/bids/{bid.id}/confirm", token=actors.token(vendor)), 409)
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "bid.confirmed"))
    assert event.organization_id == vendor.organization_id


def test_a_bid_that_no_longer_fits_must_be_revised_and_the_revision_confirms_it(
    api, actors, order, db_session
):
    vendor, bid = bidder(actors, order)  # for the whole volume of a whole order
    amended(db_session, actors, order, volume=80000)
    assert_error(api.post(f"/api/v1/bids/{bid.id}/confirm", token=actors.token(vendor)), 422,
                 "volume")
    db_session.expire_all()
    assert db_session.get(Bid, bid.id).confirmation_requested_at is not None
    response = api.patch(f"/api/v1/bids/{bid.id}", token=actors.token(vendor),
                         json={"volume": 80000})
    assert response.status_code == 200, response.text
    assert response.json()["confirmation_requested_at"] is None


def test_only_the_bidding_vendor_confirms(api, actors, order, db_session):
    _vendor, bid = bidder(actors, order)
    amended(db_session, actors, order, volume=80000)
    assert_error(api.post(f"/api/v1/bids/{bid.id}/confirm", token=actors.token(actors.vendor)), 404)
    assert_error(api.post(f"/api/v1/bids/{bid.id}/confirm", token=actors.token(actors.agency)), 403)


def test_an_unconfirmed_bid_is_lapsed_by_the_clock_though_no_job_ran(api, actors, order, db_session):
    vendor, bid = bidder(actors, order)
    amended(db_session, actors, order, data_classification="important")
    db_session.expire_all()
    db_session.get(Order, order.id).bidding_closes_at = utcnow() - dt.timedelta(minutes=1)
    db_session.flush()
    shown = api.get(f"/api/v1/bids/{bid.id}", token=actors.token(vendor)).json()
    assert shown["status"] == "lapsed"
    listed = api.get("/api/v1/bids", params={"status": "lapsed"}, token=actors.token(vendor))
    assert [b["id"] for b in listed.json()["items"]] == [bid.id]
    assert_error(api.post(f"/api/v1/bids/{bid.id}/confirm", token=actors.token(vendor)), 409)
    result = api.get(f"/api/v1/bids/{bid.id}/result", token=actors.token(vendor)).json()
    assert (result["status"], result["final"]) == ("not_awarded", True)
    assert [r["code"] for r in result["reasons"]] == ["bid_lapsed"]
