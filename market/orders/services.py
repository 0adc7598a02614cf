"""Orders: who may see them, their lifecycle, drafting and publishing, questions and the public directory."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import and_, case, false, func, or_, select
from sqlalchemy.orm import Session, selectinload

from market.accounts.models import User
from market.allocations.proposals import approved_by_order, close_open_proposals
from market.audit import services as audit
from market.bids.lifecycle import BID_LIFECYCLE
from market.bids.models import Bid
from market.bids.reasons import describe
from market.db import utcnow
from market.errors import Conflict, InvalidInput
from market.i18n import N_
from market.labels import Label
from market.matching.scoring import validate_weights
from market.notifications.services import notify, users_of
from market.notifications.texts import PerReader
from market.orders import freshness, search  # noqa: F401  (freshness: every writer raises the version)
from market.orders.access import get_own_order, get_visible_order, oversees
from market.orders.awards import award_notice
from market.orders.lifecycle import ORDER_LIFECYCLE
from market.orders.models import (
    PUBLIC_FIELD_CHOICES,
    REQUIRED_TO_PUBLISH,
    Order,
    OrderAmendment,
    Question,
)
from market.organizations.models import Organization, VendorProfile
from market.permissions import not_found, require_role, require_same_org
from market.settings import settings_of
from market.text import require_reason, says_nothing

# Cancelled and unsuccessful orders stay listed (with that status) once they were published:
# a demand that vanished without trace would make the directory less transparent, not more.
DIRECTORY_STATUSES = (
    "published", "evaluating", "awarded", "in_progress", "completed", "cancelled", "unsuccessful",
)
DIRECTORY_CSV_MAX_ROWS = 10_000
# The directory's orders of listing: a field, "-" first for the largest or latest first.
DIRECTORY_SORTS = (
    "-published_at", "published_at", "bidding_closes_at", "-bidding_closes_at", "delivery_deadline",
    "-delivery_deadline", "-budget_ceiling", "budget_ceiling", "-volume", "volume",
)


def list_orders(
    *, actor, now: dt.datetime | None = None, status=None, sector=None, modality=None, q=None,
    agency_id=None, vendor_id=None, published_after=None, published_before=None,
):
    """Agencies list their own orders in every state; everyone else the orders that were published.
    `vendor_id`: the orders awarded (in part) to that vendor."""
    now = now or utcnow()
    stmt = select(Order).options(selectinload(Order.agency))
    if actor.role == "agency":
        stmt = stmt.where(Order.agency_id == actor.organization_id)
    else:
        stmt = stmt.where(Order.was_published)
    if status:
        stmt = stmt.where(Order.in_effective_status(now, status))
    if sector:
        stmt = stmt.where(Order.sector == sector)
    if modality:
        stmt = stmt.where(Order.modality == modality)
    if q:
        stmt = stmt.where(or_(Order.title.icontains(q, autoescape=True),
                              Order.description.icontains(q, autoescape=True)))
    if agency_id:
        stmt = stmt.where(Order.agency_id == agency_id)
    if vendor_id:
        stmt = stmt.where(Order.id.in_(select(Bid.order_id).where(Bid.vendor_id == vendor_id,
                                                                  Bid.status == "awarded")))
    if published_after is not None:
        stmt = stmt.where(Order.published_at >= published_after)
    if published_before is not None:
        stmt = stmt.where(Order.published_at <= published_before)
    return stmt.order_by(Order.created_at.desc(), Order.id.desc())


def _blame(changed: set, first: str, second: str) -> str:
    """The field to name when two fields disagree: the one the caller changed, else `first`."""
    return second if second in changed and first not in changed else first


MAX_DELIVERY_WINDOW = dt.timedelta(days=3 * 365)
MAX_BIDDING_PERIOD = dt.timedelta(days=365)


def _rule_errors(values: dict, changed: set, now: dt.datetime) -> dict:
    """Rules across fields, checked on the order as it would be after the change; a rule whose
    fields a draft leaves empty waits for publishing."""
    errors = {}
    if values.get("scoring_weights") is not None:
        try:
            validate_weights(values["scoring_weights"])
        except ValueError as exc:
            errors["scoring_weights"] = [str(exc)]
    closes, deadline = values.get("bidding_closes_at"), values.get("delivery_deadline")
    if closes is not None and deadline is not None and closes >= deadline:
        field = _blame(changed, "bidding_closes_at", "delivery_deadline")
        errors[field] = ["Bidding must close before the delivery deadline."]
    elif closes is not None and deadline is not None and deadline - closes > MAX_DELIVERY_WINDOW:
        # Annotation work is planned in weeks and months; a far-off deadline is a typo, and the
        # engine's capacity calendar would have to span it.
        field = _blame(changed, "delivery_deadline", "bidding_closes_at")
        errors[field] = [
            f"The delivery deadline must be within {MAX_DELIVERY_WINDOW.days // 365} years "
            "of the bidding closing time."
        ]
    if closes is not None and closes - now > MAX_BIDDING_PERIOD:
        errors["bidding_closes_at"] = [
            f"Bidding must close within {MAX_BIDDING_PERIOD.days} days."]
    min_lot, volume = values.get("min_lot"), values.get("volume")
    if min_lot is not None and volume is not None and min_lot > volume:
        errors[_blame(changed, "min_lot", "volume")] = [
            f"The minimum lot ({min_lot}) cannot exceed the volume ({volume})."
        ]
    if not values.get("splittable") and values.get("max_vendors") not in (None, 1):
        errors[_blame(changed, "max_vendors", "splittable")] = [
            "An order that is not splittable goes to one vendor: max_vendors must be 1 or empty."
        ]
    return errors


def _check_rules(values: dict, changed: set, now: dt.datetime) -> None:
    errors = _rule_errors(values, changed, now)
    if errors:
        raise InvalidInput(
            "The order breaks rules between its fields; see 'errors'.", errors=errors
        )


def _hidden_fields(current: dict, data: dict) -> dict:
    """The fields the directory will hide, each with its reason, after `data` is applied.

    `hidden_fields` replaces the map; `public_fields` (what clients wrote before every field was
    public by default) shows the fields it lists, so it may not name one `hidden_fields` hides.
    """
    hidden = dict(current if "hidden_fields" not in data else data["hidden_fields"] or {})
    errors = {}
    for name, reason in list(hidden.items()):
        if name not in PUBLIC_FIELD_CHOICES:
            errors[f"hidden_fields.{name}"] = [
                f"Not a field the directory shows; one of: {', '.join(PUBLIC_FIELD_CHOICES)}."]
            continue
        try:
            hidden[name] = require_reason(reason, field=f"hidden_fields.{name}")
        except InvalidInput as exc:
            errors.update(exc.errors)
    for name in data.get("public_fields") or ():
        if name in hidden and name in (data.get("hidden_fields") or {}):
            errors["public_fields"] = [f"{name} is listed as hidden in hidden_fields too."]
        hidden.pop(name, None)
    if errors:
        raise InvalidInput("Each hidden field needs a reason the public can read.", errors=errors)
    return hidden


def _stored(data: dict) -> dict:
    """The input as columns: `public_fields` is not one any more, it only shapes `hidden_fields`."""
    return {key: value for key, value in data.items() if key != "public_fields"}


def create_order(session: Session, data: dict, *, actor, now: dt.datetime | None = None) -> Order:
    """A new draft of `actor`'s agency (agency staff)."""
    require_role(actor, "agency")
    _check_rules(data, set(data), now or utcnow())
    data = _stored(data) | {"hidden_fields": _hidden_fields({}, data)}
    order = Order(agency_id=actor.organization_id, created_by_id=actor.id, status="draft", **data)
    if now is not None:
        order.created_at = order.updated_at = now
    session.add(order)
    session.flush()  # the audit event needs the id
    audit.record(session, "order.created", actor=actor, object_type="order", object_id=order.id,
                 organization_id=order.agency_id, data=data, occurred_at=now)
    return order


DRAFT_ONLY = {
    "edited": N_("Order %(order)s is “%(status)s”; only a draft can be edited."),
    "deleted": N_("Order %(order)s is “%(status)s”; only a draft can be deleted."),
    "published": N_("Order %(order)s is “%(status)s”; only a draft can be published."),
}


def _require_draft(order: Order, now: dt.datetime, doing: str) -> None:
    if order.status != "draft":
        status = order.effective_status(now)
        raise Conflict(DRAFT_ONLY[doing], errors={"status": [status]},
                       params={"order": order.id, "status": Label(status, "status")})


EDITABLE_FIELDS = (
    "title", "description", "sector", "modality", "annotation_type", "label_set", "volume", "unit",
    "budget_ceiling", "bidding_closes_at", "delivery_deadline", "accuracy_target", "sampling_level",
    "aql", "data_classification", "onsite_required", "required_certifications", "splittable",
    "max_vendors", "min_lot", "scoring_weights", "hidden_fields",
)


def update_order(
    session: Session, order_id: int, data: dict, *, actor, now: dt.datetime | None = None
) -> Order:
    """Change a draft of `actor`'s agency; the rules between fields are checked on the merged result."""
    require_role(actor, "agency")
    order = get_own_order(session, order_id, actor=actor, for_update=True)
    now = now or utcnow()
    _require_draft(order, now, "edited")
    merged = {name: getattr(order, name) for name in EDITABLE_FIELDS}
    merged.update(data)
    _check_rules(merged, set(data), now)
    if "hidden_fields" in data or "public_fields" in data:
        data = _stored(data) | {"hidden_fields": _hidden_fields(order.hidden_fields, data)}
    changes = {}
    for key, value in data.items():
        if getattr(order, key) != value:
            changes[key] = value
            setattr(order, key, value)
    if changes:
        audit.record(session, "order.updated", actor=actor, object_type="order", object_id=order.id,
                     organization_id=order.agency_id, data=changes, occurred_at=now)
    return order


def delete_order(session: Session, order_id: int, *, actor, now: dt.datetime | None = None) -> None:
    """Delete a draft of `actor`'s agency for good; the audit trail keeps what it was."""
    require_role(actor, "agency")
    now = now or utcnow()
    order = get_own_order(session, order_id, actor=actor, for_update=True)
    _require_draft(order, now, "deleted")
    audit.record(session, "order.deleted", actor=actor, object_type="order", object_id=order.id,
                 organization_id=order.agency_id,
                 data={"title": order.title, "sector": order.sector, "volume": order.volume,
                       "budget_ceiling": order.budget_ceiling}, occurred_at=now)
    session.delete(order)


def _completeness_errors(values: dict) -> dict:
    """What a published order may not lack, on the order as it is or would be."""
    errors = {name: [N_("Required to publish.")] for name in REQUIRED_TO_PUBLISH
              if values.get(name) is None}
    if says_nothing(values.get("description")):
        errors["description"] = [N_("Required to publish: say what is to be annotated and how.")]
    if not values.get("label_set"):
        errors["label_set"] = [N_("Required to publish: give at least one label.")]
    return errors


def _combination_errors(order: Order, table) -> dict:
    """A modality, annotation type and unit that make sense together, from the configured table."""
    modality, kind, unit = order.modality, order.annotation_type, order.unit
    if None in (modality, kind, unit):
        return {}
    kinds = table.get(modality) or {}
    allowed = "; ".join(f"{name} ({', '.join(units)})" for name, units in kinds.items())
    if not kinds:
        return {"modality": [f"No annotation types are configured for {modality} data."]}
    if kind not in kinds:
        return {"annotation_type": [
            f"{modality} data is not annotated with {kind}; for {modality} the annotation types "
            f"(and units) allowed are: {allowed}."]}
    if unit not in kinds[kind]:
        return {"unit": [
            f"{modality} {kind} is not counted in {unit}; the units allowed are: "
            f"{', '.join(kinds[kind])}."]}
    return {}


def publish_order(
    session: Session, order_id: int, *, actor, now: dt.datetime | None = None
) -> Order:
    """Open a draft of `actor`'s agency for bidding once it is complete and coherent: every field
    an order needs, the rules between them, a sensible modality, annotation type and unit, and a
    closing time still ahead. Every field in the way is named at once."""
    require_role(actor, "agency")
    order = get_own_order(session, order_id, actor=actor, for_update=True)
    now = now or utcnow()
    _require_draft(order, now, "published")
    values = {name: getattr(order, name) for name in EDITABLE_FIELDS}
    errors = _rule_errors(values, set(), now) | _completeness_errors(values)
    errors = _combination_errors(order, settings_of(session).annotation_combinations) | errors
    if order.bidding_closes_at is not None and order.bidding_closes_at <= now:
        errors.setdefault("bidding_closes_at", []).append(
            "Must be in the future to publish; move it (and the deadline, if needed) ahead first.")
    if errors:
        raise InvalidInput(
            f"Order {order.id} cannot be published yet; see 'errors' for each field.",
            errors=errors,
        )
    ORDER_LIFECYCLE.transition(session, order, "published", actor=actor,
                               organization_id=order.agency_id, now=now)
    return order


def cancel_order(
    session: Session, order_id: int, *, actor, reason: str, now: dt.datetime | None = None
) -> Order:
    """Cancel a draft, published or evaluating order (its agency or a coordinator) and tell the vendors
    who bid on it."""
    require_role(actor, "agency", "coordinator")
    order = get_visible_order(session, order_id, actor=actor, for_update=True)
    if actor.role == "agency":
        require_same_org(actor, order.agency_id, "order", order.id)
    if approved_by_order(session, [order.id]):
        raise Conflict(
            N_("Order %(order)s already has approved matches with contracts; it cannot be cancelled."),
            params={"order": order.id})
    ORDER_LIFECYCLE.transition(
        session,
        order,
        "cancelled",
        actor=actor,
        organization_id=order.agency_id,
        reason=reason,
        now=now,
    )
    live_bids = session.scalars(
        select(Bid)
        .where(Bid.order_id == order.id, Bid.status == "submitted")
        .order_by(Bid.id)
        .with_for_update()
    ).all()
    # Nothing can become of these bids or proposals any more; close them instead of leaving them live.
    for bid in live_bids:
        BID_LIFECYCLE.transition(
            session,
            bid,
            "rejected",
            actor=actor,
            organization_id=bid.vendor_id,
            reason="order_cancelled_because",  # with the order's reason: bids.reasons
            now=now,
        )
    close_open_proposals(session, order, actor=actor, why="order cancelled", now=now)
    vendor_ids = sorted({bid.vendor_id for bid in live_bids})
    recipients = [
        user for vendor_id in vendor_ids for user in users_of(session, vendor_id, roles=["vendor"])
    ]
    notify(session, recipients, "order.cancelled",
           {"order_id": order.id, "title": order.title, "reason": reason}, now=now)
    return order


# Amendments --------------------------------------------------------------------------------------

AMENDABLE_FIELDS = (
    "description", "label_set", "volume", "budget_ceiling", "bidding_closes_at",
    "delivery_deadline", "accuracy_target", "sampling_level", "aql", "data_classification",
    "onsite_required", "required_certifications",
)
# A change to these alters what a bid promises or costs: bids must be confirmed again, and firms
# get time to do it.
MATERIAL_FIELDS = frozenset({
    "volume", "budget_ceiling", "delivery_deadline", "accuracy_target", "sampling_level", "aql",
    "data_classification", "onsite_required", "required_certifications",
})
EXTEND_ONLY = ("bidding_closes_at", "delivery_deadline")


def _api_value(value, settings):
    """A field's value as the API writes it, to keep in an amendment's before and after."""
    if isinstance(value, dt.datetime):
        return settings.local_isoformat(value)
    if isinstance(value, Decimal):
        return str(value)
    return value


def _amendment_changes(order: Order, data: dict, *, now: dt.datetime, settings) -> tuple[dict, bool]:
    """The new values of the fields that change, with bidding kept open long enough after a
    material change; 422 for anything an amendment may not do."""
    changes = {name: data[name] for name in AMENDABLE_FIELDS
               if name in data and data[name] != getattr(order, name)}
    if not changes:
        raise InvalidInput("The amendment changes nothing; give the fields that change.",
                           errors={"_body": ["Nothing would change."]})
    errors = {}
    for name in EXTEND_ONLY:
        if name in changes and changes[name] <= getattr(order, name):
            errors[name] = [f"Can only be extended: later than "
                            f"{settings.local_isoformat(getattr(order, name))}."]
    material = bool(MATERIAL_FIELDS & set(changes))
    if material:
        # Rounded up to the second, so the time written back reads cleanly and is never short.
        floor = (now + dt.timedelta(days=settings.amendment_min_open_days, seconds=1)).replace(
            microsecond=0)
        if changes.get("bidding_closes_at", order.bidding_closes_at) < floor:
            changes["bidding_closes_at"] = floor
    merged = {name: getattr(order, name) for name in EDITABLE_FIELDS} | changes
    errors = _rule_errors(merged, set(changes), now) | _completeness_errors(merged) | errors
    if material and "bidding_closes_at" in errors and "bidding_closes_at" not in data:
        errors["bidding_closes_at"].append(
            f"A change of volume, budget, deadline or requirements keeps bidding open for "
            f"{settings.amendment_min_open_days} days, until "
            f"{settings.local_isoformat(changes['bidding_closes_at'])}; extend the delivery "
            "deadline beyond it.")
    if errors:
        raise InvalidInput("The amendment cannot be made; see 'errors'.", errors=errors)
    return changes, material


def require_amendable(order: Order, now: dt.datetime) -> None:
    """Only a published order still open for bidding is amended (409 otherwise)."""
    if not order.bidding_open(now):
        status = order.effective_status(now)
        raise Conflict(
            N_("Order %(order)s is “%(status)s”; only a published order open for bidding is amended."),
            errors={"status": [status]}, params={"order": order.id, "status": Label(status, "status")})


def _before_after(order: Order, changes: dict, settings) -> dict:
    """Each changed field's value before and after, as the API writes them."""
    return {name: {"before": _api_value(getattr(order, name), settings),
                   "after": _api_value(value, settings)} for name, value in changes.items()}


def check_amendment(session: Session, order_id: int, data: dict, *, actor,
                    now: dt.datetime | None = None) -> tuple[dict, bool]:
    """What `amend_order` would change ({field: {"before", "after"}}, bidding kept open longer
    after a material change included) and whether the change is material, by the same rules,
    storing nothing: the step where the agency checks its answers. The step that publishes the
    amendment calls `amend_order`, which checks everything again."""
    require_role(actor, "agency")
    order = get_own_order(session, order_id, actor=actor)
    now = now or utcnow()
    require_amendable(order, now)
    require_reason(data.get("note"), field="note")
    settings = settings_of(session)
    changes, material = _amendment_changes(order, data, now=now, settings=settings)
    return _before_after(order, changes, settings), material


def amend_order(session: Session, order_id: int, data: dict, *, actor,
                now: dt.datetime | None = None) -> OrderAmendment:
    """A versioned change to a published order of `actor`'s agency while bidding is open, with a
    note saying why. Everyone who bid or asked is told. A material change (volume, budget,
    deadline, requirements) keeps bidding open at least `amendment_min_open_days` and asks every
    live bid to be confirmed or revised before closing, else it lapses then."""
    require_role(actor, "agency")
    order = get_own_order(session, order_id, actor=actor, for_update=True)
    now = now or utcnow()
    require_amendable(order, now)
    note = require_reason(data.get("note"), field="note")
    settings = settings_of(session)
    changes, material = _amendment_changes(order, data, now=now, settings=settings)
    amendment = OrderAmendment(
        order_id=order.id,
        version=len(order.amendments) + 1,  # the order row is locked: versions cannot race
        changes=_before_after(order, changes, settings),
        note=note,
        material=material,
        amended_by_id=actor.id,
        amended_at=now,
    )
    for name, value in changes.items():
        setattr(order, name, value)
    order.amendments.append(amendment)
    session.flush()  # the audit event needs the amendment's id
    audit.record(session, "order.amended", actor=actor, object_type="order", object_id=order.id,
                 organization_id=order.agency_id,
                 data={"amendment_id": amendment.id, "version": amendment.version,
                       "changes": amendment.changes, "note": note, "material": material},
                 occurred_at=now)
    live_bids = session.scalars(
        select(Bid).where(Bid.order_id == order.id, Bid.status == "submitted")
        .order_by(Bid.id).with_for_update()
    ).all()
    if material:
        for bid in live_bids:
            bid.confirmation_requested_at = now
            # Sealed like the bid: the event belongs to the vendor's organisation.
            audit.record(session, "bid.confirmation_requested", actor=actor, object_type="bid",
                         object_id=bid.id, organization_id=bid.vendor_id,
                         data={"order_id": order.id, "amendment_version": amendment.version},
                         occurred_at=now)
    _tell_amendment(session, order, amendment, bidders={b.vendor_id for b in live_bids}, now=now)
    return amendment


def _tell_amendment(session: Session, order: Order, amendment: OrderAmendment, *, bidders: set,
                    now: dt.datetime) -> None:
    askers = set(session.scalars(select(Question.vendor_id).where(Question.order_id == order.id)))
    settings = settings_of(session)
    for vendor_id in sorted(bidders | askers):
        confirm = amendment.material and vendor_id in bidders
        notify(session, users_of(session, vendor_id, roles=["vendor"]), "order.amended", {
            "order_id": order.id, "title": order.title, "version": amendment.version,
            "fields": sorted(amendment.changes), "note": amendment.note,
            "bidding_closes_at": settings.local_isoformat(order.bidding_closes_at),
            "confirmation_required": confirm,
        }, now=now)


def amendments_of(order: Order):
    """An order's amendments, oldest first."""
    return select(OrderAmendment).where(OrderAmendment.order_id == order.id).order_by(
        OrderAmendment.version)


LAPSE_CODE = "bid.unconfirmed_after_amendment"


def close_bidding(session: Session, order: Order, *, now: dt.datetime, actor=None,
                  data: dict | None = None) -> None:
    """Move a published order whose closing time has passed to evaluating (the system acts, or the
    matching run that found it first); bids still unconfirmed after a material amendment lapse."""
    ORDER_LIFECYCLE.transition(session, order, "evaluating", actor=actor,
                               organization_id=order.agency_id, data=data, now=now)
    lapse_unconfirmed_bids(session, order, actor=actor, now=now)
    notify(session, users_of(session, order.agency_id, roles=["agency"]), "order.evaluating",
           {"order_id": order.id, "title": order.title}, now=now)


def lapse_unconfirmed_bids(session: Session, order: Order, *, actor=None,
                           now: dt.datetime) -> list[Bid]:
    """Bids of `order` whose vendor neither confirmed nor revised them after a material amendment
    lapse at closing, with that reason (a code and its parameters beside the message); each
    vendor is told."""
    unconfirmed = session.scalars(
        select(Bid)
        .where(Bid.order_id == order.id, Bid.status == "submitted",
               Bid.confirmation_requested_at.is_not(None))
        .order_by(Bid.id)
        .with_for_update()
    ).all()
    version = max((a.version for a in order.amendments if a.material), default=None)
    params = {"order_id": order.id, "amendment_version": version}
    for bid in unconfirmed:
        BID_LIFECYCLE.transition(session, bid, "lapsed", actor=actor, organization_id=bid.vendor_id,
                                 reason="bid_lapsed", data={"code": LAPSE_CODE, "params": params},
                                 now=now)
        notify(session, users_of(session, bid.vendor_id, roles=["vendor"]), "bid.lapsed",
               {"order_id": order.id, "title": order.title, "bid_id": bid.id, "code": LAPSE_CODE,
                "params": params, "reason": PerReader(lambda language: describe("bid_lapsed", language=language))},
               now=now)
    return list(unconfirmed)


def due_for_closing(now: dt.datetime):
    """Published orders past their closing time, locked; rows another worker holds are skipped."""
    return (
        select(Order)
        .where(Order.status == "published", Order.bidding_closes_at <= now)
        .order_by(Order.id)
        .with_for_update(skip_locked=True)
    )


# Clarification questions -------------------------------------------------------------------------


def questions_of(order: Order, *, actor):
    """Questions `actor` may read: all for the agency and coordinators; else the answered ones,
    plus a vendor's own (the public, `actor` None, reads the answered ones)."""
    stmt = select(Question).where(Question.order_id == order.id).order_by(Question.id)
    if actor is not None and oversees(actor, order):
        return stmt
    is_vendor = actor is not None and actor.role == "vendor"
    own = Question.vendor_id == actor.organization_id if is_vendor else false()
    return stmt.where(or_(Question.answered_at.is_not(None), own))


def present_question(question: Question, actor, order: Order) -> dict:
    """The question as `actor` may see it: the asker is hidden from everyone else."""
    reveal = actor is not None and (oversees(actor, order) or (
        actor.role == "vendor" and actor.organization_id == question.vendor_id
    ))
    return {
        "id": question.id,
        "order_id": question.order_id,
        "text": question.text,
        "vendor_id": question.vendor_id if reveal else None,
        "asked_by_id": question.asked_by_id if reveal else None,
        "asked_at": question.asked_at,
        "answer": question.answer,
        "answered_by_id": question.answered_by_id,
        "answered_at": question.answered_at,
    }


def ask_question(
    session: Session, order_id: int, text: str, *, actor, now: dt.datetime | None = None
) -> Question:
    """A vendor's clarification question, taken while bidding is open; the agency is told."""
    require_role(actor, "vendor")
    order = get_visible_order(session, order_id, actor=actor)
    now = now or utcnow()
    if not order.bidding_open(now):
        status = order.effective_status(now)
        raise Conflict(
            N_("Order %(order)s is “%(status)s”; questions are taken only while bidding is open."),
            errors={"status": [status]}, params={"order": order.id, "status": Label(status, "status")})
    question = Question(order_id=order.id, asked_by_id=actor.id, vendor_id=actor.organization_id,
                        text=text, asked_at=now)
    session.add(question)
    session.flush()  # the audit event and the notification need the id
    audit.record(
        session,
        "question.asked",
        actor=actor,
        object_type="question",
        object_id=question.id,
        organization_id=order.agency_id,
        data={"order_id": order.id},
        occurred_at=now,
    )
    notify(
        session,
        users_of(session, order.agency_id, roles=["agency"]),
        "question.asked",
        {"order_id": order.id, "title": order.title, "question_id": question.id, "question": text},
        now=now,
    )
    return question


def questions_to_answer(*, actor):
    """The questions on `actor`'s agency's orders that wait for an answer, oldest first."""
    require_role(actor, "agency")
    return (select(Question).join(Order, Order.id == Question.order_id)
            .where(Order.agency_id == actor.organization_id, Question.answered_at.is_(None))
            .order_by(Question.asked_at, Question.id))


def _question_to_answer(session: Session, question_id: int, actor) -> Question:
    """The question, locked, if it is on an order of `actor`'s agency; else 404."""
    question = session.get(Question, question_id, with_for_update=True)
    if question is None or question.order.agency_id != actor.organization_id:
        raise not_found("question", question_id)
    return question


def answer_question(session: Session, question_id: int, answer: str, *, actor,
                    now: dt.datetime | None = None) -> Question:
    """The agency's one answer to a question on its order, which makes the question public; the asker is told."""
    require_role(actor, "agency")
    question = _question_to_answer(session, question_id, actor)
    if question.answered_at is not None:
        raise Conflict(N_("Question %(question)s was already answered; answers are not changed."),
                       errors={"answer": ["already answered"]}, params={"question": question.id})
    now = now or utcnow()
    question.answer = answer
    question.answered_by_id = actor.id
    question.answered_at = now
    order = question.order
    audit.record(
        session,
        "question.answered",
        actor=actor,
        object_type="question",
        object_id=question.id,
        organization_id=order.agency_id,
        data={"order_id": order.id, "answer": answer},
        occurred_at=now,
    )
    asker = session.get(User, question.asked_by_id)
    notify(session, [asker] if asker is not None and asker.active else [], "question.answered",
           {"order_id": order.id, "title": order.title, "question_id": question.id,
            "question": question.text, "answer": answer}, now=now)
    return question


# The public directory ----------------------------------------------------------------------------


def _shows(field: str):
    """SQL: the directory shows `field` of the order (its agency did not hide it)."""
    return Order.hidden_fields[field].as_string().is_(None)


def directory_orders(
    *,
    now: dt.datetime,
    sector=None,
    modality=None,
    annotation_type=None,
    region=None,
    status=None,
    q=None,
    closes_after=None,
    closes_before=None,
    deadline_after=None,
    deadline_before=None,
    budget_min=None,
    budget_max=None,
    sort=None,
):
    """Published demand for anyone to browse, filtered and sorted in the database (newest first
    unless `sort` names one of DIRECTORY_SORTS; a text search without `sort` lists title matches
    first)."""
    stmt = select(Order).options(selectinload(Order.agency)).where(Order.was_published)
    if status:
        stmt = stmt.where(Order.in_effective_status(now, status))
    for column, value in ((Order.sector, sector), (Order.modality, modality),
                          (Order.annotation_type, annotation_type)):
        if value:
            stmt = stmt.where(column == value)
    if region:
        # Joined only here: without it, counting and deep pages read the orders' index alone.
        stmt = stmt.join(Organization, Organization.id == Order.agency_id).where(or_(
            Organization.province.icontains(region, autoescape=True),
            Organization.city.icontains(region, autoescape=True),
            Organization.county.icontains(region, autoescape=True)))
    in_title = Order.title.icontains(q, autoescape=True) if q else None
    if q:
        grams = search.query_grams(q)
        if grams:  # found through the index, then checked as a substring as it always was
            stmt = stmt.where(search.HasTerms(Order.id, Order.search_terms, grams))
        if not search.is_exact(q, grams):
            # A private description is not searched: a hit would reveal what it says (and its
            # grams are not among the search terms either).
            stmt = stmt.where(or_(
                in_title, and_(_shows("description"), Order.description.icontains(q, autoescape=True)),
            ))
    if closes_after is not None:
        stmt = stmt.where(Order.bidding_closes_at >= closes_after)
    if closes_before is not None:
        stmt = stmt.where(Order.bidding_closes_at <= closes_before)
    if deadline_after is not None:
        stmt = stmt.where(Order.delivery_deadline >= deadline_after)
    if deadline_before is not None:
        stmt = stmt.where(Order.delivery_deadline <= deadline_before)
    # A budget its agency hid is neither matched by a band nor sorted by: either would tell it.
    shown_budget = case((_shows("budget_ceiling"), Order.budget_ceiling), else_=None)
    if budget_min is not None:
        stmt = stmt.where(shown_budget >= budget_min)
    if budget_max is not None:
        stmt = stmt.where(shown_budget <= budget_max)
    if q and not sort:
        # Most relevant first: a match in the title before one in the description only, then newest.
        return stmt.order_by(case((in_title, 0), else_=1), Order.published_at.desc(), Order.id.desc())
    return stmt.order_by(*_directory_order(sort or "-published_at", shown_budget))


def _directory_order(sort: str, shown_budget) -> tuple:
    name = sort.removeprefix("-")
    column = shown_budget if name == "budget_ceiling" else getattr(Order, name)
    key = column.desc() if sort.startswith("-") else column.asc()
    # Hidden budgets last either way (a portable NULLS LAST); ties newest first, so pages are stable.
    first = (shown_budget.is_(None),) if name == "budget_ceiling" else ()
    return (*first, key, Order.published_at.desc(), Order.id.desc())


def public_figures(session: Session, now: dt.datetime) -> dict:
    """The programme at a glance for the public: open orders and their volume by sector, and the
    verified vendors with their seats."""
    open_now = Order.in_effective_status(now, "published")
    by_sector = session.execute(
        select(Order.sector, func.count(Order.id), func.coalesce(func.sum(Order.volume), 0))
        .where(open_now).group_by(Order.sector).order_by(Order.sector)
    ).all()
    vendors, seats = session.execute(
        select(func.count(VendorProfile.organization_id), func.coalesce(func.sum(VendorProfile.seats), 0))
        .where(VendorProfile.verification_status == "verified")
    ).one()
    return {
        "open_orders": sum(row[1] for row in by_sector),
        "open_volume_by_sector": [
            {"sector": sector, "orders": orders, "volume": int(volume)} for sector, orders, volume in by_sector
        ],
        "verified_vendors": vendors,
        "seats": int(seats),
    }


def count(session: Session, stmt) -> int:
    return session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))


def get_public_order(session: Session, order_id: int) -> Order:
    order = session.get(Order, order_id)
    if order is None or not order.was_published:
        raise not_found("order", order_id)
    return order


def public_view(order: Order, now: dt.datetime, *, amendments: bool = False) -> dict:
    """The base set every published order shows, plus every field its agency did not hide (and
    why it hid the others); with `amendments`, what changed since publishing, when and why."""
    agency = order.agency
    view = {
        "id": order.id,
        "title": order.title,
        "agency": {"id": agency.id, "name": agency.name, "province": agency.province,
                   "city": agency.city, "county": agency.county},
        "sector": order.sector,
        "modality": order.modality,
        "annotation_type": order.annotation_type,
        "volume": order.volume,
        "unit": order.unit,
        "bidding_closes_at": order.bidding_closes_at,
        "delivery_deadline": order.delivery_deadline,
        "status": order.effective_status(now),
        "published_at": order.published_at,
        "hidden_fields": dict(order.hidden_fields or {}),
    }
    for field in order.public_fields:
        view[field] = getattr(order, field)
    if amendments:
        view["amendments"] = [public_amendment(a, order) for a in order.amendments]
    return view


def directory_entry(order: Order, now: dt.datetime, *, amendments: bool = False) -> dict:
    """What the directory shows of an order (the API's and the pages'): its public view (with its
    amendments, when asked) and, once awarded, its award notice."""
    return public_view(order, now, amendments=amendments) | {"award": award_notice(order)}


def public_amendment(amendment: OrderAmendment, order: Order) -> dict:
    """An amendment as the directory shows it: a hidden field is named as changed, its values not."""
    hidden = order.hidden_fields or {}
    return {
        "version": amendment.version,
        "amended_at": amendment.amended_at,
        "note": amendment.note,
        "material": amendment.material,
        "changes": [
            {"field": name, "hidden": True} if name in hidden
            else {"field": name, "before": change["before"], "after": change["after"]}
            for name, change in amendment.changes.items()
        ],
    }
