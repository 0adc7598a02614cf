"""Safe retries of the writes that create things: the `Idempotency-Key` header.

A client that got no answer (a timeout, a 503 while the database restarted) cannot know whether
its write was stored. Sent again with the same `Idempotency-Key`, the same body and by the same
user, the write returns the first result (its status and body) instead of creating a second
one; the same key with another body (or another endpoint) is a 422. The key is stored with the
response in the write's own transaction, so either both are committed or neither is. Keys are
remembered for Settings.idempotency_ttl, then purged by the scheduler (purge_expired).

Views get it with one decorator, `@blp.idempotent` (market.api.openapi), under `@blp.response`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from flask import Response, request
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from market.db import Base, utcnow
from market.errors import Conflict, InvalidInput
from market.i18n import N_
from market.settings import settings_of

HEADER = "Idempotency-Key"
MAX_LENGTH = 255
REPLAYED_HEADER = "Idempotent-Replayed"

#: The header as the OpenAPI document describes it on every idempotent operation.
PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_LENGTH,
               "pattern": "^[\\x21-\\x7e]+$"},
    "description": (
        "Any unique string (a UUID, say) that makes retrying this request safe: sent again with "
        "the same key and body by the same user, it returns the first response (status and "
        f"body, with `{REPLAYED_HEADER}: true`) instead of creating another; the same key with "
        "another body is a 422. Keys are remembered for MARKET_IDEMPOTENCY_KEY_HOURS (24)."
    ),
}


class IdempotencyKey(Base):
    """A key a user sent with a write, the request it came with and the response it got."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        UniqueConstraint("user_id", "key"),
        Index("ix_idempotency_keys_expires_at", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(MAX_LENGTH))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]


def _refuse(message: str) -> InvalidInput:
    return InvalidInput("The request has invalid fields; see 'errors' for each one.",
                        errors={HEADER: [message]})


def requested_key() -> str | None:
    """The request's key, or None when it sent none; 422 for one that cannot be a key."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not 1 <= len(key) <= MAX_LENGTH or not all("\x21" <= c <= "\x7e" for c in key):
        raise _refuse(f"Must be 1 to {MAX_LENGTH} printable ASCII characters without spaces.")
    return key


def request_hash() -> str:
    """What makes two requests "the same": method, path and the JSON body (key order aside)."""
    data = request.get_data(cache=True)
    try:
        body = json.dumps(json.loads(data), sort_keys=True, separators=(",", ":"))
    except ValueError:
        body = data.decode("utf-8", errors="replace")
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _stored(session: Session, user_id: int, key: str, now: dt.datetime) -> IdempotencyKey | None:
    row = session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
    )
    if row is not None and row.expires_at <= now:
        session.delete(row)
        # Flushed now: the response stored later under the same key must not meet this row.
        session.flush()
        return None
    return row


def _replay(row: IdempotencyKey, digest: str) -> Response:
    if row.request_hash != digest:
        raise _refuse("This key was used for another request; use a new key for a new request.")
    response = Response(row.body, status=row.status_code, mimetype="application/json")
    response.headers[REPLAYED_HEADER] = "true"
    return response


def run(session: Session, user_id: int, write, *, now: dt.datetime | None = None) -> Response:
    """Answer the request with `write()` (which builds the response), once per key.

    A key already stored returns its response; otherwise `write()` runs and its response is
    stored with the key, in the write's transaction (the caller commits). Two requests racing
    with one key: the second waits on the key's unique index (PostgreSQL) and then returns the
    first one's response.
    """
    key = requested_key()
    if key is None:
        return write()
    now = now or utcnow()
    digest = request_hash()
    row = _stored(session, user_id, key, now)
    if row is not None:
        return _replay(row, digest)
    response = write()
    if 200 <= response.status_code < 300:
        row = IdempotencyKey(
            user_id=user_id,
            key=key,
            request_hash=digest,
            status_code=response.status_code,
            body=response.get_data(as_text=True),
            created_at=now,
            expires_at=now + settings_of(session).idempotency_ttl,
        )
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            # The same key was stored meanwhile by a request that has committed: undo this
            # write and answer what the first one did.
            session.rollback()
            row = _stored(session, user_id, key, now)
            if row is None:
                raise Conflict(N_("Another request with this Idempotency-Key is in progress; try "
                                  "again in a moment.")) from None
            return _replay(row, digest)
    return response


def purge_expired(session: Session, *, now: dt.datetime | None = None) -> int:
    """Delete the keys past their time and say how many; the caller (the scheduler) commits."""
    result = session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.expires_at <= (now or utcnow()))
    )
    return result.rowcount or 0
