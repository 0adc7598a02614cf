"""The vendor's profile page: the same rules as the API's PATCH, field errors in place."""

from __future__ import annotations

from sqlalchemy import select

from market.organizations.models import Capability, ChangeRequest
from tests.factories import CapabilityFactory


def test_only_vendors_have_the_profile_page(browser, actors):
    browser.sign_in(actors.agency)
    assert browser.get("/vendor/profile").status_code == 403


def test_the_profile_page_shows_the_firm_and_its_capabilities(browser, actors, factories):
    CapabilityFactory(vendor=actors.vendor.organization.vendor_profile, modality="audio",
                      annotation_type="transcription", unit_price="0.3500")
    browser.sign_in(actors.vendor)
    page = browser.get("/vendor/profile")
    assert page.status_code == 200
    assert actors.vendor.organization.name in page.text
    assert "语音与音频" in page.text and "¥0.35" in page.text


def test_a_raise_of_clearance_waits_for_review_and_the_page_says_so(browser, actors, db_session):
    profile = actors.vendor.organization.vendor_profile
    assert profile.verification_status == "verified" and profile.clearance != "core"
    browser.sign_in(actors.vendor)
    form = {"vendor_profile.seats": str(profile.seats), "vendor_profile.headcount": str(profile.headcount),
            "vendor_profile.clearance": "core", "vendor_profile.onsite_possible": "false",
            "vendor_profile.sme": "true", "vendor_profile.certifications": list(profile.certifications)}
    response = browser.submit("/vendor/profile", "/vendor/profile", form)
    assert response.status_code == 302
    db_session.refresh(profile)
    assert profile.clearance != "core"
    change = db_session.scalar(select(ChangeRequest).where(ChangeRequest.vendor_id == profile.organization_id))
    assert change.status == "pending" and change.requested["clearance"] == "core"
    page = browser.get("/vendor/profile")
    assert "等待协调员审核" in page.text and "核心数据" in page.text


def test_bad_seats_are_shown_beside_the_field_and_nothing_is_stored(browser, actors, db_session):
    profile = actors.vendor.organization.vendor_profile
    seats = profile.seats
    browser.sign_in(actors.vendor)
    response = browser.submit("/vendor/profile", "/vendor/profile", {"vendor_profile.seats": "-3"})
    assert response.status_code == 422
    assert 'id="error-vendor_profile.seats"' in response.text
    assert 'href="#field-vendor_profile.seats"' in response.text
    assert '<a href="#field-vendor_profile.seats">标注工位数：' in response.text
    db_session.refresh(profile)
    assert profile.seats == seats


def test_capabilities_are_added_changed_and_removed_one_by_one(browser, actors, db_session):
    profile = actors.vendor.organization.vendor_profile
    browser.sign_in(actors.vendor)
    added = browser.submit("/vendor/profile", "/vendor/capabilities", {
        "modality": "text", "annotation_type": "ner", "throughput_per_seat_day": "800", "unit_price": "0.0450"})
    assert added.status_code == 302
    cap = db_session.scalar(select(Capability).where(Capability.vendor_id == profile.organization_id,
                                                     Capability.annotation_type == "ner"))
    assert cap is not None
    changed = browser.submit("/vendor/profile", f"/vendor/capabilities/{cap.id}",
                             {"throughput_per_seat_day": "900", "unit_price": "0.05"})
    assert changed.status_code == 302
    db_session.refresh(cap)
    assert cap.throughput_per_seat_day == 900
    twice = browser.submit("/vendor/profile", "/vendor/capabilities", {
        "modality": "text", "annotation_type": "ner", "throughput_per_seat_day": "800", "unit_price": "0.05"})
    assert twice.status_code == 409 and "error-summary" in twice.text
    assert "该企业已有“文本 / 命名实体”能力，请直接修改该项。" in twice.text and "already listed" not in twice.text
    cap_id = cap.id
    removed = browser.submit("/vendor/profile", f"/vendor/capabilities/{cap_id}/remove", {})
    assert removed.status_code == 302
    db_session.expire_all()
    assert db_session.scalar(select(Capability).where(Capability.id == cap_id)) is None


def test_a_bad_unit_price_is_refused_beside_its_field(browser, actors):
    browser.sign_in(actors.vendor)
    response = browser.submit("/vendor/profile", "/vendor/capabilities", {
        "modality": "text", "annotation_type": "ner", "throughput_per_seat_day": "800", "unit_price": "0.00001"})
    assert response.status_code == 422 and 'id="error-unit_price"' in response.text
