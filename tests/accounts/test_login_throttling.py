"""Failed logins: the pair and the address are throttled, the account itself only after many more."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select

from market.audit.models import AuditEvent
from market.notifications.models import Notification, OutboxEmail
from tests.accounts.conftest import token_in
from tests.conftest import assert_error
from tests.factories import PASSWORD


def _login(api, user, password=PASSWORD, address="203.0.113.1"):
    return api.post("/api/v1/auth/tokens", json={"email": user.email, "password": password},
                    remote_addr=address)


def _fail_from(api, user, addresses, times):
    for address in addresses:
        for _ in range(times):
            _login(api, user, "wrong", address)


def test_a_stranger_guessing_from_one_address_does_not_lock_the_owner_out(api, actors):
    user = actors.vendor
    _fail_from(api, user, ["198.51.100.66"], 5)
    throttled = _login(api, user, address="198.51.100.66")
    assert_error(throttled, 429)
    assert int(throttled.headers["Retry-After"]) > 0
    assert _login(api, user, address="203.0.113.5").status_code == 201


def test_many_failures_from_many_addresses_lock_the_account_and_tell_the_owner_once(
    api, actors, settings, db_session, mailbox
):
    settings(login_max_failures=3, login_lock_failures=6)
    user = actors.vendor
    _fail_from(api, user, ["198.51.100.1", "198.51.100.2"], 3)
    locked = _login(api, user, address="203.0.113.5")
    body = assert_error(locked, 429)
    assert "locked" in body["message"] and int(locked.headers["Retry-After"]) > 60
    _fail_from(api, user, ["198.51.100.3"], 3)  # refused while locked, so no second lock or mail
    mailbox.deliver(db_session)
    (mail,) = mailbox.to(user.email)
    assert mail.subject == "账户已锁定" and "共 6 次" in mail.body and "2 个不同地址" in mail.body
    kinds = db_session.scalars(select(Notification.kind).where(Notification.recipient_id == user.id)).all()
    assert kinds == ["account.locked"]
    actions = db_session.scalars(select(AuditEvent.action).where(AuditEvent.action == "user.locked")).all()
    assert actions == ["user.locked"]


def test_the_lock_mail_says_until_when_readably_and_points_to_the_password_reset_page(
    api, actors, settings, db_session, mailbox
):
    settings(login_max_failures=3, login_lock_failures=6)
    user = actors.vendor
    _fail_from(api, user, ["198.51.100.1", "198.51.100.2"], 3)
    mailbox.deliver(db_session)
    (mail,) = mailbox.to(user.email)
    db_session.refresh(user)
    until = user.locked_until.astimezone(ZoneInfo("Asia/Shanghai"))
    assert f"已锁定至 {until:%Y年%-m月%-d日 %H:%M:%S}：" in mail.body
    assert "“重置密码”页面（http" in mail.body and "/password-reset）" in mail.body
    assert "POST /api" not in mail.body and "+08:00" not in mail.body
    (told,) = db_session.scalars(select(Notification.text).where(Notification.recipient_id == user.id))
    assert f"锁定至 {until:%Y年%-m月%-d日 %H:%M:%S}。" in told


def test_an_administrator_unlocks_the_account_and_old_failures_no_longer_count(
    api, actors, settings
):
    settings(login_max_failures=3, login_lock_failures=6)
    user = actors.vendor
    _fail_from(api, user, ["198.51.100.1", "198.51.100.2"], 3)
    assert_error(_login(api, user), 429)
    admin = actors.token(actors.admin)
    unlocked = api.post(f"/api/v1/users/{user.id}/unlock", token=admin)
    assert unlocked.status_code == 200, unlocked.text
    assert unlocked.json()["locked_until"] is None
    _fail_from(api, user, ["198.51.100.4"], 1)  # one more failure does not lock it again at once
    assert _login(api, user).status_code == 201
    assert_error(api.post(f"/api/v1/users/{user.id}/unlock", token=admin), 409)


def test_only_administrators_unlock(api, actors, settings):
    settings(login_max_failures=3, login_lock_failures=3)
    user = actors.agency
    _fail_from(api, user, ["198.51.100.1"], 3)
    for role in ("agency", "vendor", "coordinator"):
        assert_error(api.post(f"/api/v1/users/{user.id}/unlock", token=actors.token(getattr(actors, role))), 403)
    assert_error(api.post(f"/api/v1/users/{user.id}/unlock"), 401)
    assert_error(api.post("/api/v1/users/999999/unlock", token=actors.token(actors.admin)), 404)
    assert_error(_login(api, user, address="203.0.113.9"), 429)


def test_the_lock_ends_by_itself(api, actors, settings):
    settings(login_max_failures=3, login_lock_failures=3, login_lock_minutes=0)
    user = actors.vendor
    _fail_from(api, user, ["198.51.100.1"], 3)
    assert _login(api, user, address="203.0.113.9").status_code == 201


def test_resetting_the_password_lifts_the_lock(api, actors, settings, db_session, mailbox):
    settings(login_max_failures=3, login_lock_failures=3)
    user = actors.vendor
    _fail_from(api, user, ["198.51.100.1"], 3)
    assert api.post("/api/v1/password-reset", json={"email": user.email}).status_code == 202
    mailbox.deliver(db_session)
    reset_mail = next(m for m in mailbox.to(user.email) if m.subject == "重置密码")
    reset = api.post("/api/v1/password-reset/confirm",
                     json={"token": token_in(reset_mail.body), "new_password": "a-brand-new-secret"})
    assert reset.status_code == 200 and reset.json()["locked_until"] is None
    assert _login(api, user, "a-brand-new-secret").status_code == 201
    outbox = db_session.scalars(select(OutboxEmail.subject).where(OutboxEmail.to_address == user.email)).all()
    assert len(outbox) == 2  # the lock and the reset
