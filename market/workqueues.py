"""What waits for the programme's coordinators: the queues of their dashboard, one query each.

Each queue is a query builder (a `Select`, no session), for coordinators only, so the page and any
later API or reminder read the same rows.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import selectinload

from market.allocations.models import Allocation
from market.contracts.models import Contract
from market.orders.models import Order
from market.organizations.models import ChangeRequest, Organization, VendorProfile
from market.permissions import require_role

COORDINATOR_ROLES = ("coordinator",)


def vendors_waiting(*, actor) -> Select:
    """Firms waiting for verification, the longest waiting first (their age is since registering)."""
    require_role(actor, *COORDINATOR_ROLES)
    return (select(Organization).join(VendorProfile, VendorProfile.organization_id == Organization.id)
            .where(VendorProfile.verification_status == "pending")
            .options(selectinload(Organization.vendor_profile))
            .order_by(Organization.created_at, Organization.id))


def change_requests_waiting(*, actor) -> Select:
    """Vendors' change requests waiting for a decision, oldest first."""
    require_role(actor, *COORDINATOR_ROLES)
    return (select(ChangeRequest).where(ChangeRequest.status == "pending")
            .options(selectinload(ChangeRequest.vendor).selectinload(VendorProfile.organization))
            .order_by(ChangeRequest.requested_at, ChangeRequest.id))


def orders_with_proposals(*, actor) -> Select:
    """Orders with at least one proposal waiting for a decision, oldest proposal first."""
    require_role(actor, *COORDINATOR_ROLES)
    waiting = exists().where(Allocation.order_id == Order.id, Allocation.status == "proposed")
    return select(Order).where(waiting).order_by(Order.bidding_closes_at, Order.id)


def orders_not_matched(*, now: dt.datetime, actor) -> Select:
    """Orders whose bidding has closed, not decided yet, with no proposal waiting: a run is due."""
    require_role(actor, *COORDINATOR_ROLES)
    waiting = exists().where(Allocation.order_id == Order.id, Allocation.status == "proposed")
    return (select(Order).where(Order.effective_status(now) == "evaluating", ~waiting)
            .order_by(Order.bidding_closes_at, Order.id))


def contracts_overdue(*, now: dt.datetime, actor) -> Select:
    """Active contracts past their deadline, the most overdue first."""
    require_role(actor, *COORDINATOR_ROLES)
    return (select(Contract).where(Contract.overdue(now))
            .options(selectinload(Contract.order), selectinload(Contract.vendor))
            .order_by(Contract.deadline, Contract.id))
