"""Demand against free capacity over the coming weeks: seat-days needed by open and awarded orders,
seat-days verified vendors have free, by sector, modality and area, and the skill gaps.

Capacity is counted as the matching engine counts it (market.matching.calendar): a vendor's seats
times the working days of each ISO week, less the work its running contracts have left
(market.allocations.inputs.running_work), spread evenly up to each deadline. An open order's work
is spread the same way, from the day its bidding closes (or today) to its delivery deadline, at the
mean throughput per seat-day that vendors offer for its kind of work.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from market.allocations.inputs import running_work
from market.contracts.models import Contract
from market.insights.figures import WEEKS_AHEAD, Figure, Series, Window
from market.matching.calendar import (
    RunningContract,
    WeekCalendar,
    running_spread,
    subtract_running,
    vendor_week_capacity,
)
from market.orders.models import Order
from market.organizations.models import Capability, Organization, VendorProfile
from market.organizations.region import AREA_CODES, area_expression
from market.settings import Settings

OPEN_STATUSES = ("published", "evaluating")
# Contracts that took (or still take) part of an order's volume, so it is no longer open demand.
TAKEN_STATUSES = ("active", "completed")


@dataclass(frozen=True)
class Work:
    """Seat-days of one piece of demand in each week of the calendar."""

    sector: str
    modality: str
    annotation_type: str
    area: str  # the agency's
    weekly: np.ndarray


@dataclass(frozen=True)
class Supply:
    """Verified vendors' free seat-days per week and what each can do."""

    free: np.ndarray  # (vendors, weeks)
    capacity: np.ndarray  # (vendors, weeks), before running contracts
    areas: tuple[str, ...]
    skills: tuple[frozenset[tuple[str, str]], ...]


@dataclass(frozen=True)
class Outlook:
    calendar: WeekCalendar
    work: tuple[Work, ...]
    supply: Supply


def calendar_ahead(today: dt.date) -> WeekCalendar:
    """The ISO weeks looked ahead: this one and the next ones, WEEKS_AHEAD in all."""
    return WeekCalendar(today - dt.timedelta(days=today.weekday()), WEEKS_AHEAD)


def outlook(session: Session, window: Window, settings: Settings) -> Outlook:
    calendar = calendar_ahead(window.today)
    areas = dict(session.execute(select(Organization.id, area_expression())).all())
    running = running_work(session, None, today=window.today, settings=settings)
    work = [_contract_work(contract, remaining, calendar, areas) for contract, remaining in running]
    work += _open_work(session, window, calendar, settings, areas)
    return Outlook(calendar, tuple(work), _supply(session, calendar, running, areas))


def _contract_work(contract: Contract, remaining: RunningContract, calendar: WeekCalendar,
                   areas: dict[int, str]) -> Work:
    order = contract.order
    return Work(order.sector, order.modality, order.annotation_type, areas[order.agency_id],
                _weekly(remaining, calendar))


def _weekly(work: RunningContract, calendar: WeekCalendar) -> np.ndarray:
    weekly = np.zeros(calendar.n_weeks)
    spread = running_spread(work, calendar)
    weekly[spread.weeks] += work.seat_days * spread.fraction
    return weekly


def _open_work(session: Session, window: Window, calendar: WeekCalendar, settings: Settings,
               areas: dict[int, str]) -> list[Work]:
    taken = (select(func.coalesce(func.sum(Contract.volume), 0))
             .where(Contract.order_id == Order.id, Contract.status.in_(TAKEN_STATUSES))
             .scalar_subquery())
    rows = session.execute(
        select(Order.id, Order.agency_id, Order.sector, Order.modality, Order.annotation_type,
               (Order.volume - taken).label("open"), Order.bidding_closes_at, Order.delivery_deadline)
        .where(Order.effective_status(window.now).in_(OPEN_STATUSES), Order.volume > taken)
        .order_by(Order.id)
    ).all()
    rates = _mean_rates(session)
    work = []
    for row in rows:
        start = max(window.today, settings.local_date(row.bidding_closes_at))
        # Work nobody offers has no rate: its seat-days are unknown, and skill_gaps lists it anyway.
        rate = rates.get((row.modality, row.annotation_type))
        # Spread as a running contract's work is (running_spread), overdue included, though no
        # vendor holds it yet: `vendor` is only a label here.
        piece = RunningContract(vendor=row.id, seat_days=row.open / rate if rate else 0.0,
                                start=start, end=settings.local_date(row.delivery_deadline))
        work.append(Work(row.sector, row.modality, row.annotation_type, areas[row.agency_id],
                         _weekly(piece, calendar)))
    return work


def _mean_rates(session: Session) -> dict[tuple[str, str], float]:
    """Mean throughput per seat-day offered for each kind of work: by verified vendors where any
    offers it, else by any vendor."""
    def means(verified_only: bool) -> dict[tuple[str, str], float]:
        stmt = select(Capability.modality, Capability.annotation_type,
                      func.avg(Capability.throughput_per_seat_day))
        if verified_only:
            stmt = stmt.join(VendorProfile, VendorProfile.organization_id == Capability.vendor_id
                             ).where(VendorProfile.verification_status == "verified")
        rows = session.execute(stmt.group_by(Capability.modality, Capability.annotation_type))
        return {(modality, kind): float(rate) for modality, kind, rate in rows}
    return means(False) | means(True)


def _supply(session: Session, calendar: WeekCalendar,
            running: list[tuple[Contract, RunningContract]], areas: dict[int, str]) -> Supply:
    vendors = session.execute(
        select(VendorProfile.organization_id, VendorProfile.seats)
        .where(VendorProfile.verification_status == "verified").order_by(VendorProfile.organization_id)
    ).all()
    index = {vendor_id: row for row, (vendor_id, _seats) in enumerate(vendors)}
    skills: dict[int, set[tuple[str, str]]] = defaultdict(set)
    for vendor_id, modality, kind in session.execute(
            select(Capability.vendor_id, Capability.modality, Capability.annotation_type)
            .where(Capability.vendor_id.in_(index))):
        skills[vendor_id].add((modality, kind))
    capacity = vendor_week_capacity([seats for _id, seats in vendors], calendar)
    free = subtract_running(capacity, [work for _contract, work in running], calendar,
                            vendor_index=index)
    return Supply(free=free, capacity=capacity,
                  areas=tuple(areas[vendor_id] for vendor_id, _seats in vendors),
                  skills=tuple(frozenset(skills[vendor_id]) for vendor_id, _seats in vendors))


def _total(work: list[Work] | tuple[Work, ...]) -> np.ndarray:
    return np.sum([w.weekly for w in work], axis=0) if work else np.zeros(WEEKS_AHEAD)


def _round(values) -> tuple[float, ...]:
    return tuple(round(float(v), 1) for v in values)


def weekly(outlook: Outlook, by: str, codes: tuple[str, ...]) -> Figure:
    """Per ISO week: demand split `by` sector, modality or area (one series per code of `codes`)
    and in all, verified vendors' seat-days and their free seat-days (not split: a vendor's seats
    serve every sector, and every kind of work it can do)."""
    by_group = [Series("demand", _round(_total([w for w in outlook.work if getattr(w, by) == code])),
                       group=code) for code in codes]
    supply = outlook.supply
    free = supply.free.sum(axis=0) if supply.free.size else np.zeros(outlook.calendar.n_weeks)
    capacity = supply.capacity.sum(axis=0) if supply.capacity.size else np.zeros_like(free)
    return Figure("weekly", outlook.calendar.labels, (
        *by_group,
        Series("demand_total", _round(_total(outlook.work))),
        Series("capacity", _round(capacity)),
        Series("free", _round(free)),
    ))


def by_modality(outlook: Outlook, modalities: tuple[str, ...]) -> Figure:
    """Over the weeks ahead, per modality: demand, and the free seat-days of the verified vendors
    able to do some work of that modality (a vendor able to do several counts under each)."""
    supply = outlook.supply
    demand, free = [], []
    for modality in modalities:
        demand.append(_total([w for w in outlook.work if w.modality == modality]).sum())
        able = [row for row, skills in enumerate(supply.skills) if any(m == modality for m, _k in skills)]
        free.append(supply.free[able].sum())
    return Figure("modality", modalities, (Series("demand", _round(demand)), Series("free", _round(free))))


def by_area(outlook: Outlook) -> Figure:
    """Over the weeks ahead, per programme area: demand of its agencies, free seat-days of its vendors."""
    supply = outlook.supply
    demand = [_total([w for w in outlook.work if w.area == area]).sum() for area in AREA_CODES]
    free = [supply.free[[row for row, a in enumerate(supply.areas) if a == area]].sum()
            for area in AREA_CODES]
    return Figure("area", AREA_CODES, (Series("demand", _round(demand)), Series("free", _round(free))))


def skill_gaps(outlook: Outlook) -> Figure:
    """Each kind of work (modality × annotation type) with demand in the weeks ahead against the free
    seat-days of the verified vendors able to do it: the shortfall where demand exceeds them (a gap)
    and the coverage (free seat-days per seat-day needed). Gaps first, the largest first, then the
    least covered; work no verified vendor can do at all is a gap whatever its size. The facts say
    how many gaps there are."""
    supply = outlook.supply
    kinds: dict[tuple[str, str], list[Work]] = defaultdict(list)
    for work in outlook.work:
        kinds[(work.modality, work.annotation_type)].append(work)
    rows = []
    for kind, pieces in kinds.items():
        able = [row for row, skills in enumerate(supply.skills) if kind in skills]
        free = round(float(supply.free[able].sum()), 1)
        demand = round(float(_total(pieces).sum()), 1)
        coverage = round(free / demand, 2) if demand else None
        rows.append((kind, demand, free, round(max(demand - free, 0.0), 1), coverage, len(able)))
    rows.sort(key=lambda r: (-r[3], r[5] > 0, r[4] if r[4] is not None else float("inf"), r[0]))
    gaps = sum(1 for r in rows if r[3] > 0 or not r[5])
    return Figure("skill_gaps", tuple(r[0] for r in rows), tuple(
        Series(key, tuple(r[i] for r in rows))
        for i, key in enumerate(("demand", "free", "shortfall", "coverage", "vendors"), start=1)
    ), facts={"gaps": gaps})
