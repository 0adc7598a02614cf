"""Payments: each accepted lot's value falls due a term after acceptance; the agency records it paid.

Government bodies pay small and medium firms within 30 days of acceptance unless the contract
agrees otherwise, and at most 60 (the State Council's regulation on ensuring payment to SMEs): the
term is the contract's `payment_term_days`, set from the programme's setting when it is made.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from market.audit import services as audit
from market.contracts.models import Contract, DeliveryLot, Payment
from market.contracts.services import contract_value, lock_contract
from market.db import utcnow
from market.errors import Conflict, InvalidInput
from market.i18n import N_
from market.notifications.services import notify, users_of, users_with_role
from market.permissions import not_found
from market.settings import settings_of


def make_payable(session: Session, contract: Contract, lot: DeliveryLot, *,
                 now: dt.datetime) -> Payment:
    """An accepted lot's value (its volume at the contract's unit price), due a term after acceptance."""
    accepted_on = settings_of(session).local_date(now)
    payment = Payment(contract=contract, lot=lot, amount=contract_value(contract.unit_price, lot.volume),
                      accepted_on=accepted_on,
                      due_on=accepted_on + dt.timedelta(days=contract.payment_term_days))
    session.add(payment)
    return payment


def record_payment(session: Session, contract_id: int, data: dict, *, actor,
                   now: dt.datetime | None = None) -> Payment:
    """The agency records an accepted lot's payment: the date paid, the amount (the lot's value) and
    the bank's reference; once."""
    contract = lock_contract(session, contract_id, actor=actor, roles=("agency",))
    now = now or utcnow()
    payment = next((p for p in contract.payments if p.lot_id == data["lot_id"]), None)
    if payment is None:
        raise not_found("payable lot on this contract", data["lot_id"])
    if payment.paid_on is not None:
        raise Conflict(N_("Lot %(lot)s's payment was already recorded on %(day)s."),
                       errors={"lot_id": ["already paid"]}, params={"lot": payment.lot_id, "day": payment.paid_on})
    today = settings_of(session).local_date(now)
    errors = {}
    if Decimal(data["amount"]) != payment.amount:
        errors["amount"] = [f"Must be the lot's value, {payment.amount} CNY."]
    if not payment.accepted_on <= data["paid_on"] <= today:
        errors["paid_on"] = [f"Must be from {payment.accepted_on} (acceptance) to {today}."]
    if errors:
        raise InvalidInput("The payment does not match what is due.", errors=errors)
    payment.paid_on, payment.reference = data["paid_on"], data["reference"]
    payment.recorded_by_id, payment.recorded_at = actor.id, now
    audit.record(session, "payment.recorded", actor=actor, object_type="payment",
                 object_id=payment.id, organization_id=contract.vendor_id,
                 data={"contract_id": contract.id, "lot_id": payment.lot_id,
                       "amount": payment.amount, "paid_on": payment.paid_on.isoformat(),
                       "reference": payment.reference, "due_on": payment.due_on.isoformat(),
                       "late": payment.paid_on > payment.due_on},
                 occurred_at=now)
    notify(session, users_of(session, contract.vendor_id, roles=["vendor"]), "payment.recorded",
           {"contract_id": contract.id, "lot_id": payment.lot_id, "amount": str(payment.amount),
            "reference": payment.reference}, now=now)
    return payment


def payment_summary(contract: Contract, today: dt.date) -> dict:
    """What the contract's accepted lots made payable: paid, due, and overdue (amounts and lots)."""
    summary = {"paid": Decimal("0.00"), "due": Decimal("0.00"), "overdue": Decimal("0.00")}
    overdue_lots = []
    for payment in contract.payments:
        status = payment.status_on(today)
        summary[status] += payment.amount
        if status == "overdue":
            overdue_lots.append(payment.lot_id)
    return {**summary, "overdue_lots": overdue_lots}


def notify_overdue_payments(session: Session, now: dt.datetime | None = None) -> int:
    """Tell the agency, the vendor and coordinators once of each payment past its due date; the job
    commits. Safe to run twice: each payment is told once, under its row lock."""
    now = now or utcnow()
    today = settings_of(session).local_date(now)
    payments = session.scalars(
        select(Payment).where(Payment.overdue(today), Payment.overdue_notified_at.is_(None))
        .order_by(Payment.id).with_for_update(skip_locked=True)
    ).all()
    coordinators = users_with_role(session, "coordinator")
    for payment in payments:
        payment.overdue_notified_at = now
        contract = payment.contract
        notify(session, users_of(session, contract.order.agency_id, roles=["agency"])
               + users_of(session, contract.vendor_id, roles=["vendor"]) + coordinators,
               "payment.overdue",
               {"contract_id": contract.id, "lot_id": payment.lot_id, "amount": str(payment.amount),
                "due_on": payment.due_on.isoformat()}, now=now)
        audit.record(session, "payment.overdue", actor=None, object_type="payment",
                     object_id=payment.id, organization_id=contract.vendor_id,
                     data={"contract_id": contract.id, "due_on": payment.due_on.isoformat()},
                     occurred_at=now)
    return len(payments)
