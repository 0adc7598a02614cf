"""Notifying people: an in-app notification and a queued e-mail, both in the caller's transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from market.accounts.models import User
from market.db import utcnow
from market.notifications.models import Notification, OutboxEmail
from market.permissions import not_found

SUBJECTS = {
    "question.asked": "新的澄清问题 / New clarification question",
    "question.answered": "您的问题已答复 / Your question was answered",
    "order.published": "新的标注需求已发布 / New annotation order published",
    "order.cancelled": "订单已取消 / Order cancelled",
    "order.evaluating": "投标已截止 / Bidding closed",
    "order.amended": "订单已变更 / Order amended",
    "bid.lapsed": "投标已失效 / Your bid lapsed",
    "vendor.verified": "企业已通过审核 / Your firm is verified",
    "vendor.suspended": "企业已被暂停 / Your firm is suspended",
    "allocation.proposed": "新的匹配建议待审批 / New match proposals to review",
    "allocation.approved": "中标通知 / Your bid was awarded",
    "allocation.rejected": "匹配建议被驳回 / Match proposal rejected",
    "bid.rejected": "未中标通知 / Your bid was not successful",
    "order.awarded": "订单已授予 / Order awarded",
}


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

    `now` is the time of the change being told, as the caller's audit event has it.
    """
    subject = SUBJECTS.get(kind, kind)
    now = now or utcnow()
    for user in recipients:
        session.add(Notification(recipient_id=user.id, kind=kind, payload=payload, created_at=now))
        if email:
            lines = [f"{key}: {value}" for key, value in payload.items()]
            session.add(OutboxEmail(to_address=user.email, subject=subject, body="\n".join(lines), created_at=now))


def notifications_of(*, actor: User, unread: bool | None = None):
    """A newest-first query of `user`'s own notifications, optionally only the unread (or read) ones."""
    stmt = select(Notification).where(Notification.recipient_id == actor.id)
    if unread is True:
        stmt = stmt.where(Notification.read_at.is_(None))
    elif unread is False:
        stmt = stmt.where(Notification.read_at.is_not(None))
    return stmt.order_by(Notification.created_at.desc(), Notification.id.desc())


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
