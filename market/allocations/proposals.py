"""What has been approved on an order, and closing the proposals that events leave without purpose.

Orders (cancellation), organisations (suspension) and matching runs all close proposals; this
module sits below them so that each can call it without importing the others.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from market.allocations.lifecycle import ALLOCATION_LIFECYCLE
from market.allocations.models import Allocation
from market.contracts.services import covered_by_order
from market.orders.models import Order


class Approved(NamedTuple):
    """What coordinators have approved on an order so far."""

    volume: int
    vendors: int


NOTHING_APPROVED = Approved(volume=0, vendors=0)


def approved_by_order(session: Session, order_ids: list[int]) -> dict[int, Approved]:
    """The volume of each order that its approved matches' contracts cover, and how many vendors
    hold them: every live contract's volume, a terminated one's accepted part only, so what a
    defaulting vendor left is open to match again."""
    return {order_id: Approved(volume, vendors)
            for order_id, (volume, vendors) in covered_by_order(session, order_ids).items()}


def _supersede(session: Session, rows: list[Allocation], *, actor, data: dict,
               now: dt.datetime | None) -> list[int]:
    for allocation in rows:
        ALLOCATION_LIFECYCLE.transition(
            session,
            allocation,
            "superseded",
            actor=actor,
            organization_id=allocation.order.agency_id,
            data=data,
            now=now,
        )
    return [allocation.id for allocation in rows]


def close_open_proposals(session: Session, order: Order, *, actor, why: str,
                         now: dt.datetime | None = None) -> int:
    """Supersede the proposals still open on an order that has been decided otherwise."""
    rows = session.scalars(
        select(Allocation).where(Allocation.order_id == order.id, Allocation.status == "proposed")
        .with_for_update()
    ).all()
    return len(_supersede(session, rows, actor=actor, data={"reason": why}, now=now))


def close_vendor_proposals(session: Session, vendor_id: int, *, actor, why: str,
                           now: dt.datetime | None = None) -> int:
    """Supersede a vendor's open proposals (e.g. on suspension), so none can be approved."""
    rows = session.scalars(
        select(Allocation).where(Allocation.vendor_id == vendor_id, Allocation.status == "proposed")
        .options(selectinload(Allocation.order)).with_for_update()
    ).all()
    return len(_supersede(session, rows, actor=actor, data={"reason": why}, now=now))


def supersede_for_run(session: Session, order_ids: list[int], *, run_id: int, actor,
                      now: dt.datetime | None = None) -> list[int]:
    """A newer run's proposals replace the open ones of the same orders, and only those; the ids
    of the proposals it replaced."""
    if not order_ids:
        return []
    rows = session.scalars(
        select(Allocation)
        .where(
            Allocation.order_id.in_(order_ids),
            Allocation.status == "proposed",
            Allocation.run_id != run_id,
        )
        .options(selectinload(Allocation.order))
        .with_for_update()
    ).all()
    return _supersede(session, rows, actor=actor, data={"by_match_run": run_id}, now=now)
