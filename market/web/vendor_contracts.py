"""The vendor's pages for a contract's course: the contract, progress reports, handing in a lot and
its result, disputing a rejection, replying to the agency's rating. Each calls the contracts
services the API calls."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from market import db
from market.contracts import lots, progress, ratings, services
from market.contracts.schemas import (
    DisputeCreateSchema,
    LotCreateSchema,
    ProgressReportCreateSchema,
    RatingReplySchema,
)
from market.web.delivery import contract_page, lot_page, signed_in_as, submit_form
from market.web.extensions import csrf

bp = Blueprint("vendor_contracts", __name__, url_prefix="/vendor")


@bp.before_request
def _check_csrf():
    csrf.protect()


def _contract(user, contract_id: int, *, errors=None, status=200):
    contract = services.get_contract(db.session, contract_id, actor=user)
    return render_template("vendor/contract.html", **contract_page(contract, user), errors=errors or {},
                           form=request.form if errors else {}), status


@bp.get("/contracts/<int:contract_id>")
def contract(contract_id: int):
    """The contract: what is done, accepted, waiting and left, its lots, payments and rating."""
    return _contract(signed_in_as("vendor"), contract_id)


@bp.post("/contracts/<int:contract_id>/progress")
def report_progress(contract_id: int):
    """Report the volume done so far; a report only goes forward."""
    user = signed_in_as("vendor")
    report, errors, status = submit_form(
        ProgressReportCreateSchema(),
        lambda data: progress.report_progress(db.session, contract_id, data, actor=user))
    if errors:
        return _contract(user, contract_id, errors=errors, status=status)
    flash(_("Your progress report is saved: %(done)s done so far.", done=report.volume_done))
    return redirect(url_for(".contract", contract_id=contract_id))


@bp.post("/contracts/<int:contract_id>/rating/reply")
def reply(contract_id: int):
    """Answer the agency's rating, once."""
    user = signed_in_as("vendor")
    _rating, errors, status = submit_form(
        RatingReplySchema(), lambda data: ratings.reply_to_rating(db.session, contract_id, data, actor=user))
    if errors:
        return _contract(user, contract_id, errors=errors, status=status)
    flash(_("Your reply is published beside the rating."))
    return redirect(url_for(".contract", contract_id=contract_id) + "#rating-title")


@bp.route("/contracts/<int:contract_id>/lots/new", methods=["GET", "POST"])
def new_lot(contract_id: int):
    """Hand in a lot with its manifest (item count and checksum); the service gives its sampling
    plan and draws the items the agency inspects."""
    user = signed_in_as("vendor")
    found = services.get_contract(db.session, contract_id, actor=user)
    errors, status = {}, 200
    if request.method == "POST":
        lot, errors, status = submit_form(
            LotCreateSchema(), lambda data: lots.submit_lot(db.session, contract_id, data, actor=user))
        if not errors:
            flash(_("Lot %(id)s is handed in. The agency inspects a sample of %(n)s items.",
                    id=lot.id, n=lot.sample_size))
            return redirect(url_for(".lot", lot_id=lot.id))
        found = services.get_contract(db.session, contract_id, actor=user)
    form = request.form if request.method == "POST" else request.args
    return render_template("vendor/lot_form.html", contract=found, order=found.order,
                           open=services.open_to_deliver(found), errors=errors, form=form), status


def _lot(user, lot_id: int, *, errors=None, status=200):
    found = lots.get_lot(db.session, lot_id, actor=user)
    return render_template("vendor/lot.html", **lot_page(found, user), errors=errors or {},
                           form=request.form if errors else {}), status


@bp.get("/lots/<int:lot_id>")
def lot(lot_id: int):
    """A lot's plan and result; the sampled items once it is decided."""
    return _lot(signed_in_as("vendor"), lot_id)


@bp.post("/lots/<int:lot_id>/dispute")
def dispute(lot_id: int):
    """Dispute a rejected lot with a reason; a coordinator decides."""
    user = signed_in_as("vendor")
    _dispute, errors, status = submit_form(
        DisputeCreateSchema(), lambda data: lots.dispute_lot(db.session, lot_id, data, actor=user))
    if errors:
        return _lot(user, lot_id, errors=errors, status=status)
    flash(_("Your dispute is sent. A coordinator independent of the agency decides it and tells both sides why."))
    return redirect(url_for(".lot", lot_id=lot_id))
