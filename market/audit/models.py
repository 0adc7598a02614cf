"""The audit trail: one row per change, written in the change's own transaction, never altered."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from market.db import Base, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the system
    actor_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    # The organisation whose object this is, so each organisation sees its own trail.
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[int | None]
    data: Mapped[dict] = mapped_column(default=dict)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    request_id: Mapped[str | None] = mapped_column(String(64))


Index("ix_audit_events_object", AuditEvent.object_type, AuditEvent.object_id)
Index("ix_audit_events_actor", AuditEvent.actor_id)
