"""Reminders of what waits for someone, each sent once per thing: proposals waiting for a
coordinator's decision, questions an agency has not answered (and bidding about to close over
them), firms waiting for verification, delivered lots an agency has not inspected. Each thing
claims a unique key (claim_once) in the transaction that writes its reminder, so a second run, or
a second scheduler, sends nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from market.allocations.models import Allocation
from market.contracts.models import Contract, DeliveryLot
from market.notifications.services import claim_once, notify, users_of, users_with_role
from market.orders.models import Order, Question
from market.organizations.models import Organization, VendorProfile
from market.settings import settings_of


@dataclass(frozen=True)
class ReminderSettings:
    proposals_after: dt.timedelta
    questions_after: dt.timedelta
    verification_after: dt.timedelta
    lots_after: dt.timedelta
    closing_within: dt.timedelta = dt.timedelta(hours=24)

    @classmethod
    def from_config(cls, config: Mapping) -> ReminderSettings:
        return cls(
            proposals_after=dt.timedelta(hours=int(config["REMIND_PROPOSALS_AFTER_HOURS"])),
            questions_after=dt.timedelta(hours=int(config["REMIND_QUESTIONS_AFTER_HOURS"])),
            verification_after=dt.timedelta(days=int(config["REMIND_VERIFICATION_AFTER_DAYS"])),
            lots_after=dt.timedelta(hours=int(config["REMIND_LOTS_AFTER_HOURS"])),
        )


def _claimed(session: Session, kind: str, ids, now: dt.datetime) -> list[int]:
    return [i for i in ids if claim_once(session, f"remind:{kind}:{i}", now=now)]


def remind_proposals(session: Session, settings: ReminderSettings, *, now: dt.datetime) -> int:
    """Coordinators hear once of each proposal that has waited longer than `proposals_after`."""
    waiting = session.scalars(
        select(Allocation.id).where(Allocation.status == "proposed",
                                    Allocation.created_at <= now - settings.proposals_after)
        .order_by(Allocation.id)).all()
    ids = _claimed(session, "proposal", waiting, now)
    if ids:
        notify(session, users_with_role(session, "coordinator"), "reminder.proposals",
               {"allocation_ids": ids, "count": len(ids),
                "hours": int(settings.proposals_after.total_seconds() // 3600)}, now=now)
    return len(ids)


def remind_questions(session: Session, settings: ReminderSettings, *, now: dt.datetime) -> int:
    """An agency hears once of each question on its open orders unanswered after `questions_after`."""
    rows = session.execute(
        select(Question.id, Order).join(Order, Order.id == Question.order_id)
        .where(Question.answered_at.is_(None), Question.asked_at <= now - settings.questions_after,
               Order.status == "published", Order.bidding_closes_at > now)
        .order_by(Question.id)).all()
    by_order: dict[int, tuple[Order, list[int]]] = {}
    for question_id, order in rows:
        if claim_once(session, f"remind:question:{question_id}", now=now):
            by_order.setdefault(order.id, (order, []))[1].append(question_id)
    for order, ids in by_order.values():
        notify(session, users_of(session, order.agency_id, roles=["agency"]), "reminder.questions",
               {"order_id": order.id, "title": order.title, "question_ids": ids,
                "count": len(ids)}, now=now)
    return sum(len(ids) for _order, ids in by_order.values())


def remind_closing(session: Session, settings: ReminderSettings, *, now: dt.datetime) -> int:
    """An agency hears once when bidding on its order closes within a day and questions on it
    are still unanswered."""
    unanswered = exists().where(Question.order_id == Order.id, Question.answered_at.is_(None))
    orders = session.scalars(
        select(Order).where(Order.status == "published", Order.bidding_closes_at > now,
                            Order.bidding_closes_at <= now + settings.closing_within, unanswered)
        .order_by(Order.id)).all()
    programme = settings_of(session)
    told = 0
    for order in orders:
        if not claim_once(session, f"remind:closing:{order.id}", now=now):
            continue
        notify(session, users_of(session, order.agency_id, roles=["agency"]), "reminder.closing",
               {"order_id": order.id, "title": order.title,
                "bidding_closes_at": programme.local_isoformat(order.bidding_closes_at)}, now=now)
        told += 1
    return told


def remind_verification(session: Session, settings: ReminderSettings, *, now: dt.datetime) -> int:
    """Coordinators hear once of each firm waiting for verification longer than `verification_after`."""
    waiting = session.execute(
        select(Organization.id, Organization.name)
        .join(VendorProfile, VendorProfile.organization_id == Organization.id)
        .where(VendorProfile.verification_status == "pending",
               Organization.created_at <= now - settings.verification_after)
        .order_by(Organization.id)).all()
    names = dict(waiting)
    ids = _claimed(session, "verification", list(names), now)
    if ids:
        notify(session, users_with_role(session, "coordinator"), "reminder.verification",
               {"vendor_ids": ids, "vendors": [names[i] for i in ids], "count": len(ids),
                "days": settings.verification_after.days}, now=now)
    return len(ids)


def remind_lots(session: Session, settings: ReminderSettings, *, now: dt.datetime) -> int:
    """An agency hears once of each delivered lot on its orders still waiting for inspection after
    `lots_after` (a resubmitted lot is a new lot, so it is reminded of again)."""
    rows = session.execute(
        select(DeliveryLot.id, Contract.id, Order)
        .join(Contract, Contract.id == DeliveryLot.contract_id)
        .join(Order, Order.id == Contract.order_id)
        .where(DeliveryLot.status == "submitted",
               DeliveryLot.submitted_at <= now - settings.lots_after)
        .order_by(DeliveryLot.id)).all()
    by_order: dict[int, tuple[Order, list[int], set[int]]] = {}
    for lot_id, contract_id, order in rows:
        if claim_once(session, f"remind:lot:{lot_id}", now=now):
            _order, lots, contracts = by_order.setdefault(order.id, (order, [], set()))
            lots.append(lot_id)
            contracts.add(contract_id)
    hours = int(settings.lots_after.total_seconds() // 3600)
    for order, lots, contracts in by_order.values():
        notify(session, users_of(session, order.agency_id, roles=["agency"]), "reminder.lots",
               {"order_id": order.id, "title": order.title, "lot_ids": lots,
                "contract_ids": sorted(contracts), "count": len(lots), "hours": hours}, now=now)
    return sum(len(lots) for _order, lots, _contracts in by_order.values())


def send_reminders(session: Session, settings: ReminderSettings, *, now: dt.datetime) -> dict:
    """Every kind of reminder that is due; the caller commits."""
    return {
        "proposals": remind_proposals(session, settings, now=now),
        "questions": remind_questions(session, settings, now=now),
        "closing": remind_closing(session, settings, now=now),
        "verification": remind_verification(session, settings, now=now),
        "lots": remind_lots(session, settings, now=now),
    }
