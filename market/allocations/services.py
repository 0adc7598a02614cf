"""The coordinators' decision on each proposed match, and who may read the proposals.

Approving carries out its consequences: the bid is awarded, the contract made, the order awarded
once covered and the losing bids rejected. Runs are in market.allocations.runs, the scoring
policy in market.allocations.policy.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from market.allocations import inputs
from market.allocations.lifecycle import ALLOCATION_LIFECYCLE
from market.allocations.models import Allocation, BidEvaluation
from market.allocations.proposals import NOTHING_APPROVED, approved_by_order, close_open_proposals
from market.bids.lifecycle import BID_LIFECYCLE
from market.bids.models import Bid
from market.bids.reasons import Reasons
from market.bids.services import AWARDED_TO_OTHERS, reject_open_bids
from market.contracts.models import Contract
from market.contracts.services import create_contract
from market.db import utcnow
from market.errors import Conflict, Forbidden
from market.i18n import N_
from market.labels import Label
from market.matching import eligibility
from market.notifications import services as notifications
from market.orders.lifecycle import ORDER_LIFECYCLE
from market.orders.models import Order
from market.permissions import not_found, require_role
from market.settings import settings_of
from market.text import optional_note, require_reason

# Staff of the platform read every proposal; agencies those on their orders, vendors their own.
ALL_ALLOCATIONS_ROLES = ("coordinator", "admin")


def note_for(allocation: Allocation, *, actor) -> str | None:
    """The internal note of a decision, for the platform's staff only (not the vendor, not the agency)."""
    return allocation.note if actor is not None and actor.role in ALL_ALLOCATIONS_ROLES else None


def _visible(stmt: Select, actor) -> Select:
    if actor.role in ALL_ALLOCATIONS_ROLES:
        return stmt
    if actor.role == "vendor":
        return stmt.where(Allocation.vendor_id == actor.organization_id)
    if actor.role == "agency":
        return stmt.join(Order, Order.id == Allocation.order_id).where(
            Order.agency_id == actor.organization_id
        )
    return stmt.where(False)


def list_allocations(*, actor, status=None, order_id=None, vendor_id=None, run_id=None) -> Select:
    stmt = _visible(select(Allocation).order_by(Allocation.id.desc()), actor)
    if status:
        stmt = stmt.where(Allocation.status == status)
    if order_id:
        stmt = stmt.where(Allocation.order_id == order_id)
    if vendor_id:
        stmt = stmt.where(Allocation.vendor_id == vendor_id)
    if run_id:
        stmt = stmt.where(Allocation.run_id == run_id)
    return stmt


def get_allocation(session: Session, allocation_id: int, *, actor) -> Allocation:
    allocation = session.scalar(
        _visible(select(Allocation).where(Allocation.id == allocation_id), actor)
    )
    if allocation is None:
        raise not_found("allocation", allocation_id)
    return allocation


def competing_evaluations(session: Session, allocations: list[Allocation], *,
                          actor) -> dict[int, list[BidEvaluation]]:
    """For each allocation, how every bid on its order fared in the same run (one query).

    Vendors get none: the other firms' prices and scores are not theirs to see.
    """
    keys = {(a.run_id, a.order_id) for a in allocations}
    if actor.role == "vendor" or not keys:
        return {}
    run_ids = {k[0] for k in keys}
    order_ids = {k[1] for k in keys}
    rows = session.scalars(
        select(BidEvaluation)
        .where(BidEvaluation.run_id.in_(run_ids), BidEvaluation.order_id.in_(order_ids))
        .options(selectinload(BidEvaluation.vendor))
        .order_by(BidEvaluation.score.desc().nulls_last(), BidEvaluation.bid_id)
    ).all()
    by_key: dict[tuple[int, int], list[BidEvaluation]] = defaultdict(list)
    for row in rows:
        by_key[(row.run_id, row.order_id)].append(row)
    return {a.id: by_key.get((a.run_id, a.order_id), []) for a in allocations}


def own_order(order: Order, *, actor) -> bool:
    """Whether `order` is one of `actor`'s own organisation: its coordinators may not decide on it."""
    return actor is not None and order.agency_id == actor.organization_id


def _lock_for_decision(session: Session, allocation_id: int, actor) -> tuple[Allocation, Order]:
    """The allocation and its order, locked in the order every writer uses: order first, then proposals.

    Only coordinators decide. Matching runs and cancellations lock the order before its proposals;
    taking them the other way round here could deadlock against them.
    """
    require_role(actor, "coordinator")
    allocation = get_allocation(session, allocation_id, actor=actor)
    order = session.get(Order, allocation.order_id, with_for_update=True)
    allocation = session.get(
        Allocation, allocation_id, with_for_update=True, populate_existing=True
    )
    if own_order(order, actor=actor):
        # Separation of duties: nobody approves a match on their own organisation's order.
        raise Forbidden("You cannot decide on a match for an order of your own organisation.")
    return allocation, order


def _record_decision(session: Session, allocation: Allocation, order: Order, target: str, *, actor,
                     reason: str, note: str | None, now: dt.datetime | None) -> None:
    """A coordinator's decision on a proposal: the transition (the note in its audit event) and who
    decided, why, and the internal note, on the allocation."""
    ALLOCATION_LIFECYCLE.transition(
        session, allocation, target, actor=actor, organization_id=order.agency_id, reason=reason,
        data={"order_id": order.id, "bid_id": allocation.bid_id, "note": note}, now=now,
    )
    allocation.decided_by_id = actor.id
    allocation.reason, allocation.note = reason, note


def _tell_agency(session: Session, allocation: Allocation, order: Order, target: str, *, reason: str,
                 now: dt.datetime | None, **details) -> None:
    """The order's agency hears of each decision on it, with the reason (never the note)."""
    notifications.notify(
        session,
        notifications.users_of(session, order.agency_id, roles=["agency"]),
        f"allocation.{target}_on_order",
        {"order_id": order.id, "order_title": order.title, "vendor_id": allocation.vendor_id,
         **details, "reason": reason},
        email=False,
        now=now,
    )


def _recheck(
    session: Session, allocation: Allocation, order: Order, bid: Bid, now: dt.datetime
) -> None:
    """The facts may have changed since the run proposed this match: every hard rule is checked again,
    by the engine's own eligibility function, on the order as it stands now."""
    if order.delivery_deadline <= now:
        raise Conflict(N_("Order %(order)s's delivery deadline has passed; it can no longer be contracted."),
                       params={"order": order.id})
    settings = settings_of(session)
    remaining, vendors_left = inputs.open_part(order, approved_by_order(session, [order.id]).get(
        order.id, NOTHING_APPROVED))
    if allocation.volume > remaining or (vendors_left is not None and vendors_left <= 0):
        raise Conflict(N_("Order %(order)s has only %(remaining)s left to match; run matching again for "
                          "the rest."), params={"order": order.id, "remaining": max(remaining, 0)})
    vendor = inputs.vendors_with_capabilities(session, {allocation.vendor_id})[0]
    refusals = eligibility.check_eligibility(
        inputs.engine_order(
            order,
            remaining=remaining,
            vendors_left=vendors_left,
            today=settings.local_date(now),
            settings=settings,
        ),
        inputs.engine_vendor(vendor, award_share=0.0, settings=settings),
        inputs.engine_bid(bid, remaining=remaining),
    )
    if refusals:
        raise Conflict(
            N_("The match no longer meets the rules: %(reasons)s Reject this proposal or run matching "
               "again."),
            errors={"eligibility": [r.code for r in refusals]},
            params={"reasons": Reasons(tuple((r.code, dict(r.params)) for r in refusals))},
        )


def approve(session: Session, allocation_id: int, *, actor, reason: str, note: str | None = None,
            now: dt.datetime | None = None) -> Contract:
    """Approve a proposal with a reason (told to the vendor and the agency) and an optional internal
    note: the bid is awarded and a contract created; exactly once, even in a race."""
    allocation, order = _lock_for_decision(session, allocation_id, actor)
    reason, note = require_reason(reason), optional_note(note)
    now = now or utcnow()
    if order.status != "evaluating":
        raise Conflict(
            N_("Order %(order)s is “%(status)s”; only proposals for orders under evaluation can be "
               "approved."), params={"order": order.id, "status": Label(order.status, "status")})
    bid = session.get(Bid, allocation.bid_id, with_for_update=True)
    if allocation.status == "proposed":
        _recheck(session, allocation, order, bid, now)
    _record_decision(session, allocation, order, "approved", actor=actor, reason=reason, note=note, now=now)
    BID_LIFECYCLE.transition(
        session,
        bid,
        "awarded",
        actor=actor,
        organization_id=bid.vendor_id,
        data={"allocation_id": allocation.id, "volume": allocation.volume},
        now=now,
    )
    contract = create_contract(session, allocation, bid=bid, order=order, actor=actor, now=now)

    approved = approved_by_order(session, [order.id]).get(order.id, NOTHING_APPROVED)
    if approved.volume >= order.volume or (
        order.max_vendors and approved.vendors >= order.max_vendors
    ):
        _award_order(session, order, actor, now)
    notifications.notify(
        session,
        notifications.users_of(session, bid.vendor_id),
        "allocation.approved",
        {
            "order_id": order.id,
            "order_title": order.title,
            "contract_id": contract.id,
            "volume": allocation.volume,
            "unit_price": str(allocation.unit_price),
            "reason": reason,
        },
        now=now,
    )
    _tell_agency(session, allocation, order, "approved", reason=reason, now=now, volume=allocation.volume)
    return contract


def _award_order(session: Session, order: Order, actor, now: dt.datetime) -> None:
    """The order is covered: award it, reject the bids left without a contract, close open proposals."""
    ORDER_LIFECYCLE.transition(
        session, order, "awarded", actor=actor, organization_id=order.agency_id, now=now
    )
    close_open_proposals(session, order, actor=actor, why="order awarded", now=now)
    reject_open_bids(session, order, actor=actor, reason=AWARDED_TO_OTHERS, now=now)
    notifications.notify(session, notifications.users_of(session, order.agency_id), "order.awarded",
                         {"order_id": order.id, "order_title": order.title}, now=now)


def reject(session: Session, allocation_id: int, *, actor, reason: str, note: str | None = None,
           now: dt.datetime | None = None) -> Allocation:
    """Reject a proposal with a reason (told to the vendor and the agency) and an optional internal
    note; the (order, vendor) pair stays out of later runs."""
    allocation, order = _lock_for_decision(session, allocation_id, actor)
    reason, note = require_reason(reason), optional_note(note)
    _record_decision(session, allocation, order, "rejected", actor=actor, reason=reason, note=note, now=now)
    notifications.notify(
        session,
        notifications.users_of(session, allocation.vendor_id),
        "allocation.rejected",
        {"order_id": order.id, "order_title": order.title, "reason": reason},
        email=False,
        now=now,
    )
    _tell_agency(session, allocation, order, "rejected", reason=reason, now=now)
    return allocation
