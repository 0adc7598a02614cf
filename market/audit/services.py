"""Writing audit events; always in the caller's transaction, so no change goes unrecorded."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from market.audit.models import AuditEvent
from market.context import current_context
from market.db import utcnow


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
