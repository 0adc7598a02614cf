"""Administrators deactivate an organisation (its staff can no longer sign in, their tokens end) and
reactivate it; a verified vendor is suspended by a coordinator first."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from market.audit.models import AuditEvent
from tests.conftest import assert_error
from tests.factories import PASSWORD, OrganizationFactory, VendorFactory

URL = "/api/v1/organizations"


def _login(api, user):
    return api.post("/api/v1/auth/tokens", json={"email": user.email, "password": PASSWORD})


def _active(api, actors, org_id, active: bool):
    return api.post(f"{URL}/{org_id}/active", json={"active": active}, token=actors.token(actors.admin))


def test_a_deactivated_agencys_staff_cannot_sign_in_and_their_tokens_end(api, actors, db_session):
    staff = actors.agency
    token = _login(api, staff).json()["token"]
    off = _active(api, actors, staff.organization_id, False)
    assert off.status_code == 200, off.text
    assert off.json()["status"] == "deactivated" and off.json()["deactivated_at"]
    assert_error(api.get("/api/v1/me", token=token), 401)
    assert_error(_login(api, staff), 401)
    on = _active(api, actors, staff.organization_id, True)
    assert on.status_code == 200 and on.json()["status"] == "active"
    assert_error(api.get("/api/v1/me", token=token), 401)  # reactivating brings no old session back
    assert _login(api, staff).status_code == 201
    actions = db_session.scalars(select(AuditEvent.action).where(
        AuditEvent.object_type == "organization", AuditEvent.object_id == staff.organization_id)).all()
    assert actions == ["organization.deactivated", "organization.active"]


def test_deactivating_twice_changes_nothing(api, actors, db_session):
    org = OrganizationFactory()
    first = _active(api, actors, org.id, False).json()["deactivated_at"]
    again = _active(api, actors, org.id, False)
    assert again.status_code == 200 and again.json()["deactivated_at"] == first
    events = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "organization.deactivated")).all()
    assert len(events) == 1


def test_a_verified_vendor_is_suspended_first(api, actors, db_session):
    firm = VendorFactory()
    assert_error(_active(api, actors, firm.id, False), 409, "status")
    db_session.refresh(firm)
    assert firm.status == "active"
    suspended = VendorFactory(suspended=True)
    assert _active(api, actors, suspended.id, False).json()["status"] == "deactivated"


def test_an_administrator_does_not_deactivate_their_own_organisation(api, actors):
    assert_error(_active(api, actors, actors.admin.organization_id, False), 409)


def test_no_user_is_created_in_a_deactivated_organisation(api, actors):
    org = OrganizationFactory()
    _active(api, actors, org.id, False)
    body = {"email": "new@example.cn", "name": "新人", "role": "agency", "organization_id": org.id,
            "password": "a long enough secret"}
    assert_error(api.post("/api/v1/users", json=body, token=actors.token(actors.admin)), 422, "organization_id")


def test_organisations_are_filtered_by_status(api, actors):
    kept, gone = OrganizationFactory(), OrganizationFactory()
    _active(api, actors, gone.id, False)
    token = actors.token(actors.admin)
    deactivated = api.get(URL, params={"status": "deactivated"}, token=token).json()["items"]
    assert [o["id"] for o in deactivated] == [gone.id]
    active = api.get(URL, params={"status": "active"}, token=token).json()["items"]
    assert kept.id in [o["id"] for o in active] and gone.id not in [o["id"] for o in active]
    assert_error(api.get(URL, params={"status": "gone"}, token=token), 422, "status")


@pytest.mark.parametrize("role", ["agency", "vendor", "coordinator"])
def test_only_administrators_deactivate_organisations(api, actors, role, db_session):
    org = OrganizationFactory()
    assert_error(api.post(f"{URL}/{org.id}/active", json={"active": False},
                          token=actors.token(getattr(actors, role))), 403)
    db_session.refresh(org)
    assert org.status == "active"


def test_deactivating_a_missing_organisation_is_404_and_a_bad_body_422(api, actors):
    assert_error(_active(api, actors, 999999, False), 404)
    assert_error(api.post(f"{URL}/{OrganizationFactory().id}/active", json={"active": "maybe"},
                          token=actors.token(actors.admin)), 422, "active")
