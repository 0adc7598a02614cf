"""The vendor's pages: its dashboard, profile and capabilities, the open orders it may bid on (each
with every hard rule that refuses it), its bids and their results. Each calls the services the API
calls."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from market import db
from market.allocations.debrief import bid_result
from market.bids import services as bids
from market.bids.eligibility import firm_refusals
from market.bids.reasons import describe
from market.bids.schemas import BidCreateSchema, BidRevisionSchema
from market.contracts import services as contract_services
from market.db import utcnow
from market.errors import DomainError
from market.notifications import services as notifications
from market.orders import services as orders
from market.orders.schemas import QuestionSchema
from market.organizations import change_requests
from market.organizations import services as organizations
from market.organizations.models import CLEARANCES
from market.organizations.schemas import (
    CapabilityChangeSchema,
    CapabilitySchema,
    OrganizationUpdateSchema,
)
from market.settings import settings_of
from market.web.extensions import csrf
from market.web.forms import load_form, refusal
from market.web.session import signed_in

bp = Blueprint("vendor", __name__, url_prefix="/vendor")
LATEST = 5  # orders and notifications the dashboard lists
# The terms a bid's form asks for, in the order the check page lists them.
BID_TERMS = ("unit_price", "volume", "seats_committed", "proposed_finish_date", "technical_note")


def _values(org) -> dict:
    """The form's values as the profile stands (a form sent back with errors shows what was sent)."""
    profile = org.vendor_profile
    return {
        "contact_email": org.contact_email or "",
        "description": org.description or "",
        "vendor_profile.seats": str(profile.seats),
        "vendor_profile.headcount": str(profile.headcount),
        "vendor_profile.clearance": profile.clearance,
        "vendor_profile.onsite_possible": "true" if profile.onsite_possible else "false",
        "vendor_profile.sme": "true" if profile.sme else "false",
        "vendor_profile.certifications": list(profile.certifications or ()),
    }


@bp.before_request
def _check_csrf():
    csrf.protect()


def _vendor_user():
    user = signed_in()
    if user.role != "vendor":
        abort(403)
    return user


def _render_profile(user, *, errors=None, form=None, capability_errors=None, status=200):
    org = organizations.get_organization(db.session, user.organization_id, actor=user)
    return render_template(
        "vendor/profile.html",
        org=org,
        profile=org.vendor_profile,
        capabilities=organizations.capabilities_of(db.session, org.id, actor=user),
        errors=errors or {},
        values=_values(org) if form is None or capability_errors else {
            **form.to_dict(), "vendor_profile.certifications": form.getlist("vendor_profile.certifications")},
        form=form or {},
        capability_errors=capability_errors or {},
        vocabulary=current_app.config["VOCABULARY"],
        clearances=CLEARANCES,
        changes=[(c, change_requests.before_of(c))
                 for c in db.session.scalars(change_requests.list_change_requests(actor=user))],
    ), status


@bp.get("/profile")
def profile():
    return _render_profile(_vendor_user())


def _apply(call, user, form, *, errors_for: str = "profile"):
    """Run a service call; on a domain error nothing is stored and the page shows why."""
    try:
        call()
    except DomainError as error:
        errors = refusal(error)
        if errors_for == "profile":
            return _render_profile(user, errors=errors, form=form, status=error.status_code)
        return _render_profile(user, capability_errors=errors, form=form, status=error.status_code)
    db.session.commit()
    return None


@bp.post("/profile")
def update_profile():
    user = _vendor_user()
    data, errors = load_form(OrganizationUpdateSchema(), request.form, lists=("vendor_profile.certifications",))
    if errors:
        return _render_profile(user, errors=errors, form=request.form, status=422)
    failed = _apply(lambda: organizations.update_organization(db.session, user.organization_id, data, actor=user),
                    user, request.form)
    if failed:
        return failed
    org = organizations.get_organization(db.session, user.organization_id, actor=user)
    if org.vendor_profile.pending_change is not None:
        flash(_("Saved. The raise of clearance, certifications, on-site work or seats waits for a "
                "coordinator's review; until then bids are checked against the approved values."))
    else:
        flash(_("Your profile is saved."))
    return redirect(url_for("vendor.profile"))


@bp.post("/change-requests/<int:change_request_id>/withdraw")
def withdraw_change(change_request_id: int):
    """The firm takes back its pending change request; the approved values stay as they are."""
    user = _vendor_user()
    failed = _apply(lambda: change_requests.withdraw(db.session, change_request_id, actor=user), user, None)
    if failed:
        return failed
    flash(_("Your change request is withdrawn; the approved values stay as they are."))
    return redirect(url_for("vendor.profile") + "#changes-title")


@bp.post("/capabilities")
def add_capability():
    user = _vendor_user()
    data, errors = load_form(CapabilitySchema(), request.form)
    if errors:
        return _render_profile(user, capability_errors=errors, form=request.form, status=422)
    failed = _apply(lambda: organizations.add_capability(db.session, user.organization_id, data, actor=user),
                    user, request.form, errors_for="capability")
    if failed:
        return failed
    flash(_("The capability is added."))
    return redirect(url_for("vendor.profile") + "#capabilities")


@bp.post("/capabilities/<int:capability_id>")
def change_capability(capability_id: int):
    user = _vendor_user()
    data, errors = load_form(CapabilityChangeSchema(), request.form)
    if errors:
        errors = {f"{capability_id}.{k}": v for k, v in errors.items()}
        return _render_profile(user, capability_errors=errors, form=request.form, status=422)
    failed = _apply(lambda: organizations.change_capability(db.session, user.organization_id, capability_id, data,
                                                            actor=user),
                    user, request.form, errors_for="capability")
    if failed:
        return failed
    flash(_("The capability is changed."))
    return redirect(url_for("vendor.profile") + "#capabilities")


@bp.post("/capabilities/<int:capability_id>/remove")
def remove_capability(capability_id: int):
    user = _vendor_user()
    failed = _apply(lambda: organizations.remove_capability(db.session, user.organization_id, capability_id,
                                                            actor=user),
                    user, request.form, errors_for="capability")
    if failed:
        return failed
    flash(_("The capability is removed."))
    return redirect(url_for("vendor.profile") + "#capabilities")


def _refusals(order, org, now):
    """The reasons, in the reader's language, that the firm cannot bid on `order` at all."""
    found = firm_refusals(order, org, now=now, settings=settings_of(db.session))
    return [describe(r.code, r.params, get_locale().language) for r in found]


@bp.get("/")
def dashboard():
    user = _vendor_user()
    now = utcnow()
    org = organizations.get_organization(db.session, user.organization_id, actor=user)
    mine = db.session.scalars(bids.own_bids(actor=user, now=now)).all()
    by_status: dict[str, int] = {}
    for bid in mine:
        by_status[bid.effective_status(now)] = by_status.get(bid.effective_status(now), 0) + 1
    open_orders = db.session.scalars(orders.directory_orders(now=now, status="published")).all()
    eligible = [o for o in open_orders if not _refusals(o, org, now)]
    contracts = db.session.scalars(contract_services.list_contracts(actor=user)).all()
    latest = db.session.scalars(notifications.notifications_of(actor=user, unread=True).limit(LATEST)).all()
    language = get_locale().language
    return render_template("vendor/dashboard.html", org=org, profile=org.vendor_profile,
                           by_status=by_status, eligible=eligible[:LATEST], eligible_count=len(eligible),
                           open_count=len(open_orders), contracts=contracts,
                           gaps=organizations.profile_gaps(org), parts=organizations.PROFILE_PARTS,
                           notes=[(n, *notifications.displayed(n, language)) for n in latest])


@bp.get("/opportunities")
def opportunities():
    """Open orders, each marked eligible or not with every rule that fails; by default only those
    the firm has a capability for."""
    user = _vendor_user()
    now = utcnow()
    org = organizations.get_organization(db.session, user.organization_id, actor=user)
    everything = request.args.get("all") == "1"
    kinds = {(c.modality, c.annotation_type) for c in org.vendor_profile.capabilities}
    rows = []
    for order in db.session.scalars(orders.directory_orders(now=now, status="published")):
        if everything or (order.modality, order.annotation_type) in kinds:
            rows.append((orders.public_view(order, now), _refusals(order, org, now)))
    return render_template("vendor/opportunities.html", rows=rows, everything=everything)


def _bid_page(user, order_id: int, *, errors=None, form=None, question_errors=None, status=200,
              changing=False):
    now = utcnow()
    org = organizations.get_organization(db.session, user.organization_id, actor=user)
    order = orders.get_public_order(db.session, order_id)
    live = bids.live_bid_of(db.session, order.id, org.id)
    return render_template(
        "vendor/bid.html", order=orders.public_view(order, now, amendments=True), live=live,
        changing=changing,
        open=order.bidding_open(now), refusals=_refusals(order, org, now),
        unit_ceiling=(order.budget_ceiling / order.volume) if order.budget_ceiling else None,
        errors=errors or {}, form=form or {}, question_errors=question_errors or {},
        questions=[orders.present_question(q, user, order)
                   for q in db.session.scalars(orders.questions_of(order, actor=user))],
    ), status


@bp.get("/orders/<int:order_id>/bid")
def bid_form(order_id: int):
    return _bid_page(_vendor_user(), order_id)


def _bid_input(user, order_id: int):
    """The firm's live bid on the order (None for a new one) and the form's terms, by the API's schema."""
    live = bids.live_bid_of(db.session, order_id, user.organization_id)
    schema = BidRevisionSchema() if live is not None else BidCreateSchema()
    return (live, *load_form(schema, request.form))


@bp.post("/orders/<int:order_id>/bid/check")
def check_bid(order_id: int):
    """Check your answers: the terms as the bids service would take them, nothing stored yet."""
    user = _vendor_user()
    live, data, errors = _bid_input(user, order_id)
    status = 422
    if not errors:
        try:
            bids.check_bid(db.session, order_id, data, actor=user)
        except DomainError as error:
            errors, status = refusal(error), error.status_code
        else:
            order = orders.get_public_order(db.session, order_id)
            return render_template("vendor/bid_check.html", order=orders.public_view(order, utcnow()),
                                   live=live, form=request.form, terms=BID_TERMS)
    return _bid_page(user, order_id, errors=errors, form=request.form, status=status)


@bp.post("/orders/<int:order_id>/bid/change")
def change_bid(order_id: int):
    """From the check page back to the form, with the answers as they were."""
    return _bid_page(_vendor_user(), order_id, form=request.form, changing=True)


@bp.post("/orders/<int:order_id>/bid")
def place_bid(order_id: int):
    """Submit (or revise) the bid: the bids service checks every rule again before it stores it."""
    user = _vendor_user()
    live, data, errors = _bid_input(user, order_id)
    status = 422
    if not errors:
        try:
            if live is not None:
                bid = bids.revise_bid(db.session, live.id, data, actor=user)
            else:
                bid = bids.submit_bid(db.session, order_id, data, actor=user)
        except DomainError as error:
            errors, status = refusal(error), error.status_code
        else:
            db.session.commit()
            return redirect(url_for("vendor.bid_submitted", bid_id=bid.id))
    return _bid_page(user, order_id, errors=errors, form=request.form, status=status)


@bp.get("/bids/<int:bid_id>/submitted")
def bid_submitted(bid_id: int):
    """The confirmation: the bid's reference and what happens next."""
    user = _vendor_user()
    bid = bids.get_visible_bid(db.session, bid_id, actor=user)
    return render_template("vendor/bid_submitted.html", bid=bid, order=bid.order,
                           total=bids.total_price(bid))


@bp.post("/bids/<int:bid_id>/confirm")
def confirm(bid_id: int):
    """Keep the bid as it is after a material amendment of its order (its terms must still fit)."""
    user = _vendor_user()
    bid = bids.get_visible_bid(db.session, bid_id, actor=user)
    order_id = bid.order_id
    try:
        bids.confirm_bid(db.session, bid_id, actor=user)
    except DomainError as error:
        return _bid_page(user, order_id, errors=refusal(error), status=error.status_code)
    db.session.commit()
    flash(_("Your bid is confirmed for the amended order. It stays sealed until bidding closes."))
    return redirect(url_for("vendor.bid_form", order_id=order_id))


@bp.post("/bids/<int:bid_id>/withdraw")
def withdraw(bid_id: int):
    user = _vendor_user()
    try:
        bid = bids.withdraw_bid(db.session, bid_id, actor=user)
    except DomainError:
        db.session.rollback()
        raise  # the error page says why, in the reader's language
    db.session.commit()
    flash(_("Your bid is withdrawn; you may bid again while bidding is open."))
    return redirect(url_for("vendor.bid_form", order_id=bid.order_id))


@bp.post("/orders/<int:order_id>/questions")
def ask(order_id: int):
    user = _vendor_user()
    data, errors = load_form(QuestionSchema(only=("text",)), request.form)
    status = 422
    if not errors:
        try:
            orders.ask_question(db.session, order_id, data["text"], actor=user)
        except DomainError as error:
            errors, status = refusal(error), error.status_code
        else:
            db.session.commit()
            flash(_("Your question is sent to the agency; its answer will be published on the order."))
            return redirect(url_for("vendor.bid_form", order_id=order_id))
    return _bid_page(user, order_id, question_errors=errors, form=request.form, status=status)


@bp.get("/bids")
def my_bids():
    user = _vendor_user()
    now = utcnow()
    rows = [(bid, bid_result(db.session, bid.id, actor=user, now=now))
            for bid in db.session.scalars(bids.own_bids(actor=user, now=now))]
    return render_template("vendor/bids.html", rows=rows, now=now)


@bp.get("/contracts")
def contract_list():
    """The firm's contracts: what it delivers, to whom, for how much, by when, how far along."""
    user = _vendor_user()
    rows = db.session.scalars(contract_services.list_contracts(actor=user)).all()
    return render_template("contracts.html", contracts=[(c, contract_services.done_volume(c)) for c in rows],
                           order_page="public.order", contract_page="vendor_contracts.contract",
                           back="vendor.dashboard")
