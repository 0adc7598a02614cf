"""Seeding as a whole: what the summary says, and the same seed writing the same programme."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import func, select

from market import db
from market.accounts.models import User
from market.allocations.models import Allocation, MatchRun
from market.audit.models import AuditEvent
from market.bids.models import Bid
from market.contracts.models import (
    Contract,
    DeliveryLot,
    Milestone,
    Payment,
    ProgressReport,
    Rating,
)
from market.db import utcnow
from market.demo.orders import ORDER_PLAN
from market.demo.seed import DEFAULT_SEED, seed_demo
from market.notifications.models import Notification
from market.orders.models import Order, Question
from market.organizations.models import Capability, Organization
from market.quality.service import train_from_database
from market.settings import settings_of
from tests.fresh_database import fresh_app


def count(session, column) -> int:
    return session.scalar(select(func.count(column)))


# Other tests log in to the seeded database: those events are not the seed's.
SEEDED_EVENTS = AuditEvent.action.not_like("auth.%")


def test_the_summary_says_what_was_written(seeded, session):
    _app, summary = seeded
    assert sum(summary.organizations.values()) == count(session, Organization.id)
    assert summary.users == count(session, User.id) and summary.capabilities == count(session, Capability.id)
    assert summary.orders == Counter(dict(ORDER_PLAN))
    assert summary.history_orders + sum(summary.orders.values()) == count(session, Order.id)
    assert summary.bids == count(session, Bid.id) and summary.questions == count(session, Question.id)
    assert sum(summary.contracts.values()) == count(session, Contract.id)
    assert summary.match_runs == count(session, MatchRun.id) and summary.match_runs >= 20
    assert summary.audit_events == session.scalar(select(func.count(AuditEvent.id)).where(SEEDED_EVENTS))
    lines = "\n".join(summary.lines())
    assert "published (closing passed, shown as evaluating): 5" in lines and "coordinator@demo.market.cn" in lines
    assert summary.lots == Counter(dict(session.execute(
        select(DeliveryLot.status, func.count()).group_by(DeliveryLot.status)).all()))
    assert summary.payments["overdue"] and summary.ratings == count(session, Rating.id)


def _snapshot(session) -> dict:
    return {
        "organizations": session.execute(select(
            Organization.id, Organization.kind, Organization.name, Organization.credit_code, Organization.city,
        ).order_by(Organization.id)).all(),
        "capabilities": session.execute(select(
            Capability.vendor_id, Capability.modality, Capability.annotation_type, Capability.unit_price,
            Capability.assessed_proficiency,
        ).order_by(Capability.id)).all(),
        "orders": session.execute(select(
            Order.id, Order.agency_id, Order.title, Order.status, Order.volume, Order.budget_ceiling,
            Order.accuracy_target, Order.data_classification, Order.splittable,
        ).order_by(Order.id)).all(),
        "bids": session.execute(select(
            Bid.id, Bid.order_id, Bid.vendor_id, Bid.unit_price, Bid.volume, Bid.seats_committed, Bid.status,
        ).order_by(Bid.id)).all(),
        "allocations": session.execute(select(
            Allocation.id, Allocation.run_id, Allocation.order_id, Allocation.bid_id, Allocation.volume,
            Allocation.status,
        ).order_by(Allocation.id)).all(),
        "contracts": session.execute(select(
            Contract.id, Contract.order_id, Contract.vendor_id, Contract.volume, Contract.status, Contract.severity,
            Contract.switching_score, Contract.delivered_on_time, Contract.accuracy_achieved, Contract.days_late,
            Contract.rating,
        ).order_by(Contract.id)).all(),
        "milestones": session.execute(select(
            Milestone.contract_id, Milestone.volume, Milestone.reported_volume).order_by(Milestone.id)).all(),
        # The items sampled are drawn from a fresh random seed by the lots service, so neither side
        # chooses them; what the inspection found and decided is the seed's.
        "lots": session.execute(select(
            DeliveryLot.contract_id, DeliveryLot.volume, DeliveryLot.status, DeliveryLot.resubmission_of_id,
            DeliveryLot.severity, DeliveryLot.sample_size, DeliveryLot.sample_defects,
        ).order_by(DeliveryLot.id)).all(),
        "progress": session.execute(select(ProgressReport.contract_id, ProgressReport.volume_done)
                                    .order_by(ProgressReport.id)).all(),
        "payments": session.execute(select(Payment.lot_id, Payment.amount, Payment.accepted_on, Payment.due_on,
                                           Payment.paid_on, Payment.reference).order_by(Payment.id)).all(),
        "ratings": session.execute(select(Rating.contract_id, Rating.quality, Rating.timeliness,
                                          Rating.communication, Rating.comment, Rating.reply)
                                   .order_by(Rating.id)).all(),
        "questions": count(session, Question.id),
        "notifications": count(session, Notification.id),
        "audit events": session.execute(select(AuditEvent.action, func.count()).where(SEEDED_EVENTS)
                                        .group_by(AuditEvent.action).order_by(AuditEvent.action)).all(),
    }


def test_the_same_seed_writes_the_same_programme_at_any_hour_whatever_model_the_instance_holds(
        seeded, session, database_url, tmp_path):
    first = _snapshot(session)
    # Another hour of the same day than the first seeding (which was just now).
    settings = settings_of(session)
    local = utcnow().astimezone(settings.zone)
    other_hour = local.replace(hour=20 if local.hour < 12 else 3, minute=17)
    with fresh_app(database_url, tmp_path) as other:
        # A quality model trained on the first demo's history, in the second's instance folder:
        # matching while seeding must not use it.
        train_from_database(session, other.instance_path)
        with other.app_context():
            seed_demo(db.session, seed=DEFAULT_SEED, now=other_hour.astimezone(dt.UTC))
            db.session.commit()
            second = _snapshot(db.session)
    for part in first:
        assert first[part] == second[part], part
