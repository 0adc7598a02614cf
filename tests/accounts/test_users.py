"""User administration: administrators list and create users in organisations of the right kind."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from market.accounts import services
from tests.conftest import assert_error
from tests.factories import OperatorFactory, OrganizationFactory, VendorFactory

URL = "/api/v1/users"


def new_user(organization_id: int, **overrides) -> dict:
    body = {"email": "Li.Na@Qianshu.example.cn", "name": "李娜", "password": "a long enough secret",
            "role": "vendor", "organization_id": organization_id, "locale": "en"}
    body.update(overrides)
    return body


def test_admin_creates_a_user_who_can_then_log_in(api, actors):
    firm = VendorFactory()
    response = api.post(URL, json=new_user(firm.id), token=actors.token(actors.admin))
    assert response.status_code == 201, response.text
    user = response.json()
    assert user["email"] == "li.na@qianshu.example.cn"
    assert user["role"] == "vendor"
    assert user["organization"] == {"id": firm.id, "kind": "vendor", "name": firm.name}
    assert user["locale"] == "en"
    assert user["active"] is True
    assert "password" not in user and "password_hash" not in user
    login = api.post("/api/v1/auth/tokens", json={"email": "li.na@qianshu.example.cn",
                                                  "password": "a long enough secret"})
    assert login.status_code == 201, login.text


def test_creating_a_user_is_audited(api, actors):
    firm = VendorFactory()
    created = api.post(URL, json=new_user(firm.id), token=actors.token(actors.admin)).json()
    events = api.get("/api/v1/audit-events", params={"action": "user.created"},
                     token=actors.token(actors.admin)).json()["items"]
    assert [(e["object_id"], e["organization_id"], e["actor_id"]) for e in events] == [
        (created["id"], firm.id, actors.admin.id)
    ]


@pytest.mark.parametrize("role, factory", [
    ("agency", OrganizationFactory), ("coordinator", OperatorFactory), ("admin", OperatorFactory),
])
def test_each_role_belongs_to_its_kind_of_organisation(api, actors, role, factory):
    org = factory()
    response = api.post(URL, json=new_user(org.id, role=role), token=actors.token(actors.admin))
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("role, factory", [
    ("vendor", OrganizationFactory), ("agency", VendorFactory), ("coordinator", VendorFactory),
    ("admin", OrganizationFactory),
])
def test_a_role_in_the_wrong_kind_of_organisation_is_422(api, actors, role, factory):
    org = factory()
    response = api.post(URL, json=new_user(org.id, role=role), token=actors.token(actors.admin))
    assert_error(response, 422, "organization_id")


def test_a_duplicate_email_is_409_whatever_its_case(api, actors):
    existing = actors.vendor
    body = new_user(existing.organization_id, email=existing.email.upper())
    assert_error(api.post(URL, json=body, token=actors.token(actors.admin)), 409, "email")


def test_an_unknown_organisation_is_422_naming_the_field(api, actors):
    assert_error(
        api.post(URL, json=new_user(999999), token=actors.token(actors.admin)),
        422,
        "organization_id",
    )


@pytest.mark.parametrize("overrides, field", [
    ({"email": "not-an-email"}, "email"),
    ({"password": "short"}, "password"),
    ({"role": "superuser"}, "role"),
    ({"name": ""}, "name"),
    ({"locale": "fr"}, "locale"),
    ({"organization_id": 0}, "organization_id"),
    ({"organization_id": 2**31}, "organization_id"),
    ({"organization_id": "1"}, "organization_id"),
    ({"active": False}, "active"),
])
def test_bad_users_are_422_naming_the_field(api, actors, overrides, field):
    body = {**new_user(actors.vendor.organization_id), **overrides}
    assert_error(api.post(URL, json=body, token=actors.token(actors.admin)), 422, field)


@pytest.mark.parametrize("role", ["agency", "vendor", "coordinator"])
def test_only_admins_create_users(api, actors, role):
    body = new_user(actors.vendor.organization_id)
    assert_error(api.post(URL, json=body, token=actors.token(getattr(actors, role))), 403)


@pytest.mark.parametrize("role", ["agency", "vendor", "coordinator"])
def test_only_admins_list_users(api, actors, role):
    assert_error(api.get(URL, token=actors.token(getattr(actors, role))), 403)


def test_users_need_a_login(api, actors):
    assert_error(api.get(URL), 401)
    assert_error(api.post(URL, json=new_user(actors.vendor.organization_id)), 401)


def test_admin_lists_users_with_filters(api, actors):
    vendor, agency, admin = actors.vendor, actors.agency, actors.admin
    colleague = actors.user(
        "vendor", vendor.organization, name="王芳", email="wang.fang@example.cn"
    )
    token = actors.token(admin)

    everyone = api.get(URL, token=token).json()
    assert [u["id"] for u in everyone["items"]] == sorted(
        [vendor.id, agency.id, admin.id, colleague.id]
    )
    assert everyone["meta"]["total"] == 4

    vendors = api.get(URL, params={"role": "vendor"}, token=token).json()
    assert [u["id"] for u in vendors["items"]] == [vendor.id, colleague.id]

    in_agency = api.get(URL, params={"organization_id": agency.organization_id}, token=token).json()
    assert [u["id"] for u in in_agency["items"]] == [agency.id]

    by_name = api.get(URL, params={"q": "王芳"}, token=token).json()
    assert [u["id"] for u in by_name["items"]] == [colleague.id]
    by_email = api.get(URL, params={"q": "WANG.FANG"}, token=token).json()
    assert [u["id"] for u in by_email["items"]] == [colleague.id]


def test_user_search_wildcards_are_taken_literally(api, actors):
    actors.user("vendor", actors.vendor.organization, email="a_b@example.cn")
    token = actors.token(actors.admin)
    underscore = api.get(URL, params={"q": "_"}, token=token).json()["items"]
    assert [u["email"] for u in underscore] == ["a_b@example.cn"]
    assert api.get(URL, params={"q": "%"}, token=token).json()["items"] == []


def test_users_are_paginated(api, actors):
    for _ in range(3):
        actors.user("agency", actors.agency.organization)
    body = api.get(URL, params={"per_page": 2, "page": 2}, token=actors.token(actors.admin)).json()
    assert body["meta"] == {"page": 2, "per_page": 2, "total": 5, "pages": 3}
    assert len(body["items"]) == 2


@pytest.mark.parametrize("params, field", [
    ({"role": "superuser"}, "role"),
    ({"organization_id": "abc"}, "organization_id"),
    ({"organization_id": 2**31}, "organization_id"),
    ({"per_page": 0}, "per_page"),
])
def test_bad_user_filters_are_422(api, actors, params, field):
    assert_error(api.get(URL, params=params, token=actors.token(actors.admin)), 422, field)


def test_a_duplicate_email_that_races_past_the_check_is_still_409(api, actors, monkeypatch):
    # Two admins creating the same user at once: both checks pass, the unique index decides.
    monkeypatch.setattr(services, "email_taken", lambda session, email: False)
    body = new_user(actors.vendor.organization_id, email=actors.vendor.email)
    assert_error(api.post(URL, json=body, token=actors.token(actors.admin)), 409, "email")


@pytest.mark.parametrize("role", ["agency", "vendor", "coordinator"])
def test_only_administrators_create_users_whoever_calls_the_service(db_session, actors, role):
    from market.accounts.models import User
    from market.errors import Forbidden

    actor = getattr(actors, role)
    data = {"email": "new.person@example.cn", "name": "新用户", "password": "a-long-password",
            "role": "agency", "organization_id": actors.agency.organization_id}
    with pytest.raises(Forbidden):
        services.create_user(db_session, data, actor=actor)
    assert db_session.scalar(select(User.id).where(User.email == "new.person@example.cn")) is None
    assert (
        services.create_user(db_session, data, actor=actors.admin).email == "new.person@example.cn"
    )
