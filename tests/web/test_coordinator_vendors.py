"""Vendor review: the profile, capabilities and evidence, a pending change before and after; verifying,
suspending and reinstating with a reason; deciding a change request."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from market.audit.models import AuditEvent
from market.db import utcnow
from tests.factories import (
    CapabilityFactory,
    ChangeRequestFactory,
    ContractFactory,
    OrderFactory,
    VendorFactory,
)


def _events(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(AuditEvent))


@pytest.fixture
def pending(factories):
    firm = VendorFactory(pending=True, name="黔南智标数据有限公司", clearance="general")
    CapabilityFactory(vendor=firm.vendor_profile, evidence="医疗影像分割项目验收报告")
    return firm


@pytest.mark.parametrize("role", ["agency", "vendor"])
def test_only_coordinators_review_vendors(browser, actors, pending, role):
    browser.sign_in(getattr(actors, role))
    assert browser.get(f"/coordinator/vendors/{pending.id}").status_code == 403
    token = browser.token(browser.get("/"))
    refused = browser.post(f"/coordinator/vendors/{pending.id}/status",
                           data={"csrf_token": token, "action": "verify", "status-reason": "资料齐全"})
    assert refused.status_code == 403


def test_the_review_shows_the_profile_capabilities_evidence_and_credit_code(browser, actors, pending):
    browser.sign_in(actors.coordinator)
    page = browser.get(f"/coordinator/vendors/{pending.id}")
    assert page.status_code == 200
    assert pending.name in page.text and pending.credit_code in page.text
    assert "医疗影像分割项目验收报告" in page.text and "等待审核" in page.text
    assert 'value="verify"' in page.text and 'value="reinstate"' not in page.text


def test_an_unknown_vendor_or_an_agency_is_not_found(browser, actors, factories):
    agency = OrderFactory().agency
    browser.sign_in(actors.coordinator)
    assert browser.get("/coordinator/vendors/999999").status_code == 404
    assert browser.get(f"/coordinator/vendors/{agency.id}").status_code == 404


def test_verifying_needs_a_reason_shown_beside_the_field_and_stores_nothing(browser, actors, pending,
                                                                           db_session):
    browser.sign_in(actors.coordinator)
    before = _events(db_session)
    page = f"/coordinator/vendors/{pending.id}"
    refused = browser.submit(page, f"{page}/status", {"action": "verify", "status-reason": "  ",
                                                      "status-note": "电话核实"})
    assert refused.status_code == 422
    assert 'href="#field-status-reason"' in refused.text and 'id="error-status-reason"' in refused.text
    assert "电话核实" in refused.text  # what was typed stays
    db_session.refresh(pending.vendor_profile)
    assert pending.vendor_profile.verification_status == "pending" and _events(db_session) == before


def test_a_form_without_its_token_is_refused(browser, actors, pending, db_session):
    browser.sign_in(actors.coordinator)
    refused = browser.post(f"/coordinator/vendors/{pending.id}/status",
                           data={"action": "verify", "status-reason": "资料齐全"})
    assert refused.status_code == 400
    db_session.refresh(pending.vendor_profile)
    assert pending.vendor_profile.verification_status == "pending"


def test_a_coordinator_verifies_suspends_and_reinstates_with_reasons(browser, actors, pending, db_session):
    browser.sign_in(actors.coordinator)
    page = f"/coordinator/vendors/{pending.id}"
    done = browser.submit(page, f"{page}/status", {"action": "verify", "status-reason": "营业执照与资质核验无误",
                                                   "status-note": "已电话回访"})
    assert done.status_code == 302
    db_session.refresh(pending.vendor_profile)
    assert pending.vendor_profile.verification_status == "verified"
    assert pending.vendor_profile.status_note == "已电话回访"
    shown = browser.get(page).text
    assert "企业已通过核验" in shown and "营业执照与资质核验无误" in shown
    browser.submit(page, f"{page}/status", {"action": "suspend", "status-reason": "资质证书过期"})
    db_session.refresh(pending.vendor_profile)
    assert pending.vendor_profile.verification_status == "suspended"
    assert 'value="reinstate"' in browser.get(page).text
    browser.submit(page, f"{page}/status", {"action": "reinstate", "status-reason": "已提交新证书"})
    db_session.refresh(pending.vendor_profile)
    assert pending.vendor_profile.verification_status == "verified"


def test_a_move_the_lifecycle_refuses_is_said_on_the_page(browser, actors, factories, db_session):
    firm = VendorFactory()  # verified already
    browser.sign_in(actors.coordinator)
    page = f"/coordinator/vendors/{firm.id}"
    refused = browser.submit(page, f"{page}/status", {"action": "verify", "status-reason": "再次核验"})
    assert refused.status_code == 409 and 'id="capabilities-title"' in refused.text  # the review, not an error page
    assert firm.name in refused.text and 'class="error-summary"' in refused.text


def test_a_pending_change_is_shown_before_and_after_and_approved_with_a_reason(browser, actors, factories,
                                                                               db_session):
    firm = VendorFactory(clearance="important")
    change = ChangeRequestFactory(vendor=firm.vendor_profile)
    browser.sign_in(actors.coordinator)
    page = f"/coordinator/vendors/{firm.id}"
    shown = browser.get(page).text
    assert "重要数据" in shown and "核心数据" in shown  # before and after
    action = f"/coordinator/change-requests/{change.id}/decide"
    refused = browser.submit(page, action, {"decision": "approve", "change-reason": ""})
    assert refused.status_code == 422 and 'id="error-change-reason"' in refused.text
    db_session.refresh(change)
    assert change.status == "pending"
    done = browser.submit(page, action, {"decision": "approve", "change-reason": "已核验等保测评报告",
                                         "change-note": "核心数据资质复核人：王"})
    assert done.status_code == 302
    db_session.refresh(change)
    db_session.refresh(firm.vendor_profile)
    assert change.status == "approved" and change.note == "核心数据资质复核人：王"
    assert firm.vendor_profile.clearance == "core"
    assert "已核验等保测评报告" in browser.get(page).text  # in the earlier requests


def test_a_change_is_rejected_in_english(english_browser, actors, factories, db_session):
    firm = VendorFactory(clearance="important")
    change = ChangeRequestFactory(vendor=firm.vendor_profile)
    english_browser.sign_in(actors.coordinator)
    english_browser.submit("/", "/language", {"lang": "en", "next": "/"})
    page = f"/coordinator/vendors/{firm.id}"
    assert "Change waiting for your review" in english_browser.get(page).text
    english_browser.submit(page, f"/coordinator/change-requests/{change.id}/decide",
                           {"decision": "reject", "change-reason": "No audit report attached"})
    db_session.refresh(change)
    assert change.status == "rejected" and firm.vendor_profile.clearance == "important"
    assert "The change is rejected" in english_browser.get(page).text


def test_an_unknown_change_request_is_not_found(browser, actors, factories):
    browser.sign_in(actors.coordinator)
    token = browser.token(browser.get("/coordinator/"))
    assert browser.post("/coordinator/change-requests/999999/decide",
                        data={"csrf_token": token, "decision": "approve", "change-reason": "x"}).status_code == 404


def test_the_review_shows_the_firms_track_record(browser, actors, factories):
    firm = VendorFactory()
    ContractFactory(vendor=firm, status="completed", completed_at=utcnow(), delivered_on_time=True,
                    accuracy_achieved=0.9683)
    browser.sign_in(actors.coordinator)
    page = browser.get(f"/coordinator/vendors/{firm.id}")
    assert page.status_code == 200
    assert "履约记录" in page.text and "96.83 %" in page.text and "100 %" in page.text
