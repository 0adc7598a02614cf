"""The coordinators' scoring policy: the weights every order without its own is scored with."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from market.allocations.models import ScoringPolicy
from market.audit import services as audit
from market.errors import InvalidInput
from market.matching.scoring import validate_weights
from market.permissions import require_role
from market.settings import settings_of


def current_policy(session: Session) -> dict[str, float]:
    """The coordinators' newest policy, or the programme's default."""
    row = session.scalar(select(ScoringPolicy).order_by(ScoringPolicy.id.desc()).limit(1))
    return validate_weights(
        row.weights if row is not None else settings_of(session).default_weights
    )


def policy_history(*, actor) -> Select:
    """Every policy the coordinators set, newest first, with who set it (coordinators, admins)."""
    require_role(actor, "coordinator", "admin")
    return (select(ScoringPolicy).options(selectinload(ScoringPolicy.created_by))
            .order_by(ScoringPolicy.id.desc()))


def set_policy(session: Session, weights: dict, *, actor, note: str | None = None,
               now: dt.datetime | None = None) -> ScoringPolicy:
    """New scoring weights for every order without its own (coordinators)."""
    require_role(actor, "coordinator")
    try:
        clean = validate_weights(weights)
    except ValueError as exc:
        raise InvalidInput(str(exc), errors={"weights": [str(exc)]}) from None
    row = ScoringPolicy(weights=clean, note=note, created_by_id=actor.id)
    if now is not None:
        row.created_at = now
    session.add(row)
    session.flush()  # the audit event needs the id
    audit.record(
        session,
        "scoring_policy.set",
        actor=actor,
        object_type="scoring_policy",
        object_id=row.id,
        data={"weights": clean, "note": note},
        occurred_at=now,
    )
    return row
