"""Resetting a forgotten password through a one-time link sent by e-mail (through the outbox)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from market.accounts.models import EmailToken
from market.audit.models import AuditEvent
from market.notifications.models import OutboxEmail
from market.notifications.tasks import PRIVATE_BODY_SENT
from tests.accounts.conftest import token_in
from tests.conftest import assert_error
from tests.factories import PASSWORD

NEW = "a-brand-new-secret"


def _login(api, user, password=PASSWORD):
    return api.post("/api/v1/auth/tokens", json={"email": user.email, "password": password})


def _ask(api, email, **kwargs):
    return api.post("/api/v1/password-reset", json={"email": email}, **kwargs)


def _reset(api, token, password=NEW):
    return api.post("/api/v1/password-reset/confirm", json={"token": token, "new_password": password})


def _mailed_token(api, db_session, mailbox, user) -> str:
    assert _ask(api, user.email).status_code == 202
    assert mailbox.deliver(db_session) >= 1
    (mail,) = mailbox.to(user.email)[-1:]
    return token_in(mail.body)


def test_the_reset_link_goes_out_by_smtp_and_its_token_sets_a_new_password(
    api, actors, db_session, mailbox
):
    user = actors.vendor
    old_session = _login(api, user).json()["token"]
    assert _ask(api, user.email.upper()).status_code == 202
    assert mailbox.deliver(db_session) == 1
    (mail,) = mailbox.to(user.email)
    assert mail.subject == "重置密码"
    assert "http://127.0.0.1:5000/password-reset?token=" in mail.body
    reset = _reset(api, token_in(mail.body))
    assert reset.status_code == 200, reset.text
    assert reset.json()["email"] == user.email
    assert_error(api.get("/api/v1/me", token=old_session), 401)  # every session ended
    assert_error(_login(api, user), 401)
    assert _login(api, user, NEW).status_code == 201
    audited = db_session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == user.id)).all()
    assert "user.password_reset" in audited


def test_the_reset_mail_is_in_the_users_language(api, actors, db_session, mailbox):
    user = actors.vendor
    user.locale = "en"
    db_session.flush()
    assert _ask(api, user.email).status_code == 202
    mailbox.deliver(db_session)
    (mail,) = mailbox.to(user.email)
    assert mail.subject == "Reset your password" and "choose a new password" in mail.body


def test_only_a_hash_of_the_token_is_kept_and_the_sent_mail_is_blanked(api, actors, db_session, mailbox):
    user = actors.vendor
    token = _mailed_token(api, db_session, mailbox, user)
    stored = db_session.scalars(select(EmailToken.token_hash)).all()
    assert stored and token not in stored
    bodies = db_session.scalars(select(OutboxEmail.body).where(OutboxEmail.to_address == user.email)).all()
    assert bodies == [PRIVATE_BODY_SENT]


def test_a_used_token_is_refused_the_second_time(api, actors, db_session, mailbox):
    token = _mailed_token(api, db_session, mailbox, actors.vendor)
    assert _reset(api, token).status_code == 200
    assert_error(_reset(api, token, "yet-another-secret"), 422, "token")
    assert _login(api, actors.vendor, NEW).status_code == 201


def test_using_one_link_uses_up_the_others(api, actors, db_session, mailbox):
    first = _mailed_token(api, db_session, mailbox, actors.vendor)
    second = _mailed_token(api, db_session, mailbox, actors.vendor)
    assert _reset(api, second).status_code == 200
    assert_error(_reset(api, first, "yet-another-secret"), 422, "token")


def test_an_expired_token_is_refused_and_changes_nothing(api, actors, db_session, mailbox, settings):
    settings(password_reset_ttl=dt.timedelta(seconds=-1))
    token = _mailed_token(api, db_session, mailbox, actors.vendor)
    assert_error(_reset(api, token), 422, "token")
    assert _login(api, actors.vendor).status_code == 201


def test_an_unknown_token_is_refused(api):
    assert_error(_reset(api, "not-a-token"), 422, "token")


def test_the_new_password_follows_the_rules_and_a_refusal_keeps_the_token(api, actors, db_session, mailbox):
    token = _mailed_token(api, db_session, mailbox, actors.vendor)
    assert_error(_reset(api, token, "short"), 422, "new_password")
    assert_error(_reset(api, token, PASSWORD), 422, "new_password")  # the current one
    assert _reset(api, token).status_code == 200


def test_an_unknown_address_gets_the_same_answer_and_no_mail(api, actors, db_session, mailbox):
    known = _ask(api, actors.vendor.email)
    unknown = _ask(api, "nobody-here@example.cn")
    assert unknown.status_code == known.status_code == 202
    assert unknown.json() == known.json()
    mailbox.deliver(db_session)
    assert [mail.recipients for mail in mailbox.received] == [[actors.vendor.email]]


def test_a_deactivated_account_gets_no_link(api, actors, db_session, mailbox):
    user = actors.user("vendor", active=False)
    assert _ask(api, user.email).status_code == 202
    assert mailbox.deliver(db_session) == 0


def test_a_mailbox_is_not_flooded_with_links(api, actors, db_session):
    for _ in range(5):
        assert _ask(api, actors.vendor.email).status_code == 202
    mails = db_session.scalar(select(func.count(OutboxEmail.id)).where(
        OutboxEmail.to_address == actors.vendor.email))
    assert mails == 3


def test_many_requests_from_one_address_are_throttled(api, actors, settings):
    settings(public_requests_per_address=2)
    for n in range(2):
        assert _ask(api, f"someone{n}@example.cn").status_code == 202
    throttled = _ask(api, actors.vendor.email)
    assert_error(throttled, 429)
    assert int(throttled.headers["Retry-After"]) > 0
    assert _ask(api, actors.vendor.email, remote_addr="198.51.100.9").status_code == 202
