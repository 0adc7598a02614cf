"""Sealed bids: nobody but the bidding vendor sees a bid until bidding closes by the clock."""

from __future__ import annotations

import datetime as dt

import pytest

from market.db import utcnow
from tests.conftest import assert_error
from tests.factories import BidFactory, OrderFactory, OrganizationFactory


@pytest.fixture
def open_bids(actors, order):
    """The signed-in vendor's bid and a rival's, on an order still open for bids."""
    return BidFactory(order=order, vendor=actors.vendor.organization), BidFactory(order=order)


@pytest.fixture
def closed_bids(actors, closed_order):
    """The signed-in vendor's bid, a rival's and a withdrawn one, on an order past its closing."""
    return (
        BidFactory(order=closed_order, vendor=actors.vendor.organization),
        BidFactory(order=closed_order),
        BidFactory(
            order=closed_order, status="withdrawn", withdrawn_at=utcnow() - dt.timedelta(days=1)
        ),
    )


def ids(response) -> list[int]:
    assert response.status_code == 200, response.text
    return [b["id"] for b in response.json()["items"]]


# The list of an order's bids

def test_a_vendor_sees_only_its_own_bids_on_an_open_order(api, actors, order, open_bids):
    mine, _rival = open_bids
    seen = api.get(f"/api/v1/orders/{order.id}/bids", token=actors.token(actors.vendor))
    assert ids(seen) == [mine.id]


def test_a_vendor_still_sees_only_its_own_bids_after_closing(
    api, actors, closed_order, closed_bids
):
    mine = closed_bids[0]
    assert ids(
        api.get(f"/api/v1/orders/{closed_order.id}/bids", token=actors.token(actors.vendor))
    ) == [mine.id]


def test_a_vendor_without_bids_sees_an_empty_list(api, actors, order, open_bids):
    outsider = actors.user("vendor")
    assert ids(api.get(f"/api/v1/orders/{order.id}/bids", token=actors.token(outsider))) == []


@pytest.mark.parametrize("role", ["agency", "coordinator"])
def test_bids_are_sealed_until_the_closing_time(api, actors, order, open_bids, role):
    response = api.get(f"/api/v1/orders/{order.id}/bids", token=actors.token(getattr(actors, role)))
    body = assert_error(response, 403)
    assert body["message"].startswith("Bids are sealed until ")
    closing = order.bidding_closes_at.astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert closing.isoformat(timespec="seconds") in body["message"]


@pytest.mark.parametrize("role", ["agency", "coordinator"])
def test_all_bids_are_unsealed_once_the_closing_time_passes_even_if_no_job_ran(
    api, actors, closed_order, closed_bids, role
):
    assert closed_order.status == "published"
    response = api.get(
        f"/api/v1/orders/{closed_order.id}/bids", token=actors.token(getattr(actors, role))
    )
    assert ids(response) == [b.id for b in closed_bids]
    assert response.json()["meta"]["total"] == 3


def test_bids_are_unsealed_when_the_order_is_evaluating(api, actors):
    order = OrderFactory(agency=actors.agency.organization, evaluating=True)
    bid = BidFactory(order=order)
    seen = api.get(f"/api/v1/orders/{order.id}/bids", token=actors.token(actors.agency))
    assert ids(seen) == [bid.id]


def test_an_order_cancelled_before_closing_keeps_its_bids_sealed(api, actors):
    order = OrderFactory(agency=actors.agency.organization, cancelled=True)
    BidFactory(order=order)
    assert_error(api.get(f"/api/v1/orders/{order.id}/bids", token=actors.token(actors.agency)), 403)


def test_the_unsealed_list_filters_by_status(api, actors, closed_order, closed_bids):
    response = api.get(f"/api/v1/orders/{closed_order.id}/bids", token=actors.token(actors.agency),
                       params={"status": "withdrawn"})
    assert ids(response) == [closed_bids[2].id]


def test_another_agencys_order_is_404_before_and_after_closing(
    api, actors, order, closed_order, closed_bids
):
    stranger = actors.user("agency", OrganizationFactory())
    token = actors.token(stranger)
    assert_error(api.get(f"/api/v1/orders/{order.id}/bids", token=token), 404)
    assert_error(api.get(f"/api/v1/orders/{closed_order.id}/bids", token=token), 404)


def test_a_draft_is_404_to_vendors(api, actors):
    draft = OrderFactory(draft=True)
    assert_error(api.get(f"/api/v1/orders/{draft.id}/bids", token=actors.token(actors.vendor)), 404)


def test_a_missing_order_is_404(api, actors):
    assert_error(api.get("/api/v1/orders/2147483647/bids", token=actors.token(actors.vendor)), 404)


def test_administrators_are_not_part_of_the_bidding(api, actors, closed_order, closed_bids):
    assert_error(
        api.get(f"/api/v1/orders/{closed_order.id}/bids", token=actors.token(actors.admin)), 403
    )


def test_the_order_bids_list_needs_a_token(api, order):
    assert_error(api.get(f"/api/v1/orders/{order.id}/bids"), 401)


@pytest.mark.parametrize("field, value", [("status", "live"), ("page", "0"), ("per_page", "abc")])
def test_bad_filters_on_an_orders_bids_are_422(api, actors, order, field, value):
    response = api.get(
        f"/api/v1/orders/{order.id}/bids", token=actors.token(actors.vendor), params={field: value}
    )
    assert_error(response, 422, field)


# One bid by id

def test_the_bidding_vendor_reads_its_bid_before_closing(api, actors, open_bids):
    mine = open_bids[0]
    response = api.get(f"/api/v1/bids/{mine.id}", token=actors.token(actors.vendor))
    assert response.status_code == 200, response.text
    assert response.json()["vendor_id"] == actors.vendor.organization_id


def test_a_rivals_bid_is_404_to_a_vendor_before_and_after_closing(
    api, actors, open_bids, closed_bids
):
    token = actors.token(actors.vendor)
    assert_error(api.get(f"/api/v1/bids/{open_bids[1].id}", token=token), 404)
    assert_error(api.get(f"/api/v1/bids/{closed_bids[1].id}", token=token), 404)


@pytest.mark.parametrize("role", ["agency", "coordinator"])
def test_a_sealed_bid_does_not_exist_for_the_agency_or_coordinators(api, actors, open_bids, role):
    body = assert_error(
        api.get(f"/api/v1/bids/{open_bids[1].id}", token=actors.token(getattr(actors, role))), 404
    )
    assert "sealed" not in body["message"]


@pytest.mark.parametrize("role", ["agency", "coordinator"])
def test_the_agency_and_coordinators_read_a_bid_after_closing(api, actors, closed_bids, role):
    response = api.get(
        f"/api/v1/bids/{closed_bids[1].id}", token=actors.token(getattr(actors, role))
    )
    assert response.status_code == 200, response.text
    assert response.json()["id"] == closed_bids[1].id


def test_another_agency_never_reads_a_bid(api, actors, closed_bids):
    stranger = actors.user("agency", OrganizationFactory())
    assert_error(api.get(f"/api/v1/bids/{closed_bids[1].id}", token=actors.token(stranger)), 404)


def test_administrators_do_not_read_bids(api, actors, closed_bids):
    assert_error(
        api.get(f"/api/v1/bids/{closed_bids[1].id}", token=actors.token(actors.admin)), 404
    )


def test_reading_a_bid_needs_a_token(api, closed_bids):
    assert_error(api.get(f"/api/v1/bids/{closed_bids[1].id}"), 401)


def test_a_drafts_agency_lists_its_bids_and_finds_none(api, actors):
    # A draft may have no closing time yet: there is nothing to be sealed until, and no bid.
    draft = OrderFactory(draft=True, agency=actors.agency.organization, bidding_closes_at=None)
    response = api.get(f"/api/v1/orders/{draft.id}/bids", token=actors.token(actors.agency))
    assert response.status_code == 200 and response.json()["items"] == []


def test_a_draft_cancelled_before_publishing_lists_no_bids(api, actors):
    # Cancelled without ever being published: no closing time, nothing sealed, no bid.
    draft = OrderFactory(draft=True, agency=actors.agency.organization, bidding_closes_at=None)
    token = actors.token(actors.agency)
    cancelled = api.post(f"/api/v1/orders/{draft.id}/cancel", json={"reason": "Budget moved to next year"},
                         token=token)
    assert cancelled.status_code == 200, cancelled.text
    response = api.get(f"/api/v1/orders/{draft.id}/bids", token=token)
    assert response.status_code == 200 and response.json()["items"] == []
