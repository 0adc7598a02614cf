"""Contracts: making one from an approved match (value, milestone plan), who may see them, and the
volume each has covered, accepted and left."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session, selectinload

from market.audit import services as audit
from market.contracts.models import Contract, DeliveryLot, Milestone
from market.db import utcnow
from market.errors import Forbidden
from market.i18n import N_
from market.orders.awards import AWARDED_STATUSES, award_entry
from market.orders.models import Order
from market.permissions import not_found, require_role
from market.settings import Settings, settings_of

# Contracts whose whole volume counts as covering their order: running, or delivered in full.
LIVE_CONTRACT_STATUSES = ("active", "completed")

CENT = Decimal("0.01")
# The cumulative share of the volume due at each milestone, at that share of the time from the
# contract's start to its deadline. A milestone's volume and reported volume are cumulative too.
# Names are stored as written here (English, marked for the catalogue) and shown translated.
MILESTONE_PLAN = ((0.3, N_("First batch (30%)")), (0.7, N_("Up to 70%")),
                  (1.0, N_("All delivered")))


def contract_value(unit_price: Decimal, volume: int) -> Decimal:
    return (unit_price * volume).quantize(CENT, rounding=ROUND_HALF_UP)


# A milestone before the last falls due at the end of a working day in the programme's zone.
END_OF_WORKING_DAY = dt.time(18, 0)


def _end_of_working_day(moment: dt.datetime, settings: Settings) -> dt.datetime:
    """The end of the working day (Mon-Fri, 18:00 local) on or before `moment`'s local day."""
    day = settings.local_date(moment)
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return dt.datetime.combine(day, END_OF_WORKING_DAY, tzinfo=settings.zone).astimezone(dt.UTC)


def plan_milestones(contract: Contract, settings: Settings) -> list[Milestone]:
    """The milestones of a contract by MILESTONE_PLAN, for every contract the programme makes: the
    earlier ones at the end of a working day near their share of the time, the last at the deadline."""
    span = contract.deadline - contract.starts_at
    milestones = []
    for share, name in MILESTONE_PLAN:
        due = contract.deadline
        if share < 1:
            due = _end_of_working_day(contract.starts_at + span * share, settings)
            due = min(max(due, contract.starts_at), contract.deadline)
        milestones.append(Milestone(name=name, due_at=due, volume=int(round(contract.volume * share))))
    return milestones


def done_volume(contract: Contract) -> int:
    """The volume reported done so far (milestone reports are cumulative)."""
    return max((m.reported_volume for m in contract.milestones), default=0)


def create_contract(session: Session, allocation, *, bid, order: Order, actor,
                    now: dt.datetime | None = None) -> Contract:
    """The contract of an approved allocation: its value and milestones; audited."""
    now = now or utcnow()
    contract = Contract(
        allocation_id=allocation.id, order_id=order.id, bid_id=bid.id, vendor_id=bid.vendor_id,
        volume=allocation.volume, unit_price=allocation.unit_price,
        value=contract_value(allocation.unit_price, allocation.volume), seats=bid.seats_committed,
        starts_at=now, deadline=order.delivery_deadline, created_at=now,
        payment_term_days=settings_of(session).payment_term_days,
    )
    contract.milestones = plan_milestones(contract, settings_of(session))
    session.add(contract)
    session.flush()  # the unique allocation_id is the last line of defence against a double approval
    audit.record(
        session,
        "contract.created",
        actor=actor,
        object_type="contract",
        object_id=contract.id,
        organization_id=order.agency_id,
        data={
            "allocation_id": allocation.id,
            "vendor_id": bid.vendor_id,
            "volume": contract.volume,
            "value": contract.value,
        },
        occurred_at=now,
    )
    return contract


def accepted_volume(contract: Contract) -> int:
    """The volume of the contract's accepted lots."""
    return sum(lot.volume for lot in contract.lots if lot.status == "accepted")


def pending_volume(contract: Contract) -> int:
    """The volume of the lots handed in and not yet inspected."""
    return sum(lot.volume for lot in contract.lots if lot.status == "submitted")


def disputed_volume(contract: Contract) -> int:
    """The volume of rejected lots whose dispute is open: a re-inspection may bring them back."""
    return sum(lot.volume for lot in contract.lots
               if lot.status == "rejected" and lot.dispute is not None and lot.dispute.status == "open")


def open_to_deliver(contract: Contract) -> int:
    """What a new lot may still hand in: neither accepted, nor waiting for inspection or a dispute."""
    taken = accepted_volume(contract) + pending_volume(contract) + disputed_volume(contract)
    return max(contract.volume - taken, 0)


def covered_by_order(session: Session, order_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(volume covered, vendors covering it) per order: a running or completed contract covers its
    whole volume, a terminated one only what was accepted of it (the rest can be matched again)."""
    if not order_ids:
        return {}
    accepted = (
        select(func.coalesce(func.sum(DeliveryLot.volume), 0))
        .where(DeliveryLot.contract_id == Contract.id, DeliveryLot.status == "accepted")
        .correlate(Contract).scalar_subquery()
    )
    live = Contract.status.in_(LIVE_CONTRACT_STATUSES)
    rows = session.execute(
        select(
            Contract.order_id,
            func.sum(case((live, Contract.volume), else_=accepted)),
            func.count(func.distinct(case((live, Contract.vendor_id)))),
        )
        .where(Contract.order_id.in_(order_ids))
        .group_by(Contract.order_id)
    )
    return {order_id: (int(volume or 0), int(vendors)) for order_id, volume, vendors in rows}


def _visible(stmt: Select, actor) -> Select:
    if actor.role == "vendor":
        return stmt.where(Contract.vendor_id == actor.organization_id)
    if actor.role == "agency":
        return stmt.join(Order, Order.id == Contract.order_id).where(
            Order.agency_id == actor.organization_id
        )
    return stmt


def visible_contracts(actor) -> Select:
    """The ids of the contracts `actor` may see, for the lots, disputes and payments on them."""
    return _visible(select(Contract.id), actor)


def list_contracts(*, actor, status=None, order_id=None, vendor_id=None, agency_id=None,
                   modality=None, created_after=None, created_before=None) -> Select:
    stmt = _visible(
        # What the pages and the API show of each contract, loaded with the page, not per row.
        select(Contract).options(
            selectinload(Contract.milestones), selectinload(Contract.lots),
            selectinload(Contract.payments), selectinload(Contract.rating_detail),
            selectinload(Contract.vendor), selectinload(Contract.order).selectinload(Order.agency),
        ).order_by(Contract.id.desc()),
        actor,
    )
    if status:
        stmt = stmt.where(Contract.status == status)
    if order_id:
        stmt = stmt.where(Contract.order_id == order_id)
    if vendor_id:
        stmt = stmt.where(Contract.vendor_id == vendor_id)
    if agency_id or modality:
        of_orders = select(Order.id)
        if agency_id:
            of_orders = of_orders.where(Order.agency_id == agency_id)
        if modality:
            of_orders = of_orders.where(Order.modality == modality)
        stmt = stmt.where(Contract.order_id.in_(of_orders))
    if created_after is not None:
        stmt = stmt.where(Contract.created_at >= created_after)
    if created_before is not None:
        stmt = stmt.where(Contract.created_at <= created_before)
    return stmt


def get_contract(session: Session, contract_id: int, *, actor) -> Contract:
    contract = session.scalar(_visible(select(Contract).where(Contract.id == contract_id), actor))
    if contract is None:
        raise not_found("contract", contract_id)
    return contract


def lock_contract(session: Session, contract_id: int, *, actor, roles: tuple[str, ...]) -> Contract:
    """The contract for a change by one of `roles`, with its order, locked in the order every writer
    uses (order, then contract), so two lots, an inspection and a payment never race."""
    require_role(actor, *roles)
    contract = get_contract(session, contract_id, actor=actor)
    session.flush()  # the refreshes below would drop changes still pending on these rows
    session.get(Order, contract.order_id, with_for_update=True, populate_existing=True)
    contract = session.get(Contract, contract_id, with_for_update=True, populate_existing=True)
    session.expire(contract, ["lots", "payments", "milestones"])
    return contract


def require_independent(contract: Contract, actor) -> None:
    """Separation of duties: a coordinator never decides on a contract of their own organisation's
    order."""
    if contract.order.agency_id == actor.organization_id:
        raise Forbidden("You cannot decide on a contract for an order of your own organisation.")


def public_awards(*, awarded_after=None, awarded_before=None, sector=None, order_id=None,
                  vendor_id=None) -> Select:
    """Every award of an order that was awarded, newest first: the public list anyone may read."""
    stmt = (
        select(Contract).join(Order, Order.id == Contract.order_id)
        .where(Order.status.in_(AWARDED_STATUSES))
        .options(selectinload(Contract.order).selectinload(Order.agency), selectinload(Contract.vendor))
        .order_by(Contract.created_at.desc(), Contract.id.desc())
    )
    if awarded_after is not None:
        stmt = stmt.where(Contract.created_at >= awarded_after)
    if awarded_before is not None:
        stmt = stmt.where(Contract.created_at <= awarded_before)
    if sector:
        stmt = stmt.where(Order.sector == sector)
    if order_id:
        stmt = stmt.where(Contract.order_id == order_id)
    if vendor_id:
        stmt = stmt.where(Contract.vendor_id == vendor_id)
    return stmt


def public_award(contract: Contract) -> dict:
    """One award as the public list shows it: the order it is on, and the winner's terms."""
    order = contract.order
    return {
        "order_id": order.id, "order_title": order.title, "sector": order.sector, "unit": order.unit,
        "agency": {"id": order.agency.id, "name": order.agency.name},
        **award_entry(contract),
    }
