"""One-time tokens sent by e-mail (a password reset, an address to confirm): issued, then consumed once.

Only a token's SHA-256 is stored; the token itself is in the e-mail (a private one in the outbox,
blanked once sent). A token works once, before it expires; using one uses up every other live token
of the same user and purpose.
"""

from __future__ import annotations

import datetime as dt
import secrets
from urllib.parse import urlencode

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from market.accounts.models import EmailToken, User
from market.accounts.services import hash_token
from market.errors import InvalidInput
from market.settings import settings_of

# Live tokens per user and purpose: enough for a lost mail or two, too few to flood a mailbox.
MAX_LIVE = 3


def issue(session: Session, user: User, purpose: str, *, ttl: dt.timedelta, now: dt.datetime) -> str:
    token = secrets.token_urlsafe(32)
    session.add(EmailToken(user=user, purpose=purpose, token_hash=hash_token(token), created_at=now,
                           expires_at=now + ttl))
    return token


def enough_live(session: Session, user: User, purpose: str, *, now: dt.datetime) -> bool:
    """`user` already has MAX_LIVE live tokens for `purpose`: send no more for now."""
    live = session.scalar(select(func.count(EmailToken.id)).where(
        EmailToken.user_id == user.id, EmailToken.purpose == purpose, EmailToken.used_at.is_(None),
        EmailToken.expires_at > now)) or 0
    return live >= MAX_LIVE


def consume(session: Session, token: str, purpose: str, *, now: dt.datetime) -> User:
    """The user whose live token this is, with the token (and its siblings) used up; 422 otherwise."""
    # Locked: two requests with the same token at once, and only one of them gets through.
    row = session.scalar(select(EmailToken).where(EmailToken.token_hash == hash_token(token),
                                                  EmailToken.purpose == purpose).with_for_update())
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise InvalidInput("This link is unknown, expired or already used; ask for a new one.",
                           errors={"token": ["unknown, expired or already used"]})
    siblings = session.scalars(select(EmailToken).where(
        EmailToken.user_id == row.user_id, EmailToken.purpose == purpose, EmailToken.used_at.is_(None)))
    for sibling in siblings:
        sibling.used_at = now
    return row.user


def link(session: Session, path: str, token: str) -> str:
    """The address of the page that takes `token`, on the site as its users reach it."""
    return f"{settings_of(session).public_url}{path}?{urlencode({'token': token})}"
