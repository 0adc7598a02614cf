"""Payments: an accepted lot's value falls due 30 days after acceptance; the agency records it once;
an overdue payment is shown and told once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from market.contracts.models import Payment
from market.contracts.payments import notify_overdue_payments
from market.db import utcnow
from market.notifications.models import Notification
from market.timezone import local_date
from tests.conftest import assert_error
from tests.contracts.conftest import inspect, submit
from tests.factories import OrganizationFactory


def today() -> dt.date:
    # The programme's day (Asia/Shanghai), which the due dates are counted in, not the machine's.
    return local_date(utcnow())


def accepted_lot(api, actors, deal) -> dict:
    lot = submit(api, actors, deal, volume=500, item_count=500)
    return inspect(api, actors, deal, lot["id"], 0)


def pay(api, actors, deal, user, **body):
    payment = {"lot_id": body.pop("lot_id"), "amount": "200.00",
               "paid_on": today().isoformat(), "reference": "GZ-2026-0001", **body}
    return api.post(f"/api/v1/contracts/{deal.contract.id}/payments", json=payment,
                    token=actors.token(user))


def test_the_agency_records_a_payment_and_the_vendor_is_told(api, actors, deal, db_session):
    lot = accepted_lot(api, actors, deal)
    contract = api.get(f"/api/v1/contracts/{deal.contract.id}", token=actors.token(deal.agency)).json()
    [payable] = contract["payables"]  # what to pay and by when, before it is paid
    assert (payable["lot_id"], payable["amount"], payable["status"]) == (lot["id"], "200.00", "due")
    assert payable["due_on"] == (today() + dt.timedelta(days=30)).isoformat()
    response = pay(api, actors, deal, deal.agency, lot_id=lot["id"])
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "paid" and response.json()["reference"] == "GZ-2026-0001"
    assert "payment.recorded" in db_session.scalars(select(Notification.kind).where(
        Notification.recipient_id == deal.vendor.id)).all()
    assert_error(pay(api, actors, deal, deal.agency, lot_id=lot["id"]), 409, "lot_id")


def test_a_payment_of_the_wrong_amount_or_date_is_refused_and_stores_nothing(
    api, actors, deal, db_session
):
    lot = accepted_lot(api, actors, deal)
    assert_error(pay(api, actors, deal, deal.agency, lot_id=lot["id"], amount="199.99"), 422, "amount")
    tomorrow = (today() + dt.timedelta(days=2)).isoformat()
    assert_error(pay(api, actors, deal, deal.agency, lot_id=lot["id"], paid_on=tomorrow), 422, "paid_on")
    assert_error(pay(api, actors, deal, deal.agency, lot_id=lot["id"], reference=" "), 422, "reference")
    db_session.expire_all()
    assert db_session.scalars(select(Payment)).one().paid_on is None


def test_a_lot_not_accepted_has_nothing_to_pay(api, actors, deal):
    lot = submit(api, actors, deal)
    assert_error(pay(api, actors, deal, deal.agency, lot_id=lot["id"]), 404)


def test_the_vendor_cannot_record_a_payment_and_another_agency_cannot_see_the_contract(
    api, actors, deal
):
    lot = accepted_lot(api, actors, deal)
    assert_error(pay(api, actors, deal, deal.vendor, lot_id=lot["id"]), 403)
    stranger = actors.user("agency", organization=OrganizationFactory())
    assert_error(pay(api, actors, deal, stranger, lot_id=lot["id"]), 404)


def test_an_overdue_payment_shows_on_the_contract_and_is_told_once(api, actors, deal, db_session):
    lot = accepted_lot(api, actors, deal)
    payment = db_session.scalars(select(Payment)).one()
    payment.due_on = today() - dt.timedelta(days=3)
    db_session.flush()
    contract = api.get(f"/api/v1/contracts/{deal.contract.id}", token=actors.token(deal.coordinator))
    assert contract.json()["payments"]["overdue"] == "200.00"
    assert contract.json()["payments"]["overdue_lots"] == [lot["id"]]
    assert notify_overdue_payments(db_session) == 1
    assert notify_overdue_payments(db_session) == 0
    told = db_session.scalars(select(Notification.recipient_id).where(
        Notification.kind == "payment.overdue")).all()
    assert sorted(told) == sorted([deal.agency.id, deal.vendor.id, deal.coordinator.id])
