"""Drafting, listing, editing, deleting, publishing and cancelling orders."""

from __future__ import annotations

import datetime as dt

import pytest

from market.db import utcnow
from tests.conftest import assert_error
from tests.factories import BidFactory, OrderFactory, OrganizationFactory, VendorFactory
from tests.orders.conftest import in_days, order_body


def draft_of(org, **kwargs):
    return OrderFactory(draft=True, agency=org, **kwargs)


# Creating -----------------------------------------------------------------------------------------


def test_agency_staff_draft_an_order_for_their_own_agency(api, actors, audit_actions):
    user = actors.agency
    body = order_body(
        scoring_weights={"quality": 50, "price": 20, "capacity": 10, "local": 10, "fairness": 10},
        public_fields=["budget_ceiling", "description"],
        splittable=True,
        max_vendors=3,
        min_lot=5000,
        required_certifications=["ISO 27001"],
    )
    response = api.post("/api/v1/orders", token=actors.token(user), json=body)
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["status"] == "draft"
    assert order["agency"]["id"] == user.organization_id
    assert order["created_by_id"] == user.id
    assert order["budget_ceiling"] == "120000.00"
    assert order["sampling_level"] == "II" and order["data_classification"] == "general"
    assert order["scoring_weights"]["quality"] == 50
    assert order["published_at"] is None and order["bidding_open"] is False
    assert audit_actions("order", order["id"]) == ["order.created"]


def test_vendor_staff_cannot_draft_orders(api, actors):
    assert_error(
        api.post("/api/v1/orders", token=actors.token(actors.vendor), json=order_body()), 403
    )


def test_drafting_without_a_token_is_401(api):
    assert_error(api.post("/api/v1/orders", json=order_body()), 401)


def test_an_anonymous_write_is_401_whatever_its_body(api):
    # Authentication is checked before the body is read: no hint about the schema, no 422/415.
    assert_error(api.post("/api/v1/orders", json={"volume": "lots"}), 401)
    assert_error(
        api.post("/api/v1/orders", data="not json", headers={"Content-Type": "text/plain"}), 401
    )
    assert_error(api.post("/api/v1/allocations/1/reject", json={}), 401)


def test_dates_in_the_past_are_refused(api, actors):
    body = order_body(
        bidding_closes_at=in_days(-1).isoformat(), delivery_deadline=in_days(-0.5).isoformat()
    )
    assert_error(api.post("/api/v1/orders", token=actors.token(actors.agency), json=body), 422,
                 "bidding_closes_at", "delivery_deadline")


@pytest.mark.parametrize("closing_offset", [0, 5])
def test_bidding_closing_at_or_after_the_deadline_is_refused(api, actors, closing_offset):
    deadline = in_days(20)
    body = order_body(bidding_closes_at=(deadline + dt.timedelta(days=closing_offset)).isoformat(),
                      delivery_deadline=deadline.isoformat())
    assert_error(api.post("/api/v1/orders", token=actors.token(actors.agency), json=body), 422,
                 "bidding_closes_at")


def test_a_minimum_lot_larger_than_the_volume_is_refused(api, actors):
    body = order_body(volume=1000, min_lot=1001, splittable=True)
    assert_error(
        api.post("/api/v1/orders", token=actors.token(actors.agency), json=body), 422, "min_lot"
    )


def test_several_vendors_on_an_order_that_is_not_splittable_is_refused(api, actors):
    body = order_body(splittable=False, max_vendors=2)
    assert_error(
        api.post("/api/v1/orders", token=actors.token(actors.agency), json=body), 422, "max_vendors"
    )


def test_unknown_and_read_only_fields_are_refused(api, actors):
    body = order_body(colour="red", status="published")
    assert_error(
        api.post("/api/v1/orders", token=actors.token(actors.agency), json=body),
        422,
        "colour",
        "status",
    )


def test_a_draft_needs_only_its_title(api, actors):
    body = assert_error(
        api.post("/api/v1/orders", token=actors.token(actors.agency), json={}), 422, "title"
    )
    assert set(body["errors"]) == {"title"}


@pytest.mark.parametrize("field, value", [
    ("title", ""),
    ("title", "长" * 201),
    ("sector", "mining"),
    ("modality", "smell"),
    ("unit", "bushel"),
    ("volume", 0),
    ("volume", 2**40),
    ("volume", "100"),
    ("budget_ceiling", "-5"),
    ("budget_ceiling", "0"),
    ("budget_ceiling", "1e100000"),
    ("budget_ceiling", "999999999999.999"),
    ("budget_ceiling", "NaN"),
    ("accuracy_target", 0),
    ("accuracy_target", 1.01),
    ("sampling_level", "IV"),
    ("data_classification", "secret"),
    ("required_certifications", ["ISO 12345"]),
    ("required_certifications", ["ISO 9001", "ISO 9001"]),
    ("label_set", ["car", "car"]),
    ("label_set", [""]),
    ("max_vendors", 0),
    ("max_vendors", 2**40),
    ("min_lot", -1),
    ("public_fields", ["password"]),
    ("public_fields", ["description", "description"]),
    ("bidding_closes_at", "next tuesday"),
    ("bidding_closes_at", "9999-12-31T23:59:59-14:00"),
])
def test_out_of_range_values_are_refused_with_the_field_named(api, actors, field, value):
    response = api.post(
        "/api/v1/orders", token=actors.token(actors.agency), json=order_body(**{field: value})
    )
    assert_error(response, 422, field)


@pytest.mark.parametrize("weights", [
    {"quality": 50, "price": 20, "capacity": 10, "local": 10, "fairness": 5},
    {"quality": 100},
    {"quality": 40, "price": 25, "capacity": 15, "local": 10, "fairness": 10, "luck": 0},
    {"quality": -10, "price": 55, "capacity": 25, "local": 20, "fairness": 10},
])
def test_scoring_weights_must_name_all_five_components_and_sum_to_100(api, actors, weights):
    response = api.post("/api/v1/orders", token=actors.token(actors.agency),
                        json=order_body(scoring_weights=weights))
    assert_error(response, 422, "scoring_weights")


# Listing and reading ------------------------------------------------------------------------------


def test_agency_lists_its_own_orders_in_every_state_and_no_one_elses(api, actors):
    own = actors.agency.organization
    mine = {draft_of(own).id, OrderFactory(agency=own).id, OrderFactory(agency=own, cancelled=True,
                                                                      published_at=None).id}
    OrderFactory()  # another agency's published order
    response = api.get("/api/v1/orders", token=actors.token(actors.agency))
    assert response.status_code == 200, response.text
    assert {o["id"] for o in response.json()["items"]} == mine
    assert response.json()["meta"]["total"] == 3


def test_vendors_list_published_orders_of_every_agency_but_no_drafts(api, actors):
    published = {OrderFactory().id, OrderFactory().id}
    draft_of(OrganizationFactory())
    OrderFactory(cancelled=True, published_at=None)
    for user in (actors.vendor, actors.coordinator, actors.admin):
        items = api.get("/api/v1/orders", token=actors.token(user)).json()["items"]
        assert {o["id"] for o in items} == published


def test_order_list_filters_by_sector_modality_and_words(api, actors):
    road = OrderFactory(
        title="高速公路 ImageNet 车辆标注",
        description="卡口抓拍",
        sector="transport",
        modality="image",
    )
    scan = OrderFactory(
        title="县医院CT影像分割", description="肺结节", sector="health", modality="medical_image"
    )
    token = actors.token(actors.vendor)

    def found(query: str) -> list[int]:
        return [o["id"] for o in api.get(f"/api/v1/orders?{query}", token=token).json()["items"]]

    assert found("sector=transport") == [road.id]
    assert found("modality=image") == [road.id]
    assert found("q=公路") == [road.id]
    assert found("q=imagenet") == [road.id]
    assert found("q=肺结节") == [scan.id]
    assert api.get("/api/v1/orders?q=100%25", token=token).json()["items"] == []


def test_order_list_filters_by_agency_awarded_vendor_and_publishing_date(api, actors):
    clinics = OrganizationFactory()
    scan = OrderFactory(agency=clinics, awarded=True)
    road = OrderFactory(published_at=utcnow() - dt.timedelta(days=30))
    firm = VendorFactory()
    BidFactory(order=scan, vendor=firm, status="awarded", awarded_at=utcnow())
    BidFactory(order=road, vendor=firm)  # a bid still open is not an award
    token = actors.token(actors.coordinator)

    def found(query: str) -> list[int]:
        return [o["id"] for o in api.get(f"/api/v1/orders?{query}", token=token).json()["items"]]

    assert found(f"agency_id={clinics.id}") == [scan.id]
    assert found(f"vendor_id={firm.id}") == [scan.id]
    recent = (utcnow() - dt.timedelta(days=25)).date().isoformat()
    assert road.id not in found(f"published_after={recent}") and scan.id in found(f"published_after={recent}")
    assert found(f"published_before={recent}") == [road.id]
    assert_error(api.get("/api/v1/orders?published_after=2026-12-10&published_before=2026-12-01",
                         token=token), 422, "published_after")


def test_order_list_is_paginated(api, actors):
    for _ in range(3):
        OrderFactory()
    page = api.get("/api/v1/orders?per_page=2&page=2", token=actors.token(actors.vendor)).json()
    assert len(page["items"]) == 1
    assert page["meta"] == {"page": 2, "per_page": 2, "total": 3, "pages": 2}


def test_order_past_its_closing_time_shows_and_filters_as_evaluating_though_no_job_ran(api, actors):
    closed = OrderFactory(closed=True)
    open_ = OrderFactory()
    token = actors.token(actors.vendor)
    shown = api.get(f"/api/v1/orders/{closed.id}", token=token).json()
    assert shown["status"] == "evaluating" and shown["bidding_open"] is False
    evaluating = api.get("/api/v1/orders?status=evaluating", token=token).json()["items"]
    assert [o["id"] for o in evaluating] == [closed.id]
    published = api.get("/api/v1/orders?status=published", token=token).json()["items"]
    assert [o["id"] for o in published] == [open_.id]


@pytest.mark.parametrize(
    "query", ["status=bogus", "sector=mining", "per_page=1000", "page=0", "q="]
)
def test_bad_list_filters_are_422(api, actors, query):
    field = query.split("=")[0]
    assert_error(api.get(f"/api/v1/orders?{query}", token=actors.token(actors.vendor)), 422, field)


def test_listing_orders_needs_a_login(api):
    assert_error(api.get("/api/v1/orders"), 401)


def test_agency_reads_its_own_draft(api, actors):
    draft = draft_of(actors.agency.organization)
    response = api.get(f"/api/v1/orders/{draft.id}", token=actors.token(actors.agency))
    assert response.status_code == 200
    assert response.json()["status"] == "draft"


def test_another_organisations_draft_is_not_found(api, actors):
    draft = draft_of(OrganizationFactory())
    for user in (actors.agency, actors.vendor, actors.coordinator):
        assert_error(api.get(f"/api/v1/orders/{draft.id}", token=actors.token(user)), 404)


def test_vendors_read_published_orders(api, actors):
    order = OrderFactory()
    response = api.get(f"/api/v1/orders/{order.id}", token=actors.token(actors.vendor))
    assert response.status_code == 200
    assert response.json()["status"] == "published" and response.json()["bidding_open"] is True


def test_an_order_that_does_not_exist_is_404(api, actors):
    assert_error(api.get("/api/v1/orders/999999", token=actors.token(actors.vendor)), 404)


# Editing and deleting drafts ----------------------------------------------------------------------


def test_agency_edits_its_draft_and_the_change_is_audited(api, actors, audit_actions):
    draft = draft_of(actors.agency.organization)
    response = api.patch(f"/api/v1/orders/{draft.id}", token=actors.token(actors.agency),
                         json={"title": "修订后的标题", "volume": 5000, "scoring_weights": None})
    assert response.status_code == 200, response.text
    assert response.json()["title"] == "修订后的标题" and response.json()["volume"] == 5000
    assert audit_actions("order", draft.id) == ["order.updated"]


def test_editing_checks_closing_against_the_stored_deadline(api, actors):
    draft = draft_of(actors.agency.organization, delivery_deadline=in_days(30))
    token = actors.token(actors.agency)
    late_closing = api.patch(f"/api/v1/orders/{draft.id}", token=token,
                             json={"bidding_closes_at": in_days(31).isoformat()})
    assert_error(late_closing, 422, "bidding_closes_at")
    early_deadline = api.patch(f"/api/v1/orders/{draft.id}", token=token,
                               json={"delivery_deadline": in_days(1).isoformat()})
    assert_error(early_deadline, 422, "delivery_deadline")


def test_editing_the_volume_below_the_minimum_lot_is_refused(api, actors):
    draft = draft_of(actors.agency.organization, splittable=True, min_lot=5000)
    response = api.patch(
        f"/api/v1/orders/{draft.id}", token=actors.token(actors.agency), json={"volume": 100}
    )
    assert_error(response, 422, "volume")


def test_editing_partial_scoring_weights_is_refused(api, actors):
    draft = draft_of(actors.agency.organization)
    response = api.patch(f"/api/v1/orders/{draft.id}", token=actors.token(actors.agency),
                         json={"scoring_weights": {"quality": 100}})
    assert_error(response, 422, "scoring_weights")


def test_editing_to_a_past_date_is_refused(api, actors):
    draft = draft_of(actors.agency.organization)
    response = api.patch(f"/api/v1/orders/{draft.id}", token=actors.token(actors.agency),
                         json={"bidding_closes_at": in_days(-1).isoformat()})
    assert_error(response, 422, "bidding_closes_at")


def test_a_published_order_cannot_be_edited_and_the_agency_reads_why_in_its_language(
        api, actors, db_session):
    order = OrderFactory(agency=actors.agency.organization)
    token = actors.token(actors.agency)
    response = api.patch(f"/api/v1/orders/{order.id}", token=token, json={"title": "x"})
    body = assert_error(response, 409)
    assert body["message"] == f"订单 {order.id} 当前为“投标中”；只有草稿可以编辑。"
    assert body["errors"] == {"status": ["published"]}  # the code, for programs
    actors.agency.locale = "en"
    db_session.flush()
    english = assert_error(api.patch(f"/api/v1/orders/{order.id}", token=token, json={"title": "x"}), 409)
    assert english["message"] == f"Order {order.id} is “Open for bids”; only a draft can be edited."


def test_vendors_cannot_edit_orders(api, actors):
    order = OrderFactory()
    assert_error(api.patch(f"/api/v1/orders/{order.id}", token=actors.token(actors.vendor),
                           json={"title": "x"}), 403)


@pytest.mark.parametrize("status", ["draft", "published"])
def test_another_agencys_order_cannot_be_edited_and_is_not_found(api, actors, status):
    order = OrderFactory(**{status: True})
    assert_error(api.patch(f"/api/v1/orders/{order.id}", token=actors.token(actors.agency),
                           json={"title": "x"}), 404)


def test_agency_deletes_its_draft_for_good_and_the_deletion_is_audited(api, actors, audit_actions):
    draft = draft_of(actors.agency.organization)
    token = actors.token(actors.agency)
    assert api.delete(f"/api/v1/orders/{draft.id}", token=token).status_code == 204
    assert_error(api.get(f"/api/v1/orders/{draft.id}", token=token), 404)
    assert audit_actions("order", draft.id) == ["order.deleted"]


def test_a_published_order_cannot_be_deleted(api, actors):
    order = OrderFactory(agency=actors.agency.organization)
    assert_error(api.delete(f"/api/v1/orders/{order.id}", token=actors.token(actors.agency)), 409)


def test_deleting_needs_the_owning_agency(api, actors):
    draft = draft_of(OrganizationFactory())
    assert_error(api.delete(f"/api/v1/orders/{draft.id}", token=actors.token(actors.agency)), 404)
    assert_error(
        api.delete(f"/api/v1/orders/{draft.id}", token=actors.token(actors.coordinator)), 403
    )


# Publishing and cancelling ------------------------------------------------------------------------


def test_agency_publishes_its_draft(api, actors, audit_actions):
    draft = draft_of(actors.agency.organization)
    response = api.post(f"/api/v1/orders/{draft.id}/publish", token=actors.token(actors.agency))
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "published"
    assert response.json()["published_at"] is not None and response.json()["bidding_open"] is True
    assert audit_actions("order", draft.id) == ["order.published"]
    assert (
        api.get(f"/api/v1/orders/{draft.id}", token=actors.token(actors.vendor)).status_code == 200
    )


def test_a_draft_whose_closing_time_has_passed_cannot_be_published(api, actors):
    draft = draft_of(actors.agency.organization, bidding_closes_at=utcnow() - dt.timedelta(hours=1))
    response = api.post(f"/api/v1/orders/{draft.id}/publish", token=actors.token(actors.agency))
    assert_error(response, 422, "bidding_closes_at")


def test_publishing_twice_is_409(api, actors):
    order = OrderFactory(agency=actors.agency.organization)
    assert_error(
        api.post(f"/api/v1/orders/{order.id}/publish", token=actors.token(actors.agency)), 409
    )


def test_publishing_needs_the_owning_agency(api, actors):
    draft = draft_of(OrganizationFactory())
    assert_error(
        api.post(f"/api/v1/orders/{draft.id}/publish", token=actors.token(actors.agency)), 404
    )
    own = draft_of(actors.agency.organization)
    assert_error(
        api.post(f"/api/v1/orders/{own.id}/publish", token=actors.token(actors.vendor)), 403
    )


def test_cancelling_tells_the_vendors_with_live_bids(api, actors, audit_actions, notifications):
    order = OrderFactory(agency=actors.agency.organization)
    bidder = actors.user("vendor", VendorFactory())
    BidFactory(order=order, vendor=bidder.organization)
    withdrawn = actors.user("vendor", VendorFactory())
    BidFactory(
        order=order, vendor=withdrawn.organization, status="withdrawn", withdrawn_at=utcnow()
    )
    response = api.post(f"/api/v1/orders/{order.id}/cancel", token=actors.token(actors.agency),
                        json={"reason": "预算调整，项目暂缓。"})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    assert response.json()["status_reason"] == "预算调整，项目暂缓。"
    assert audit_actions("order", order.id) == ["order.cancelled"]
    assert len(notifications(bidder, "order.cancelled")) == 1
    assert notifications(withdrawn, "order.cancelled") == []


@pytest.mark.parametrize("status", ["draft", "evaluating"])
def test_coordinators_cancel_orders_of_any_agency_from_published_or_evaluating(api, actors, status):
    order = OrderFactory(**{status: True})
    if status == "draft":
        # A coordinator cannot see another agency's draft, so cancelling it is 404.
        assert_error(
            api.post(
                f"/api/v1/orders/{order.id}/cancel",
                token=actors.token(actors.coordinator),
                json={"reason": "x"},
            ),
            404,
        )
        return
    response = api.post(f"/api/v1/orders/{order.id}/cancel", token=actors.token(actors.coordinator),
                        json={"reason": "需求重复发布"})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"


def test_agency_cancels_its_own_draft(api, actors):
    draft = draft_of(actors.agency.organization)
    response = api.post(f"/api/v1/orders/{draft.id}/cancel", token=actors.token(actors.agency),
                        json={"reason": "写错了"})
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"


def test_cancelling_needs_a_reason(api, actors):
    order = OrderFactory(agency=actors.agency.organization)
    for body in ({}, {"reason": ""}):
        assert_error(
            api.post(
                f"/api/v1/orders/{order.id}/cancel", token=actors.token(actors.agency), json=body
            ),
            422,
            "reason",
        )


def test_a_completed_order_cannot_be_cancelled(api, actors):
    order = OrderFactory(
        agency=actors.agency.organization,
        status="completed",
        completed_at=utcnow(),
        awarded_at=utcnow(),
    )
    assert_error(api.post(f"/api/v1/orders/{order.id}/cancel", token=actors.token(actors.agency),
                          json={"reason": "x"}), 409)


def test_vendors_cannot_cancel_and_agencies_cannot_cancel_other_agencies_orders(api, actors):
    order = OrderFactory()
    assert_error(api.post(f"/api/v1/orders/{order.id}/cancel", token=actors.token(actors.vendor),
                          json={"reason": "x"}), 403)
    assert_error(api.post(f"/api/v1/orders/{order.id}/cancel", token=actors.token(actors.agency),
                          json={"reason": "x"}), 404)


def test_a_deadline_far_beyond_the_closing_time_is_refused(api, actors):
    response = api.post("/api/v1/orders", token=actors.token(actors.agency),
                        json=order_body(delivery_deadline="9999-12-31T12:00:00+08:00"))
    assert_error(response, 422, "delivery_deadline")


def test_bidding_that_closes_more_than_a_year_ahead_is_refused(api, actors):
    response = api.post("/api/v1/orders", token=actors.token(actors.agency),
                        json=order_body(bidding_closes_at=in_days(400).isoformat(),
                                        delivery_deadline=in_days(500).isoformat()))
    assert_error(response, 422, "bidding_closes_at")
