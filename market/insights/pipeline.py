"""The pipeline over the months looked back on: orders by status, the time from publishing to award,
bids per order, orders with a single bid or none eligible, prices against budget ceilings and the
coordinators' decisions by reason. One aggregate query each."""

from __future__ import annotations

from sqlalchemy import Float, and_, cast, exists, func, not_, or_, select
from sqlalchemy.orm import Session

from market.allocations.models import Allocation, BidEvaluation
from market.bids.models import Bid
from market.contracts.models import Contract
from market.insights.figures import Figure, Series, Window
from market.insights.sql import bucket, days_between
from market.orders.models import ORDER_STATUSES, Order

# Days from publishing to award: each bucket's first day (a bucket ends where the next begins).
AWARD_DAY_BUCKETS = (("0-7", 0), ("8-14", 7), ("15-30", 14), ("31-60", 30), ("61+", 60))
# Bids received by an order whose bidding closed: each bucket's smallest count.
BID_COUNT_BUCKETS = (("0", 0), ("1", 1), ("2", 2), ("3-5", 3), ("6+", 6))
DECISIONS = ("approved", "rejected")


def _received():
    """Bids an order received: all but the withdrawn ones."""
    return (select(func.count(Bid.id)).where(Bid.order_id == Order.id, Bid.status != "withdrawn")
            .correlate(Order).scalar_subquery())


def _closed_in(window: Window):
    """Orders whose bidding closed within the window (cancelled ones never competed)."""
    return and_(Order.was_published, Order.status != "cancelled",
                Order.bidding_closes_at >= window.since, Order.bidding_closes_at <= window.now)


def _ranges(buckets) -> tuple:
    return tuple(name for name, _start in buckets)


def _starts(buckets) -> tuple:
    return tuple(start for _name, start in buckets)


def statuses(session: Session, window: Window) -> Figure:
    """Orders created or published within the window, by their status now."""
    status = Order.effective_status(window.now)
    counts = dict(session.execute(
        select(status, func.count(Order.id))
        .where(func.coalesce(Order.published_at, Order.created_at) >= window.since).group_by(status)
    ).all())
    return Figure("statuses", ORDER_STATUSES,
                  (Series("orders", tuple(counts.get(s, 0) for s in ORDER_STATUSES)),))


def time_to_award(session: Session, window: Window) -> Figure:
    """Orders awarded within the window, by the days from publishing to award; their mean days."""
    days = days_between(Order.published_at, Order.awarded_at)
    index = bucket(days, _starts(AWARD_DAY_BUCKETS)).label("bucket")
    awarded = and_(Order.awarded_at.is_not(None), Order.published_at.is_not(None),
                   Order.awarded_at >= window.since)
    counts = dict(session.execute(select(index, func.count()).where(awarded).group_by(index)).all())
    mean = session.scalar(select(func.avg(days)).where(awarded))
    return Figure("time_to_award", _ranges(AWARD_DAY_BUCKETS),
                  (Series("orders", tuple(counts.get(i, 0) for i in range(len(AWARD_DAY_BUCKETS)))),),
                  facts={"mean_days": None if mean is None else round(float(mean), 1)})


def bids_per_order(session: Session, window: Window) -> Figure:
    """Orders whose bidding closed within the window, by the number of bids they received."""
    index = bucket(_received(), _starts(BID_COUNT_BUCKETS)).label("bucket")
    counts = dict(session.execute(
        select(index, func.count(Order.id)).where(_closed_in(window)).group_by(index)).all())
    mean = session.scalar(select(func.avg(cast(_received(), Float))).where(_closed_in(window)))
    return Figure("bids_per_order", _ranges(BID_COUNT_BUCKETS),
                  (Series("orders", tuple(counts.get(i, 0) for i in range(len(BID_COUNT_BUCKETS)))),),
                  facts={"mean_bids": None if mean is None else round(float(mean), 1)})


def thin_competition(session: Session, window: Window) -> Figure:
    """Per month of closing: orders that closed, those with a single bid, and those with no bid
    eligible (none received, or the engine found none of them eligible)."""
    received = _received()
    judged = exists().where(BidEvaluation.order_id == Order.id)
    eligible = exists().where(BidEvaluation.order_id == Order.id, BidEvaluation.eligible.is_(True))
    none_eligible = or_(received == 0, and_(judged, not_(eligible)))
    month = bucket(Order.bidding_closes_at, window.month_starts).label("month")
    rows = {m: (closed, single, none) for m, closed, single, none in session.execute(
        select(month, func.count(Order.id),
               func.count(Order.id).filter(received == 1),
               func.count(Order.id).filter(none_eligible))
        .where(_closed_in(window)).group_by(month)
    )}
    per_month = [rows.get(i, (0, 0, 0)) for i in range(len(window.months))]
    return Figure("thin_competition", window.months, (
        Series("closed", tuple(r[0] for r in per_month)),
        Series("single_bid", tuple(r[1] for r in per_month)),
        Series("none_eligible", tuple(r[2] for r in per_month)),
    ))


def prices(session: Session, window: Window, modalities: tuple[str, ...]) -> Figure:
    """Per modality: awarded unit prices (contracts made within the window) and bid unit prices
    (bids on orders that closed within it) as a share of the order's ceiling per unit (its budget
    ceiling over its volume), mean of each."""
    def ratio(unit_price):
        return cast(unit_price, Float) / (cast(Order.budget_ceiling, Float) / cast(Order.volume, Float))

    awarded = dict((m, (n, r)) for m, n, r in session.execute(
        select(Order.modality, func.count(Contract.id), func.avg(ratio(Contract.unit_price)))
        .join(Order, Order.id == Contract.order_id).where(Contract.created_at >= window.since)
        .group_by(Order.modality)))
    bid = dict((m, (n, r)) for m, n, r in session.execute(
        select(Order.modality, func.count(Bid.id), func.avg(ratio(Bid.unit_price)))
        .join(Order, Order.id == Bid.order_id)
        .where(_closed_in(window), Bid.status != "withdrawn").group_by(Order.modality)))

    def share(found, modality):
        value = found.get(modality, (0, None))[1]
        return None if value is None else round(float(value), 4)
    return Figure("prices", modalities, (
        Series("contracts", tuple(awarded.get(m, (0, None))[0] for m in modalities)),
        Series("awarded_share", tuple(share(awarded, m) for m in modalities)),
        Series("bids", tuple(bid.get(m, (0, None))[0] for m in modalities)),
        Series("bid_share", tuple(share(bid, m) for m in modalities)),
    ))


def decisions(session: Session, window: Window) -> Figure:
    """The coordinators' decisions on proposed matches within the window, by decision and reason,
    the commonest first."""
    reason = func.coalesce(Allocation.reason, "")
    rows = session.execute(
        select(Allocation.status, reason, func.count(Allocation.id))
        .where(Allocation.status.in_(DECISIONS), Allocation.decided_at >= window.since)
        .group_by(Allocation.status, reason)
        .order_by(func.count(Allocation.id).desc(), Allocation.status, reason)
    ).all()
    return Figure("decisions", tuple((status, text) for status, text, _n in rows),
                  (Series("decisions", tuple(n for _s, _t, n in rows)),))
