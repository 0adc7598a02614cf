"""A bid the engine's hard rules already refuse is refused when it is placed or revised, with every reason."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from market.audit.models import AuditEvent
from market.bids.models import Bid
from market.bids.reasons import MESSAGES, describe
from tests.bids.conftest import valid_bid
from tests.conftest import assert_error
from tests.factories import OrderFactory, VendorFactory, able_to


def _bids(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(Bid))


@pytest.fixture(autouse=True)
def english_vendor(actors):
    """The vendor reads English here, but for the last test."""
    actors.vendor.locale = "en"


def _submit(api, actors, vendor, order, **overrides):
    return api.post(f"/api/v1/orders/{order.id}/bids", json=valid_bid(order, **overrides),
                    token=actors.token(vendor))


def test_a_unit_price_over_the_budget_ceiling_is_refused_on_the_unit_price(api, actors, order, db_session):
    # 50,000 CNY for 100,000 boxes: at most 0.50 a box.
    body = assert_error(_submit(api, actors, actors.vendor, order, unit_price="0.5001"), 422, "unit_price")
    assert body["errors"]["eligibility"] == ["over_budget"]
    assert body["errors"]["unit_price"] == [
        "The unit price 0.5001 is above the order's budget ceiling of 0.5 a unit (50000 CNY for 100000 boxes)."]
    assert _bids(db_session) == 0
    assert _submit(api, actors, actors.vendor, order, unit_price="0.50").status_code == 201


def test_a_firm_without_the_capability_is_told_so(api, actors, db_session):
    order = OrderFactory(agency=actors.agency.organization, modality="text", annotation_type="ner", unit="kchar")
    body = assert_error(_submit(api, actors, actors.vendor, order), 422, "_body")
    assert body["errors"]["eligibility"] == ["no_capability"]
    assert "Text / Named entities" in body["errors"]["_body"][0]
    assert _bids(db_session) == 0


def test_a_clearance_below_the_data_classification_is_refused(api, actors, db_session):
    firm = VendorFactory(clearance="general")
    able_to(firm)
    order = OrderFactory(agency=actors.agency.organization, data_classification="core")
    body = assert_error(_submit(api, actors, actors.user("vendor", firm), order), 422, "_body")
    assert body["errors"]["eligibility"] == ["clearance_too_low"]
    params = {"clearance": "general", "required": "core"}
    assert body["errors"]["_body"] == [describe("clearance_too_low", params, "zh")]
    assert _bids(db_session) == 0


def test_a_missing_required_certification_is_named(api, actors, db_session):
    order = OrderFactory(agency=actors.agency.organization, required_certifications=["ISO 27001", "ISO 9001"])
    body = assert_error(_submit(api, actors, actors.vendor, order), 422, "_body")
    assert body["errors"]["eligibility"] == ["certification_missing"]
    assert "ISO 9001" in body["errors"]["_body"][0] and "ISO 27001" not in body["errors"]["_body"][0]
    assert _bids(db_session) == 0


def test_on_site_work_required_of_a_firm_that_cannot_is_refused(api, actors, db_session):
    firm = VendorFactory(onsite_possible=False)
    able_to(firm)
    order = OrderFactory(agency=actors.agency.organization, onsite_required=True)
    body = assert_error(_submit(api, actors, actors.user("vendor", firm), order), 422, "_body")
    assert body["errors"]["eligibility"] == ["onsite_not_possible"]
    assert _bids(db_session) == 0


def test_every_broken_rule_is_given_at_once_beside_the_terms_own_errors(api, actors, db_session):
    firm = VendorFactory(clearance="general", onsite_possible=False, certifications=(), seats=10)
    order = OrderFactory(agency=actors.agency.organization, data_classification="important",
                         onsite_required=True, required_certifications=["ISO 27001"])
    response = _submit(api, actors, actors.user("vendor", firm), order, unit_price="0.90", seats_committed=11)
    body = assert_error(response, 422, "unit_price", "seats_committed", "_body")
    assert body["errors"]["eligibility"] == [
        "clearance_too_low", "certification_missing", "onsite_not_possible", "no_capability", "over_budget"]
    assert len(body["errors"]["_body"]) == 4
    assert _bids(db_session) == 0
    assert db_session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "bid.submitted")) == 0


def test_a_rule_the_terms_check_already_names_is_not_said_twice(api, actors, db_session):
    order = OrderFactory(agency=actors.agency.organization, splittable=False)
    body = assert_error(_submit(api, actors, actors.vendor, order, volume=order.volume - 1), 422, "volume")
    assert len(body["errors"]["volume"]) == 1
    assert body["errors"]["eligibility"] == ["partial_bid_not_splittable"]


def test_a_revision_over_the_ceiling_is_refused_and_changes_nothing(api, actors, order, db_session):
    bid = _submit(api, actors, actors.vendor, order).json()
    response = api.patch(f"/api/v1/bids/{bid['id']}", json={"unit_price": "0.51"}, token=actors.token(actors.vendor))
    body = assert_error(response, 422, "unit_price")
    assert body["errors"]["eligibility"] == ["over_budget"]
    db_session.expire_all()
    assert db_session.get(Bid, bid["id"]).unit_price == Decimal("0.35")
    assert db_session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "bid.revised")) == 0


def test_a_revision_is_judged_on_the_firm_as_it_stands(api, actors, order, db_session):
    bid = _submit(api, actors, actors.vendor, order).json()
    # The firm's capability went away after the bid was placed: any change now says so.
    for capability in list(actors.vendor.organization.vendor_profile.capabilities):
        db_session.delete(capability)
    db_session.flush()
    db_session.expire_all()
    response = api.patch(f"/api/v1/bids/{bid['id']}", json={"technical_note": "三级质检"},
                         token=actors.token(actors.vendor))
    assert assert_error(response, 422, "_body")["errors"]["eligibility"] == ["no_capability"]


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_every_reason_has_a_message_even_without_its_params(code):
    assert describe(code, {}).strip()
    assert describe(code, {"partly": True}).startswith("Partly allocated: ")


def test_a_chinese_reader_is_told_in_chinese_with_the_codes_named(api, actors, order):
    actors.vendor.locale = "zh"
    body = assert_error(_submit(api, actors, actors.vendor, order, unit_price="0.5001"), 422, "unit_price")
    assert body["errors"]["unit_price"] == ["单价 0.5001 高于订单的预算上限：每单位 0.5 元（100000 框 共 50000 元）。"]
