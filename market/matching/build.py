"""Build the allocation problem from orders, vendors and bids: eligibility, scores, calendar."""

from __future__ import annotations

import math
import time
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import scipy.sparse as sp

from market.matching.calendar import (
    RunningContract,
    WeekCalendar,
    WeekSpread,
    subtract_running,
    vendor_week_capacity,
)
from market.matching.eligibility import Bid, Id, Order, Refusal, Vendor, check_eligibility
from market.matching.problem import AllocationProblem
from market.matching.scoring import (
    DEFAULT_PARAMS,
    DEFAULT_WEIGHTS,
    ScoreBreakdown,
    ScoreParams,
    score_bid,
    validate_weights,
)

__all__ = ["PreparedMatch", "free_capacity", "prepare_match", "week_loads"]


@dataclass(frozen=True)
class PreparedMatch:
    """The allocation problem built from orders, vendors and bids, before solving.

    ``candidate_of_bid[i]`` is the candidate index of bid i in ``problem`` (-1 when the bid
    is ineligible). Built by ``prepare_match``; solved by ``solve_match``.
    """

    problem: AllocationProblem
    calendar: WeekCalendar
    orders: tuple[Order, ...]
    vendors: tuple[Vendor, ...]
    bids: tuple[Bid, ...]
    refusals: tuple[tuple[Refusal, ...], ...]
    scores: tuple[ScoreBreakdown | None, ...]
    candidate_of_bid: np.ndarray
    weights: dict[str, float]
    seconds: float


def prepare_match(
    orders: Sequence[Order],
    vendors: Sequence[Vendor],
    bids: Sequence[Bid],
    *,
    running: Iterable[RunningContract] = (),
    excluded_pairs: Collection[tuple[Id, Id]] = frozenset(),
    weights: Mapping[str, Any] | None = None,
    params: ScoreParams = DEFAULT_PARAMS,
    weekly_capacity: Mapping[Id, Mapping[str, float]] | None = None,
) -> PreparedMatch:
    """Check every bid, score the eligible ones and build the allocation problem.

    A vendor's capacity in an ISO week is its seats times the week's working days, unless
    ``weekly_capacity[vendor id][week label]`` (e.g. ``"2026-W49"``) says otherwise (a
    holiday, seats lent elsewhere); labels outside the orders' horizon are ignored.
    ``running``: contracts already running, with ``vendor`` set to the vendor id; their
    seat-days are taken off that capacity. ``excluded_pairs``: (order id, vendor id)
    pairs rejected earlier by a coordinator. ``weights``: the policy's scoring weights
    (default ``DEFAULT_WEIGHTS``); an order's own weights win. Raises ValueError for
    inconsistent input (duplicate ids, a bid for an unknown order or vendor, two bids of one
    vendor for one order, invalid weights).
    """
    t0 = time.perf_counter()
    orders, vendors, bids = tuple(orders), tuple(vendors), tuple(bids)
    policy = validate_weights(DEFAULT_WEIGHTS if weights is None else weights)
    order_ix = _index(orders, "order")
    vendor_ix = _index(vendors, "vendor")
    seen: set[tuple[Id, Id]] = set()
    for bid in bids:
        if bid.order_id not in order_ix:
            raise ValueError(f"bid {bid.id!r} is for unknown order {bid.order_id!r}")
        if bid.vendor_id not in vendor_ix:
            raise ValueError(f"bid {bid.id!r} is from unknown vendor {bid.vendor_id!r}")
        pair = (bid.order_id, bid.vendor_id)
        if pair in seen:
            raise ValueError(f"vendor {bid.vendor_id!r} has two bids for order {bid.order_id!r}")
        seen.add(pair)

    calendar, free = free_capacity(
        orders, vendors, vendor_ix, weekly_capacity=weekly_capacity, running=running
    )

    spreads: dict[int, WeekSpread | None] = {}
    day_share: dict[int, np.ndarray] = {}
    order_weights: dict[int, dict[str, float]] = {}
    working_days = calendar.working_days
    for i, order in enumerate(orders):
        try:
            spread = calendar.spread(order.start, order.deadline)
        except ValueError:
            spread = None  # refused by eligibility (no working day)
        spreads[i] = spread
        if spread is not None:
            # Share of each week's capacity that lies inside the window (free_in_window).
            day_share[i] = spread.days / working_days[spread.weeks]
        if order.weights is not None:
            try:
                order_weights[i] = validate_weights(order.weights)
            except ValueError as exc:
                raise ValueError(f"order {order.id!r}: {exc}") from None

    refusals: list[tuple[Refusal, ...]] = []
    scores: list[ScoreBreakdown | None] = []
    cand_of_bid = np.full(len(bids), -1, dtype=np.int64)
    c_order: list[int] = []
    c_vendor: list[int] = []
    c_score: list[float] = []
    c_volume: list[float] = []
    c_throughput: list[float] = []
    excluded = frozenset(excluded_pairs)
    for b, bid in enumerate(bids):
        oi, vi = order_ix[bid.order_id], vendor_ix[bid.vendor_id]
        order, vendor = orders[oi], vendors[vi]
        refused = check_eligibility(order, vendor, bid, excluded)
        refusals.append(refused)
        spread = spreads[oi]
        if refused or spread is None:
            scores.append(None)
            continue
        capability = vendor.capabilities[(order.modality, order.annotation_type)]
        throughput = float(capability.throughput_per_seat_day)
        offered = min(float(bid.volume), float(order.volume))
        reference = (
            order.reference_unit_price
            if order.reference_unit_price is not None
            else float(order.budget_ceiling) / float(order.volume)
        )
        breakdown = score_bid(
            quality_probability=capability.proficiency if bid.quality is None else bid.quality,
            unit_price=bid.unit_price,
            reference_unit_price=reference,
            seat_days_needed=offered / throughput,
            free_seat_days=float(free[vi, spread.weeks] @ day_share[oi]),
            local=vendor.local,
            recent_award_share=vendor.recent_award_share,
            weights=order_weights.get(oi, policy),
            params=params,
        )
        scores.append(breakdown)
        cand_of_bid[b] = len(c_order)
        c_order.append(oi)
        c_vendor.append(vi)
        c_score.append(breakdown.total)
        c_volume.append(float(bid.volume))
        c_throughput.append(throughput)

    load = week_loads(c_order, c_throughput, spreads, calendar.n_weeks)
    problem = AllocationProblem(
        order_volume=np.array([float(o.volume) for o in orders], dtype=np.float64),
        order_splittable=np.array([o.splittable for o in orders], dtype=bool),
        order_max_vendors=np.array([o.max_vendors or 0 for o in orders], dtype=np.int64),
        order_min_lot=np.array([float(o.min_lot or 0) for o in orders], dtype=np.float64),
        cand_order=np.array(c_order, dtype=np.int64),
        cand_vendor=np.array(c_vendor, dtype=np.int64),
        cand_score=np.array(c_score, dtype=np.float64),
        cand_max_volume=np.array(c_volume, dtype=np.float64),
        cand_load=load,
        capacity=free,
        week_labels=calendar.labels,
    )
    return PreparedMatch(
        problem=problem,
        calendar=calendar,
        orders=orders,
        vendors=vendors,
        bids=bids,
        refusals=tuple(refusals),
        scores=tuple(scores),
        candidate_of_bid=cand_of_bid,
        weights=policy,
        seconds=time.perf_counter() - t0,
    )


def free_capacity(
    orders: Sequence[Order],
    vendors: Sequence[Vendor],
    vendor_ix: Mapping[Id, int],
    *,
    weekly_capacity: Mapping[Id, Mapping[str, float]] | None = None,
    running: Iterable[RunningContract] = (),
) -> tuple[WeekCalendar, np.ndarray]:
    """The orders' horizon and every vendor's free seat-days in each of its weeks.

    The one capacity path of every problem builder (``prepare_match`` and problem files): the
    horizon is the ISO weeks from the earliest start to the latest deadline (or start, for an
    order that ends before it starts); a vendor's capacity in a week is its seats times the
    week's working days, unless ``weekly_capacity[vendor id][week label]`` says otherwise
    (labels outside the horizon are ignored); running contracts take their seat-days off.
    ``vendor_ix`` maps vendor ids to rows. Returns the calendar and a (vendors x weeks) array.
    """
    if orders:
        calendar = WeekCalendar.covering(
            min(o.start for o in orders), max(max(o.deadline, o.start) for o in orders)
        )
    else:
        calendar = WeekCalendar.covering(date.today(), date.today())
    capacity = vendor_week_capacity([v.seats for v in vendors], calendar)
    if weekly_capacity:
        week_ix = {label: w for w, label in enumerate(calendar.labels)}
        for vendor_id, weeks in weekly_capacity.items():
            if vendor_id not in vendor_ix:
                raise ValueError(f"weekly capacity for unknown vendor {vendor_id!r}")
            for label, seat_days in weeks.items():
                if not (math.isfinite(seat_days) and seat_days >= 0):
                    raise ValueError(
                        f"weekly capacity of vendor {vendor_id!r} in {label} must be >= 0"
                    )
                if label in week_ix:
                    capacity[vendor_ix[vendor_id], week_ix[label]] = float(seat_days)
    free = subtract_running(capacity, running, calendar, vendor_index=vendor_ix)
    return calendar, free


def week_loads(
    c_order: list[int],
    c_throughput: list[float],
    spreads: Mapping[int, WeekSpread | None],
    n_weeks: int,
) -> sp.csr_matrix:
    """The (candidates x weeks) matrix of seat-days per unit of volume (see load_per_unit).

    Candidate c works on order ``c_order[c]`` (whose window is ``spreads[c_order[c]]``) at
    ``c_throughput[c]`` units per seat-day.
    """
    n_cand = len(c_order)
    if n_cand == 0:
        return sp.csr_matrix((0, n_weeks))
    orders = np.asarray(c_order, dtype=np.int64)
    distinct = np.unique(orders)
    # Per order: its weeks and fractions, laid out once and gathered per candidate.
    lengths = np.zeros(int(orders.max()) + 1, dtype=np.int64)
    starts = np.zeros_like(lengths)
    weeks_flat, frac_flat, pos = [], [], 0
    for o in distinct.tolist():
        spread = spreads[o]
        assert spread is not None  # candidates only exist for orders with working days
        lengths[o] = spread.weeks.size
        starts[o] = pos
        pos += spread.weeks.size
        weeks_flat.append(spread.weeks)
        frac_flat.append(spread.fraction)
    weeks_all = np.concatenate(weeks_flat)
    frac_all = np.concatenate(frac_flat)
    per_cand = lengths[orders]
    indptr = np.concatenate([[0], np.cumsum(per_cand)])
    within = np.arange(indptr[-1]) - np.repeat(indptr[:-1], per_cand)
    offsets = within + np.repeat(starts[orders], per_cand)
    data = frac_all[offsets] / np.repeat(np.asarray(c_throughput, dtype=np.float64), per_cand)
    return sp.csr_matrix((data, weeks_all[offsets], indptr), shape=(n_cand, n_weeks))


def _index(items: Sequence[Order] | Sequence[Vendor], what: str) -> dict[Id, int]:
    index: dict[Id, int] = {}
    for i, item in enumerate(items):
        if item.id in index:
            raise ValueError(f"duplicate {what} id {item.id!r}")
        index[item.id] = i
    return index
