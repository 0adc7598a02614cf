"""Organisations: registering them, reading and editing profiles, verifying and suspending firms."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from market.audit.models import AuditEvent
from market.organizations import services
from market.organizations.credit_code import make_credit_code
from market.organizations.services import PROFILE_PARTS, profile_gaps
from tests.conftest import assert_error
from tests.factories import OrganizationFactory, VendorFactory, able_to

URL = "/api/v1/organizations"
# A real-format code: 91 (enterprise), 520115 (Guiyang, Guanshanhu district), a 9-character body.
NEW_CODE = make_credit_code("91520115MA6DK3XX0")


def new_vendor(**overrides) -> dict:
    body = {
        "kind": "vendor",
        "name": "贵州黔数智能科技有限公司",
        "credit_code": NEW_CODE,
        "province": "贵州省",
        "city": "贵阳市",
        "county": "观山湖区",
        "contact_email": "bd@qianshu.example.cn",
        "vendor_profile": {
            "seats": 120,
            "headcount": 150,
            "certifications": ["ISO 27001", "ISO 9001"],
            "clearance": "important",
            "onsite_possible": True,
            "sme": True,
        },
    }
    body.update(overrides)
    return body


def wrong_check_character(code: str) -> str:
    return code[:17] + ("1" if code[17] != "1" else "2")


# Registering


def test_admin_registers_a_vendor_which_starts_pending_and_local(api, actors):
    response = api.post(URL, json=new_vendor(), token=actors.token(actors.admin))
    assert response.status_code == 201, response.text
    org = response.json()
    assert org["kind"] == "vendor"
    assert org["credit_code"] == NEW_CODE
    assert org["vendor_profile"]["seats"] == 120
    assert org["vendor_profile"]["verification_status"] == "pending"
    assert org["vendor_profile"]["verified_at"] is None
    assert org["vendor_profile"]["local"] is True
    assert api.get(f"{URL}/{org['id']}", token=actors.token(actors.vendor)).json() == org


def test_a_vendor_outside_the_home_province_is_not_local(api, actors):
    code = make_credit_code("91440300MA5FXT2B0")  # Shenzhen
    body = new_vendor(credit_code=code, province="广东省", city="深圳市", county="南山区")
    response = api.post(URL, json=body, token=actors.token(actors.admin))
    assert response.status_code == 201, response.text
    assert response.json()["vendor_profile"]["local"] is False


def test_admin_registers_an_agency_with_sectors(api, actors):
    body = {
        "kind": "agency",
        "name": "铜仁市卫生健康局",
        "credit_code": make_credit_code("11522200MB1702836"),
        "province": "贵州省",
        "city": "铜仁市",
        "sectors": ["health"],
    }
    response = api.post(URL, json=body, token=actors.token(actors.admin))
    assert response.status_code == 201, response.text
    assert response.json()["sectors"] == ["health"]
    assert response.json()["vendor_profile"] is None


def test_a_lowercase_credit_code_is_stored_uppercase(api, actors):
    response = api.post(
        URL, json=new_vendor(credit_code=NEW_CODE.lower()), token=actors.token(actors.admin)
    )
    assert response.status_code == 201, response.text
    assert response.json()["credit_code"] == NEW_CODE


@pytest.mark.parametrize("role", ["agency", "vendor", "coordinator"])
def test_only_admins_register_organisations(api, actors, role):
    assert_error(api.post(URL, json=new_vendor(), token=actors.token(getattr(actors, role))), 403)


def test_registering_needs_a_login(api):
    assert_error(api.post(URL, json=new_vendor()), 401)


def test_a_credit_code_with_a_wrong_check_character_is_422(api, actors):
    body = new_vendor(credit_code=wrong_check_character(NEW_CODE))
    error = assert_error(
        api.post(URL, json=body, token=actors.token(actors.admin)), 422, "credit_code"
    )
    assert "check character" in error["errors"]["credit_code"][0]


def test_a_duplicate_credit_code_is_409(api, actors):
    existing = VendorFactory()
    body = new_vendor(credit_code=existing.credit_code)
    assert_error(api.post(URL, json=body, token=actors.token(actors.admin)), 409, "credit_code")


def test_a_duplicate_credit_code_that_races_past_the_check_is_still_409(api, actors, monkeypatch):
    # Two admins registering the same firm at once: both checks pass, the unique index decides.
    monkeypatch.setattr(services, "_credit_code_taken", lambda session, code, except_id=None: False)
    body = new_vendor(credit_code=VendorFactory().credit_code)
    assert_error(api.post(URL, json=body, token=actors.token(actors.admin)), 409, "credit_code")


def test_changing_to_a_credit_code_that_races_past_the_check_is_still_409(api, actors, monkeypatch):
    monkeypatch.setattr(services, "_credit_code_taken", lambda session, code, except_id=None: False)
    other = OrganizationFactory()
    response = api.patch(
        f"{URL}/{actors.vendor.organization_id}",
        json={"credit_code": other.credit_code},
        token=actors.token(actors.admin),
    )
    assert_error(response, 409, "credit_code")


@pytest.mark.parametrize("overrides, field", [
    ({"kind": "bank"}, "kind"),
    ({"name": ""}, "name"),
    ({"credit_code": "123"}, "credit_code"),
    ({"contact_email": "not-an-email"}, "contact_email"),
    ({"sectors": ["transport"]}, "sectors"),
    ({"vendor_profile": {"seats": -1}}, "vendor_profile"),
    ({"vendor_profile": {"certifications": ["ISO 00000"]}}, "vendor_profile"),
    ({"vendor_profile": {"clearance": "top_secret"}}, "vendor_profile"),
    ({"vendor_profile": {"verification_status": "verified"}}, "vendor_profile"),
    ({"id": 5}, "id"),
    ({"favourite_colour": "red"}, "favourite_colour"),
])
def test_bad_registrations_are_422_naming_the_field(api, actors, overrides, field):
    assert_error(
        api.post(URL, json=new_vendor(**overrides), token=actors.token(actors.admin)), 422, field
    )


def test_an_agency_cannot_have_a_vendor_profile(api, actors):
    body = new_vendor(kind="agency")
    assert_error(api.post(URL, json=body, token=actors.token(actors.admin)), 422, "vendor_profile")


def test_a_missing_required_field_is_422(api, actors):
    body = new_vendor()
    del body["province"]
    assert_error(api.post(URL, json=body, token=actors.token(actors.admin)), 422, "province")


# Reading


def test_any_signed_in_user_lists_organisations_with_filters(api, actors):
    pending = VendorFactory(pending=True, city="铜仁市")
    VendorFactory(verified=True)
    token = actors.token(actors.agency)
    found = api.get(
        URL, params={"kind": "vendor", "verification_status": "pending"}, token=token
    ).json()
    assert [o["id"] for o in found["items"]] == [pending.id]
    by_city = api.get(URL, params={"city": "铜仁市"}, token=token).json()
    assert [o["id"] for o in by_city["items"]] == [pending.id]
    by_name = api.get(URL, params={"q": pending.name[-6:]}, token=token).json()
    assert pending.id in [o["id"] for o in by_name["items"]]


@pytest.mark.parametrize("q", ["%", "_"])
def test_search_wildcards_are_taken_literally(api, actors, q):
    VendorFactory(name="黔数_智能")
    found = api.get(URL, params={"q": q}, token=actors.token(actors.agency)).json()["items"]
    assert [o["name"] for o in found] == (["黔数_智能"] if q == "_" else [])


@pytest.fixture
def statements(app):
    """The SQL statements run while the test lasts, by the test and by the server alike."""
    seen: list[str] = []
    engine = app.extensions["market.db"].engine

    def note(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    yield seen
    event.remove(engine, "before_cursor_execute", note)


def test_listing_organisations_reads_every_vendor_profile_in_one_query(api, actors, statements):
    for _ in range(4):
        VendorFactory()
    token = actors.token(actors.coordinator)
    statements.clear()
    response = api.get(URL, params={"kind": "vendor"}, token=token)
    assert [o["vendor_profile"]["seats"] for o in response.json()["items"]] == [100] * 4
    # One query for the profiles, one for their pending change requests.
    assert len([s for s in statements if "FROM vendor_profiles" in s]) == 2
    assert len([s for s in statements if "JOIN change_requests" in s]) == 1


def test_listing_organisations_needs_a_login(api):
    assert_error(api.get(URL), 401)


def test_an_unknown_organisation_is_404(api, actors):
    assert_error(api.get(f"{URL}/999999", token=actors.token(actors.agency)), 404)


@pytest.mark.parametrize("params, field", [
    ({"kind": "bank"}, "kind"),
    ({"verification_status": "great"}, "verification_status"),
    ({"page": 0}, "page"),
    ({"q": "x" * 101}, "q"),
])
def test_bad_list_filters_are_422(api, actors, params, field):
    assert_error(api.get(URL, params=params, token=actors.token(actors.agency)), 422, field)


# Editing


def test_vendor_staff_edit_their_own_profile(api, actors):
    vendor = actors.vendor
    body = {"contact_email": "ops@example.cn", "description": "医学影像分割团队",
            "vendor_profile": {"seats": 110, "headcount": 130, "sme": False}}
    response = api.patch(f"{URL}/{vendor.organization_id}", json=body, token=actors.token(vendor))
    assert response.status_code == 200, response.text
    org = response.json()
    assert org["contact_email"] == "ops@example.cn"
    assert org["vendor_profile"]["seats"] == 110  # within the share that needs no review
    assert org["vendor_profile"]["headcount"] == 130
    assert org["vendor_profile"]["sme"] is False
    assert org["vendor_profile"]["verification_status"] == "verified"
    assert org["vendor_profile"]["pending_change"] is None


def test_a_pending_vendor_edits_what_eligibility_trusts_freely(api, actors):
    # Verifying it reviews the whole profile, so nothing waits for review before that.
    staff = actors.user("vendor", organization=VendorFactory(pending=True))
    body = {"vendor_profile": {"seats": 400, "clearance": "core", "onsite_possible": True,
                               "certifications": ["ISO 27001", "等保三级"]}}
    response = api.patch(f"{URL}/{staff.organization_id}", json=body, token=actors.token(staff))
    assert response.status_code == 200, response.text
    profile = response.json()["vendor_profile"]
    assert {key: profile[key] for key in body["vendor_profile"]} == body["vendor_profile"]
    assert profile["pending_change"] is None


def test_agency_staff_edit_their_sectors(api, actors):
    agency = actors.agency
    response = api.patch(
        f"{URL}/{agency.organization_id}",
        json={"sectors": ["transport", "education"]},
        token=actors.token(agency),
    )
    assert response.status_code == 200, response.text
    assert response.json()["sectors"] == ["transport", "education"]


@pytest.mark.parametrize("body", [
    {"name": "改名有限公司"},
    {"credit_code": make_credit_code("91520100MA6J00000")},
    {"province": "云南省"},
    {"city": "遵义市"},
])
def test_own_staff_cannot_change_identity_fields(api, actors, body):
    vendor = actors.vendor
    response = api.patch(f"{URL}/{vendor.organization_id}", json=body, token=actors.token(vendor))
    assert_error(response, 403)


def test_staff_of_another_organisation_cannot_edit_it(api, actors):
    other = VendorFactory()
    response = api.patch(
        f"{URL}/{other.id}", json={"description": "hijacked"}, token=actors.token(actors.vendor)
    )
    assert_error(response, 403)


def test_coordinators_cannot_edit_organisations(api, actors):
    response = api.patch(f"{URL}/{actors.vendor.organization_id}", json={"description": "x"},
                         token=actors.token(actors.coordinator))
    assert_error(response, 403)


def test_editing_an_unknown_organisation_is_404(api, actors):
    assert_error(
        api.patch(f"{URL}/999999", json={"description": "x"}, token=actors.token(actors.admin)), 404
    )


def test_admin_changes_identity_fields(api, actors):
    code = make_credit_code("91520100MA6J00000")
    body = {"name": "新名称有限公司", "credit_code": code}
    response = api.patch(
        f"{URL}/{actors.vendor.organization_id}", json=body, token=actors.token(actors.admin)
    )
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "新名称有限公司"
    assert response.json()["credit_code"] == code


def test_changing_to_a_credit_code_already_taken_is_409(api, actors):
    other = OrganizationFactory()
    response = api.patch(
        f"{URL}/{actors.vendor.organization_id}",
        json={"credit_code": other.credit_code},
        token=actors.token(actors.admin),
    )
    assert_error(response, 409, "credit_code")


def test_changing_to_a_bad_credit_code_is_422(api, actors):
    response = api.patch(
        f"{URL}/{actors.vendor.organization_id}",
        json={"credit_code": wrong_check_character(NEW_CODE)},
        token=actors.token(actors.admin),
    )
    assert_error(response, 422, "credit_code")


def test_a_vendor_has_no_sectors_and_an_agency_no_vendor_profile(api, actors):
    vendor_response = api.patch(
        f"{URL}/{actors.vendor.organization_id}",
        json={"sectors": ["health"]},
        token=actors.token(actors.vendor),
    )
    assert_error(vendor_response, 422, "sectors")
    agency_response = api.patch(
        f"{URL}/{actors.agency.organization_id}",
        json={"vendor_profile": {"seats": 3}},
        token=actors.token(actors.agency),
    )
    assert_error(agency_response, 422, "vendor_profile")


def test_vendor_staff_cannot_set_their_own_verification_status(api, actors):
    response = api.patch(f"{URL}/{actors.vendor.organization_id}",
                         json={"vendor_profile": {"verification_status": "verified"}},
                         token=actors.token(actors.vendor))
    assert_error(response, 422, "vendor_profile")


# Verifying and suspending


@pytest.fixture
def pending_vendor(actors):
    return VendorFactory(pending=True)


def test_a_coordinator_verifies_a_pending_vendor(api, actors, pending_vendor):
    response = api.post(
        f"{URL}/{pending_vendor.id}/verify",
        json={"reason": "资料齐全"},
        token=actors.token(actors.coordinator),
    )
    assert response.status_code == 200, response.text
    profile = response.json()["vendor_profile"]
    assert profile["verification_status"] == "verified"
    assert profile["verified_at"] is not None


def test_verifying_an_already_verified_vendor_is_409(api, actors):
    response = api.post(
        f"{URL}/{actors.vendor.organization_id}/verify",
        json={"reason": "资料齐全"},
        token=actors.token(actors.coordinator),
    )
    body = assert_error(response, 409, "status")
    assert body["errors"]["status"] == ["verified"]


def test_a_suspended_vendor_shows_suspended_with_the_reason(api, actors):
    org_id = actors.vendor.organization_id
    response = api.post(f"{URL}/{org_id}/suspend", json={"reason": "资质证书过期"},
                        token=actors.token(actors.coordinator))
    assert response.status_code == 200, response.text
    profile = api.get(f"{URL}/{org_id}", token=actors.token(actors.vendor)).json()["vendor_profile"]
    assert profile["verification_status"] == "suspended"
    assert profile["status_reason"] == "资质证书过期"
    assert profile["suspended_at"] is not None


def test_suspending_twice_is_409(api, actors):
    org_id = actors.vendor.organization_id
    token = actors.token(actors.coordinator)
    assert (
        api.post(f"{URL}/{org_id}/suspend", json={"reason": "过期"}, token=token).status_code == 200
    )
    assert_error(api.post(f"{URL}/{org_id}/suspend", json={"reason": "过期"}, token=token), 409)


def test_a_suspended_vendor_can_be_verified_again(api, actors):
    suspended = VendorFactory(suspended=True)
    response = api.post(f"{URL}/{suspended.id}/verify", json={"reason": "已整改"},
                        token=actors.token(actors.coordinator))
    assert response.status_code == 200, response.text
    assert response.json()["vendor_profile"]["verification_status"] == "verified"


def test_suspending_needs_a_reason(api, actors):
    response = api.post(f"{URL}/{actors.vendor.organization_id}/suspend", json={},
                        token=actors.token(actors.coordinator))
    assert_error(response, 422, "reason")


def test_only_vendors_are_verified(api, actors):
    response = api.post(
        f"{URL}/{actors.agency.organization_id}/verify",
        json={"reason": "资料齐全"},
        token=actors.token(actors.coordinator),
    )
    assert_error(response, 409)


@pytest.mark.parametrize("role", ["admin", "agency", "vendor"])
def test_only_coordinators_verify_or_suspend(api, actors, pending_vendor, role):
    token = actors.token(getattr(actors, role))
    assert_error(
        api.post(f"{URL}/{pending_vendor.id}/verify", json={"reason": "资料齐全"}, token=token), 403
    )
    assert_error(
        api.post(f"{URL}/{pending_vendor.id}/suspend", json={"reason": "x"}, token=token), 403
    )


def test_verifying_an_unknown_organisation_is_404(api, actors):
    assert_error(
        api.post(
            f"{URL}/999999/verify",
            json={"reason": "资料齐全"},
            token=actors.token(actors.coordinator),
        ),
        404,
    )


def test_verifying_is_audited_against_the_vendor(api, actors, pending_vendor, db_session):
    api.post(
        f"{URL}/{pending_vendor.id}/verify",
        json={"reason": "ok"},
        token=actors.token(actors.coordinator),
    )
    event = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "vendor.verified")
    ).one()
    assert event.organization_id == pending_vendor.id
    assert event.actor_id == actors.coordinator.id


def test_every_decision_on_a_vendor_has_a_reason_and_the_vendor_hears_of_it(
    api, actors, pending_vendor, db_session
):
    from market.notifications.models import Notification

    token = actors.token(actors.coordinator)
    assert_error(api.post(f"{URL}/{pending_vendor.id}/verify", json={}, token=token), 422, "reason")
    assert_error(
        api.post(f"{URL}/{pending_vendor.id}/verify", json={"reason": "\u200b"}, token=token),
        422,
        "reason",
    )
    staff = actors.user("vendor", organization=pending_vendor)
    steps = [("verify", "资料齐全", "vendor.verified"), ("suspend", "资质过期", "vendor.suspended"),
             ("verify", "已整改", "vendor.reinstated")]
    for action, reason, _kind in steps:
        response = api.post(
            f"{URL}/{pending_vendor.id}/{action}",
            json={"reason": reason, "note": "内部备注"},
            token=token,
        )
        assert response.status_code == 200, response.text
        assert response.json()["vendor_profile"]["status_reason"] == reason
        assert "status_note" not in response.json()["vendor_profile"]
    told = db_session.scalars(select(Notification).where(Notification.recipient_id == staff.id)
                              .order_by(Notification.id)).all()
    assert [(n.kind, n.payload["reason"]) for n in told] == [
        (kind, reason) for _a, reason, kind in steps
    ]
    events = api.get(
        "/api/v1/audit-events",
        params={"object_type": "vendor", "object_id": pending_vendor.id},
        token=actors.token(staff),
    ).json()["items"]
    assert events and all("note" not in event["data"] for event in events)


def test_a_vendors_profile_gaps_are_the_parts_still_empty(factories):
    firm = VendorFactory()
    firm.contact_email, firm.description = "a@firm.example.cn", "图像标注"
    firm.vendor_profile.seats, firm.vendor_profile.headcount = 10, 12
    able_to(firm)
    assert profile_gaps(firm) == []
    firm.description, firm.vendor_profile.seats = " ", 0
    firm.vendor_profile.capabilities.clear()
    assert profile_gaps(firm) == ["vendor_profile.seats", "description", "capabilities"]
    assert set(profile_gaps(firm)) <= set(PROFILE_PARTS)
