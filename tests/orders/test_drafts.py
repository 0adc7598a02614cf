"""Drafts are drafts: saved with only a title; complete and coherent only when published."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from market.db import utcnow
from market.orders.models import PUBLIC_FIELD_CHOICES, REQUIRED_TO_PUBLISH, Order
from tests.conftest import assert_error
from tests.factories import OrderFactory, OrganizationFactory
from tests.orders.conftest import order_body


def publish(api, actors, order_id, user=None):
    return api.post(f"/api/v1/orders/{order_id}/publish", token=actors.token(user or actors.agency))


def test_a_draft_is_saved_with_only_a_title_and_completed_later(api, actors, db_session):
    token = actors.token(actors.agency)
    response = api.post("/api/v1/orders", token=token, json={"title": "黔南州中小学课堂录音转写"})
    assert response.status_code == 201, response.text
    draft = response.json()
    assert draft["status"] == "draft"
    assert draft["sector"] is None and draft["volume"] is None and draft["budget_ceiling"] is None
    assert draft["label_set"] == [] and draft["hidden_fields"] == {}
    complete = {k: v for k, v in order_body().items() if k != "title"}
    response = api.patch(f"/api/v1/orders/{draft['id']}", token=token, json=complete)
    assert response.status_code == 200, response.text
    assert publish(api, actors, draft["id"]).json()["status"] == "published"


def test_publishing_an_incomplete_draft_names_every_missing_field_and_changes_nothing(
    api, actors, db_session, audit_actions
):
    token = actors.token(actors.agency)
    draft = api.post("/api/v1/orders", token=token, json={"title": "只有标题的草稿"}).json()
    body = assert_error(publish(api, actors, draft["id"]), 422, *REQUIRED_TO_PUBLISH,
                        "description", "label_set")
    assert set(body["errors"]) == {*REQUIRED_TO_PUBLISH, "description", "label_set"}
    assert db_session.get(Order, draft["id"]).status == "draft"
    assert audit_actions("order", draft["id"]) == ["order.created"]


def test_a_draft_may_be_cleared_back_to_empty(api, actors):
    draft = OrderFactory(draft=True, agency=actors.agency.organization)
    response = api.patch(f"/api/v1/orders/{draft.id}", token=actors.token(actors.agency),
                         json={"budget_ceiling": None, "modality": None})
    assert response.status_code == 200, response.text
    assert_error(publish(api, actors, draft.id), 422, "budget_ceiling", "modality")


def test_audio_with_bounding_boxes_is_refused_naming_what_audio_allows(api, actors, db_session):
    draft = OrderFactory(draft=True, agency=actors.agency.organization, modality="audio",
                         annotation_type="bbox", unit="audio_minute")
    body = assert_error(publish(api, actors, draft.id), 422, "annotation_type")
    message = body["errors"]["annotation_type"][0]
    assert "audio" in message and "bbox" in message
    assert "transcription (audio_minute, item)" in message and "classification" in message
    assert db_session.get(Order, draft.id).status == "draft"


def test_a_unit_that_does_not_fit_the_annotation_type_is_refused_naming_the_units(api, actors):
    draft = OrderFactory(draft=True, agency=actors.agency.organization, modality="audio",
                         annotation_type="transcription", unit="box")
    body = assert_error(publish(api, actors, draft.id), 422, "unit")
    assert "audio_minute, item" in body["errors"]["unit"][0]


def test_the_combinations_come_from_the_settings(api, actors, app):
    settings = app.extensions["market.db"].settings
    draft = OrderFactory(draft=True, agency=actors.agency.organization)  # image bbox box
    assert settings.annotation_combinations["image"]["bbox"] == ("box", "item")
    original = dict(settings.annotation_combinations)
    try:
        object.__setattr__(settings, "annotation_combinations",
                           {"image": {"classification": ("item",)}})
        assert_error(publish(api, actors, draft.id), 422, "annotation_type")
    finally:
        object.__setattr__(settings, "annotation_combinations", original)
    assert publish(api, actors, draft.id).status_code == 200


def test_a_closing_time_that_passed_is_named_with_the_missing_fields(api, actors):
    draft = OrderFactory(draft=True, agency=actors.agency.organization, budget_ceiling=None,
                         bidding_closes_at=utcnow() - dt.timedelta(hours=1))
    assert_error(publish(api, actors, draft.id), 422, "budget_ceiling", "bidding_closes_at")


@pytest.mark.parametrize("role", ["vendor", "coordinator"])
def test_only_the_agency_publishes_an_incomplete_draft_or_learns_what_it_lacks(api, actors, role):
    draft = OrderFactory(draft=True, agency=actors.agency.organization, budget_ceiling=None)
    assert_error(publish(api, actors, draft.id, actors.user(role)), 403)
    foreign = OrderFactory(draft=True, agency=OrganizationFactory(), budget_ceiling=None)
    assert_error(publish(api, actors, foreign.id), 404)


def test_partial_drafts_never_reach_the_directory_or_the_order_lists_of_others(api, actors):
    draft = OrderFactory(draft=True, agency=actors.agency.organization, sector=None, volume=None)
    assert_error(api.get(f"/api/v1/directory/{draft.id}"), 404)
    assert draft.id not in [o["id"] for o in api.get("/api/v1/directory").json()["items"]]
    listed = api.get("/api/v1/orders", token=actors.token(actors.vendor)).json()["items"]
    assert draft.id not in [o["id"] for o in listed]
    own = api.get("/api/v1/orders", token=actors.token(actors.agency)).json()["items"]
    assert [o["volume"] for o in own if o["id"] == draft.id] == [None]


# What the public sees ----------------------------------------------------------------------------


def test_an_agency_hides_a_field_only_with_a_reason(api, actors, db_session):
    token = actors.token(actors.agency)
    for reason in ("", "   ", "\u200b"):
        body = order_body(hidden_fields={"budget_ceiling": reason})
        assert_error(api.post("/api/v1/orders", token=token, json=body), 422, "hidden_fields")
    body = order_body(hidden_fields={"volume": "规模保密"})  # a base field is always shown
    assert_error(api.post("/api/v1/orders", token=token, json=body), 422, "hidden_fields")
    assert db_session.scalar(select(func.count()).select_from(Order)) == 0
    response = api.post("/api/v1/orders", token=token,
                        json=order_body(hidden_fields={"budget_ceiling": " 预算待批复 "}))
    assert response.status_code == 201, response.text
    assert response.json()["hidden_fields"] == {"budget_ceiling": "预算待批复"}
    assert "budget_ceiling" not in response.json()["public_fields"]
    assert "description" in response.json()["public_fields"]


def test_a_client_that_still_sends_public_fields_shows_what_it_lists(api, actors):
    token = actors.token(actors.agency)
    response = api.post("/api/v1/orders", token=token, json=order_body(
        public_fields=["budget_ceiling"], hidden_fields={"min_lot": "待定"}))
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["hidden_fields"] == {"min_lot": "待定"}
    assert set(order["public_fields"]) == set(PUBLIC_FIELD_CHOICES) - {"min_lot"}
    shown = api.patch(f"/api/v1/orders/{order['id']}", token=token,
                      json={"public_fields": ["min_lot"]}).json()
    assert shown["hidden_fields"] == {}
    conflict = order_body(public_fields=["budget_ceiling"], hidden_fields={"budget_ceiling": "保密"})
    assert_error(api.post("/api/v1/orders", token=token, json=conflict), 422, "public_fields")
