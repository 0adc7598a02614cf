"""Administrators change a user's name, role and language, invite users to choose their own password,
and see and revoke everyone's API tokens."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from market.accounts.models import ApiToken, User
from market.audit.models import AuditEvent
from tests.accounts.conftest import token_in
from tests.conftest import assert_error
from tests.factories import PASSWORD, OperatorFactory, VendorFactory

USERS = "/api/v1/users"
TOKENS = "/api/v1/tokens"


def _login(api, user, password=PASSWORD):
    return api.post("/api/v1/auth/tokens", json={"email": user.email, "password": password})


def test_an_administrator_changes_a_users_name_role_and_language(api, actors, db_session):
    operator = OperatorFactory()
    user = actors.user("coordinator", operator, name="旧名字")
    changed = api.patch(f"{USERS}/{user.id}", json={"name": "陈静", "role": "admin", "locale": "en"},
                        token=actors.token(actors.admin))
    assert changed.status_code == 200, changed.text
    assert (changed.json()["name"], changed.json()["role"], changed.json()["locale"]) == ("陈静", "admin", "en")
    (event,) = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "user.updated")).all()
    assert event.object_id == user.id and event.data == {"name": "陈静", "role": "admin", "locale": "en"}


def test_a_role_that_does_not_fit_the_organisation_is_422_on_role_and_nothing_changes(api, actors, db_session):
    user = actors.vendor
    refused = api.patch(f"{USERS}/{user.id}", json={"role": "agency", "name": "新名字"},
                        token=actors.token(actors.admin))
    assert_error(refused, 422, "role")
    db_session.refresh(user)
    assert (user.role, user.name) != ("agency", "新名字")


def test_an_administrator_keeps_their_own_role(api, actors):
    admin = actors.admin
    assert_error(api.patch(f"{USERS}/{admin.id}", json={"role": "coordinator"}, token=actors.token(admin)),
                 409, "role")


@pytest.mark.parametrize("body, field", [({"role": "root"}, "role"), ({"locale": "fr"}, "locale"),
                                         ({"name": ""}, "name"), ({"email": "x@example.cn"}, "email")])
def test_bad_user_changes_are_422_naming_the_field(api, actors, body, field):
    assert_error(api.patch(f"{USERS}/{actors.vendor.id}", json=body, token=actors.token(actors.admin)),
                 422, field)


@pytest.mark.parametrize("role", ["agency", "vendor", "coordinator"])
def test_only_administrators_change_users(api, actors, role):
    assert_error(api.patch(f"{USERS}/{actors.vendor.id}", json={"name": "x"},
                           token=actors.token(getattr(actors, role))), 403)


def test_changing_a_missing_user_is_404(api, actors):
    assert_error(api.patch(f"{USERS}/999999", json={"name": "x"}, token=actors.token(actors.admin)), 404)


def test_a_user_created_without_a_password_is_invited_to_choose_one(api, actors, db_session, mailbox):
    firm = VendorFactory()
    body = {"email": "zhao.lei@example.cn", "name": "赵磊", "role": "vendor", "organization_id": firm.id}
    created = api.post(USERS, json=body, token=actors.token(actors.admin))
    assert created.status_code == 201, created.text
    assert mailbox.deliver(db_session) == 1
    (mail,) = mailbox.to("zhao.lei@example.cn")
    assert mail.subject == "您已开通平台账号"
    assert "http://127.0.0.1:5000/password-reset?token=" in mail.body and firm.name in mail.body
    assert "48" in mail.body  # hours: longer than a password reset's hour
    user = db_session.get(User, created.json()["id"])
    assert _login(api, user, "").status_code == 422
    chosen = api.post("/api/v1/password-reset/confirm",
                      json={"token": token_in(mail.body), "new_password": "my-own-secret-1"})
    assert chosen.status_code == 200, chosen.text
    assert _login(api, user, "my-own-secret-1").status_code == 201


def test_a_user_created_with_a_password_gets_no_invitation(api, actors, db_session, mailbox):
    body = {"email": "sun.li@example.cn", "name": "孙丽", "role": "vendor", "password": "a long enough secret",
            "organization_id": VendorFactory().id}
    assert api.post(USERS, json=body, token=actors.token(actors.admin)).status_code == 201
    assert mailbox.deliver(db_session) == 0


def test_administrators_see_every_token_with_its_user_and_times_never_the_token(api, actors):
    vendor = actors.vendor
    issued = _login(api, vendor).json()
    listed = api.get(TOKENS, params={"user_id": vendor.id}, token=actors.token(actors.admin))
    assert listed.status_code == 200, listed.text
    (row,) = listed.json()["items"]
    assert row["prefix"] == issued["prefix"] and row["user"]["email"] == vendor.email
    assert row["user"]["organization"]["id"] == vendor.organization_id
    assert {"created_at", "last_used_at", "expires_at", "revoked_at"} <= set(row)
    assert issued["token"] not in listed.text and "token_hash" not in row


def test_revoking_one_token_ends_it_and_leaves_the_others(api, actors, db_session):
    vendor = actors.vendor
    first, second = _login(api, vendor).json()["token"], _login(api, vendor).json()["token"]
    rows = api.get(TOKENS, params={"user_id": vendor.id}, token=actors.token(actors.admin)).json()["items"]
    newest = rows[0]
    revoked = api.post(f"{TOKENS}/{newest['id']}/revoke", token=actors.token(actors.admin))
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert_error(api.get("/api/v1/me", token=second), 401)
    assert api.get("/api/v1/me", token=first).status_code == 200
    live = api.get(TOKENS, params={"user_id": vendor.id, "live": True},
                   token=actors.token(actors.admin)).json()["items"]
    assert [r["id"] for r in live] == [rows[1]["id"]]
    gone = api.get(TOKENS, params={"user_id": vendor.id, "live": False},
                   token=actors.token(actors.admin)).json()["items"]
    assert [r["id"] for r in gone] == [newest["id"]]


def test_an_expired_token_is_not_live(api, actors, db_session):
    vendor = actors.vendor
    _login(api, vendor)
    row = db_session.scalar(select(ApiToken).where(ApiToken.user_id == vendor.id))
    row.expires_at = row.created_at - dt.timedelta(seconds=1)
    db_session.flush()
    live = api.get(TOKENS, params={"user_id": vendor.id, "live": True}, token=actors.token(actors.admin))
    assert live.json()["items"] == []


@pytest.mark.parametrize("role", ["agency", "vendor", "coordinator"])
def test_only_administrators_see_and_revoke_tokens(api, actors, role, db_session):
    token = actors.token(getattr(actors, role))
    assert_error(api.get(TOKENS, token=token), 403)
    row_id = db_session.scalar(select(func.min(ApiToken.id)))
    assert_error(api.post(f"{TOKENS}/{row_id}/revoke", token=token), 403)
    assert db_session.get(ApiToken, row_id).revoked_at is None


def test_revoking_a_missing_token_is_404(api, actors):
    assert_error(api.post(f"{TOKENS}/999999/revoke", token=actors.token(actors.admin)), 404)
