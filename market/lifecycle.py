"""Guarded state transitions: one table of allowed moves per object, a timestamp and an audit event each."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from market.audit import services as audit
from market.db import utcnow
from market.errors import Conflict
from market.i18n import N_
from market.labels import Label

NOT_ALLOWED = N_("%(object)s %(id)s is “%(current)s” and cannot become “%(target)s”.")
NOT_ALLOWED_HINT = N_("%(object)s %(id)s is “%(current)s” and cannot become “%(target)s”; from "
                      "“%(current)s” it can become: %(allowed)s.")


@dataclass(frozen=True)
class Lifecycle:
    """The allowed transitions of one kind of object and the timestamp column each target stamps."""

    object_type: str
    allowed: dict[str, frozenset[str]]
    stamps: dict[str, str]
    status_kind: str  # the market.labels kind that names its statuses
    status_attr: str = "status"
    id_attr: str = "id"

    def can(self, current: str, target: str) -> bool:
        return target in self.allowed.get(current, frozenset())

    def transition(
        self,
        session: Session,
        obj,
        target: str,
        *,
        actor=None,
        organization_id: int | None = None,
        reason: str | None = None,
        data: dict | None = None,
        now: dt.datetime | None = None,
    ) -> None:
        """Move `obj` to `target` or raise Conflict; stamps the time and records the audit event."""
        current = getattr(obj, self.status_attr)
        object_id = getattr(obj, self.id_attr)
        if not self.can(current, target):
            allowed = sorted(self.allowed.get(current, ()))
            raise Conflict(
                NOT_ALLOWED_HINT if allowed else NOT_ALLOWED,
                errors={"status": [current]},
                params={"object": Label(self.object_type, "object"), "id": object_id,
                        "current": Label(current, self.status_kind),
                        "target": Label(target, self.status_kind),
                        "allowed": Label(allowed, self.status_kind)},
            )
        now = now or utcnow()
        setattr(obj, self.status_attr, target)
        stamp = self.stamps.get(target)
        if stamp:
            setattr(obj, stamp, now)
        if hasattr(obj, "status_reason"):
            obj.status_reason = reason  # the reason of the latest move; an old one would mislead
        payload = {"from": current, "to": target}
        if reason is not None:
            payload["reason"] = reason
        payload.update(data or {})
        audit.record(
            session,
            f"{self.object_type}.{target}",
            actor=actor,
            object_type=self.object_type,
            object_id=object_id,
            organization_id=organization_id,
            data=payload,
            occurred_at=now,
        )
