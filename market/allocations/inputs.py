"""The engine's inputs from database rows: orders with what is left of them, vendors, running work.

Matching runs and the re-check at approval build the engine's objects here (the builders of single
objects are in market.bids.eligibility, which also judges a bid when it is placed), so all of them
judge a bid by the same facts and the same eligibility function (market.matching.eligibility).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from market.allocations.proposals import Approved
from market.bids.eligibility import engine_bid, engine_order, engine_vendor
from market.contracts.models import Contract
from market.contracts.services import accepted_volume, done_volume
from market.matching.calendar import RunningContract
from market.orders.models import Order
from market.organizations.models import Capability, Organization, VendorProfile
from market.settings import Settings

__all__ = [
    "award_shares", "engine_bid", "engine_order", "engine_vendor", "open_part",
    "orders_under_evaluation", "running_contracts", "running_work", "vendors_with_capabilities",
]

# Awards over this window count towards a vendor's share for the fairness score.
FAIRNESS_WINDOW_DAYS = 180


def orders_under_evaluation(session: Session, *, now: dt.datetime, lock: bool = False,
                            order_ids: list[int] | None = None) -> list[Order]:
    """Orders whose bidding has closed and that are not decided yet, by time, whatever ran (only
    those of `order_ids` when given)."""
    stmt = select(Order).where(Order.effective_status(now) == "evaluating").order_by(Order.id)
    if order_ids is not None:
        stmt = stmt.where(Order.id.in_(order_ids))
    if lock:
        stmt = stmt.with_for_update()
    return list(session.scalars(stmt))


def vendors_with_capabilities(session: Session, vendor_ids: set[int]) -> list[Organization]:
    if not vendor_ids:
        return []
    return list(session.scalars(
        select(Organization).where(Organization.id.in_(vendor_ids))
        .options(selectinload(Organization.vendor_profile).selectinload(VendorProfile.capabilities))
    ))


def award_shares(session: Session, *, now: dt.datetime) -> dict[int, float]:
    """Each vendor's share of the value awarded over the fairness window."""
    since = now - dt.timedelta(days=FAIRNESS_WINDOW_DAYS)
    rows = session.execute(
        select(Contract.vendor_id, func.sum(Contract.value)).where(Contract.created_at >= since)
        .group_by(Contract.vendor_id)
    ).all()
    total = sum(float(value or 0) for _vendor, value in rows)
    if total <= 0:
        return {}
    return {vendor: float(value or 0) / total for vendor, value in rows}


def running_contracts(session: Session, vendor_ids: set[int], *, today: dt.date,
                      settings: Settings) -> list[RunningContract]:
    """Active contracts as the seat-days still to do, spread from today to their deadline."""
    return [work for _contract, work in running_work(session, vendor_ids, today=today,
                                                     settings=settings)]


def running_work(session: Session, vendor_ids: set[int] | None, *, today: dt.date,
                 settings: Settings) -> list[tuple[Contract, RunningContract]]:
    """Each active contract (of `vendor_ids`, or of every vendor when None) with the work it has
    left, as `running_contracts` counts it; contracts with nothing left are not listed."""
    if vendor_ids is not None and not vendor_ids:
        return []
    stmt = (select(Contract).where(Contract.status == "active")
            .options(selectinload(Contract.order), selectinload(Contract.milestones),
                     selectinload(Contract.lots)).order_by(Contract.id))
    capabilities = select(Capability.vendor_id, Capability.modality, Capability.annotation_type,
                          Capability.throughput_per_seat_day)
    if vendor_ids is not None:
        stmt = stmt.where(Contract.vendor_id.in_(vendor_ids))
        capabilities = capabilities.where(Capability.vendor_id.in_(vendor_ids))
    contracts = session.scalars(stmt).all()
    rates = {(vendor_id, modality, kind): rate
             for vendor_id, modality, kind, rate in session.execute(capabilities)}
    running = []
    for contract in contracts:
        # The work left: neither reported done nor accepted (a lot accepted is done, reported or not).
        remaining = max(contract.volume - max(done_volume(contract), accepted_volume(contract)), 0)
        rate = rates.get(
            (contract.vendor_id, contract.order.modality, contract.order.annotation_type)
        )
        if remaining and rate:
            running.append((contract, RunningContract(
                vendor=contract.vendor_id, seat_days=remaining / rate, start=today,
                end=settings.local_date(contract.deadline))))
    return running


def open_part(order: Order, approved: Approved) -> tuple[int, int | None]:
    """The volume still to match and how many more vendors may share it (None: no limit)."""
    vendors_left = order.max_vendors - approved.vendors if order.max_vendors else None
    return order.volume - approved.volume, vendors_left
