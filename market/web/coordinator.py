"""The coordinators' pages: the work queues, vendor review (verification and change requests) and the
proposals waiting for a decision. Every action calls the service the API calls."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from market import db, workqueues
from market.allocations import report
from market.allocations import services as allocations
from market.allocations.debrief import why_evaluated
from market.allocations.schemas import ApproveSchema, RejectSchema
from market.contracts import ratings
from market.db import utcnow
from market.errors import Conflict, DomainError
from market.orders.models import Order
from market.orders.services import count
from market.organizations import change_requests
from market.organizations import services as organizations
from market.organizations.schemas import StatusReasonSchema
from market.web.extensions import csrf
from market.web.forms import load_form, refusal
from market.web.session import signed_in

bp = Blueprint("coordinator", __name__, url_prefix="/coordinator")
# What a coordinator may do to a vendor in each state, as the vendor lifecycle allows it.
STATUS_ACTIONS = {"verify": "verified", "suspend": "suspended", "reinstate": "verified"}
# The buttons a vendor's page shows in each state (the lifecycle in the service still decides).
OFFERED = {"pending": ("verify", "suspend"), "verified": ("suspend",), "suspended": ("reinstate",)}


@bp.before_request
def _check_csrf():
    csrf.protect()


def _coordinator():
    user = signed_in()
    if user.role != "coordinator":
        abort(403)
    return user


coordinator_only = _coordinator  # the guard of the other coordinators' pages (matching, registers)


def prefixed_form(schema, prefix: str) -> tuple[dict, dict]:
    """Load the fields of one of a page's several forms (named `prefix-field`), errors under the same
    names, so each message stands beside its own form's field."""
    form = MultiDict({key.removeprefix(f"{prefix}-"): value for key, value in request.form.items()
                      if key.startswith(f"{prefix}-")})
    data, errors = load_form(schema, form)
    return data, {f"{prefix}-{key}" if key != "_body" else key: value for key, value in errors.items()}


@bp.get("/")
def dashboard():
    user = _coordinator()
    now = utcnow()
    return render_template(
        "coordinator/dashboard.html", now=now,
        vendors=db.session.scalars(workqueues.vendors_waiting(actor=user)).all(),
        changes=db.session.scalars(workqueues.change_requests_waiting(actor=user)).all(),
        proposals=_proposal_orders(user),
        unmatched=db.session.scalars(workqueues.orders_not_matched(now=now, actor=user)).all(),
        overdue=db.session.scalars(workqueues.contracts_overdue(now=now, actor=user)).all(),
    )


def _proposal_orders(user) -> list[tuple[Order, int]]:
    """Orders with proposals waiting, each with how many wait."""
    found = db.session.scalars(workqueues.orders_with_proposals(actor=user)).all()
    return [(order, count(db.session, allocations.list_allocations(actor=user, status="proposed",
                                                                    order_id=order.id)))
            for order in found]


# --- vendor review ---------------------------------------------------------------------------

def _vendor_page(user, org_id: int, errors: dict | None = None, status: int = 200, form=None):
    org = organizations.get_organization(db.session, org_id, actor=user)
    if org.kind != "vendor" or org.vendor_profile is None:
        abort(404)
    profile = org.vendor_profile
    change = profile.pending_change
    history = db.session.scalars(change_requests.list_change_requests(actor=user, vendor_id=org.id)).all()
    return render_template(
        "coordinator/vendor.html", org=org, profile=profile, change=change,
        before=change_requests.before_of(change) if change else {},
        history=[(c, change_requests.before_of(c)) for c in history if c.status != "pending"],
        actions=OFFERED.get(profile.verification_status, ()),
        record=ratings.track_record(db.session, org.id, actor=user),
        errors=errors or {}, form=form or {}, now=utcnow(),
    ), status


@bp.get("/vendors/<int:org_id>")
def vendor(org_id: int):
    return _vendor_page(_coordinator(), org_id)


@bp.post("/vendors/<int:org_id>/status")
def vendor_status(org_id: int):
    """Verify, suspend or reinstate a vendor with a reason (told to the vendor) and an internal note."""
    user = _coordinator()
    action = request.form.get("action", "")
    if action not in STATUS_ACTIONS:
        abort(422)
    data, errors = prefixed_form(StatusReasonSchema(), "status")
    status = 422
    if not errors:
        try:
            organizations.set_vendor_status(db.session, org_id, STATUS_ACTIONS[action], actor=user, **data)
        except DomainError as error:
            errors, status = refusal(error), error.status_code
        else:
            db.session.commit()
            flash({"verify": _("The firm is verified; it can bid now and has been told."),
                   "suspend": _("The firm is suspended; its open proposals are closed and it has been told."),
                   "reinstate": _("The firm is reinstated; it can bid again and has been told.")}[action])
            return redirect(url_for("coordinator.vendor", org_id=org_id))
    return _vendor_page(user, org_id, errors, status, request.form)


@bp.post("/change-requests/<int:change_request_id>/decide")
def decide_change(change_request_id: int):
    """Approve or reject a vendor's change request with a reason (told to the vendor) and a note."""
    user = _coordinator()
    change = change_requests.get_change_request(db.session, change_request_id, actor=user)
    decision = request.form.get("decision", "")
    if decision not in ("approve", "reject"):
        abort(422)
    data, errors = prefixed_form(StatusReasonSchema(), "change")
    status = 422
    if not errors:
        decide = change_requests.approve if decision == "approve" else change_requests.reject
        try:
            decide(db.session, change_request_id, actor=user, **data)
        except DomainError as error:
            errors, status = refusal(error), error.status_code
        else:
            db.session.commit()
            flash(_("The change is approved: the profile now holds it, and the firm has been told.")
                  if decision == "approve" else
                  _("The change is rejected: the profile keeps its approved values, and the firm has been told."))
            return redirect(url_for("coordinator.vendor", org_id=change.vendor_id))
    return _vendor_page(user, change.vendor_id, errors, status, request.form)


# --- proposals -------------------------------------------------------------------------------

@bp.get("/proposals")
def proposals():
    user = _coordinator()
    return render_template("coordinator/proposals.html", orders=_proposal_orders(user))


def _order_proposals_page(user, order_id: int, errors: dict | None = None, status: int = 200,
                          form=None, conflict: tuple | None = None):
    order = db.session.get(Order, order_id)
    rows = db.session.scalars(allocations.list_allocations(actor=user, order_id=order_id)).all() \
        if order is not None else []
    if order is None or not rows:
        abort(404)
    competing = allocations.competing_evaluations(db.session, rows, actor=user)
    language = get_locale().language
    waiting = [(a, [(e, why_evaluated(e, language, "staff")) for e in competing.get(a.id, [])],
                report.seat_load(db.session, a))
               for a in rows if a.status == "proposed"]
    return render_template(
        "coordinator/order_proposals.html", order=order, waiting=waiting,
        decided=[a for a in rows if a.status != "proposed"],
        own=allocations.own_order(order, actor=user), errors=errors or {}, form=form or {},
        conflict=conflict,
    ), status


@bp.get("/orders/<int:order_id>/proposals")
def order_proposals(order_id: int):
    return _order_proposals_page(_coordinator(), order_id)


def _decide_allocation(allocation_id: int, kind: str, schema, decide, done: str):
    user = _coordinator()
    allocation = allocations.get_allocation(db.session, allocation_id, actor=user)
    order_id = allocation.order_id
    prefix = f"{kind}-{allocation_id}"
    data, errors = prefixed_form(schema, prefix)
    if not errors:
        try:
            decide(db.session, allocation_id, actor=user, **data)
        except Conflict as error:
            # Superseded by a newer run or decided by someone else first: the page says so.
            db.session.rollback()
            found = allocations.get_allocation(db.session, allocation_id, actor=user)
            said = error.said(get_locale().language)
            return _order_proposals_page(user, order_id, status=409, conflict=(found, said))
        except DomainError as error:
            errors = refusal(error)
            return _order_proposals_page(user, order_id, errors, error.status_code, request.form)
        db.session.commit()
        flash(done)
        return redirect(url_for("coordinator.order_proposals", order_id=order_id))
    return _order_proposals_page(user, order_id, errors, 422, request.form)


@bp.post("/allocations/<int:allocation_id>/approve")
def approve(allocation_id: int):
    return _decide_allocation(allocation_id, "approve", ApproveSchema(), allocations.approve,
                              _("The match is approved: the bid is awarded and the contract is made."))


@bp.post("/allocations/<int:allocation_id>/reject")
def reject(allocation_id: int):
    return _decide_allocation(allocation_id, "reject", RejectSchema(), allocations.reject,
                              _("The match is rejected: the pair is left out of later runs."))
