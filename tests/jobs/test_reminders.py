"""Reminders: each sent once per thing, to whom it waits for, after the configured time."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from market.db import utcnow
from market.jobs.runner import run_job
from market.notifications.models import Notification
from market.orders.models import Question
from tests.allocations.conftest import capable_vendor, evaluating_order
from tests.conftest import match
from tests.factories import BidFactory, OrderFactory, VendorFactory


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
