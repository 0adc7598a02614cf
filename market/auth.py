"""Resolving the bearer token of the current request to a user, lazily, once per request."""

from __future__ import annotations

from flask import g, has_request_context, request

from market import db
from market.accounts import services as accounts
from market.accounts.models import ApiToken, User
from market.db import utcnow
from market.errors import Unauthorized, asked_language


def current_user(optional: bool = False):
    """The signed-in user; raises 401 unless `optional`, in which case None when anonymous."""
    if "current_user" not in g:
        g.current_user, g.current_token = _resolve()
        # Kept apart from the ORM object, which a failed transaction may leave unreadable.
        g.current_user_id = g.current_user.id if g.current_user is not None else None
        # The reader's language for an error's message (market.errors), read without the ORM.
        g.reader_locale = g.current_user.locale if g.current_user is not None else None
    if g.current_user is None and not optional:
        raise Unauthorized(g.get("auth_error") or Unauthorized().message)
    return g.current_user


def reader_language() -> str | None:
    """The language of whoever reads this response, for the texts a response renders from codes:
    the signed-in user's saved one, else the one the client asks for (Accept-Language); None (the
    default language) when neither says."""
    if not has_request_context():
        return None
    user = current_user(optional=True)
    return user.locale if user is not None else asked_language()


def current_token() -> ApiToken:
    current_user()
    return g.current_token


@db.retry_once_on_disconnect  # it changes nothing but last_used_at: safe to run twice
def _resolve():
    header = request.headers.get("Authorization", "")
    if not header:
        return None, None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        g.auth_error = "The Authorization header must be 'Bearer <token>'."
        return None, None
    found = user_for_token(token.strip())
    if found is None:
        g.auth_error = "The token is unknown, expired or revoked; log in again."
        return None, None
    return found


def user_for_token(token: str) -> tuple[User, ApiToken] | None:
    """The live token's user and row in the request's session, or None: the API's bearer token
    and the web pages' signed-in session (which keeps a token in its cookie) resolve here alike."""
    # Looked up in the request's own session, so the user and token are loaded once (the token by
    # its hash, then its user and organisation). Noting the token's use, at most once a minute, is
    # committed at once, before the request reads or writes anything else: on SQLite every
    # transaction holds the write lock, so a write from a second connection of the same request
    # would wait for the first.
    session = db.session
    found = accounts.resolve_token(session, token)
    if found is None:
        return None
    user, row = found
    now = utcnow()
    if accounts.token_needs_touch(row, now):
        row.last_used_at = now
        session.commit()
    return user, row
