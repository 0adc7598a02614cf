"""The agency's pages for the contracts of its orders: the contract, inspecting a lot by the sampling
plan the service gave, recording a payment, rating a completed contract. Each calls the contracts
services the API calls."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from market import db
from market.contracts import lots, payments, ratings, services
from market.contracts.schemas import InspectionSchema, PaymentCreateSchema, RatingCreateSchema
from market.web.delivery import contract_page, lot_page, signed_in_as, submit_form
from market.web.extensions import csrf

bp = Blueprint("agency_contracts", __name__, url_prefix="/agency")
RATING_SCORES = ("1", "2", "3", "4", "5")


@bp.before_request
def _check_csrf():
    csrf.protect()


@bp.get("/contracts/<int:contract_id>")
def contract(contract_id: int):
    """The contract: what is done, accepted, waiting and left, its lots, payments and rating."""
    user = signed_in_as("agency")
    found = services.get_contract(db.session, contract_id, actor=user)
    return render_template("agency/contract.html", **contract_page(found, user))


def _lot(user, lot_id: int, *, errors=None, status=200):
    found = lots.get_lot(db.session, lot_id, actor=user)
    return render_template("agency/lot.html", **lot_page(found, user), errors=errors or {},
                           form=request.form if errors else {}), status


@bp.get("/lots/<int:lot_id>")
def lot(lot_id: int):
    """A lot's sampling plan (code letter, n, Ac/Re, severity) and the items to inspect."""
    return _lot(signed_in_as("agency"), lot_id)


@bp.post("/lots/<int:lot_id>/inspection")
def inspect(lot_id: int):
    """Record the nonconforming items found in the sample: the plan accepts or rejects the lot."""
    user = signed_in_as("agency")
    found, errors, status = submit_form(
        InspectionSchema(only=("nonconforming", "note", "agree_reduced")),
        lambda data: lots.inspect_lot(db.session, lot_id, data, actor=user))
    if errors:
        return _lot(user, lot_id, errors=errors, status=status)
    if found.status == "accepted":
        flash(_("Lot %(id)s is accepted: %(d)s nonconforming in the sample, at most %(ac)s allowed. "
                "Its payment is now due.", id=found.id, d=found.sample_defects, ac=found.accept_number))
    else:
        flash(_("Lot %(id)s is rejected: %(d)s nonconforming in the sample, %(re)s or more rejects it. "
                "The vendor is told.", id=found.id, d=found.sample_defects, re=found.reject_number))
    return redirect(url_for(".lot", lot_id=lot_id))


@bp.route("/contracts/<int:contract_id>/payments/<int:lot_id>", methods=["GET", "POST"])
def payment(contract_id: int, lot_id: int):
    """Record an accepted lot's payment: the date paid, the amount and the bank's reference."""
    user = signed_in_as("agency")
    found = services.get_contract(db.session, contract_id, actor=user)
    due = next((p for p in found.payments if p.lot_id == lot_id), None)
    if due is None:
        abort(404)
    errors, status = {}, 200
    if request.method == "POST":
        form = MultiDict(request.form)
        form["lot_id"] = str(lot_id)
        _paid, errors, status = submit_form(
            PaymentCreateSchema(),
            lambda data: payments.record_payment(db.session, contract_id, data, actor=user), form)
        if not errors:
            flash(_("The payment of lot %(id)s is recorded; the vendor is told.", id=lot_id))
            return redirect(url_for(".contract", contract_id=contract_id) + "#payments-title")
        found = services.get_contract(db.session, contract_id, actor=user)
        due = next(p for p in found.payments if p.lot_id == lot_id)
    form = request.form if errors else {"amount": str(due.amount)}
    return render_template("agency/payment.html", contract=found, order=found.order, payment=due,
                           errors=errors, form=form), status


@bp.route("/contracts/<int:contract_id>/rating", methods=["GET", "POST"])
def rate(contract_id: int):
    """Rate the vendor of a completed contract, once: quality, timeliness, communication 1-5."""
    user = signed_in_as("agency")
    found = services.get_contract(db.session, contract_id, actor=user)
    errors, status = {}, 200
    if request.method == "POST":
        _rating, errors, status = submit_form(
            RatingCreateSchema(), lambda data: ratings.rate_contract(db.session, contract_id, data, actor=user))
        if not errors:
            flash(_("Your rating is published on the vendor's record; the vendor may reply once."))
            return redirect(url_for(".contract", contract_id=contract_id) + "#rating-title")
        found = services.get_contract(db.session, contract_id, actor=user)
    return render_template("agency/rating.html", contract=found, order=found.order, scores=RATING_SCORES,
                           errors=errors, form=request.form if errors else {}), status
