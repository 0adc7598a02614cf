"""Submitting, withdrawing and listing bids: who may, with what input, and in which state."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from market.audit.models import AuditEvent
from market.bids.models import Bid
from market.bids.services import AWARDED_TO_OTHERS
from market.db import utcnow
from market.notifications.models import Notification
from tests.bids.conftest import valid_bid
from tests.conftest import assert_error
from tests.factories import BidFactory, OrderFactory, VendorFactory, able_to

BID_FIELDS = {
    "lapsed_at",
    "status_reason_code",
    "confirmation_requested_at",
    "confirmed_at",
    "id",
    "order_id",
    "vendor_id",
    "unit_price",
    "volume",
    "total_price",
    "seats_committed",
    "proposed_finish_date",
    "technical_note",
    "status",
    "status_reason",
    "submitted_at",
    "withdrawn_at",
    "awarded_at",
    "rejected_at",
}


def submit(api, actors, user, order, **overrides):
    return api.post(
        f"/api/v1/orders/{order.id}/bids",
        token=actors.token(user),
        json=valid_bid(order, **overrides),
    )


# Submitting

def test_a_verified_vendor_submits_a_bid_and_gets_its_terms_and_total_back(api, actors, order):
    response = submit(api, actors, actors.vendor, order, unit_price="0.3512", volume=order.volume)
    assert response.status_code == 201, response.text
    bid = response.json()
    assert set(bid) == BID_FIELDS
    assert bid["order_id"] == order.id
    assert bid["vendor_id"] == actors.vendor.organization_id
    assert bid["status"] == "submitted"
    assert Decimal(bid["unit_price"]) == Decimal("0.3512")
    assert bid["total_price"] == "35120.00"
    assert bid["seats_committed"] == 20
    assert bid["submitted_at"].endswith("+08:00")
    assert bid["withdrawn_at"] is None and bid["awarded_at"] is None and bid["rejected_at"] is None


def test_submitting_is_audited_without_the_terms_and_notifies_nobody(
    api, actors, order, db_session
):
    agency_user = actors.agency
    response = submit(api, actors, actors.vendor, order)
    assert response.status_code == 201, response.text
    event = db_session.scalar(select(AuditEvent).where(
        AuditEvent.action == "bid.submitted", AuditEvent.object_id == response.json()["id"]))
    assert event.actor_id == actors.vendor.id
    assert event.organization_id == actors.vendor.organization_id
    assert event.data == {"order_id": order.id}
    assert (
        db_session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.recipient_id == agency_user.id)
        )
        == 0
    )


def test_two_vendors_may_each_bid_on_the_same_order(api, actors, order):
    other = actors.user("vendor")
    able_to(other.organization)
    assert submit(api, actors, actors.vendor, order).status_code == 201
    assert submit(api, actors, other, order).status_code == 201


@pytest.mark.parametrize("role", ["agency", "coordinator", "admin"])
def test_only_vendors_may_bid(api, actors, order, role):
    assert_error(submit(api, actors, getattr(actors, role), order), 403)


def test_bidding_without_a_token_is_401(api, actors, order):
    assert_error(api.post(f"/api/v1/orders/{order.id}/bids", json=valid_bid(order)), 401)


def test_a_vendor_not_yet_verified_is_told_so(api, actors, order):
    pending = actors.user("vendor", VendorFactory(pending=True))
    body = assert_error(submit(api, actors, pending, order), 403)
    assert "not verified" in body["message"]


def test_a_suspended_vendor_is_told_so(api, actors, order):
    suspended = actors.user("vendor", VendorFactory(suspended=True))
    body = assert_error(submit(api, actors, suspended, order), 403)
    assert "suspended" in body["message"]


def test_a_bid_on_another_agencys_draft_is_404(api, actors):
    draft = OrderFactory(draft=True)
    assert_error(submit(api, actors, actors.vendor, draft), 404)


def test_a_bid_on_a_missing_order_is_404(api, actors, order):
    response = api.post(
        "/api/v1/orders/2147483647/bids", token=actors.token(actors.vendor), json=valid_bid(order)
    )
    assert_error(response, 404)


def test_a_bid_after_the_closing_time_is_refused_even_before_the_job_has_run(
    api, actors, closed_order
):
    body = assert_error(submit(api, actors, actors.vendor, closed_order), 409)
    assert f"订单 {closed_order.id} 已于" in body["message"] and "截止投标" in body["message"]


@pytest.mark.parametrize("status", ["evaluating", "awarded", "cancelled"])
def test_a_bid_on_an_order_that_has_moved_on_is_refused(api, actors, status):
    now = utcnow()
    moved_on = OrderFactory(status=status, evaluating_at=now, awarded_at=now, cancelled_at=now)
    assert_error(submit(api, actors, actors.vendor, moved_on), 409)


def test_a_second_live_bid_by_the_same_firm_is_refused(api, actors, order):
    assert submit(api, actors, actors.vendor, order).status_code == 201
    colleague = actors.user("vendor", actors.vendor.organization)
    body = assert_error(submit(api, actors, colleague, order), 409)
    assert "请先撤回该投标" in body["message"]


def test_a_firm_may_bid_again_after_withdrawing(api, actors, order):
    token = actors.token(actors.vendor)
    first = submit(api, actors, actors.vendor, order).json()
    assert api.post(f"/api/v1/bids/{first['id']}/withdraw", token=token).status_code == 200
    second = submit(api, actors, actors.vendor, order, unit_price="0.30")
    assert second.status_code == 201, second.text
    assert second.json()["id"] != first["id"]


@pytest.mark.parametrize(
    "field", ["unit_price", "volume", "seats_committed", "proposed_finish_date"]
)
def test_each_required_field_is_named_when_missing(api, actors, order, field):
    body = valid_bid(order)
    del body[field]
    response = api.post(
        f"/api/v1/orders/{order.id}/bids", token=actors.token(actors.vendor), json=body
    )
    assert_error(response, 422, field)


@pytest.mark.parametrize("field, value", [
    ("unit_price", "0"),
    ("unit_price", "-1.00"),
    ("unit_price", "abc"),
    ("unit_price", "0.12345"),
    ("unit_price", "NaN"),
    ("unit_price", "Infinity"),
    ("unit_price", "1e30"),
    ("unit_price", True),
    ("volume", 0),
    ("volume", "100000"),
    ("volume", 1.5),
    ("volume", 2**63),
    ("seats_committed", 0),
    ("seats_committed", 10**12),
    ("proposed_finish_date", "2026-02-30"),
    ("proposed_finish_date", "soon"),
    ("technical_note", "x" * 5001),
    ("surprise", "an unknown field"),
])
def test_bad_input_is_422_naming_the_field(api, actors, order, field, value):
    assert_error(submit(api, actors, actors.vendor, order, **{field: value}), 422, field)


def test_a_price_with_trailing_zeros_is_not_too_precise(api, actors, order):
    response = submit(api, actors, actors.vendor, order, unit_price="0.350000")
    assert response.status_code == 201, response.text


def test_a_volume_above_the_orders_is_refused(api, actors, order):
    assert_error(submit(api, actors, actors.vendor, order, volume=order.volume + 1), 422, "volume")


def test_an_unsplittable_order_takes_only_bids_for_its_whole_volume(api, actors, order):
    body = assert_error(
        submit(api, actors, actors.vendor, order, volume=order.volume - 1), 422, "volume"
    )
    assert "not splittable" in body["errors"]["volume"][0]


def test_a_splittable_order_takes_part_of_its_volume_down_to_the_minimum_lot(api, actors):
    order = OrderFactory(splittable=True, max_vendors=3, min_lot=20000)
    assert_error(submit(api, actors, actors.vendor, order, volume=19999), 422, "volume")
    response = submit(api, actors, actors.vendor, order, volume=20000)
    assert response.status_code == 201, response.text
    assert response.json()["total_price"] == "7000.00"


def test_a_splittable_order_without_a_minimum_lot_takes_any_part(api, actors):
    order = OrderFactory(splittable=True)
    assert submit(api, actors, actors.vendor, order, volume=1).status_code == 201


def test_more_seats_than_the_firm_has_are_refused(api, actors, order):
    vendor = actors.user("vendor", VendorFactory(seats=15))
    able_to(vendor.organization)
    assert_error(submit(api, actors, vendor, order, seats_committed=16), 422, "seats_committed")
    assert submit(api, actors, vendor, order, seats_committed=15).status_code == 201


def test_a_finish_date_in_the_past_is_refused(api, actors, order):
    yesterday = (utcnow() - dt.timedelta(days=2)).date().isoformat()
    assert_error(submit(api, actors, actors.vendor, order, proposed_finish_date=yesterday), 422,
                 "proposed_finish_date")


def test_a_finish_date_after_the_delivery_deadline_is_refused(api, actors, order):
    late = (order.delivery_deadline + dt.timedelta(days=2)).date().isoformat()
    assert_error(
        submit(api, actors, actors.vendor, order, proposed_finish_date=late),
        422,
        "proposed_finish_date",
    )


def test_a_refused_bid_leaves_nothing_behind(api, actors, order, db_session):
    submit(api, actors, actors.vendor, order, seats_committed=10**4)
    assert (
        db_session.scalar(select(func.count()).select_from(Bid).where(Bid.order_id == order.id))
        == 0
    )


# Withdrawing

def test_the_vendor_withdraws_its_bid_while_bidding_is_open(api, actors, order, db_session):
    bid = submit(api, actors, actors.vendor, order).json()
    response = api.post(f"/api/v1/bids/{bid['id']}/withdraw", token=actors.token(actors.vendor))
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "withdrawn"
    assert response.json()["withdrawn_at"]
    event = db_session.scalar(select(AuditEvent).where(
        AuditEvent.action == "bid.withdrawn", AuditEvent.object_id == bid["id"]))
    assert event.actor_id == actors.vendor.id
    assert event.data["from"] == "submitted"


def test_a_colleague_at_the_same_firm_may_withdraw(api, actors, order):
    bid = BidFactory(order=order, vendor=actors.vendor.organization)
    colleague = actors.user("vendor", actors.vendor.organization)
    assert (
        api.post(f"/api/v1/bids/{bid.id}/withdraw", token=actors.token(colleague)).status_code
        == 200
    )


def test_withdrawing_twice_is_409(api, actors, order):
    bid = BidFactory(order=order, vendor=actors.vendor.organization)
    token = actors.token(actors.vendor)
    assert api.post(f"/api/v1/bids/{bid.id}/withdraw", token=token).status_code == 200
    assert_error(api.post(f"/api/v1/bids/{bid.id}/withdraw", token=token), 409)


def test_withdrawing_after_the_closing_time_is_409_even_before_the_job_has_run(
    api, actors, closed_order
):
    bid = BidFactory(order=closed_order, vendor=actors.vendor.organization)
    body = assert_error(
        api.post(f"/api/v1/bids/{bid.id}/withdraw", token=actors.token(actors.vendor)), 409
    )
    assert "截止投标" in body["message"]


def test_an_awarded_bid_cannot_be_withdrawn(api, actors, order):
    bid = BidFactory(
        order=order, vendor=actors.vendor.organization, status="awarded", awarded_at=utcnow()
    )
    assert_error(
        api.post(f"/api/v1/bids/{bid.id}/withdraw", token=actors.token(actors.vendor)), 409
    )


def test_another_vendor_cannot_withdraw_a_bid_and_learns_nothing(api, actors, order):
    bid = BidFactory(order=order)
    assert_error(
        api.post(f"/api/v1/bids/{bid.id}/withdraw", token=actors.token(actors.vendor)), 404
    )


@pytest.mark.parametrize("role", ["agency", "coordinator", "admin"])
def test_only_vendors_withdraw(api, actors, order, role):
    bid = BidFactory(order=order)
    assert_error(
        api.post(f"/api/v1/bids/{bid.id}/withdraw", token=actors.token(getattr(actors, role))), 403
    )


def test_withdrawing_a_missing_bid_is_404(api, actors):
    assert_error(
        api.post("/api/v1/bids/2147483647/withdraw", token=actors.token(actors.vendor)), 404
    )


# The vendor's own list

def test_a_vendor_lists_its_own_bids_across_orders_newest_first(api, actors, order):
    mine = actors.vendor.organization
    first = BidFactory(order=order, vendor=mine)
    second = BidFactory(vendor=mine, status="withdrawn", withdrawn_at=utcnow())
    BidFactory(order=order)  # another firm's
    response = api.get("/api/v1/bids", token=actors.token(actors.vendor))
    assert response.status_code == 200, response.text
    page = response.json()
    assert [b["id"] for b in page["items"]] == [second.id, first.id]
    assert page["meta"] == {"page": 1, "per_page": 20, "total": 2, "pages": 1}


def test_a_vendors_list_filters_by_status_and_order(api, actors, order):
    mine = actors.vendor.organization
    live = BidFactory(order=order, vendor=mine)
    withdrawn = BidFactory(vendor=mine, status="withdrawn", withdrawn_at=utcnow())
    token = actors.token(actors.vendor)
    by_status = api.get("/api/v1/bids", token=token, params={"status": "withdrawn"}).json()
    assert [b["id"] for b in by_status["items"]] == [withdrawn.id]
    by_order = api.get("/api/v1/bids", token=token, params={"order_id": order.id}).json()
    assert [b["id"] for b in by_order["items"]] == [live.id]


def test_a_vendors_list_is_paginated(api, actors, order):
    mine = actors.vendor.organization
    for _ in range(3):
        BidFactory(vendor=mine)
    page = api.get(
        "/api/v1/bids", token=actors.token(actors.vendor), params={"per_page": 2, "page": 2}
    ).json()
    assert len(page["items"]) == 1
    assert page["meta"] == {"page": 2, "per_page": 2, "total": 3, "pages": 2}


@pytest.mark.parametrize("role", ["agency", "coordinator", "admin"])
def test_only_vendors_have_a_list_of_their_own_bids(api, actors, role):
    assert_error(api.get("/api/v1/bids", token=actors.token(getattr(actors, role))), 403)


@pytest.mark.parametrize(
    "field, value",
    [
        ("status", "live"),
        ("order_id", "abc"),
        ("order_id", "0"),
        ("order_id", str(2**40)),
        ("per_page", "1000"),
    ],
)
def test_bad_list_filters_are_422_naming_the_field(api, actors, field, value):
    assert_error(
        api.get("/api/v1/bids", token=actors.token(actors.vendor), params={field: value}),
        422,
        field,
    )


def test_the_vendors_own_bid_is_readable_by_id(api, actors, order):
    bid = BidFactory(order=order, vendor=actors.vendor.organization)
    response = api.get(f"/api/v1/bids/{bid.id}", token=actors.token(actors.vendor))
    assert response.status_code == 200, response.text
    assert response.json()["id"] == bid.id
    assert response.json()["total_price"] == "40000.00"


def test_a_missing_bid_is_404(api, actors):
    assert_error(api.get("/api/v1/bids/2147483647", token=actors.token(actors.vendor)), 404)
    assert_error(api.get("/api/v1/bids/2147483648", token=actors.token(actors.vendor)), 404)


def test_a_bid_rejected_for_others_says_so_in_the_vendors_language(api, actors, order, db_session):
    bid = BidFactory(order=order, vendor=actors.vendor.organization, status="rejected", rejected_at=utcnow(),
                     status_reason=AWARDED_TO_OTHERS)
    shown = api.get(f"/api/v1/bids/{bid.id}", token=actors.token(actors.vendor)).json()
    assert (shown["status_reason"], shown["status_reason_code"]) == ("该订单已授予其他投标。",
                                                                     "awarded_to_others")
    actors.vendor.locale = "en"
    db_session.flush()
    shown = api.get(f"/api/v1/bids/{bid.id}", token=actors.token(actors.vendor)).json()
    assert shown["status_reason"] == "The order was awarded to other bids."
