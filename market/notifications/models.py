"""In-app notifications and the e-mail outbox that is sent only after the transaction commits."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from market.db import Base, utcnow


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict] = mapped_column(default=dict)
    # Said for people, in the recipient's language when it was made (notifications/texts.py).
    title: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    read_at: Mapped[dt.datetime | None]


OUTBOX_STATUSES = ("pending", "sending", "sent", "failed", "unknown")


class OutboxEmail(Base):
    """An e-mail waiting to be sent; written with the change, sent by the scheduler after commit."""

    __tablename__ = "outbox_emails"
    # pending: to send (again at next_attempt_at after a failure); sending: handed to the SMTP
    # server by a sender that has not said how it went; sent; failed: refused (retried until its
    # attempts run out, then given up); unknown: its sender stopped while sending, so it may have
    # gone out and is not sent again. Failed and unknown ones are shown to admins.
    __table_args__ = (
        CheckConstraint(f"status IN {OUTBOX_STATUSES}", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # The body holds a one-time link: it is blanked once the mail is sent, so the table never
    # keeps a working token longer than it must.
    private: Mapped[bool] = mapped_column(default=False)
    # After a failed attempt the mail waits until then (backoff); None: as soon as possible.
    next_attempt_at: Mapped[dt.datetime | None]
    # When a sender took it ("sending"): a mail left sending by a sender that died is not sent
    # again (it may have gone out), it is marked unknown for an administrator to look at.
    claimed_at: Mapped[dt.datetime | None]


class OnceKey(Base):
    """An effect that must happen once (a reminder, an alert, a digest): its key is unique, and it
    is written in the same transaction as the effect, so a second try of it cannot commit."""

    __tablename__ = "once_keys"
    __table_args__ = (UniqueConstraint("key", name="uq_once_keys_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200))  # e.g. "digest:12:2027-01-10"
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
