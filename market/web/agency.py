"""The agency's pages: its orders (draft, publish, cancel, copy), questions to answer, bids after
closing. Every action calls the orders and bids services the API calls."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from market import db
from market.allocations.debrief import bid_result
from market.bids import services as bids
from market.contracts import services as contracts
from market.db import utcnow
from market.errors import DomainError
from market.orders import services as orders
from market.orders.access import get_own_order
from market.orders.models import PUBLIC_FIELD_CHOICES, SAMPLING_LEVELS, Order
from market.orders.schemas import (
    AmendmentCreateSchema,
    AnswerSchema,
    CancelSchema,
    OrderSchema,
    OrderUpdateSchema,
)
from market.organizations.models import CLEARANCES
from market.settings import settings_of
from market.web.extensions import csrf
from market.web.filters import when
from market.web.forms import load_form, refusal
from market.web.session import signed_in

bp = Blueprint("agency", __name__, url_prefix="/agency")
FORM_LISTS = ("required_certifications",)
FORM_LINES = ("label_set",)
# The order's fields a copy keeps: what the work is, not when or the state it reached.
COPIED = ("description", "sector", "modality", "annotation_type", "label_set", "volume", "unit",
          "budget_ceiling", "accuracy_target", "sampling_level", "data_classification",
          "onsite_required", "required_certifications", "splittable", "max_vendors", "min_lot",
          "scoring_weights", "hidden_fields")


@bp.before_request
def _check_csrf():
    csrf.protect()


def _agency_user():
    user = signed_in()
    if user.role != "agency":
        abort(403)
    return user


@bp.get("/")
def dashboard():
    user = _agency_user()
    now = utcnow()
    mine = db.session.scalars(orders.list_orders(actor=user, now=now)).all()
    by_status: dict[str, list[Order]] = {}
    for order in mine:
        by_status.setdefault(order.effective_status(now), []).append(order)
    unanswered = orders.count(db.session, orders.questions_to_answer(actor=user))
    week = now + dt.timedelta(days=7)
    closing = [o for o in by_status.get("published", []) if o.bidding_closes_at <= week]
    return render_template("agency/dashboard.html", by_status=by_status, unanswered=unanswered,
                           closing=closing, to_read=by_status.get("evaluating", []))


def _form_context(**extra) -> dict:
    vocabulary = current_app.config["VOCABULARY"]
    return {"vocabulary": vocabulary, "clearances": CLEARANCES, "sampling_levels": SAMPLING_LEVELS,
            "public_choices": [f for f in PUBLIC_FIELD_CHOICES if f != "scoring_weights"], **extra}


def _values(order: Order | None) -> dict:
    """The form's values as the draft stands (times in the programme's zone, for datetime-local)."""
    if order is None:
        return {"hidden": {}}
    settings = settings_of(db.session)

    def local(moment):
        return moment.astimezone(settings.zone).strftime("%Y-%m-%dT%H:%M") if moment else ""

    values = {name: "" if getattr(order, name) is None else str(getattr(order, name))
              for name in ("title", "description", "sector", "modality", "annotation_type", "volume",
                           "unit", "budget_ceiling", "accuracy_target", "sampling_level",
                           "data_classification", "max_vendors", "min_lot")}
    values |= {
        "label_set": "\n".join(order.label_set or ()),
        "bidding_closes_at": local(order.bidding_closes_at),
        "delivery_deadline": local(order.delivery_deadline),
        "onsite_required": "true" if order.onsite_required else "false",
        "splittable": "true" if order.splittable else "false",
        "required_certifications": list(order.required_certifications or ()),
        "hidden": dict(order.hidden_fields or {}),
    }
    return values


def _posted_values(form=None) -> dict:
    form = request.form if form is None else form
    return {**form.to_dict(), "required_certifications": form.getlist("required_certifications"),
            "hidden": {k.split(".", 1)[1]: v for k, v in form.items() if k.startswith("hidden_fields.")}}


def _order_data(schema) -> tuple[dict, dict]:
    data, errors = load_form(schema, request.form, lists=FORM_LISTS, lines=FORM_LINES)
    if not errors:
        # The form shows every field's reason box: an emptied box makes the field public again.
        data["hidden_fields"] = data.get("hidden_fields", {})
    return data, errors


@bp.route("/orders/new", methods=["GET", "POST"])
def new_order():
    user = _agency_user()
    if request.method == "GET":
        return render_template("agency/order_form.html", order=None, values=_values(None), errors={},
                               **_form_context())
    data, errors = _order_data(OrderSchema())
    if not errors:
        try:
            order = orders.create_order(db.session, data, actor=user)
        except DomainError as error:
            errors = refusal(error)
        else:
            db.session.commit()
            flash(_("The draft is saved. Publish it when it is complete."))
            return redirect(url_for("agency.order", order_id=order.id))
    return render_template("agency/order_form.html", order=None, values=_posted_values(), errors=errors,
                           **_form_context()), 422


@bp.route("/orders/<int:order_id>/edit", methods=["GET", "POST"])
def edit_order(order_id: int):
    user = _agency_user()
    order = get_own_order(db.session, order_id, actor=user)
    if request.method == "GET":
        return render_template("agency/order_form.html", order=order, values=_values(order), errors={},
                               **_form_context())
    data, errors = _order_data(OrderUpdateSchema())
    if not errors:
        try:
            orders.update_order(db.session, order_id, data, actor=user)
        except DomainError as error:
            errors = refusal(error)
        else:
            db.session.commit()
            if request.form.get("then") == "publish":
                return _publish(user, order_id)
            flash(_("The draft is saved."))
            return redirect(url_for("agency.order", order_id=order_id))
    return render_template("agency/order_form.html", order=order, values=_posted_values(), errors=errors,
                           **_form_context()), 422


def _publish(user, order_id: int):
    try:
        orders.publish_order(db.session, order_id, actor=user)
    except DomainError as error:
        errors = refusal(error)
        order = get_own_order(db.session, order_id, actor=user)
        return render_template("agency/order_form.html", order=order, values=_values(order), errors=errors,
                               publishing=True, **_form_context()), error.status_code
    db.session.commit()
    flash(_("The order is published: it is in the public directory and open for bids."))
    return redirect(url_for("agency.order", order_id=order_id))


@bp.post("/orders/<int:order_id>/publish")
def publish(order_id: int):
    return _publish(_agency_user(), order_id)


@bp.get("/orders/<int:order_id>")
def order(order_id: int):
    user = _agency_user()
    now = utcnow()
    found = get_own_order(db.session, order_id, actor=user)
    questions = db.session.scalars(orders.questions_of(found, actor=user)).all()
    bid_rows, sealed = [], found.bids_sealed(now)
    if found.status != "draft" and not sealed:
        for bid in db.session.scalars(bids.bids_on_order(db.session, order_id, actor=user, now=now)):
            bid_rows.append((bid, bid_result(db.session, bid.id, actor=user, now=now)))
    return render_template("agency/order.html", order=found, status=found.effective_status(now),
                           entry=orders.directory_entry(found, now, amendments=True)
                           if found.was_published else None,
                           amendments=db.session.scalars(orders.amendments_of(found)).all(),
                           open=found.bidding_open(now),
                           questions=questions, bids=bid_rows, sealed=sealed, errors={})


@bp.get("/orders/<int:order_id>/preview")
def preview(order_id: int):
    """The order as vendors and the public will see it once published (hidden fields left out)."""
    user = _agency_user()
    found = get_own_order(db.session, order_id, actor=user)
    return render_template("order.html", order=orders.directory_entry(found, utcnow(), amendments=True),
                           questions=[], preview=True)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _amended_form(form, values: dict) -> tuple[MultiDict, tuple[str, ...], dict]:
    """The fields the agency changed: the form shows every amendable field as it stands, and only
    what differs is the amendment. A field emptied is an error, as a null is for the API: an
    amendment changes a value, never clears it."""
    changed, lists, emptied = MultiDict({"note": form.get("note", "")}), (), {}
    for name in orders.AMENDABLE_FIELDS:
        if name in FORM_LISTS:
            if sorted(form.getlist(name)) != sorted(values[name]):
                changed.setlist(name, form.getlist(name))
                lists = (name,)
            continue
        sent, before = form.get(name, ""), values.get(name, "")
        same = _lines(sent) == _lines(before) if name in FORM_LINES else sent.strip() == before.strip()
        if same:
            continue
        if sent.strip():
            changed[name] = sent
        else:
            emptied[name] = ["Field may not be null."]
    return changed, lists, emptied


def _amendment_input(form, values: dict) -> tuple[dict, dict]:
    """The amendment the form asks for, by the API's schema: (data, {}) or ({}, field errors)."""
    changed, lists, emptied = _amended_form(form, values)
    data, errors = load_form(AmendmentCreateSchema(), changed, lists=lists, lines=FORM_LINES)
    return (data, {}) if not errors and not emptied else ({}, errors | emptied)


def _as_sent(form, values: dict) -> MultiDict:
    """The whole amendment form again from the check page, which sends only the fields the agency
    changed (named in `changed`): the others as the order stands now. So what someone else
    amended meanwhile is not put back."""
    sent = set(form.getlist("changed")) & set(orders.AMENDABLE_FIELDS)
    whole = MultiDict({"note": form.get("note", "")})
    for name in orders.AMENDABLE_FIELDS:
        if name in FORM_LISTS:
            for value in form.getlist(name) if name in sent else values[name]:
                whole.add(name, value)
        elif name in values:
            whole[name] = form.get(name, "") if name in sent else values[name]
    return whole


def _amend_form(found, form, errors: dict, status: int = 200):
    return render_template("agency/amend.html", order=found, values=_posted_values(form), errors=errors,
                           **_form_context()), status


def _amend_check(user, found, form, values: dict, *, moved_on=None):
    """The check page of the amendment in `form`, or the form again with its errors."""
    data, errors = _amendment_input(form, values)
    status = 422
    if not errors:
        try:
            changes, material = orders.check_amendment(db.session, found.id, data, actor=user)
        except DomainError as error:
            errors, status = refusal(error), error.status_code
        else:
            edited = [name for name in orders.AMENDABLE_FIELDS if name in data]
            sent = [(name, form.getlist(name)) for name in edited]
            closes = changes.get("bidding_closes_at", {}).get("after") or found.bidding_closes_at
            return render_template(
                "agency/amend_check.html", order=found, changes=changes, material=material,
                note=form.get("note", ""), sent=sent, edited=edited, version=len(found.amendments),
                closes=dt.datetime.fromisoformat(closes) if isinstance(closes, str) else closes,
                moved_on=moved_on), 409 if moved_on else 200
    return _amend_form(found, form, errors, status)


@bp.route("/orders/<int:order_id>/amend", methods=["GET", "POST"])
def amend(order_id: int):
    """Amend a published order while bidding is open, with a note; the vendors who bid or asked are
    told. The form (GET) goes to the check page; the check page's answers are published here."""
    user = _agency_user()
    found = get_own_order(db.session, order_id, actor=user)
    orders.require_amendable(found, utcnow())
    values = _values(found)
    if request.method == "GET":
        return render_template("agency/amend.html", order=found, values=values, errors={}, **_form_context())
    form = _as_sent(request.form, values)
    if request.form.get("version") != str(len(found.amendments)):
        # Someone amended the order after this agency checked its answers: check them again.
        return _amend_check(user, found, form, values, moved_on=len(found.amendments))
    data, errors = _amendment_input(form, values)
    status = 422
    if not errors:
        try:
            amendment = orders.amend_order(db.session, order_id, data, actor=user)
        except DomainError as error:
            errors, status = refusal(error), error.status_code
        else:
            db.session.commit()
            if amendment.material:
                flash(_("The order is amended (version %(version)s). The change is material: bidding stays "
                        "open until %(when)s and every vendor who bid must confirm or revise its bid.",
                        version=amendment.version, when=when(found.bidding_closes_at)))
            else:
                flash(_("The order is amended (version %(version)s); the vendors who bid or asked are told.",
                        version=amendment.version))
            return redirect(url_for("agency.order", order_id=order_id) + "#amendments-title")
    return _amend_form(get_own_order(db.session, order_id, actor=user), form, errors, status)


@bp.post("/orders/<int:order_id>/amend/check")
def check_amendment(order_id: int):
    """Check your answers: what changes, old and new, as the orders service would take it; nothing
    stored yet."""
    user = _agency_user()
    found = get_own_order(db.session, order_id, actor=user)
    orders.require_amendable(found, utcnow())
    return _amend_check(user, found, request.form, _values(found))


@bp.post("/orders/<int:order_id>/amend/change")
def change_amendment(order_id: int):
    """From the check page back to the form, with the answers as they were."""
    user = _agency_user()
    found = get_own_order(db.session, order_id, actor=user)
    orders.require_amendable(found, utcnow())
    return _amend_form(found, _as_sent(request.form, _values(found)), {})


@bp.get("/contracts")
def contract_list():
    """The contracts of the agency's orders: who delivers what, for how much, by when, how far along."""
    user = _agency_user()
    rows = db.session.scalars(contracts.list_contracts(actor=user)).all()
    return render_template("contracts.html", contracts=[(c, contracts.done_volume(c)) for c in rows],
                           order_page="agency.order", contract_page="agency_contracts.contract",
                           back="agency.dashboard")


@bp.post("/orders/<int:order_id>/delete")
def delete(order_id: int):
    user = _agency_user()
    try:
        orders.delete_order(db.session, order_id, actor=user)
    except DomainError:
        db.session.rollback()
        raise  # the error page says why, in the reader's language
    db.session.commit()
    flash(_("The draft is deleted."))
    return redirect(url_for("agency.dashboard"))


@bp.post("/orders/<int:order_id>/cancel")
def cancel(order_id: int):
    user = _agency_user()
    data, errors = load_form(CancelSchema(), request.form)
    if not errors:
        try:
            orders.cancel_order(db.session, order_id, actor=user, reason=data["reason"])
        except DomainError as error:
            errors = refusal(error)
        else:
            db.session.commit()
            flash(_("The order is cancelled; the vendors who bid are told why."))
            return redirect(url_for("agency.order", order_id=order_id))
    found = get_own_order(db.session, order_id, actor=user)
    return render_template("agency/order.html", order=found, status=found.effective_status(utcnow()),
                           entry=None, questions=[], bids=[], sealed=True, errors=errors), 422


@bp.post("/orders/<int:order_id>/copy")
def copy(order_id: int):
    """A new draft with what the order asks for; its dates and state start afresh."""
    user = _agency_user()
    source = get_own_order(db.session, order_id, actor=user)
    data = {"title": _("Copy of %(title)s", title=source.title)[:200]}
    data |= {name: getattr(source, name) for name in COPIED if getattr(source, name) is not None}
    try:
        draft = orders.create_order(db.session, data, actor=user)
    except DomainError:
        db.session.rollback()
        raise  # the error page says why, in the reader's language
    db.session.commit()
    flash(_("A new draft is made from the order; set its dates and publish it."))
    return redirect(url_for("agency.edit_order", order_id=draft.id))


@bp.get("/questions")
def questions():
    user = _agency_user()
    pending = db.session.scalars(orders.questions_to_answer(actor=user)).all()
    return render_template("agency/questions.html", questions=pending, errors={})


@bp.post("/questions/<int:question_id>/answer")
def answer(question_id: int):
    user = _agency_user()
    data, errors = load_form(AnswerSchema(), request.form)
    status = 422
    if not errors:
        try:
            orders.answer_question(db.session, question_id, data["answer"], actor=user)
        except DomainError as error:
            errors, status = refusal(error), error.status_code
    if errors:
        errors = {f"answer-{question_id}": errors.get("answer") or [m for ms in errors.values() for m in ms]}
        pending = db.session.scalars(orders.questions_to_answer(actor=user)).all()
        return render_template("agency/questions.html", questions=pending, errors=errors), status
    db.session.commit()
    flash(_("The answer is published on the order for every vendor."))
    return redirect(url_for("agency.questions"))
