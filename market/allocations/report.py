"""What coordinators read around a matching run: what a run would take now, what a finished run
did with each order (and why an order got nothing), and a vendor's seat load per ISO week with
and without a proposed allocation."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from market.allocations import inputs
from market.allocations.debrief import why_evaluated
from market.allocations.models import Allocation, BidEvaluation, MatchRun
from market.allocations.proposals import NOTHING_APPROVED, approved_by_order
from market.allocations.runs import live_bids
from market.db import utcnow
from market.matching.calendar import (
    WeekCalendar,
    iso_week_label,
    load_per_unit,
    running_load,
    vendor_week_capacity,
)
from market.orders.models import Order
from market.permissions import require_role
from market.settings import settings_of


@dataclass(frozen=True)
class PlannedOrder:
    order: Order
    remaining: int  # the volume a run would still match
    bids: int  # live bids on it


@dataclass(frozen=True)
class RunPlan:
    """What a run started now would take: the orders with volume left, their bids and firms."""

    orders: list[PlannedOrder]
    bids: int
    vendors: int
    time_limit: float


def plan_run(session: Session, *, actor, now: dt.datetime | None = None) -> RunPlan:
    """The orders, bids and firms a run over every order under evaluation would take now, read
    as the run reads them (coordinators and administrators); nothing is locked or changed."""
    require_role(actor, "coordinator", "admin")
    now = now or utcnow()
    orders = inputs.orders_under_evaluation(session, now=now)
    approved = approved_by_order(session, [o.id for o in orders])
    open_orders = {}
    for order in orders:
        remaining, vendors_left = inputs.open_part(order, approved.get(order.id, NOTHING_APPROVED))
        if remaining > 0 and (vendors_left is None or vendors_left > 0):
            open_orders[order.id] = (order, remaining)
    bids = session.scalars(live_bids(list(open_orders))).all() if open_orders else []
    per_order = Counter(b.order_id for b in bids)
    return RunPlan(
        orders=[PlannedOrder(order, remaining, per_order[order.id])
                for order, remaining in open_orders.values()],
        bids=len(bids),
        vendors=len({b.vendor_id for b in bids}),
        time_limit=settings_of(session).match_time_limit,
    )


@dataclass(frozen=True)
class OrderOutcome:
    """What one run did with one order: the volume it proposed and, where it proposed less than
    was open, the commonest reasons its bids gave, each with how many bids gave it."""

    order: Order
    proposals: int
    proposed: int
    bids: int
    eligible: int
    unsuccessful: bool
    reasons: list[tuple[str, int]]


def run_outcomes(session: Session, run: MatchRun, *, language: str | None) -> list[OrderOutcome]:
    """Per order the run matched: what it proposed, and why bids got nothing (in `language`).
    The caller has read the run through runs.get_run, which checks who may."""
    if not run.order_ids:
        return []
    orders = session.scalars(select(Order).where(Order.id.in_(run.order_ids)).order_by(Order.id)).all()
    evaluations = session.scalars(
        select(BidEvaluation).where(BidEvaluation.run_id == run.id).order_by(BidEvaluation.bid_id)
    ).all()
    allocations = session.scalars(select(Allocation).where(Allocation.run_id == run.id)).all()
    unsuccessful = set((run.stats or {}).get("unsuccessful_orders", ()))
    outcomes = []
    for order in orders:
        judged = [e for e in evaluations if e.order_id == order.id]
        proposed = [a for a in allocations if a.order_id == order.id]
        said = Counter(r["message"] for e in judged if e.allocated_volume <= 0
                       for r in why_evaluated(e, language, "staff"))
        outcomes.append(OrderOutcome(
            order=order, proposals=len(proposed), proposed=sum(a.volume for a in proposed),
            bids=len(judged), eligible=sum(1 for e in judged if e.eligible),
            unsuccessful=order.id in unsuccessful, reasons=said.most_common(5),
        ))
    return outcomes


@dataclass(frozen=True)
class WeekLoad:
    """A vendor's seat-days in one ISO week: what it has, what its running contracts take, and
    what they would take with the allocation approved."""

    week: str
    capacity: float
    without: float
    with_this: float

    @property
    def share_without(self) -> float:
        return 100 * self.without / self.capacity if self.capacity else 0.0

    @property
    def share_with(self) -> float:
        return 100 * self.with_this / self.capacity if self.capacity else 0.0

    @property
    def over(self) -> bool:
        return self.with_this > self.capacity + 1e-9


def seat_load(session: Session, allocation: Allocation, *,
              now: dt.datetime | None = None) -> list[WeekLoad]:
    """The vendor's seat load per ISO week of the order's window, counted as the engine counts it
    (seats × working days; running contracts spread to their deadlines; the allocation's volume
    spread over the order's window at the vendor's throughput). Empty when the load cannot be
    counted any more (the capability was removed, or the window has no working day left). The
    caller has read the allocation through the allocations service, which checks who may."""
    settings = settings_of(session)
    today = settings.local_date(now or utcnow())
    order = allocation.order
    vendor = inputs.vendors_with_capabilities(session, {allocation.vendor_id})[0]
    capability = next((c for c in vendor.vendor_profile.capabilities
                       if (c.modality, c.annotation_type) == (order.modality, order.annotation_type)),
                      None) if vendor.vendor_profile else None
    window = inputs.engine_order(order, remaining=order.volume, vendors_left=None, today=today,
                                 settings=settings)
    if capability is None or not capability.throughput_per_seat_day:
        return []
    calendar = WeekCalendar.covering(window.start, window.deadline)
    try:
        spread = calendar.spread(window.start, window.deadline)
    except ValueError:
        return []
    capacity = vendor_week_capacity([vendor.vendor_profile.seats], calendar)[0]
    running = inputs.running_contracts(session, {vendor.id}, today=today, settings=settings)
    without = running_load(1, running, calendar, {vendor.id: 0})[0]
    this = np.zeros(calendar.n_weeks)
    this[spread.weeks] = allocation.volume * load_per_unit(spread, capability.throughput_per_seat_day)
    return [
        WeekLoad(iso_week_label(calendar.first_monday + dt.timedelta(days=7 * w)),
                 float(capacity[w]), float(without[w]), float(without[w] + this[w]))
        for w in spread.weeks.tolist()
    ]

