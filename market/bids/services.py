"""Bids: submitting and withdrawing sealed offers, who may see them and when, and their lifecycle."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from market.audit import services as audit
from market.bids.eligibility import placement_refusals, refusal_errors
from market.bids.lifecycle import BID_LIFECYCLE
from market.bids.models import LIVE_BID_STATUSES, Bid
from market.db import utcnow
from market.errors import Conflict, Forbidden, InvalidInput
from market.i18n import N_
from market.labels import Label
from market.notifications import services as notifications
from market.orders.access import get_visible_order, oversees
from market.orders.models import Order
from market.permissions import not_found, require_role
from market.settings import Settings, settings_of

# Who reads every bid of an order once bidding has closed.
UNSEALED_READERS = ("agency", "coordinator")
ONE_LIVE_BID_INDEX = "uq_bids_one_live_per_vendor"
CENT = Decimal("0.01")


def total_price(bid: Bid) -> Decimal:
    """What the bid costs in CNY for its whole volume, to the cent."""
    return (bid.unit_price * bid.volume).quantize(CENT, rounding=ROUND_HALF_UP)


def live_bid_of(session: Session, order_id: int, vendor_id: int) -> Bid | None:
    return session.scalar(select(Bid).where(
        Bid.order_id == order_id, Bid.vendor_id == vendor_id, Bid.status.in_(LIVE_BID_STATUSES),
    ))


def _require_bidding_vendor(actor) -> None:
    """Only a verified firm bids; a pending or suspended one is told why, not just refused."""
    profile = actor.organization.vendor_profile
    status = profile.verification_status if profile is not None else "pending"
    if status == "suspended":
        reason = f" ({profile.status_reason})" if profile.status_reason else ""
        raise Forbidden(f"Your firm is suspended{reason} and cannot bid; contact the coordinators.")
    if status != "verified":
        raise Forbidden(
            "Your firm is not verified yet; a coordinator must verify it before it can bid."
        )


def _require_bidding_open(order: Order, now: dt.datetime, settings: Settings) -> None:
    if order.bidding_open(now):
        return
    if order.status == "published":
        raise Conflict(N_("Bidding on order %(order)s closed at %(when)s."),
                       errors={"status": [order.effective_status(now)]},
                       params={"order": order.id, "when": order.bidding_closes_at.astimezone(settings.zone)})
    raise Conflict(N_("Order %(order)s is “%(status)s”; it takes bids only while open for bids."),
                   errors={"status": [order.status]},
                   params={"order": order.id, "status": Label(order.status, "status")})


def _check_terms(order: Order, data: dict, *, actor, now: dt.datetime, settings: Settings) -> None:
    """The rules a bid's terms must meet that depend on the order and the firm, not just on the input,
    and every hard rule of the engine that would refuse it later: all in one 422, nothing stored."""
    errors = _term_errors(order, data, actor.organization.vendor_profile.seats, now, settings)
    refusals = placement_refusals(order, actor.organization, data, now=now, settings=settings)
    if errors or refusals:
        codes = [r.code for r in refusals]
        raise InvalidInput(
            "The bid does not fit the order"
            + (" and the rules would refuse it" if refusals else "")
            + "; see 'errors' for each field.",
            errors=refusal_errors(refusals, errors, actor.locale) | ({"eligibility": codes} if codes else {}),
        )


def _term_errors(order: Order, data: dict, seats: int, now: dt.datetime,
                 settings: Settings) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    volume = data["volume"]
    if volume > order.volume:
        errors["volume"] = [f"At most the order's volume ({order.volume})."]
    elif not order.splittable and volume != order.volume:
        errors["volume"] = [
            f"The order is not splittable: bid for its whole volume ({order.volume})."
        ]
    elif order.splittable and order.min_lot and volume < order.min_lot:
        errors["volume"] = [f"At least the order's minimum lot ({order.min_lot})."]
    if data["seats_committed"] > seats:
        errors["seats_committed"] = [f"At most your firm's seats ({seats})."]
    finish = data["proposed_finish_date"]
    if finish < settings.local_date(now):
        errors["proposed_finish_date"] = ["Must not be in the past."]
    else:
        deadline = settings.local_date(order.delivery_deadline)
        if finish > deadline:
            errors["proposed_finish_date"] = [
                f"Must not be after the order's delivery deadline ({deadline})."
            ]
    return errors


def _already_bid(order_id: int) -> Conflict:
    return Conflict(
        N_("Your firm already has a live bid on order %(order)s; withdraw your bid first."),
        errors={"order_id": ["already bid"]}, params={"order": order_id},
    )


def _is_one_live_bid_violation(error: IntegrityError) -> bool:
    # PostgreSQL names the index; SQLite names its columns instead.
    text = str(error.orig)
    return ONE_LIVE_BID_INDEX in text or "bids.order_id, bids.vendor_id" in text


def submit_bid(
    session: Session, order_id: int, data: dict, *, actor, now: dt.datetime | None = None
) -> Bid:
    """A vendor's sealed bid on an order; at most one live bid per firm per order, however requests race."""
    require_role(actor, "vendor")
    _require_bidding_vendor(actor)
    now = now or utcnow()
    # The order row stays locked until the commit, so the open-bidding check, the check for a
    # live bid and the insert see the same world as every other bid or withdrawal on this order.
    order = get_visible_order(session, order_id, actor=actor, for_update=True)
    _require_bidding_open(order, now, settings_of(session))
    if live_bid_of(session, order.id, actor.organization_id) is not None:
        raise _already_bid(order.id)
    _check_terms(order, data, actor=actor, now=now, settings=settings_of(session))
    bid = Bid(
        order_id=order.id,
        vendor_id=actor.organization_id,
        submitted_by_id=actor.id,
        unit_price=data["unit_price"],
        volume=data["volume"],
        seats_committed=data["seats_committed"],
        proposed_finish_date=data["proposed_finish_date"],
        technical_note=data.get("technical_note", ""),
        status="submitted",
        submitted_at=now,
    )
    try:
        # Flushed inside a savepoint so that, where the lock could not help (SQLite has no row locks),
        # the database's unique index turns a duplicate into a 409 and the request's transaction lives on.
        with session.begin_nested():
            session.add(bid)
            session.flush()
    except IntegrityError as exc:
        if _is_one_live_bid_violation(exc):
            raise _already_bid(order.id) from exc
        raise
    # Sealed: the event belongs to the vendor's organisation and carries no terms, so neither the
    # agency nor anyone reading the trail learns the bid's price before closing. The bid row holds
    # its current terms; each revision's event keeps the terms it replaced.
    audit.record(session, "bid.submitted", actor=actor, object_type="bid", object_id=bid.id,
                 organization_id=bid.vendor_id, data={"order_id": order.id}, occurred_at=now)
    return bid


def check_bid(session: Session, order_id: int, data: dict, *, actor, now: dt.datetime | None = None) -> dict:
    """The terms the firm's bid on the order would have, checked by the rules submit_bid (or, for a
    live bid, revise_bid) applies, storing nothing: the step where a vendor checks its answers.
    The step that stores the bid calls those functions, which check everything again."""
    require_role(actor, "vendor")
    _require_bidding_vendor(actor)
    now = now or utcnow()
    settings = settings_of(session)
    order = get_visible_order(session, order_id, actor=actor)
    _require_bidding_open(order, now, settings)
    live = live_bid_of(session, order.id, actor.organization_id)
    terms = data if live is None else {name: getattr(live, name) for name in REVISABLE_TERMS} | data
    _check_terms(order, terms, actor=actor, now=now, settings=settings)
    return terms


def withdraw_bid(session: Session, bid_id: int, *, actor, now: dt.datetime | None = None) -> Bid:
    """The bidding vendor takes its bid back while bidding is open; it may bid again afterwards."""
    require_role(actor, "vendor")
    now = now or utcnow()
    bid = session.get(Bid, bid_id)
    if bid is None or bid.vendor_id != actor.organization_id:
        raise not_found("bid", bid_id)
    # Order row first, then the bid: the same order of locks as submit_bid, so a withdrawal and a
    # resubmission on the same order queue up instead of deadlocking.
    order = session.get(Order, bid.order_id, with_for_update=True)
    bid = session.get(Bid, bid_id, with_for_update=True, populate_existing=True)
    _require_bidding_open(order, now, settings_of(session))
    BID_LIFECYCLE.transition(session, bid, "withdrawn", actor=actor, organization_id=bid.vendor_id,
                             data={"order_id": order.id}, now=now)
    return bid


REVISABLE_TERMS = ("unit_price", "volume", "seats_committed", "proposed_finish_date", "technical_note")


def revise_bid(session: Session, bid_id: int, data: dict, *, actor, now: dt.datetime | None = None) -> Bid:
    """The bidding vendor changes its live bid's terms while bidding is open; still sealed.

    The same rules as a new bid apply to the terms as they would be after the change. Each
    revision is an audit event of the vendor's organisation holding the terms it replaced, so
    the trail keeps every version of the bid (sealed like the bid itself).
    """
    require_role(actor, "vendor")
    _require_bidding_vendor(actor)
    now = now or utcnow()
    bid = session.get(Bid, bid_id)
    if bid is None or bid.vendor_id != actor.organization_id:
        raise not_found("bid", bid_id)
    order = session.get(Order, bid.order_id, with_for_update=True)  # the lock order of submit_bid
    bid = session.get(Bid, bid_id, with_for_update=True, populate_existing=True)
    _require_bidding_open(order, now, settings_of(session))
    if bid.status != "submitted":
        raise Conflict(N_("Bid %(bid)s is “%(status)s”; only a live bid can be revised."),
                       errors={"status": [bid.status]},
                       params={"bid": bid.id, "status": Label(bid.status, "bid_status")})
    merged = {name: getattr(bid, name) for name in REVISABLE_TERMS} | data
    _check_terms(order, merged, actor=actor, now=now, settings=settings_of(session))
    previous = {name: getattr(bid, name) for name in data if getattr(bid, name) != data[name]}
    if not previous:
        # Sending the terms as they are still answers an amendment's call for confirmation.
        if bid.confirmation_requested_at is not None:
            _confirm(session, bid, actor=actor, now=now)
        return bid
    for name in previous:
        setattr(bid, name, data[name])
    event = {"order_id": order.id, "previous": previous}
    if bid.confirmation_requested_at is not None:
        event["confirmed"] = True  # a revision after an amendment counts as its confirmation
        bid.confirmation_requested_at, bid.confirmed_at = None, now
    audit.record(session, "bid.revised", actor=actor, object_type="bid", object_id=bid.id,
                 organization_id=bid.vendor_id, data=event, occurred_at=now)
    return bid


def _confirm(session: Session, bid: Bid, *, actor, now: dt.datetime) -> None:
    bid.confirmation_requested_at, bid.confirmed_at = None, now
    audit.record(session, "bid.confirmed", actor=actor, object_type="bid", object_id=bid.id,
                 organization_id=bid.vendor_id, data={"order_id": bid.order_id}, occurred_at=now)


def confirm_bid(session: Session, bid_id: int, *, actor, now: dt.datetime | None = None) -> Bid:
    """The bidding vendor keeps its live bid as it is after a material amendment of the order,
    before bidding closes; its terms must still fit the amended order (else revise it)."""
    require_role(actor, "vendor")
    _require_bidding_vendor(actor)
    now = now or utcnow()
    bid = session.get(Bid, bid_id)
    if bid is None or bid.vendor_id != actor.organization_id:
        raise not_found("bid", bid_id)
    order = session.get(Order, bid.order_id, with_for_update=True)  # the lock order of submit_bid
    bid = session.get(Bid, bid_id, with_for_update=True, populate_existing=True)
    _require_bidding_open(order, now, settings_of(session))
    if bid.status != "submitted":
        raise Conflict(N_("Bid %(bid)s is “%(status)s”; only a live bid can be confirmed."),
                       errors={"status": [bid.status]},
                       params={"bid": bid.id, "status": Label(bid.status, "bid_status")})
    if bid.confirmation_requested_at is None:
        raise Conflict(N_("Bid %(bid)s has no amendment of its order to confirm."),
                       errors={"confirmation_requested_at": ["not requested"]}, params={"bid": bid.id})
    terms = {name: getattr(bid, name) for name in REVISABLE_TERMS}
    _check_terms(order, terms, actor=actor, now=now, settings=settings_of(session))
    _confirm(session, bid, actor=actor, now=now)
    return bid


# Why a bid was rejected when its order was covered by others (a code of bids.reasons): such a
# bid may compete again. Rows rejected before the code was stored hold the English words.
AWARDED_TO_OTHERS = "awarded_to_others"
AWARDED_TO_OTHERS_BEFORE = "order awarded to other bids"


def reinstate_covered_bids(session: Session, order: Order, *, except_vendor: int, actor,
                           now: dt.datetime | None = None) -> list[Bid]:
    """A terminated contract left volume to match again: the bids that lost only because the order
    was covered compete again (not the defaulting vendor's), and their vendors are told."""
    bids = session.scalars(
        select(Bid).where(Bid.order_id == order.id, Bid.status == "rejected",
                          Bid.status_reason.in_((AWARDED_TO_OTHERS, AWARDED_TO_OTHERS_BEFORE)),
                          Bid.vendor_id != except_vendor)
        .with_for_update()
    ).all()
    for bid in bids:
        BID_LIFECYCLE.transition(session, bid, "submitted", actor=actor, organization_id=bid.vendor_id,
                                 reason="bid_reinstated", now=now)
        bid.rejected_at = None
        notifications.notify(session, notifications.users_of(session, bid.vendor_id), "bid.reinstated",
                             {"order_id": order.id, "order_title": order.title, "bid_id": bid.id},
                             now=now)
    return list(bids)


def reject_open_bids(session: Session, order: Order, *, actor, reason: str,
                     now: dt.datetime | None = None) -> list[Bid]:
    """The order is decided (awarded to others, or no bid could win): every bid still open on it is
    rejected with `reason`, and its vendor told; the debrief (GET /bids/{id}/result) says why."""
    bids = session.scalars(
        select(Bid).where(Bid.order_id == order.id, Bid.status == "submitted").with_for_update()
    ).all()
    for bid in bids:
        BID_LIFECYCLE.transition(session, bid, "rejected", actor=actor, organization_id=bid.vendor_id,
                                 reason=reason, now=now)
        notifications.notify(session, notifications.users_of(session, bid.vendor_id), "bid.rejected",
                             {"order_id": order.id, "order_title": order.title, "bid_id": bid.id}, now=now)
    return list(bids)


def bids_on_order(session: Session, order_id: int, *, actor, status: str | None = None,
                  now: dt.datetime | None = None) -> Select:
    """The bids on an order `actor` may read: a vendor its own at any time; the agency and coordinators
    all of them once bidding has closed (by the clock, whether or not the closing job has run)."""
    require_role(actor, "vendor", *UNSEALED_READERS)
    now = now or utcnow()
    order = get_visible_order(session, order_id, actor=actor)
    stmt = select(Bid).where(Bid.order_id == order.id).order_by(Bid.id)
    if status:
        stmt = stmt.where(Bid.effective_status(now) == status)
    if actor.role == "vendor":
        return stmt.where(Bid.vendor_id == actor.organization_id)
    if not oversees(actor, order):
        raise not_found("order", order_id)
    if not order.was_published:
        return stmt  # a draft, or one cancelled as a draft: no bids, no closing time to be sealed until
    if order.bids_sealed(now):
        raise Forbidden(
            f"Bids are sealed until {settings_of(session).local_isoformat(order.bidding_closes_at)}."
        )
    return stmt


def get_visible_bid(session: Session, bid_id: int, *, actor, now: dt.datetime | None = None) -> Bid:
    """A bid for its vendor at any time, for the order's agency and coordinators after closing; else 404,
    so that not even a sealed bid's existence leaks."""
    now = now or utcnow()
    bid = session.get(Bid, bid_id)
    if bid is None:
        raise not_found("bid", bid_id)
    if actor.role == "vendor" and actor.organization_id == bid.vendor_id:
        return bid
    if oversees(actor, bid.order) and not bid.order.bids_sealed(now):
        return bid
    raise not_found("bid", bid_id)


def own_bids(*, actor, status: str | None = None, order_id: int | None = None,
             now: dt.datetime | None = None) -> Select:
    """A vendor's own bids across orders, newest first (filtered by their effective status)."""
    require_role(actor, "vendor")
    stmt = (select(Bid).where(Bid.vendor_id == actor.organization_id)
            .options(selectinload(Bid.order)).order_by(Bid.id.desc()))
    if status:
        stmt = stmt.where(Bid.effective_status(now or utcnow()) == status)
    if order_id is not None:
        stmt = stmt.where(Bid.order_id == order_id)
    return stmt
