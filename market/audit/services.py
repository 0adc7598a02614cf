"""Writing audit events in the caller's transaction, and reading the trail back per role."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from market.audit.models import AuditEvent
from market.bids.models import Bid
from market.context import current_context
from market.db import utcnow
from market.orders.models import Order


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return value


def record(
    session: Session,
    action: str,
    *,
    actor=None,
    object_type: str,
    object_id: int | None,
    organization_id: int | None = None,
    data: dict | None = None,
    occurred_at: dt.datetime | None = None,
) -> AuditEvent:
    """Add an audit event to the session; the caller's commit writes it with the change."""
    context = current_context.get()
    event = AuditEvent(
        occurred_at=occurred_at or utcnow(),
        actor_id=actor.id if actor is not None else None,
        actor_org_id=actor.organization_id if actor is not None else None,
        organization_id=organization_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        data=_jsonable(data or {}),
        ip_address=context.ip_address,
        request_id=context.request_id,
    )
    session.add(event)
    return event


# Staff of the platform see the whole trail; everyone else sees their own organisation's.
ALL_EVENTS_ROLES = ("admin", "coordinator")
# Parts of an event's data for the platform's staff only: coordinators' internal notes.
INTERNAL_KEYS = frozenset({"note"})


def readable_data(event: AuditEvent, *, actor) -> dict:
    """The event's data as `actor` may read it: without the internal notes unless staff."""
    if actor is not None and actor.role in ALL_EVENTS_ROLES:
        return event.data
    return {key: value for key, value in (event.data or {}).items() if key not in INTERNAL_KEYS}


def visible_events(
    *,
    actor,
    now: dt.datetime | None = None,
    object_type: str | None = None,
    object_id: int | None = None,
    actor_id: int | None = None,
    action: str | None = None,
    occurred_after: dt.datetime | None = None,
    occurred_before: dt.datetime | None = None,
):
    """A newest-first query of the events `actor` may read, filtered; an action ending in '.' is a prefix."""
    stmt = select(AuditEvent).order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    own = actor.organization_id
    if actor.role not in ALL_EVENTS_ROLES:
        stmt = stmt.where(or_(AuditEvent.organization_id == own, AuditEvent.actor_org_id == own))
    # Bids are sealed until bidding closes, for coordinators and admins too: even the fact that a
    # firm bid (or withdrew) stays with that firm until then.
    sealed = (
        select(Bid.id)
        .join(Order, Order.id == Bid.order_id)
        .where(Order.bids_sealed(now or utcnow()))
    )
    stmt = stmt.where(or_(AuditEvent.object_type != "bid", AuditEvent.organization_id == own,
                          AuditEvent.object_id.not_in(sealed)))
    if object_type:
        stmt = stmt.where(AuditEvent.object_type == object_type)
    if object_id is not None:
        stmt = stmt.where(AuditEvent.object_id == object_id)
    if actor_id is not None:
        stmt = stmt.where(AuditEvent.actor_id == actor_id)
    if action:
        if action.endswith("."):
            stmt = stmt.where(AuditEvent.action.startswith(action, autoescape=True))
        else:
            stmt = stmt.where(AuditEvent.action == action)
    if occurred_after is not None:
        stmt = stmt.where(AuditEvent.occurred_at >= occurred_after)
    if occurred_before is not None:
        stmt = stmt.where(AuditEvent.occurred_at < occurred_before)
    return stmt
