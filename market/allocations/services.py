"""Matching runs over the orders under evaluation, and the coordinators' approval of each proposal.

The engine (market.matching) is pure; this module turns database rows into its inputs, stores
what it proposes with the reasons, and carries out approvals and rejections with their
consequences (bid awarded, contract, order awarded, losing bids rejected).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from flask import current_app
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from market.accounts.models import User
from market.allocations.models import Allocation, BidEvaluation, MatchRun, ScoringPolicy
from market.audit import services as audit
from market.bids.models import Bid
from market.bids.services import BID_LIFECYCLE
from market.contracts.models import Contract, Milestone
from market.db import utcnow
from market.errors import Conflict, Forbidden, InvalidInput
from market.lifecycle import Lifecycle
from market.matching import eligibility, match
from market.matching.calendar import RunningContract
from market.matching.scoring import validate_weights
from market.notifications import services as notifications
from market.orders.models import Order
from market.orders.services import ORDER_LIFECYCLE, effective_status_is
from market.organizations.models import Capability, Organization, VendorProfile
from market.organizations.services import is_local
from market.permissions import not_found, require_role
from market.timezone import local_date

ALLOCATION_LIFECYCLE = Lifecycle(
    object_type="allocation",
    allowed={"proposed": frozenset({"approved", "rejected", "superseded"})},
    stamps={"approved": "decided_at", "rejected": "decided_at", "superseded": "superseded_at"},
)
# Awards over this window count towards a vendor's share for the fairness score.
FAIRNESS_WINDOW_DAYS = 180

Progress = Callable[[str, int, int], None]


def _no_progress(step: str, done: int, total: int) -> None:
    return None


# ---------------------------------------------------------------------------------------
# Scoring policy
# ---------------------------------------------------------------------------------------


def current_policy(session: Session) -> dict[str, float]:
    """The coordinators' newest policy, or the default from config."""
    row = session.scalar(select(ScoringPolicy).order_by(ScoringPolicy.id.desc()).limit(1))
    weights = row.weights if row is not None else current_app.config["DEFAULT_SCORING_WEIGHTS"]
    return validate_weights(weights)


def set_policy(session: Session, weights: dict, *, actor, note: str | None = None) -> ScoringPolicy:
    """New scoring weights for every order without its own (coordinators)."""
    require_role(actor, "coordinator")
    try:
        clean = validate_weights(weights)
    except ValueError as exc:
        raise InvalidInput(str(exc), errors={"weights": [str(exc)]}) from None
    row = ScoringPolicy(weights=clean, note=note, created_by_id=actor.id)
    session.add(row)
    session.flush()  # the audit event needs the id
    audit.record(session, "scoring_policy.set", actor=actor, object_type="scoring_policy", object_id=row.id,
                 data={"weights": clean, "note": note})
    return row


# ---------------------------------------------------------------------------------------
# Matching run
# ---------------------------------------------------------------------------------------


def orders_under_evaluation(session: Session, now: dt.datetime, *, lock: bool = False) -> list[Order]:
    """Orders whose bidding has closed and that are not decided yet, by time, whatever ran."""
    stmt = select(Order).where(effective_status_is("evaluating", now)).order_by(Order.id)
    if lock:
        stmt = stmt.with_for_update()
    return list(session.scalars(stmt))


class Approved(NamedTuple):
    """What coordinators have approved on an order so far."""

    volume: int
    vendors: int


NOTHING_APPROVED = Approved(volume=0, vendors=0)


def approved_by_order(session: Session, order_ids: list[int]) -> dict[int, Approved]:
    """The approved volume and number of vendors of each order that has approved matches."""
    if not order_ids:
        return {}
    rows = session.execute(
        select(Allocation.order_id, func.sum(Allocation.volume), func.count(func.distinct(Allocation.vendor_id)))
        .where(Allocation.order_id.in_(order_ids), Allocation.status == "approved")
        .group_by(Allocation.order_id)
    )
    return {order_id: Approved(int(total or 0), int(vendors)) for order_id, total, vendors in rows}


def _award_shares(session: Session, now: dt.datetime) -> dict[int, float]:
    since = now - dt.timedelta(days=FAIRNESS_WINDOW_DAYS)
    rows = session.execute(
        select(Contract.vendor_id, func.sum(Contract.value)).where(Contract.created_at >= since)
        .group_by(Contract.vendor_id)
    ).all()
    total = sum(float(value or 0) for _vendor, value in rows)
    if total <= 0:
        return {}
    return {vendor: float(value or 0) / total for vendor, value in rows}


def _running_contracts(session: Session, vendor_ids: set[int], today: dt.date) -> list[RunningContract]:
    """Active contracts as the seat-days still to do, spread from today to their deadline."""
    if not vendor_ids:
        return []
    contracts = session.scalars(
        select(Contract).where(Contract.status == "active", Contract.vendor_id.in_(vendor_ids))
        .options(selectinload(Contract.order), selectinload(Contract.milestones))
    ).all()
    rates = {
        (vendor_id, modality, kind): rate
        for vendor_id, modality, kind, rate in session.execute(
            select(Capability.vendor_id, Capability.modality, Capability.annotation_type,
                   Capability.throughput_per_seat_day).where(Capability.vendor_id.in_(vendor_ids))
        )
    }
    running = []
    for contract in contracts:
        remaining = max(contract.volume - sum(m.reported_volume for m in contract.milestones), 0)
        rate = rates.get((contract.vendor_id, contract.order.modality, contract.order.annotation_type))
        if remaining and rate:
            running.append(RunningContract(vendor=contract.vendor_id, seat_days=remaining / rate,
                                           start=today, end=local_date(contract.deadline)))
    return running


def _engine_vendor(org: Organization, award_share: float) -> eligibility.Vendor:
    profile = org.vendor_profile
    return eligibility.Vendor(
        id=org.id,
        seats=profile.seats,
        verification=profile.verification_status,
        clearance=profile.clearance,
        certifications=frozenset(profile.certifications or ()),
        onsite_possible=profile.onsite_possible,
        local=is_local(org),
        recent_award_share=min(max(award_share, 0.0), 1.0),
        capabilities={
            (c.modality, c.annotation_type): eligibility.Capability(
                throughput_per_seat_day=c.throughput_per_seat_day,
                proficiency=0.5 if c.assessed_proficiency is None else c.assessed_proficiency,
                unit_price=c.unit_price,
            )
            for c in profile.capabilities
        },
        name=org.name,
    )


def _engine_order(order: Order, remaining: int, vendors_left: int | None, today: dt.date) -> eligibility.Order:
    unit_ceiling = order.budget_ceiling / order.volume
    return eligibility.Order(
        id=order.id,
        modality=order.modality,
        annotation_type=order.annotation_type,
        volume=remaining,
        # The ceiling scales with what is left, so the per-unit ceiling stays the order's own.
        budget_ceiling=unit_ceiling * remaining,
        reference_unit_price=unit_ceiling,
        start=max(today, local_date(order.bidding_closes_at)),
        deadline=local_date(order.delivery_deadline),
        data_classification=order.data_classification,
        onsite_required=order.onsite_required,
        required_certifications=frozenset(order.required_certifications or ()),
        splittable=order.splittable,
        max_vendors=vendors_left,
        min_lot=min(order.min_lot, remaining) if order.min_lot else None,
        unit=order.unit,
        weights=order.scoring_weights,
    )


def run_matching(
    session: Session,
    *,
    actor: User | None,
    instance_path: str,
    time_limit: float,
    trigger: str = "api",
    progress: Progress = _no_progress,
    now: dt.datetime | None = None,
) -> MatchRun:
    """Run the engine over every order whose bidding has closed and store its proposals.

    Newer proposals supersede the open ones of the same orders; pairs a coordinator rejected
    stay out; orders with no eligible bid at all become unsuccessful. Coordinators run it; `actor`
    None is the system (the command line). The caller commits (or, for a dry run, rolls back).
    """
    from market.quality.service import quality_for_pairs

    if actor is not None:
        require_role(actor, "coordinator")
    now = now or utcnow()
    today = local_date(now)
    progress("load", 0, 1)
    orders = orders_under_evaluation(session, now, lock=True)
    for order in orders:
        if order.status == "published":  # past its closing; the scheduler may not have run yet
            ORDER_LIFECYCLE.transition(session, order, "evaluating", actor=actor, organization_id=order.agency_id,
                                       data={"by": "match_run"}, now=now)
    order_ids = [o.id for o in orders]
    approved = approved_by_order(session, order_ids)
    bids = list(session.scalars(
        select(Bid).where(Bid.order_id.in_(order_ids), Bid.status == "submitted").order_by(Bid.id)
    )) if order_ids else []
    progress("load", 1, 1)

    vendor_ids = {b.vendor_id for b in bids}
    vendors = list(session.scalars(
        select(Organization).where(Organization.id.in_(vendor_ids))
        .options(selectinload(Organization.vendor_profile).selectinload(VendorProfile.capabilities))
    )) if vendor_ids else []
    shares = _award_shares(session, now)
    excluded = {
        (order_id, vendor_id) for order_id, vendor_id in session.execute(
            select(Allocation.order_id, Allocation.vendor_id)
            .where(Allocation.order_id.in_(order_ids), Allocation.status == "rejected")
        )
    } if order_ids else set()

    engine_orders, open_orders = [], {}
    for order in orders:
        so_far = approved.get(order.id, NOTHING_APPROVED)
        remaining = order.volume - so_far.volume
        vendors_left = None
        if order.max_vendors:
            vendors_left = order.max_vendors - so_far.vendors
        if remaining <= 0 or (vendors_left is not None and vendors_left <= 0):
            continue
        open_orders[order.id] = order
        engine_orders.append(_engine_order(order, remaining, vendors_left, today))
    open_bids = [b for b in bids if b.order_id in open_orders]

    progress("quality", 0, len(open_bids))
    qualities = quality_for_pairs(session, [(open_orders[b.order_id], b) for b in open_bids], instance_path,
                                  now=now)
    progress("quality", len(open_bids), len(open_bids))
    remaining_of = {o.id: o.volume for o in engine_orders}
    engine_bids = [
        eligibility.Bid(id=b.id, order_id=b.order_id, vendor_id=b.vendor_id, unit_price=b.unit_price,
                        volume=min(b.volume, remaining_of[b.order_id]), quality=q)
        for b, (q, _explanation) in zip(open_bids, qualities)
    ]
    policy = current_policy(session)
    progress("solve", 0, 1)
    result = match.match(
        engine_orders, [_engine_vendor(v, shares.get(v.id, 0.0)) for v in vendors], engine_bids,
        running=_running_contracts(session, vendor_ids, today), excluded_pairs=excluded, weights=policy,
        time_limit=time_limit,
    )
    progress("solve", 1, 1)

    run = MatchRun(
        started_by_id=actor.id if actor else None, trigger=trigger, status="completed", policy=policy,
        solver=result.solver, objective=result.objective, bound=result.bound, gap_pct=result.gap_pct,
        seconds=result.seconds, order_ids=sorted(open_orders), started_at=now, finished_at=utcnow(),
    )
    session.add(run)
    session.flush()  # allocations and evaluations refer to the run's id
    superseded = _supersede_open_proposals(session, list(open_orders), run, actor, now)

    progress("store", 0, len(result.outcomes))
    bid_by_id = {b.id: b for b in open_bids}
    quality_by_bid = {b.id: explanation for b, (_q, explanation) in zip(open_bids, qualities)}
    eligible_orders: set[int] = set()
    proposals = 0
    for n, outcome in enumerate(result.outcomes, 1):
        bid = bid_by_id[outcome.bid_id]
        breakdown = outcome.score.as_dict() if outcome.score else {}
        if breakdown:
            breakdown["quality_model"] = quality_by_bid[bid.id]
            eligible_orders.add(bid.order_id)
        volume = _whole_units(outcome.volume, open_orders[bid.order_id])
        session.add(BidEvaluation(
            run_id=run.id, order_id=bid.order_id, bid_id=bid.id, vendor_id=bid.vendor_id,
            eligible=outcome.eligible, refusals=[{"code": r.code, "message": r.message} for r in outcome.refusals],
            score=outcome.score.total if outcome.score else None, breakdown=breakdown,
            allocated_volume=volume, outcome=_outcome_text(outcome, volume),
        ))
        if volume > 0:
            proposals += 1
            session.add(Allocation(
                run_id=run.id, order_id=bid.order_id, bid_id=bid.id, vendor_id=bid.vendor_id, volume=volume,
                unit_price=bid.unit_price, score=outcome.score.total, breakdown=breakdown,
            ))
        if n % 500 == 0:
            progress("store", n, len(result.outcomes))
    progress("store", len(result.outcomes), len(result.outcomes))

    unsuccessful = []
    for order_id, order in open_orders.items():
        if order_id not in eligible_orders and approved.get(order_id, NOTHING_APPROVED).volume == 0:
            ORDER_LIFECYCLE.transition(session, order, "unsuccessful", actor=actor, organization_id=order.agency_id,
                                       reason="no eligible bid", data={"match_run_id": run.id}, now=now)
            unsuccessful.append(order_id)
    run.stats = {
        "orders": len(open_orders), "bids": len(open_bids),
        "eligible_bids": sum(1 for o in result.outcomes if o.eligible), "proposals": proposals,
        "superseded": superseded, "unsuccessful_orders": unsuccessful, "excluded_pairs": len(excluded),
        "solver_status": result.status, "build_seconds": result.build_seconds,
        "weeks": [result.week_labels[0], result.week_labels[-1]] if result.week_labels else [],
    }
    audit.record(session, "match_run.completed", actor=actor, object_type="match_run", object_id=run.id,
                 data={"objective": run.objective, "bound": run.bound, "gap_pct": run.gap_pct,
                       "seconds": run.seconds, **{k: v for k, v in run.stats.items() if k != "weeks"}})
    if proposals:
        notifications.notify(session, notifications.users_with_role(session, "coordinator"), "allocation.proposed",
                             {"match_run_id": run.id, "proposals": proposals})
    return run


def _whole_units(volume: float, order: Order) -> int:
    # Volumes are counted in whole units; rounding down never breaks a capacity or the order's volume.
    if volume <= 0:
        return 0
    return int(math.floor(volume + 1e-6))


def _outcome_text(outcome, volume: int) -> str:
    if not outcome.eligible:
        return "ineligible: " + "; ".join(r.message for r in outcome.refusals)
    if volume > 0 and outcome.reason is None:
        return f"proposed for {volume} units"
    if volume > 0:
        return f"proposed for {volume} units (less than offered: {outcome.reason.message})"
    return outcome.reason.message if outcome.reason else "not selected"


def _supersede_open_proposals(session: Session, order_ids: list[int], run: MatchRun, actor, now) -> int:
    if not order_ids:
        return 0
    open_rows = session.scalars(
        select(Allocation).where(Allocation.order_id.in_(order_ids), Allocation.status == "proposed",
                                 Allocation.run_id != run.id).options(selectinload(Allocation.order)).with_for_update()
    ).all()
    for row in open_rows:
        ALLOCATION_LIFECYCLE.transition(session, row, "superseded", actor=actor, organization_id=row.order.agency_id,
                                        data={"by_match_run": run.id}, now=now)
    return len(open_rows)


# ---------------------------------------------------------------------------------------
# Approval
# ---------------------------------------------------------------------------------------


def get_allocation(session: Session, allocation_id: int, actor) -> Allocation:
    allocation = session.get(Allocation, allocation_id)
    if allocation is None or not can_see_allocation(session, actor, allocation):
        raise not_found("allocation", allocation_id)
    return allocation


def can_see_allocation(session: Session, actor, allocation: Allocation) -> bool:
    if actor.role in ("coordinator", "admin"):
        return True
    if actor.role == "vendor":
        return allocation.vendor_id == actor.organization_id
    if actor.role == "agency":
        return session.get(Order, allocation.order_id).agency_id == actor.organization_id
    return False


def _lock_for_decision(session: Session, allocation_id: int, actor) -> tuple[Allocation, Order]:
    """The allocation and its order, locked in the order every writer uses: order first, then proposals.

    Only coordinators decide. Matching runs and cancellations lock the order before its proposals;
    taking them the other way round here could deadlock against them.
    """
    require_role(actor, "coordinator")
    allocation = get_allocation(session, allocation_id, actor)
    order = session.get(Order, allocation.order_id, with_for_update=True)
    allocation = session.get(Allocation, allocation_id, with_for_update=True, populate_existing=True)
    if order.agency_id == actor.organization_id:
        # Separation of duties: nobody approves a match on their own organisation's order.
        raise Forbidden("You cannot decide on a match for an order of your own organisation.")
    return allocation, order


def approve(session: Session, allocation_id: int, *, actor, reason: str | None = None) -> Contract:
    """Approve a proposal: the bid is awarded and a contract created; exactly once, even in a race."""
    allocation, order = _lock_for_decision(session, allocation_id, actor)
    now = utcnow()
    if order.status != "evaluating":
        raise Conflict(f"Order {order.id} is {order.status}; only proposals for orders under evaluation "
                       "can be approved.")
    if allocation.status == "proposed":
        # The facts may have changed since the run proposed this match.
        if order.delivery_deadline <= now:
            raise Conflict(f"Order {order.id}'s delivery deadline has passed; it can no longer be contracted.")
        profile = session.get(VendorProfile, allocation.vendor_id)
        if profile.verification_status != "verified":
            raise Conflict(f"The vendor is {profile.verification_status}, no longer verified; "
                           "reject this proposal or run matching again.")
    ALLOCATION_LIFECYCLE.transition(session, allocation, "approved", actor=actor, organization_id=order.agency_id,
                                    reason=reason, data={"order_id": order.id, "bid_id": allocation.bid_id},
                                    now=now)
    allocation.decided_by_id = actor.id
    allocation.reason = reason
    bid = session.get(Bid, allocation.bid_id, with_for_update=True)
    BID_LIFECYCLE.transition(session, bid, "awarded", actor=actor, organization_id=bid.vendor_id,
                             data={"allocation_id": allocation.id, "volume": allocation.volume}, now=now)
    contract = _create_contract(session, allocation, bid, order, actor, now)

    approved = approved_by_order(session, [order.id]).get(order.id, NOTHING_APPROVED)
    if approved.volume >= order.volume or (order.max_vendors and approved.vendors >= order.max_vendors):
        _award_order(session, order, actor, now)
    notifications.notify(session, notifications.users_of(session, bid.vendor_id), "allocation.approved",
                         {"order_id": order.id, "order_title": order.title, "contract_id": contract.id,
                          "volume": allocation.volume, "unit_price": str(allocation.unit_price)})
    return contract


def _create_contract(session: Session, allocation: Allocation, bid: Bid, order: Order, actor, now) -> Contract:
    value = (allocation.unit_price * allocation.volume).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    contract = Contract(
        allocation_id=allocation.id, order_id=order.id, bid_id=bid.id, vendor_id=bid.vendor_id,
        volume=allocation.volume, unit_price=allocation.unit_price, value=value, seats=bid.seats_committed,
        starts_at=now, deadline=order.delivery_deadline,
    )
    span = order.delivery_deadline - now
    for share, name in ((0.3, "首批交付 30% / first 30%"), (0.7, "累计 70% / 70% delivered"),
                        (1.0, "全部交付 / all delivered")):
        contract.milestones.append(Milestone(
            name=name, due_at=now + span * share, volume=int(round(allocation.volume * share)),
        ))
    session.add(contract)
    session.flush()  # the unique allocation_id is the last line of defence against a double approval
    audit.record(session, "contract.created", actor=actor, object_type="contract", object_id=contract.id,
                 organization_id=order.agency_id,
                 data={"allocation_id": allocation.id, "vendor_id": bid.vendor_id, "volume": contract.volume,
                       "value": contract.value})
    return contract


def _award_order(session: Session, order: Order, actor, now) -> None:
    """The order is covered: award it, reject the bids left without a contract, close open proposals."""
    ORDER_LIFECYCLE.transition(session, order, "awarded", actor=actor, organization_id=order.agency_id, now=now)
    close_open_proposals(session, order, actor=actor, why="order awarded", now=now)
    losers = session.scalars(
        select(Bid).where(Bid.order_id == order.id, Bid.status == "submitted").with_for_update()
    ).all()
    for bid in losers:
        BID_LIFECYCLE.transition(session, bid, "rejected", actor=actor, organization_id=bid.vendor_id,
                                 reason="order awarded to other bids", now=now)
        notifications.notify(session, notifications.users_of(session, bid.vendor_id), "bid.rejected",
                             {"order_id": order.id, "order_title": order.title})
    notifications.notify(session, notifications.users_of(session, order.agency_id), "order.awarded",
                         {"order_id": order.id, "order_title": order.title})


def close_vendor_proposals(session: Session, vendor_id: int, *, actor, why: str) -> int:
    """Supersede a vendor's open proposals (e.g. on suspension), so none can be approved."""
    rows = session.scalars(
        select(Allocation).where(Allocation.vendor_id == vendor_id, Allocation.status == "proposed")
        .options(selectinload(Allocation.order)).with_for_update()
    ).all()
    for allocation in rows:
        ALLOCATION_LIFECYCLE.transition(session, allocation, "superseded", actor=actor,
                                        organization_id=allocation.order.agency_id, data={"reason": why})
    return len(rows)


def close_open_proposals(session: Session, order: Order, *, actor, why: str, now=None) -> int:
    """Supersede the proposals still open on an order that has been decided otherwise."""
    rows = session.scalars(
        select(Allocation).where(Allocation.order_id == order.id, Allocation.status == "proposed").with_for_update()
    ).all()
    for allocation in rows:
        ALLOCATION_LIFECYCLE.transition(session, allocation, "superseded", actor=actor,
                                        organization_id=order.agency_id, data={"reason": why}, now=now)
    return len(rows)


def reject(session: Session, allocation_id: int, *, actor, reason: str) -> Allocation:
    """Reject a proposal with a reason; the (order, vendor) pair stays out of later runs."""
    allocation, order = _lock_for_decision(session, allocation_id, actor)
    ALLOCATION_LIFECYCLE.transition(session, allocation, "rejected", actor=actor, organization_id=order.agency_id,
                                    reason=reason, data={"order_id": order.id, "bid_id": allocation.bid_id})
    allocation.decided_by_id = actor.id
    allocation.reason = reason
    notifications.notify(session, notifications.users_of(session, allocation.vendor_id), "allocation.rejected",
                         {"order_id": order.id, "order_title": order.title, "reason": reason}, email=False)
    return allocation


def list_allocations(session: Session, actor, *, status=None, order_id=None, vendor_id=None, run_id=None):
    stmt = select(Allocation).order_by(Allocation.id.desc())
    if actor.role == "vendor":
        stmt = stmt.where(Allocation.vendor_id == actor.organization_id)
    elif actor.role == "agency":
        stmt = stmt.join(Order, Order.id == Allocation.order_id).where(Order.agency_id == actor.organization_id)
    if status:
        stmt = stmt.where(Allocation.status == status)
    if order_id:
        stmt = stmt.where(Allocation.order_id == order_id)
    if vendor_id:
        stmt = stmt.where(Allocation.vendor_id == vendor_id)
    if run_id:
        stmt = stmt.where(Allocation.run_id == run_id)
    return stmt


def competing_evaluations(session: Session, actor, allocations: list[Allocation]) -> dict[int, list[BidEvaluation]]:
    """For each allocation, how every bid on its order fared in the same run (one query).

    Vendors get none: the other firms' prices and scores are not theirs to see.
    """
    keys = {(a.run_id, a.order_id) for a in allocations}
    if actor.role == "vendor" or not keys:
        return {}
    run_ids = {k[0] for k in keys}
    order_ids = {k[1] for k in keys}
    rows = session.scalars(
        select(BidEvaluation).where(BidEvaluation.run_id.in_(run_ids), BidEvaluation.order_id.in_(order_ids))
        .options(selectinload(BidEvaluation.vendor))
        .order_by(BidEvaluation.score.desc().nulls_last(), BidEvaluation.bid_id)
    ).all()
    by_key: dict[tuple[int, int], list[BidEvaluation]] = defaultdict(list)
    for row in rows:
        by_key[(row.run_id, row.order_id)].append(row)
    return {a.id: by_key.get((a.run_id, a.order_id), []) for a in allocations}


# ---------------------------------------------------------------------------------------
# Match runs, read back
# ---------------------------------------------------------------------------------------


def list_runs(actor) -> Select:
    """Matching runs, newest first (coordinators and administrators)."""
    require_role(actor, "coordinator", "admin")
    return select(MatchRun).order_by(MatchRun.id.desc())


def get_run(session: Session, run_id: int, actor) -> MatchRun:
    """One matching run (coordinators and administrators)."""
    require_role(actor, "coordinator", "admin")
    run = session.get(MatchRun, run_id)
    if run is None:
        raise not_found("match run", run_id)
    return run
