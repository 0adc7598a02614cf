"""Notifying people: an in-app notification and a queued e-mail, both in the caller's transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from market.accounts.models import User
from market.db import utcnow
from market.notifications.models import OUTBOX_STATUSES, Notification, OnceKey, OutboxEmail
from market.notifications.texts import TEXTS, PerReader, render, render_mail
from market.permissions import not_found, require_role


def users_of(
    session: Session, organization_id: int, roles: Iterable[str] | None = None
) -> list[User]:
    stmt = select(User).where(User.organization_id == organization_id, User.active.is_(True))
    if roles:
        stmt = stmt.where(User.role.in_(list(roles)))
    return list(session.scalars(stmt.order_by(User.id)))


def users_with_role(session: Session, role: str) -> list[User]:
    return list(
        session.scalars(
            select(User).where(User.role == role, User.active.is_(True)).order_by(User.id)
        )
    )


def notify(session: Session, recipients: Iterable[User], kind: str, payload: dict, *, email: bool = True,
           now: dt.datetime | None = None) -> None:
    """Add a notification per recipient and queue its e-mail; the outbox is sent after commit.

    Its title and text are written in each recipient's language (texts.TEXTS says them per kind),
    and so is a payload value given as a texts.PerReader.

    `now` is the time of the change being told, as the caller's audit event has it.
    """
    now = now or utcnow()
    for user in recipients:
        own = {key: value.said(user.locale) if isinstance(value, PerReader) else value
               for key, value in payload.items()}
        title, text = render(kind, own, user.locale)
        session.add(Notification(recipient_id=user.id, kind=kind, payload=own, title=title,
                                 text=text, created_at=now))
        if email:
            session.add(OutboxEmail(to_address=user.email, subject=title, body=text, created_at=now))


def send_email(session: Session, user: User, kind: str, params: dict, *, private: bool = False,
               now: dt.datetime | None = None) -> OutboxEmail:
    """Queue the e-mail of `kind` (texts.MAILS) to `user`, in their language; the outbox sends it
    after commit. `private`: the body holds a one-time link, blanked once the mail is sent."""
    subject, body = render_mail(kind, params, user.locale)
    mail = OutboxEmail(to_address=user.email, subject=subject, body=body, private=private,
                       created_at=now or utcnow())
    session.add(mail)
    return mail


def claim_once(session: Session, key: str, *, now: dt.datetime | None = None) -> bool:
    """Claim the effect named `key` (a reminder, an alert, a digest) for this transaction: True the
    first time, False when it was claimed before. Written with the effect, so the effect commits
    at most once; a claimer racing this one waits on the unique key and then gets False."""
    try:
        with session.begin_nested():
            session.add(OnceKey(key=key, created_at=now or utcnow()))
    except IntegrityError:
        return False
    return True


def notifications_of(*, actor: User, unread: bool | None = None):
    """A newest-first query of `user`'s own notifications, optionally only the unread (or read) ones."""
    stmt = select(Notification).where(Notification.recipient_id == actor.id)
    if unread is True:
        stmt = stmt.where(Notification.read_at.is_(None))
    elif unread is False:
        stmt = stmt.where(Notification.read_at.is_not(None))
    return stmt.order_by(Notification.created_at.desc(), Notification.id.desc())


def unread_count(session: Session, *, actor: User) -> int:
    """How many of the user's notifications are unread (the pages' header shows it)."""
    stmt = notifications_of(actor=actor, unread=True).order_by(None)
    return session.scalar(select(func.count()).select_from(stmt.subquery()))


def mark_read(session: Session, notification_id: int, *, actor: User,
              now: dt.datetime | None = None) -> Notification:
    """Mark one of `user`'s notifications read; someone else's is reported as missing."""
    notification = session.get(Notification, notification_id)
    if notification is None or notification.recipient_id != actor.id:
        raise not_found("notification", notification_id)
    # Reading twice keeps the first time: that is when the person actually saw it.
    if notification.read_at is None:
        notification.read_at = now or utcnow()
    return notification


def outbox_emails(*, actor: User, status: str | None = None):
    """The e-mail outbox, newest first, optionally of one status (administrators): `failed` lists
    the mails given up after their last attempt, with the error, `unknown` those whose sender
    stopped while sending them (they may have gone out). Bodies are not shown."""
    require_role(actor, "admin")
    stmt = select(OutboxEmail).order_by(OutboxEmail.id.desc())
    return stmt.where(OutboxEmail.status == status) if status else stmt


def outbox_counts(session: Session, *, actor: User) -> dict[str, int]:
    """How many mails the outbox holds in each state, every state named (administrators)."""
    mails = outbox_emails(actor=actor).order_by(None).subquery()
    found = dict(session.execute(select(mails.c.status, func.count()).group_by(mails.c.status)).all())
    return {status: found.get(status, 0) for status in OUTBOX_STATUSES}


def displayed(notification: Notification, language: str | None) -> tuple[str, str]:
    """A notification's title and text in the language its reader reads now (who may have changed
    it since it was sent), rendered from its kind and payload; as stored when that is impossible
    (a kind without a text, or a payload from an older version of the text)."""
    if notification.kind in TEXTS:
        try:
            return render(notification.kind, notification.payload, language)
        except (KeyError, TypeError, ValueError):
            pass
    return notification.title, notification.text

