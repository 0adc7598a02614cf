"""Logging in and out, tokens, throttling and /me."""

from __future__ import annotations

from tests.conftest import assert_error
from tests.factories import PASSWORD


def test_login_returns_a_token_that_identifies_the_user(api, actors):
    user = actors.agency
    response = api.post("/api/v1/auth/tokens", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 201, response.text
    token = response.json()["token"]
    me = api.get("/api/v1/me", token=token)
    assert me.status_code == 200
    assert me.json()["email"] == user.email
    assert me.json()["organization"]["id"] == user.organization_id


def test_wrong_password_is_401_in_the_error_shape(api, actors):
    response = api.post(
        "/api/v1/auth/tokens", json={"email": actors.agency.email, "password": "nope"}
    )
    assert_error(response, 401)


def test_me_without_token_is_401(api):
    assert_error(api.get("/api/v1/me"), 401)


def test_me_with_unknown_token_is_401(api):
    assert_error(api.get("/api/v1/me", token="mkt_not-a-real-token"), 401)


def test_logout_revokes_the_token(api, actors):
    token = actors.token(actors.vendor)
    assert api.delete("/api/v1/auth/tokens/current", token=token).status_code == 204
    assert_error(api.get("/api/v1/me", token=token), 401)


def test_repeated_failed_logins_are_throttled_and_audited(api, actors, db_session):
    from sqlalchemy import select

    from market.audit.models import AuditEvent

    email = actors.vendor.email
    for _ in range(5):
        assert (
            api.post("/api/v1/auth/tokens", json={"email": email, "password": "wrong"}).status_code
            == 401
        )
    throttled = api.post("/api/v1/auth/tokens", json={"email": email, "password": PASSWORD})
    assert_error(throttled, 429)
    assert "Retry-After" in throttled.headers
    actions = db_session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "login")
    ).all()
    assert actions.count("auth.login_failed") == 5
    assert "auth.login_throttled" in actions


def test_login_with_missing_fields_is_422(api):
    assert_error(api.post("/api/v1/auth/tokens", json={"email": "x@example.cn"}), 422, "password")


def test_malformed_json_is_400(api):
    response = api.post(
        "/api/v1/auth/tokens", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400)


def test_oversized_body_is_413(api):
    response = api.post("/api/v1/auth/tokens", data="x" * (2 * 1024 * 1024),
                        headers={"Content-Type": "application/json"})
    assert_error(response, 413)


def test_every_response_carries_a_request_id(api):
    response = api.get("/healthz")
    assert response.headers["X-Request-ID"]
    echoed = api.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["X-Request-ID"] == "abc-123"


def test_an_unsafe_incoming_request_id_is_replaced_by_a_new_one(api):
    first = api.get("/healthz", headers={"X-Request-ID": "abc 123; drop"}).headers["X-Request-ID"]
    second = api.get("/healthz", headers={"X-Request-ID": "abc 123; drop"}).headers["X-Request-ID"]
    assert first and "drop" not in first and first != second


def test_readyz_reports_the_database(api):
    assert api.get("/readyz").json() == {"status": "ok", "database": "ok"}


def test_failed_logins_from_one_address_across_accounts_are_throttled_at_a_higher_limit(
    api, actors, settings
):
    settings(login_max_failures_per_address=3)
    for n in range(3):
        api.post("/api/v1/auth/tokens", json={"email": f"nobody{n}@example.cn", "password": "x"})
    assert_error(
        api.post("/api/v1/auth/tokens", json={"email": actors.agency.email, "password": PASSWORD}),
        429,
    )


def test_failed_logins_from_another_address_do_not_count_against_this_one(
    api, actors, settings
):
    settings(login_max_failures_per_address=3)
    for n in range(3):
        api.post("/api/v1/auth/tokens", json={"email": f"nobody{n}@example.cn", "password": "x"},
                 remote_addr="198.51.100.7")
    login = {"email": actors.agency.email, "password": PASSWORD}
    assert_error(api.post("/api/v1/auth/tokens", json=login, remote_addr="198.51.100.7"), 429)
    ok = api.post("/api/v1/auth/tokens", json=login, remote_addr="198.51.100.8")
    assert ok.status_code == 201, ok.text


def test_a_few_failures_of_others_do_not_lock_out_the_address(api, actors):
    for n in range(5):
        api.post("/api/v1/auth/tokens", json={"email": f"nobody{n}@example.cn", "password": "x"})
    ok = api.post("/api/v1/auth/tokens", json={"email": actors.agency.email, "password": PASSWORD})
    assert ok.status_code == 201, ok.text
