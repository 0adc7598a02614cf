"""Resetting a forgotten password through a one-time, expiring link sent by e-mail.

Asking always gets the same answer, whether the address has an account or not, so the answer
tells nobody which e-mails are registered; only the owner of the mailbox learns anything.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from market.accounts import email_tokens, throttle
from market.accounts.models import User
from market.accounts.services import revoke_all_tokens, set_password
from market.audit import services as audit
from market.db import utcnow
from market.notifications.services import send_email
from market.settings import settings_of

PURPOSE = "password_reset"
REQUESTED = "auth.password_reset_requested"

def request_reset(session: Session, email: str, *, now: dt.datetime | None = None) -> None:
    """Send a reset link to `email` if it belongs to an active account; otherwise nothing, silently."""
    now = now or utcnow()
    user = throttle.public_request(session, REQUESTED, email, now=now)
    if user is None or not user.may_sign_in() or email_tokens.enough_live(session, user, PURPOSE, now=now):
        return
    ttl = settings_of(session).password_reset_ttl
    token = email_tokens.issue(session, user, PURPOSE, ttl=ttl, now=now)
    params = {"email": user.email, "minutes": int(ttl.total_seconds() // 60), "token": token,
              "link": email_tokens.link(session, "/password-reset", token)}
    send_email(session, user, "account.password_reset", params, private=True, now=now)


def confirm_reset(session: Session, data: dict, *, now: dt.datetime | None = None) -> User:
    """Set the new password with a reset token: the token is used up, every session of the user
    ends, and a lock from failed logins is lifted (the owner has shown they hold the mailbox)."""
    now = now or utcnow()
    user = email_tokens.consume(session, data["token"], PURPOSE, now=now)
    set_password(user, data["new_password"])
    revoked = revoke_all_tokens(session, user, actor=user)
    was_locked = user.locked(now)
    user.locked_until = None
    audit.record(session, "user.password_reset", actor=user, object_type="user", object_id=user.id,
                 organization_id=user.organization_id,
                 data={"tokens_revoked": revoked, "unlocked": was_locked}, occurred_at=now)
    return user
