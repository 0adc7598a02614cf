"""Orders: who may see them, their lifecycle, drafting and publishing, questions and the public directory."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, and_, cast, false, func, or_, select
from sqlalchemy.orm import Session, selectinload

from market.accounts.models import User
from market.allocations.proposals import approved_by_order, close_open_proposals
from market.audit import services as audit
from market.bids.lifecycle import BID_LIFECYCLE
from market.bids.models import Bid
from market.db import utcnow
from market.errors import Conflict, InvalidInput
from market.matching.scoring import validate_weights
from market.notifications.services import notify, users_of
from market.orders.access import get_own_order, get_visible_order, oversees
from market.orders.lifecycle import ORDER_LIFECYCLE
from market.orders.models import Order, Question
from market.organizations.models import Organization, VendorProfile
from market.permissions import not_found, require_role, require_same_org

# Fields an agency may add to the directory's base set, order by order.
PUBLIC_FIELD_CHOICES = (
    "description", "label_set", "budget_ceiling", "accuracy_target", "sampling_level",
    "data_classification", "onsite_required", "required_certifications", "splittable",
    "max_vendors", "min_lot", "scoring_weights",
)

# Cancelled and unsuccessful orders stay listed (with that status) once they were published:
# a demand that vanished without trace would make the directory less transparent, not more.
DIRECTORY_STATUSES = (
    "published", "evaluating", "awarded", "in_progress", "completed", "cancelled", "unsuccessful",
)
DIRECTORY_CSV_MAX_ROWS = 10_000


def list_orders(
    *, actor, now: dt.datetime | None = None, status=None, sector=None, modality=None, q=None
):
    """Agencies list their own orders in every state; everyone else the orders that were published."""
    now = now or utcnow()
    stmt = select(Order).options(selectinload(Order.agency))
    if actor.role == "agency":
        stmt = stmt.where(Order.agency_id == actor.organization_id)
    else:
        stmt = stmt.where(Order.was_published)
    if status:
        stmt = stmt.where(Order.effective_status(now) == status)
    if sector:
        stmt = stmt.where(Order.sector == sector)
    if modality:
        stmt = stmt.where(Order.modality == modality)
    if q:
        stmt = stmt.where(or_(Order.title.icontains(q, autoescape=True),
                              Order.description.icontains(q, autoescape=True)))
    return stmt.order_by(Order.created_at.desc(), Order.id.desc())


def _blame(changed: set, first: str, second: str) -> str:
    """The field to name when two fields disagree: the one the caller changed, else `first`."""
    return second if second in changed and first not in changed else first


MAX_DELIVERY_WINDOW = dt.timedelta(days=3 * 365)
MAX_BIDDING_PERIOD = dt.timedelta(days=365)


def _rule_errors(values: dict, changed: set, now: dt.datetime) -> dict:
    """Rules across fields, checked on the order as it would be after the change."""
    errors = {}
    if values.get("scoring_weights") is not None:
        try:
            validate_weights(values["scoring_weights"])
        except ValueError as exc:
            errors["scoring_weights"] = [str(exc)]
    if values["bidding_closes_at"] >= values["delivery_deadline"]:
        field = _blame(changed, "bidding_closes_at", "delivery_deadline")
        errors[field] = ["Bidding must close before the delivery deadline."]
    elif values["delivery_deadline"] - values["bidding_closes_at"] > MAX_DELIVERY_WINDOW:
        # Annotation work is planned in weeks and months; a far-off deadline is a typo, and the
        # engine's capacity calendar would have to span it.
        field = _blame(changed, "delivery_deadline", "bidding_closes_at")
        errors[field] = [
            f"The delivery deadline must be within {MAX_DELIVERY_WINDOW.days // 365} years "
            "of the bidding closing time."
        ]
    if values["bidding_closes_at"] - now > MAX_BIDDING_PERIOD:
        errors["bidding_closes_at"] = [
            f"Bidding must close within {MAX_BIDDING_PERIOD.days} days."]
    min_lot = values.get("min_lot")
    if min_lot is not None and min_lot > values["volume"]:
        errors[_blame(changed, "min_lot", "volume")] = [
            f"The minimum lot ({min_lot}) cannot exceed the volume ({values['volume']})."
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


def create_order(session: Session, data: dict, *, actor, now: dt.datetime | None = None) -> Order:
    """A new draft of `actor`'s agency (agency staff)."""
    require_role(actor, "agency")
    _check_rules(data, set(data), now or utcnow())
    order = Order(agency_id=actor.organization_id, created_by_id=actor.id, status="draft", **data)
    if now is not None:
        order.created_at = order.updated_at = now
    session.add(order)
    session.flush()  # the audit event needs the id
    audit.record(session, "order.created", actor=actor, object_type="order", object_id=order.id,
                 organization_id=order.agency_id, data=data, occurred_at=now)
    return order


def _require_draft(order: Order, now: dt.datetime, doing: str) -> None:
    if order.status != "draft":
        status = order.effective_status(now)
        raise Conflict(f"Order {order.id} is {status}; only a draft can be {doing}.",
                       errors={"status": [status]})


EDITABLE_FIELDS = (
    "title", "description", "sector", "modality", "annotation_type", "label_set", "volume", "unit",
    "budget_ceiling", "bidding_closes_at", "delivery_deadline", "accuracy_target", "sampling_level",
    "data_classification", "onsite_required", "required_certifications", "splittable",
    "max_vendors", "min_lot", "scoring_weights", "public_fields",
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


def publish_order(
    session: Session, order_id: int, *, actor, now: dt.datetime | None = None
) -> Order:
    """Open a draft of `actor`'s agency for bidding; its closing time must still be ahead."""
    require_role(actor, "agency")
    order = get_own_order(session, order_id, actor=actor, for_update=True)
    now = now or utcnow()
    if order.status == "draft" and order.bidding_closes_at <= now:
        raise InvalidInput(
            f"Bidding on order {order.id} would close at a time that has passed; "
            "move bidding_closes_at (and the deadline, if needed) into the future first.",
            errors={"bidding_closes_at": ["Must be in the future to publish."]},
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
            f"Order {order.id} already has approved matches with contracts; it cannot be cancelled."
        )
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
            reason=f"order cancelled: {reason}",
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


def close_bidding(session: Session, order: Order, *, now: dt.datetime) -> None:
    """Move a published order whose closing time has passed to evaluating (the system acts)."""
    ORDER_LIFECYCLE.transition(session, order, "evaluating", actor=None,
                               organization_id=order.agency_id, now=now)
    notify(session, users_of(session, order.agency_id, roles=["agency"]), "order.evaluating",
           {"order_id": order.id, "title": order.title}, now=now)


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
            f"Order {order.id} is {status}; questions are taken only while bidding is open.",
            errors={"status": [status]},
        )
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
        raise Conflict(f"Question {question.id} was already answered; answers are not changed.",
                       errors={"answer": ["already answered"]})
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


def _lists_public(field: str):
    # public_fields is a JSON list of fixed identifiers; its text contains '"field"' exactly when
    # the field is listed, which reads the same on SQLite and PostgreSQL.
    return cast(Order.public_fields, String).like(f'%"{field}"%')


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
):
    """Published demand for anyone to browse, newest first, filtered in the database."""
    stmt = (
        select(Order)
        .join(Organization, Organization.id == Order.agency_id)
        .options(selectinload(Order.agency))
        .where(Order.was_published)
    )
    if status:
        stmt = stmt.where(Order.effective_status(now) == status)
    for column, value in ((Order.sector, sector), (Order.modality, modality),
                          (Order.annotation_type, annotation_type)):
        if value:
            stmt = stmt.where(column == value)
    if region:
        stmt = stmt.where(or_(Organization.province.icontains(region, autoescape=True),
                              Organization.city.icontains(region, autoescape=True),
                              Organization.county.icontains(region, autoescape=True)))
    if q:
        # A private description is not searched: a hit would reveal what it says.
        stmt = stmt.where(or_(
            Order.title.icontains(q, autoescape=True),
            and_(_lists_public("description"), Order.description.icontains(q, autoescape=True)),
        ))
    if closes_after is not None:
        stmt = stmt.where(Order.bidding_closes_at >= closes_after)
    if closes_before is not None:
        stmt = stmt.where(Order.bidding_closes_at <= closes_before)
    if deadline_after is not None:
        stmt = stmt.where(Order.delivery_deadline >= deadline_after)
    if deadline_before is not None:
        stmt = stmt.where(Order.delivery_deadline <= deadline_before)
    return stmt.order_by(Order.published_at.desc(), Order.id.desc())


def public_figures(session: Session, now: dt.datetime) -> dict:
    """The programme at a glance for the public: open orders and their volume by sector, and the
    verified vendors with their seats."""
    open_now = Order.effective_status(now) == "published"
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


def public_view(order: Order, now: dt.datetime) -> dict:
    """The base set every published order shows, plus the fields its agency made public."""
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
    }
    for field in order.public_fields or ():
        if field in PUBLIC_FIELD_CHOICES:
            view[field] = getattr(order, field)
    return view
