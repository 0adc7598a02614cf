"""What the agency's and the vendor's contract and lot pages show, gathered once for both sides from
the contracts services, and how a refused form on them fails."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, request
from marshmallow import Schema

from market import db
from market.contracts import lots, services
from market.contracts.models import Contract, DeliveryLot
from market.contracts.payments import payment_summary
from market.db import utcnow
from market.errors import DomainError, Forbidden, NotFound
from market.settings import settings_of
from market.web.forms import load_form, refusal
from market.web.session import signed_in


def contract_page(contract: Contract, actor) -> dict:
    """A contract's figures as the services count them: volumes, lots, payments, overdue."""
    now = utcnow()
    today = settings_of(db.session).local_date(now)
    return {
        "contract": contract,
        "order": contract.order,
        "accepted": services.accepted_volume(contract),
        "pending": services.pending_volume(contract),
        "open": services.open_to_deliver(contract),
        "done": services.done_volume(contract),
        "overdue": contract.overdue(now),
        "payments": payment_summary(contract, today),
        "payment_rows": [(p, p.status_on(today)) for p in contract.payments],
        "lots": lots.presented(list(contract.lots), actor),
        "rating": contract.rating_detail,
    }


def lot_page(lot: DeliveryLot, actor) -> dict:
    """A lot with its plan and the sample `actor` may see (the vendor's only once it is decided)."""
    lots.presented([lot], actor)
    return {"lot": lot, "contract": lot.contract, "order": lot.contract.order,
            "resubmitted": any(other.resubmission_of_id == lot.id for other in lot.contract.lots)}


def refused(error: DomainError) -> tuple[dict, int]:
    """Nothing is stored; bad input comes back beside its fields, another refusal as the page's
    message. Someone else's contract or a page for another role stops here."""
    if isinstance(error, NotFound | Forbidden):
        db.session.rollback()
        abort(error.status_code)
    return refusal(error), error.status_code


def signed_in_as(role: str):
    """The signed-in user, when they have `role`; another role may not use these pages."""
    user = signed_in()
    if user.role != role:
        abort(403)
    return user


def submit_form(schema: Schema, call: Callable[[dict], object], form=None) -> tuple[object, dict, int]:
    """(what `call` stored, {}, 200) once the form passed `schema`, the service took it and the
    request committed; (None, field errors, status) when either refused it, with nothing stored."""
    data, errors = load_form(schema, request.form if form is None else form)
    if errors:
        return None, errors, 422
    try:
        result = call(data)
    except DomainError as error:
        errors, status = refused(error)
        return None, errors, status
    db.session.commit()
    return result, {}, 200
