"""Inviting a user: an administrator creates the account without a password, and the user chooses
one through a one-time link, the same link and page as a password reset (market.accounts.password_reset)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from market.accounts import email_tokens
from market.accounts.models import User
from market.accounts.password_reset import PURPOSE
from market.accounts.services import create_user
from market.db import utcnow
from market.notifications.services import send_email
from market.settings import settings_of


def create_or_invite(session: Session, data: dict, *, actor, now: dt.datetime | None = None) -> User:
    """A new user (administrators): with `password` as given; without, invited by e-mail to choose
    one, through a link that lasts as long as a registration's confirmation link."""
    user = create_user(session, data, actor=actor, now=now)
    if not data.get("password"):
        now = now or utcnow()
        ttl = settings_of(session).email_confirmation_ttl
        token = email_tokens.issue(session, user, PURPOSE, ttl=ttl, now=now)
        params = {"email": user.email, "organization": user.organization.name,
                  "hours": int(ttl.total_seconds() // 3600), "token": token,
                  "link": email_tokens.link(session, "/password-reset", token)}
        send_email(session, user, "account.invitation", params, private=True, now=now)
    return user
