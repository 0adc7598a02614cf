"""The programme's records from before the platform: completed orders with their bids and contracts.

About 300 orders of the past 18 months and the ~360 contracts they made, with how each turned
out: the history the quality model learns from. They stand for records brought in from before the
platform ran these orders, so they are written as rows (no service made them, no audit event
tells of them), but their contracts are valued and planned by the product's own functions
(contract_value, plan_milestones), and who could win each order is the engine's eligibility.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from market.bids.models import Bid
from market.contracts.models import Contract
from market.contracts.services import contract_value, plan_milestones
from market.demo import work
from market.demo.context import HISTORY_DAYS, Demo, working_days
from market.demo.contracts import draw_outcome, finish
from market.demo.people import Agency, Cast, Vendor
from market.demo.rules import Rules
from market.orders.models import Order
from market.settings import settings_of

HISTORY_ORDERS = 300


@dataclass
class Past:
    """How much history was written."""

    orders: int
    bids: int
    contracts: int


@dataclass
class _PastOrder:
    starts: dt.datetime  # when its contracts started
    agency: Agency
    data: dict
    created: dt.datetime
    winners: list[Vendor]
    rivals: list[Vendor]


def seed_past(demo: Demo, cast: Cast, rules: Rules) -> Past:
    """Completed orders of the past 18 months with their bids and contracts.

    Winners are drawn in proportion to _market_weight among the firms that met the order's hard
    rules at the time (the firm suspended today was verified then; firms still pending have no
    history, so a quality model must fall back on their assessed proficiency). The outcome of every
    contract is drawn by OutcomeModel, in order of start, which documents the hidden model a
    quality model should recover.
    """
    rng = demo.history_rng
    planned = []
    for _ in range(HISTORY_ORDERS):
        template = work.pick_template(rng)
        agency = work.pick_agency(rng, cast, template)
        starts = demo.ago(rng.uniform(*HISTORY_DAYS))
        closes = starts - dt.timedelta(days=rng.uniform(3, 6))
        window = rng.uniform(25, 70)
        created = closes - dt.timedelta(days=rng.uniform(16, 25))
        data = work.draw_order(demo, rules, cast, rng, template, agency, closes=closes, window_days=window,
                               created=created)
        order = work.draft(data)
        # Only firms that had joined and could meet the rules then were in the running.
        joined = [v for v in cast.vendors if v.spec.status != "pending" and template.skill in v.capabilities
                  and v.org.created_at < created]
        eligible = rules.could_win(order, joined, verified_then=True)
        if not eligible:
            continue
        count = 2 if order.splittable and len(eligible) >= 3 and rng.random() < 0.5 else 1
        weights = [_market_weight(v, order) for v in eligible]
        winners: list[Vendor] = []
        while len(winners) < count:
            pick = rng.choices(eligible, weights=weights)[0]
            if pick not in winners:
                winners.append(pick)
        losers = [v for v in eligible if v not in winners]
        rivals = rng.sample(losers, min(len(losers), rng.randint(1, 3)))
        planned.append(_PastOrder(starts, agency, data, created, winners, rivals))
    planned.sort(key=lambda p: p.starts)

    session = demo.session
    orders, awarded, bids = [], [], 0
    for past in planned:
        order = _order(past)
        shares = [order.volume] if len(past.winners) == 1 else [order.volume - order.volume // 2, order.volume // 2]
        won = [
            (vendor, _bid(demo, rng, order, vendor, share), share)
            for vendor, share in zip(past.winners, shares, strict=True)
        ]
        for vendor in past.rivals:
            _bid(demo, rng, order, vendor, None)
        outcomes = [draw_outcome(demo, vendor, order, past.starts, bid.seats_committed) for vendor, bid, _ in won]
        order.completed_at = order.updated_at = max(o.completed_at for o in outcomes) + dt.timedelta(days=1)
        awarded += [(past, order, *w, outcome) for w, outcome in zip(won, outcomes, strict=True)]
        orders.append(order)
        bids += len(past.winners) + len(past.rivals)
    session.add_all(orders)  # with their bids
    session.flush()  # the contracts need the bids' ids
    for past, order, vendor, bid, share, outcome in awarded:
        contract = Contract(
            order=order, bid_id=bid.id, vendor_id=vendor.org.id, volume=share, unit_price=bid.unit_price,
            value=contract_value(bid.unit_price, share), seats=bid.seats_committed, starts_at=past.starts,
            deadline=order.delivery_deadline, created_at=order.awarded_at,
        )
        contract.milestones = plan_milestones(contract, settings_of(session))
        finish(contract, outcome)
        session.add(contract)
    return Past(orders=len(orders), bids=bids, contracts=len(awarded))


def _order(past: _PastOrder) -> Order:
    """The order as it ended: its life's timestamps as the lifecycle would have stamped them."""
    closes = past.data["bidding_closes_at"]
    return Order(
        **past.data, agency_id=past.agency.org.id, created_by_id=past.agency.user.id, status="completed",
        created_at=past.created, published_at=past.created + dt.timedelta(days=1),
        evaluating_at=closes + dt.timedelta(minutes=1), awarded_at=past.starts - dt.timedelta(days=1),
        in_progress_at=past.starts,
    )


def _bid(demo: Demo, rng: random.Random, order: Order, vendor: Vendor, volume: int | None) -> Bid:
    """A past bid, won (for `volume`) or lost (`volume` None: the firm offered what it could)."""
    submitted = order.published_at + (order.bidding_closes_at - order.published_at) * rng.uniform(0.2, 0.95)
    terms = work.bid_terms(rng, demo, order, vendor, volume=volume)
    won = volume is not None
    return Bid(
        **terms, order=order, vendor_id=vendor.org.id, submitted_by_id=vendor.user.id, submitted_at=submitted,
        status="awarded" if won else "rejected", awarded_at=order.awarded_at if won else None,
        rejected_at=None if won else order.awarded_at, status_reason=None if won else "未中标",
    )


def _market_weight(vendor: Vendor, order: Order) -> float:
    """How likely a firm was to win past work: proficiency, size, locality, and room for the job."""
    capability = vendor.capabilities[(order.modality, order.annotation_type)]
    days = working_days(order.bidding_closes_at, order.delivery_deadline)
    needed = order.volume / (capability.throughput_per_seat_day * days)
    weight = (capability.assessed_proficiency or 0.5) ** 3 * vendor.seats ** 0.25
    weight *= 1.3 if vendor.spec.province == "贵州省" else 1.0
    weight *= 8.0 if vendor.spec.status == "suspended" else 1.0  # it won on price, then failed
    return weight * (0.3 if needed > 0.9 * vendor.seats else 1.0)
