"""Helpers shared by the order tests: a valid order body and reading back what the API wrote."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from market.audit.models import AuditEvent
from market.db import utcnow
from market.notifications.models import Notification


def in_days(days: float) -> dt.datetime:
    return utcnow() + dt.timedelta(days=days)


def order_body(**overrides) -> dict:
    body = {
        "title": "贵阳市公交车载视频客流标注",
        "description": "对公交车厢视频逐帧标注乘客头部关键点。",
        "sector": "transport",
        "modality": "video",
        "annotation_type": "keypoint",
        "label_set": ["head", "door"],
        "volume": 20000,
        "unit": "frame",
        "budget_ceiling": "120000.00",
        "bidding_closes_at": in_days(10).isoformat(),
        "delivery_deadline": in_days(60).isoformat(),
        "accuracy_target": 0.97,
    }
    body.update(overrides)
    return body


@pytest.fixture
def audit_actions(db_session):
    def actions(object_type: str, object_id: int) -> list[str]:
        stmt = (select(AuditEvent.action)
                .where(AuditEvent.object_type == object_type, AuditEvent.object_id == object_id)
                .order_by(AuditEvent.id))
        return list(db_session.scalars(stmt))
    return actions


@pytest.fixture
def notifications(db_session):
    def of(user, kind: str) -> list[Notification]:
        stmt = select(Notification).where(
            Notification.recipient_id == user.id, Notification.kind == kind
        )
        return list(db_session.scalars(stmt))
    return of
