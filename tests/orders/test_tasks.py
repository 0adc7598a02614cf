"""The job that closes bidding once an order's closing time has passed."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.dialects import postgresql

from market.audit.models import AuditEvent
from market.db import utcnow
from market.orders import services
from market.orders.models import Order
from market.orders.tasks import close_due_bidding
from tests.factories import OrderFactory


def test_published_orders_past_closing_move_to_evaluating_and_the_agency_is_told(
        db_session, actors, notifications):
    now = utcnow()
    due = OrderFactory(closed=True, agency=actors.agency.organization)
    still_open = OrderFactory(bidding_closes_at=now + dt.timedelta(hours=1))
    stale_draft = OrderFactory(draft=True, bidding_closes_at=now - dt.timedelta(days=1))

    assert close_due_bidding(db_session, now=now) == 1

    db_session.expire_all()
    assert db_session.get(Order, due.id).status == "evaluating"
    assert db_session.get(Order, due.id).evaluating_at == now
    assert db_session.get(Order, still_open.id).status == "published"
    assert db_session.get(Order, stale_draft.id).status == "draft"
    event = db_session.scalars(select(AuditEvent).where(
        AuditEvent.object_type == "order", AuditEvent.object_id == due.id)).one()
    assert event.action == "order.evaluating" and event.actor_id is None
    assert event.data == {"from": "published", "to": "evaluating"}
    assert len(notifications(actors.agency, "order.evaluating")) == 1


def test_closing_bidding_twice_changes_nothing_the_second_time(db_session, factories):
    OrderFactory(closed=True)
    OrderFactory(closed=True, bidding_closes_at=utcnow() - dt.timedelta(days=2))
    assert close_due_bidding(db_session) == 2
    assert close_due_bidding(db_session) == 0
    actions = db_session.scalars(
        select(AuditEvent.action).where(AuditEvent.action == "order.evaluating")
    ).all()
    assert len(actions) == 2


def test_the_job_is_seen_through_the_api_as_the_same_effective_status(api, db_session, actors):
    order = OrderFactory(closed=True)
    token = actors.token(actors.vendor)
    before = api.get(f"/api/v1/orders/{order.id}", token=token).json()
    close_due_bidding(db_session)
    after = api.get(f"/api/v1/orders/{order.id}", token=token).json()
    assert before["status"] == after["status"] == "evaluating"
    assert before["evaluating_at"] is None and after["evaluating_at"] is not None


def test_rows_another_worker_holds_are_skipped_on_postgresql():
    sql = str(services.due_for_closing(utcnow()).compile(dialect=postgresql.dialect()))
    assert sql.rstrip().endswith("FOR UPDATE SKIP LOCKED")
