"""Throttling what anyone may try without a token, counted from the audit trail.

Failed logins are limited per (account, client address) pair and per address, so that knowing
someone's e-mail is not enough to lock them out: from another address they still log in. Only a
much higher count of failures of one account from every address together locks the account
itself, for a while, and tells its owner by e-mail once. Password reset requests, registrations
and resent confirmation links are limited per address.
"""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from market.accounts.models import User
from market.audit import services as audit
from market.audit.models import AuditEvent
from market.context import current_context
from market.errors import TooManyRequests
from market.notifications.services import notify, send_email
from market.settings import settings_of

LOGIN_FAILED = "auth.login_failed"

def _count(session: Session, *where) -> int:
    return session.scalar(select(func.count(AuditEvent.id)).where(*where)) or 0


def _retry_after(seconds: float) -> dict:
    return {"Retry-After": str(max(1, math.ceil(seconds)))}


def refuse_throttled_login(session: Session, *, email: str, user: User | None, now: dt.datetime) -> None:
    """429 while the account is locked, or the pair or the address has failed too often lately."""
    if user is not None and user.locked(now):
        raise TooManyRequests(
            "This account is locked after too many failed logins; its owner was told by e-mail. Try "
            "again later, reset the password, or ask an administrator to unlock it.",
            headers=_retry_after((user.locked_until - now).total_seconds()),
        )
    settings = settings_of(session)
    ip = current_context.get().ip_address
    window = dt.timedelta(minutes=settings.login_window_minutes)
    recent = (AuditEvent.action == LOGIN_FAILED, AuditEvent.occurred_at >= now - window)
    pair = _count(session, *recent, AuditEvent.object_type == "login",
                  AuditEvent.data["email"].as_string() == email, AuditEvent.ip_address == ip)
    address = _count(session, *recent, AuditEvent.ip_address == ip) if ip else 0
    if pair >= settings.login_max_failures or address >= settings.login_max_failures_per_address:
        raise TooManyRequests(
            f"Too many failed logins; try again in {settings.login_window_minutes} minutes.",
            headers=_retry_after(window.total_seconds()),
        )


def lock_if_attacked(session: Session, user: User, *, now: dt.datetime) -> bool:
    """After a failed login: lock the account once its failures from everywhere reach the (high)
    limit, and tell its owner. Failures before the last lock began no longer count."""
    settings = settings_of(session)
    # Failures at once from many places: one of them locks the account and mails its owner.
    session.refresh(user, with_for_update=True)
    if user.locked(now):  # by a failure that got here first
        return False
    since = now - dt.timedelta(minutes=settings.login_lock_window_minutes)
    where = [AuditEvent.action == LOGIN_FAILED, AuditEvent.occurred_at >= since,
             AuditEvent.object_type == "login", AuditEvent.object_id == user.id]
    if user.locked_at is not None:
        where.append(AuditEvent.occurred_at > user.locked_at)
    failures = _count(session, *where)
    if failures < settings.login_lock_failures:
        return False
    addresses = session.scalar(
        select(func.count(func.distinct(AuditEvent.ip_address))).where(*where)
    ) or 0
    user.locked_at = now
    user.locked_until = now + dt.timedelta(minutes=settings.login_lock_minutes)
    until = settings.local_isoformat(user.locked_until)
    audit.record(session, "user.locked", object_type="user", object_id=user.id,
                 organization_id=user.organization_id,
                 data={"failures": failures, "addresses": addresses, "locked_until": user.locked_until},
                 occurred_at=now)
    payload = {"failures": failures, "addresses": addresses, "locked_until": until}
    notify(session, [user], "account.locked", payload, email=False, now=now)
    send_email(session, user, "account.locked",
               {"email": user.email, "until": until, "failures": failures,
                "window": settings.login_lock_window_minutes, "addresses": addresses,
                "link": f"{settings.public_url}/password-reset"},
               now=now)
    return True


def limit_public_requests(session: Session, action: str, *, now: dt.datetime) -> None:
    """429 when this address has made too many of these requests (audited as `action`) lately."""
    ip = current_context.get().ip_address
    if ip is None:
        return
    settings = settings_of(session)
    window = dt.timedelta(minutes=settings.public_requests_window_minutes)
    made = _count(session, AuditEvent.action == action, AuditEvent.occurred_at >= now - window,
                  AuditEvent.ip_address == ip)
    if made >= settings.public_requests_per_address:
        raise TooManyRequests(
            f"Too many requests from your address; try again in "
            f"{settings.public_requests_window_minutes} minutes.",
            headers=_retry_after(window.total_seconds()),
        )


def public_request(session: Session, action: str, email: str, *, now: dt.datetime) -> User | None:
    """A request from anyone for a link to `email`: limited per address and audited as `action`.
    The user of that address, if any, which the caller's answer must not reveal."""
    limit_public_requests(session, action, now=now)
    email = email.strip().lower()
    user = session.scalar(select(User).where(User.email == email))
    audit.record(session, action, object_type="login", object_id=user.id if user else None,
                 organization_id=user.organization_id if user else None, data={"email": email},
                 occurred_at=now)
    return user
