"""Reading the audit trail: who sees which events, the filters, and that nothing can change it."""

from __future__ import annotations

import datetime as dt

import pytest

from market.audit import services as audit
from tests.conftest import assert_error
from tests.factories import OrganizationFactory, VendorFactory

UTC = dt.UTC
URL = "/api/v1/audit-events"


class Trail:
    """A small trail over two organisations, with fixed times so the order is known."""

    def __init__(self, session, actors):
        self.agency = actors.agency
        self.vendor = actors.vendor
        self.coordinator = actors.coordinator
        self.other_agency = actors.user("agency", OrganizationFactory())
        self.other_vendor_org = VendorFactory()
        start = dt.datetime(2030, 1, 1, 0, 0, tzinfo=UTC)

        def event(action, minutes, *, actor, object_type, object_id, organization_id):
            return audit.record(
                session,
                action,
                actor=actor,
                object_type=object_type,
                object_id=object_id,
                organization_id=organization_id,
                data={"n": minutes},
                occurred_at=start + dt.timedelta(minutes=minutes),
            )

        agency_org = self.agency.organization_id
        vendor_org = self.vendor.organization_id
        # The coordinator acts on the vendor: the vendor's object, so the vendor sees it.
        self.vendor_verified = event(
            "vendor.verified",
            0,
            actor=self.coordinator,
            object_type="vendor",
            object_id=vendor_org,
            organization_id=vendor_org,
        )
        # Our agency publishes an order of its own.
        self.order_published = event("order.published", 10, actor=self.agency, object_type="order",
                                     object_id=501, organization_id=agency_org)
        # Our vendor bids on another agency's order: the vendor acted, so the vendor sees it.
        self.bid_submitted = event("bid.submitted", 20, actor=self.vendor, object_type="bid",
                                   object_id=601, organization_id=self.other_agency.organization_id)
        # Another agency cancels its own order: none of our business.
        self.order_cancelled = event(
            "order.cancelled",
            30,
            actor=self.other_agency,
            object_type="order",
            object_id=502,
            organization_id=self.other_agency.organization_id,
        )
        # The scheduler (no actor) closes bidding on our agency's order.
        self.order_evaluating = event("order.evaluating", 40, actor=None, object_type="order",
                                      object_id=501, organization_id=agency_org)
        # Another vendor's suspension.
        self.other_suspended = event(
            "vendor.suspended",
            50,
            actor=self.coordinator,
            object_type="vendor",
            object_id=self.other_vendor_org.id,
            organization_id=self.other_vendor_org.id,
        )
        session.flush()

    @property
    def all(self):
        return [
            self.vendor_verified,
            self.order_published,
            self.bid_submitted,
            self.order_cancelled,
            self.order_evaluating,
            self.other_suspended,
        ]


@pytest.fixture
def trail(db_session, actors):
    return Trail(db_session, actors)


def ids(response) -> list[int]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def newest_first(*events) -> list[int]:
    return [e.id for e in sorted(events, key=lambda e: e.occurred_at, reverse=True)]


@pytest.mark.parametrize("role", ["admin", "coordinator"])
def test_staff_see_every_event_newest_first(api, actors, trail, role):
    token = actors.token(getattr(actors, role))
    assert ids(api.get(URL, token=token)) == newest_first(*trail.all)


def test_agency_sees_its_own_organisations_events_only(api, actors, trail):
    token = actors.token(trail.agency)
    assert ids(api.get(URL, token=token)) == newest_first(
        trail.order_published, trail.order_evaluating
    )


def test_vendor_sees_events_on_its_firm_and_its_own_actions(api, actors, trail):
    token = actors.token(trail.vendor)
    assert ids(api.get(URL, token=token)) == newest_first(
        trail.vendor_verified, trail.bid_submitted
    )


def test_another_agency_sees_its_order_and_the_bid_on_it(api, actors, trail):
    token = actors.token(trail.other_agency)
    assert ids(api.get(URL, token=token)) == newest_first(
        trail.bid_submitted, trail.order_cancelled
    )


def test_an_event_carries_who_did_what_to_which_object(api, actors, trail):
    body = api.get(
        URL, params={"action": "vendor.verified"}, token=actors.token(trail.vendor)
    ).json()
    assert body["items"] == [{
        "id": trail.vendor_verified.id,
        "occurred_at": "2030-01-01T08:00:00+08:00",
        "action": "vendor.verified",
        "object_type": "vendor",
        "object_id": trail.vendor.organization_id,
        "organization_id": trail.vendor.organization_id,
        "actor_id": trail.coordinator.id,
        "actor_org_id": trail.coordinator.organization_id,
        "data": {"n": 0},
        "request_id": None,
        "ip_address": None,
    }]


CLIENT = "198.51.100.23"  # a documentation address, so it cannot be mistaken for a default


def test_the_address_of_the_request_is_shown_to_staff_only(api, actors):
    vendor_token = actors.token(actors.vendor)
    org_id = actors.vendor.organization_id
    response = api.patch(
        f"/api/v1/organizations/{org_id}",
        json={"description": "双人复核"},
        token=vendor_token,
        remote_addr=CLIENT,
    )
    assert response.status_code == 200, response.text
    query = {"action": "organization.updated", "object_id": org_id}
    [seen_by_admin] = api.get(URL, params=query, token=actors.token(actors.admin)).json()["items"]
    [seen_by_vendor] = api.get(URL, params=query, token=vendor_token).json()["items"]
    assert seen_by_admin["ip_address"] == CLIENT
    assert seen_by_vendor["ip_address"] is None
    assert (
        seen_by_admin["request_id"]
        == seen_by_vendor["request_id"]
        == response.headers["X-Request-ID"]
    )


def test_a_forged_x_forwarded_for_is_not_recorded_when_no_proxy_is_trusted(api, actors):
    org_id = actors.vendor.organization_id
    response = api.patch(f"/api/v1/organizations/{org_id}", json={"description": "双人复核"},
                         token=actors.token(actors.vendor), remote_addr=CLIENT,
                         headers={"X-Forwarded-For": "203.0.113.7"})
    assert response.status_code == 200, response.text
    query = {"action": "organization.updated", "object_id": org_id}
    [event] = api.get(URL, params=query, token=actors.token(actors.admin)).json()["items"]
    assert event["ip_address"] == CLIENT


def test_a_change_made_through_the_api_appears_in_the_trail_of_its_organisation(api, actors):
    vendor = actors.user("vendor", VendorFactory(pending=True))
    response = api.post(
        f"/api/v1/organizations/{vendor.organization_id}/verify",
        json={"reason": "资料齐全"},
        token=actors.token(actors.coordinator),
    )
    assert response.status_code == 200, response.text
    [event] = api.get(URL, token=actors.token(vendor)).json()["items"]
    assert event["action"] == "vendor.verified"
    assert event["actor_id"] == actors.coordinator.id
    assert event["data"] == {"from": "pending", "to": "verified", "reason": "资料齐全"}


def test_filter_by_object(api, actors, trail):
    token = actors.token(actors.admin)
    found = ids(api.get(URL, params={"object_type": "order", "object_id": 501}, token=token))
    assert found == newest_first(trail.order_published, trail.order_evaluating)


def test_filter_by_actor(api, actors, trail):
    token = actors.token(actors.admin)
    found = ids(api.get(URL, params={"actor_id": trail.coordinator.id}, token=token))
    assert found == newest_first(trail.vendor_verified, trail.other_suspended)


def test_filter_by_exact_action(api, actors, trail):
    token = actors.token(actors.admin)
    cancelled = api.get(URL, params={"action": "order.cancelled"}, token=token)
    assert ids(cancelled) == [trail.order_cancelled.id]


def test_an_action_ending_in_a_dot_is_a_prefix(api, actors, trail):
    token = actors.token(actors.admin)
    found = ids(api.get(URL, params={"action": "order."}, token=token))
    assert found == newest_first(
        trail.order_published, trail.order_cancelled, trail.order_evaluating
    )


def test_an_action_without_a_dot_is_not_a_prefix(api, actors, trail):
    assert ids(api.get(URL, params={"action": "order"}, token=actors.token(actors.admin))) == []


def test_wildcards_in_an_action_prefix_are_taken_literally(api, actors, trail):
    assert ids(api.get(URL, params={"action": "%."}, token=actors.token(actors.admin))) == []


def test_filter_by_time_window_in_local_time(api, actors, trail):
    # 08:10 to 08:30 in Shanghai is 00:10 to 00:30 UTC: the start is included, the end is not.
    params = {"occurred_after": "2030-01-01T08:10:00", "occurred_before": "2030-01-01T08:30:00"}
    found = ids(api.get(URL, params=params, token=actors.token(actors.admin)))
    assert found == newest_first(trail.order_published, trail.bid_submitted)


def test_filter_by_time_window_with_an_explicit_offset(api, actors, trail):
    params = {"occurred_after": "2030-01-01T00:40:00+00:00"}
    found = ids(api.get(URL, params=params, token=actors.token(actors.admin)))
    assert found == newest_first(trail.order_evaluating, trail.other_suspended)


def test_filters_do_not_widen_what_a_role_may_see(api, actors, trail):
    params = {"object_type": "order", "object_id": 502}
    assert ids(api.get(URL, params=params, token=actors.token(trail.agency))) == []


def test_the_trail_is_paginated(api, actors, trail):
    token = actors.token(actors.admin)
    first = api.get(URL, params={"per_page": 4}, token=token).json()
    second = api.get(URL, params={"per_page": 4, "page": 2}, token=token).json()
    assert first["meta"] == {"page": 1, "per_page": 4, "total": 6, "pages": 2}
    assert [e["id"] for e in first["items"] + second["items"]] == newest_first(*trail.all)


def test_a_window_that_ends_before_it_starts_is_422(api, actors):
    params = {"occurred_after": "2030-01-02T00:00:00", "occurred_before": "2030-01-01T00:00:00"}
    assert_error(
        api.get(URL, params=params, token=actors.token(actors.admin)), 422, "occurred_after"
    )


@pytest.mark.parametrize("params, field", [
    ({"object_id": 0}, "object_id"),
    ({"object_id": 2**31}, "object_id"),
    ({"actor_id": "me"}, "actor_id"),
    ({"occurred_after": "yesterday"}, "occurred_after"),
    ({"action": "x" * 65}, "action"),
    ({"per_page": 101}, "per_page"),
])
def test_bad_filters_are_422_naming_the_field(api, actors, params, field):
    assert_error(api.get(URL, params=params, token=actors.token(actors.admin)), 422, field)


def test_the_trail_needs_a_login(api):
    assert_error(api.get(URL), 401)


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_the_trail_cannot_be_changed(api, actors, method):
    response = api.request(method, URL, json={"action": "forged"}, token=actors.token(actors.admin))
    assert_error(response, 405)
    assert "GET" in response.headers["Allow"].split(", ")


def test_a_single_event_cannot_be_changed_or_deleted(api, actors, trail):
    token = actors.token(actors.admin)
    for method in ("PUT", "PATCH", "DELETE"):
        assert_error(api.request(method, f"{URL}/{trail.order_published.id}", token=token), 404)


def _bid_on_an_open_order(api, actors):
    """An open order of the agency and the vendor's bid on it, placed through the API."""
    from tests.bids.conftest import valid_bid
    from tests.factories import OrderFactory, able_to

    able_to(actors.vendor.organization)
    order = OrderFactory(agency=actors.agency.organization)
    bid = api.post(f"/api/v1/orders/{order.id}/bids", json=valid_bid(order), token=actors.token(actors.vendor))
    assert bid.status_code == 201, bid.text
    return order, bid


def test_bid_events_stay_sealed_from_coordinators_until_bidding_closes(api, actors, db_session):
    from market.db import utcnow

    order, bid = _bid_on_an_open_order(api, actors)
    vendor = actors.vendor
    query = {"object_type": "bid", "object_id": bid.json()["id"]}
    assert (
        api.get(
            "/api/v1/audit-events", params=query, token=actors.token(actors.coordinator)
        ).json()["items"]
        == []
    )
    assert api.get("/api/v1/audit-events", params=query, token=actors.token(vendor)).json()["items"]
    order.bidding_closes_at = utcnow() - dt.timedelta(minutes=1)
    db_session.flush()
    assert api.get(
        "/api/v1/audit-events", params=query, token=actors.token(actors.coordinator)
    ).json()["items"]


def test_bid_events_on_an_order_cancelled_before_closing_stay_sealed(api, actors, db_session):
    """The bids service keeps such bids sealed until the original closing time; so does the trail."""
    order, bid = _bid_on_an_open_order(api, actors)
    vendor = actors.vendor
    coordinator = actors.token(actors.coordinator)
    cancelled = api.post(f"/api/v1/orders/{order.id}/cancel", json={"reason": "需求变更"},
                         token=actors.token(actors.agency))
    assert cancelled.status_code == 200, cancelled.text
    assert_error(api.get(f"/api/v1/orders/{order.id}/bids", token=coordinator), 403)
    query = {"object_type": "bid", "object_id": bid.json()["id"]}
    assert api.get("/api/v1/audit-events", params=query, token=coordinator).json()["items"] == []
    assert [e["action"] for e in api.get("/api/v1/audit-events", params=query,
                                         token=actors.token(vendor)).json()["items"]] == [
        "bid.rejected", "bid.submitted"]
