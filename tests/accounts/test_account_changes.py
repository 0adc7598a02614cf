"""Changing your own password; administrators deactivate, reactivate and revoke a user's tokens."""

from __future__ import annotations

from tests.conftest import assert_error
from tests.factories import PASSWORD


def _login(api, user, password=PASSWORD):
    return api.post("/api/v1/auth/tokens", json={"email": user.email, "password": password})


def test_a_user_changes_the_password_and_other_tokens_end(api, actors):
    user = actors.vendor
    first = _login(api, user).json()["token"]
    second = _login(api, user).json()["token"]
    body = {"current_password": PASSWORD, "new_password": "a-brand-new-secret"}
    changed = api.post("/api/v1/me/password", json=body, token=second)
    assert changed.status_code == 200, changed.text
    assert api.get("/api/v1/me", token=second).status_code == 200
    assert_error(api.get("/api/v1/me", token=first), 401)
    assert_error(_login(api, user), 401)
    assert _login(api, user, "a-brand-new-secret").status_code == 201


def test_the_current_password_must_be_right_and_the_new_one_long_and_different(api, actors):
    token = _login(api, actors.vendor).json()["token"]
    wrong = {"current_password": "not-it", "new_password": "a-brand-new-secret"}
    assert_error(api.post("/api/v1/me/password", json=wrong, token=token), 422, "current_password")
    short = {"current_password": PASSWORD, "new_password": "short"}
    assert_error(api.post("/api/v1/me/password", json=short, token=token), 422, "new_password")
    same = {"current_password": PASSWORD, "new_password": PASSWORD}
    assert_error(api.post("/api/v1/me/password", json=same, token=token), 422, "new_password")
    assert_error(api.post("/api/v1/me/password", json=wrong), 401)


def test_an_administrator_deactivates_and_reactivates_a_user(api, actors):
    user = actors.agency
    token = _login(api, user).json()["token"]
    admin = actors.token(actors.admin)
    off = api.post(f"/api/v1/users/{user.id}/active", json={"active": False}, token=admin)
    assert off.status_code == 200 and off.json()["active"] is False
    assert_error(api.get("/api/v1/me", token=token), 401)
    assert_error(_login(api, user), 401)
    on = api.post(f"/api/v1/users/{user.id}/active", json={"active": True}, token=admin)
    assert on.status_code == 200 and on.json()["active"] is True
    assert _login(api, user).status_code == 201


def test_an_administrator_revokes_a_users_tokens(api, actors):
    user = actors.agency
    tokens = [_login(api, user).json()["token"] for _ in range(2)]
    revoked = api.post(f"/api/v1/users/{user.id}/revoke-tokens", token=actors.token(actors.admin))
    assert revoked.status_code == 200 and revoked.json()["revoked"] >= 2
    for token in tokens:
        assert_error(api.get("/api/v1/me", token=token), 401)


def test_only_administrators_manage_users_and_none_deactivates_themselves(api, actors):
    for role in ("agency", "vendor", "coordinator"):
        token = actors.token(getattr(actors, role))
        assert_error(api.post(f"/api/v1/users/{actors.agency.id}/active", json={"active": False}, token=token), 403)
        assert_error(api.post(f"/api/v1/users/{actors.agency.id}/revoke-tokens", token=token), 403)
    admin = actors.token(actors.admin)
    assert_error(api.post(f"/api/v1/users/{actors.admin.id}/active", json={"active": False}, token=admin), 409)
    assert_error(api.post("/api/v1/users/999999/active", json={"active": False}, token=admin), 404)
