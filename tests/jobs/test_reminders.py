"""Reminders: each sent once per thing, to whom it waits for, after the configured time."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from market.contracts.models import DeliveryLot
from market.db import utcnow
from market.jobs.runner import run_job
from market.notifications.models import Notification
from market.orders.models import Question
from tests.allocations.conftest import capable_vendor, evaluating_order
from tests.conftest import match
from tests.factories import BidFactory, ContractFactory, OrderFactory, VendorFactory


def _told(db_session, user, kind):
    return db_session.scalars(select(Notification.payload).where(
        Notification.recipient_id == user.id, Notification.kind == kind)).all()


def _later(app, **delta):
    return utcnow() + dt.timedelta(**delta)


def test_coordinators_are_reminded_once_of_proposals_waiting_too_long(api, app, actors, db_session):
    order = evaluating_order(actors.agency.organization)
    BidFactory(order=order, vendor=capable_vendor(), volume=order.volume)
    db_session.flush()
    match(api, actors.token(actors.coordinator))
    hours = app.config["REMIND_PROPOSALS_AFTER_HOURS"]
    assert run_job(app, "reminders", now=_later(app, hours=hours - 1)).counts["proposals"] == 0
    assert run_job(app, "reminders", now=_later(app, hours=hours + 1)).counts["proposals"] == 1
    assert run_job(app, "reminders", now=_later(app, hours=hours + 2)).counts["proposals"] == 0
    (payload,) = _told(db_session, actors.coordinator, "reminder.proposals")
    assert payload["count"] == 1 and payload["hours"] == hours


def test_an_agency_is_reminded_once_of_unanswered_questions_and_of_closing_with_them(
    app, actors, db_session
):
    agency = actors.agency
    order = OrderFactory(agency=agency.organization, bidding_closes_at=utcnow() + dt.timedelta(days=5))
    asker = actors.vendor
    db_session.add_all([
        Question(order_id=order.id, asked_by_id=asker.id, vendor_id=asker.organization_id,
                 text="数据是否脱敏？", asked_at=utcnow()),
        Question(order_id=order.id, asked_by_id=asker.id, vendor_id=asker.organization_id,
                 text="已答复的问题", asked_at=utcnow(), answer="是", answered_at=utcnow()),
    ])
    db_session.flush()
    hours = app.config["REMIND_QUESTIONS_AFTER_HOURS"]
    counts = run_job(app, "reminders", now=_later(app, hours=hours + 1)).counts
    assert (counts["questions"], counts["closing"]) == (1, 0)
    # Four days on, bidding closes within a day and the question is still open.
    counts = run_job(app, "reminders", now=_later(app, days=4, hours=1)).counts
    assert (counts["questions"], counts["closing"]) == (0, 1)
    assert run_job(app, "reminders", now=_later(app, days=4, hours=2)).counts["closing"] == 0
    (questions,) = _told(db_session, agency, "reminder.questions")
    assert questions["order_id"] == order.id and questions["count"] == 1
    (closing,) = _told(db_session, agency, "reminder.closing")
    assert closing["order_id"] == order.id
    assert _told(db_session, asker, "reminder.questions") == [], "the vendor is not told"


def test_coordinators_are_reminded_once_of_firms_waiting_for_verification(app, actors, db_session):
    coordinator = actors.coordinator
    waiting = VendorFactory(pending=True, created_at=utcnow())
    VendorFactory()  # verified already
    db_session.flush()
    days = app.config["REMIND_VERIFICATION_AFTER_DAYS"]
    assert run_job(app, "reminders", now=_later(app, days=days - 1)).counts["verification"] == 0
    assert run_job(app, "reminders", now=_later(app, days=days, hours=1)).counts["verification"] == 1
    assert run_job(app, "reminders", now=_later(app, days=days, hours=2)).counts["verification"] == 0
    (payload,) = _told(db_session, coordinator, "reminder.verification")
    assert payload["vendor_ids"] == [waiting.id] and payload["vendors"] == [waiting.name]


@pytest.mark.parametrize("setting", ["REMIND_VERIFICATION_AFTER_DAYS"])
def test_the_waiting_time_is_a_setting(app, actors, db_session, monkeypatch, setting):
    monkeypatch.setitem(app.config, setting, 10)
    VendorFactory(pending=True, created_at=utcnow())
    db_session.flush()
    actors.coordinator  # noqa: B018 - someone to remind
    assert run_job(app, "reminders", now=_later(app, days=4)).counts["verification"] == 0
    assert run_job(app, "reminders", now=_later(app, days=11)).counts["verification"] == 1


def test_an_agency_is_reminded_once_of_each_lot_waiting_for_inspection(app, actors, db_session):
    agency, vendor = actors.agency, actors.vendor
    order = OrderFactory(awarded=True, agency=agency.organization, volume=1000)
    contract = ContractFactory(order=order, vendor=vendor.organization, volume=1000)
    submitted = utcnow()
    waiting = DeliveryLot(contract_id=contract.id, volume=300, submitted_at=submitted)
    inspected = DeliveryLot(contract_id=contract.id, volume=200, submitted_at=submitted,
                            status="accepted", decided_at=submitted)
    db_session.add_all([waiting, inspected])
    db_session.flush()
    hours = app.config["REMIND_LOTS_AFTER_HOURS"]
    assert run_job(app, "reminders", now=_later(app, hours=hours - 1)).counts["lots"] == 0
    assert run_job(app, "reminders", now=_later(app, hours=hours + 1)).counts["lots"] == 1
    assert run_job(app, "reminders", now=_later(app, hours=hours + 2)).counts["lots"] == 0
    (payload,) = _told(db_session, agency, "reminder.lots")
    assert payload["lot_ids"] == [waiting.id] and payload["contract_ids"] == [contract.id]
    assert payload["order_id"] == order.id and payload["hours"] == hours
    assert _told(db_session, vendor, "reminder.lots") == [], "the vendor is not told"


def test_a_lot_resubmitted_after_a_rejection_is_reminded_of_again(app, actors, db_session):
    order = OrderFactory(awarded=True, agency=actors.agency.organization, volume=1000)
    contract = ContractFactory(order=order, vendor=actors.vendor.organization, volume=1000)
    first = DeliveryLot(contract_id=contract.id, volume=300, submitted_at=utcnow())
    db_session.add(first)
    db_session.flush()
    hours = app.config["REMIND_LOTS_AFTER_HOURS"]
    assert run_job(app, "reminders", now=_later(app, hours=hours + 1)).counts["lots"] == 1
    first.status, first.decided_at = "rejected", _later(app, hours=hours + 2)
    again = DeliveryLot(contract_id=contract.id, volume=300, resubmission_of_id=first.id,
                        submitted_at=_later(app, hours=hours + 3))
    db_session.add(again)
    db_session.flush()
    assert run_job(app, "reminders", now=_later(app, hours=2 * hours + 4)).counts["lots"] == 1
    told = _told(db_session, actors.agency, "reminder.lots")
    assert [p["lot_ids"] for p in told] in ([[first.id], [again.id]], [[again.id], [first.id]])
