"""A contract's course: progress reports, completion with its outcome, termination, overdue work,
and the order's status that follows from its contracts."""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy import select
from sqlalchemy.orm import Session

from market.audit import services as audit
from market.bids.services import reinstate_covered_bids
from market.contracts.lifecycle import CONTRACT_LIFECYCLE
from market.contracts.models import Contract, ProgressReport
from market.contracts.services import (
    accepted_volume,
    covered_by_order,
    done_volume,
    lock_contract,
    pending_volume,
    require_independent,
)
from market.db import utcnow
from market.errors import Conflict, InvalidInput
from market.i18n import N_
from market.labels import Label
from market.notifications.services import notify, users_of, users_with_role
from market.orders.lifecycle import ORDER_LIFECYCLE
from market.orders.models import Order
from market.settings import settings_of
from market.text import optional_note, require_reason

DAY = dt.timedelta(days=1)


def require_active(contract: Contract) -> None:
    if contract.status != "active":
        raise Conflict(N_("Contract %(contract)s is “%(status)s”; only a contract in delivery takes this."),
                       errors={"status": [contract.status]},
                       params={"contract": contract.id, "status": Label(contract.status, "contract_status")})


def start_order(session: Session, order: Order, *, actor, now: dt.datetime) -> None:
    """The order's work has begun (a first report or lot on any of its contracts): awarded becomes
    in progress."""
    if order.status == "awarded":
        ORDER_LIFECYCLE.transition(session, order, "in_progress", actor=actor,
                                   organization_id=order.agency_id, now=now)


def settle_order(session: Session, order: Order, *, actor, now: dt.datetime) -> None:
    """An order in progress completes once every contract on it is completed or terminated and
    nothing remains to match; one left with volume to match (a terminated contract's remainder)
    goes back to evaluating, for the engine to match the rest."""
    if order.status not in ("awarded", "in_progress"):
        return
    session.flush()  # the contracts' statuses and lots just changed are what the query reads
    statuses = set(session.scalars(select(Contract.status).where(Contract.order_id == order.id)))
    covered, _vendors = covered_by_order(session, [order.id]).get(order.id, (0, 0))
    if covered < order.volume:
        ORDER_LIFECYCLE.transition(session, order, "evaluating", actor=actor,
                                   organization_id=order.agency_id,
                                   reason="a terminated contract left volume to match",
                                   data={"open_volume": order.volume - covered}, now=now)
    elif "active" not in statuses and order.status == "in_progress":
        ORDER_LIFECYCLE.transition(session, order, "completed", actor=actor,
                                   organization_id=order.agency_id, now=now)


def report_progress(session: Session, contract_id: int, data: dict, *, actor,
                    now: dt.datetime | None = None) -> ProgressReport:
    """The vendor reports the volume done so far (cumulative, only ever forward) with a note; each
    milestone reached is stamped."""
    contract = lock_contract(session, contract_id, actor=actor, roles=("vendor",))
    require_active(contract)
    now = now or utcnow()
    done, note = data["volume_done"], optional_note(data.get("note"))
    before = done_volume(contract)
    if done <= before or done > contract.volume:
        raise InvalidInput(
            "A report goes forward: more than reported so far, at most the contract's volume.",
            errors={"volume_done": [f"Must be more than {before} and at most {contract.volume}."]},
        )
    milestone = None
    for m in contract.milestones:
        m.reported_volume = max(m.reported_volume, min(done, m.volume))
        if m.completed_at is None and done >= m.volume:
            m.completed_at = now
        if milestone is None and m.reported_volume < m.volume:
            milestone = m
    milestone = milestone or contract.milestones[-1]
    report = ProgressReport(contract=contract, milestone_id=milestone.id, volume_done=done,
                            note=note, reported_by_id=actor.id, reported_at=now)
    session.add(report)
    session.flush()  # the audit event names the report
    audit.record(session, "contract.progress_reported", actor=actor, object_type="contract",
                 object_id=contract.id, organization_id=contract.order.agency_id,
                 data={"report_id": report.id, "volume_done": done, "before": before, "note": note},
                 occurred_at=now)
    start_order(session, contract.order, actor=actor, now=now)
    return report


def outcome_of(contract: Contract) -> dict:
    """On time or not, the accuracy the inspections found, lots rejected and days late: what the
    quality model learns from once the contract is complete."""
    inspected = [lot for lot in contract.lots if lot.status != "submitted" and lot.sample_size]
    sampled = sum(lot.sample_size for lot in inspected)
    defects = sum(lot.sample_defects or 0 for lot in inspected)
    delivered = max((lot.submitted_at for lot in contract.lots if lot.status == "accepted"),
                    default=None)
    late = None
    if delivered is not None:
        late = max(0, math.ceil((delivered - contract.deadline) / DAY))
    return {
        "delivered_on_time": None if late is None else late == 0,
        "accuracy_achieved": round(1 - defects / sampled, 4) if sampled else None,
        "lots_rejected": sum(1 for lot in contract.lots if lot.status == "rejected"),
        "days_late": late,
    }


def complete_if_accepted(session: Session, contract: Contract, *, actor, now: dt.datetime) -> bool:
    """The contract completes once its accepted volume covers its volume: its outcome is recorded,
    both sides told, and the order settled."""
    if contract.status != "active" or accepted_volume(contract) < contract.volume:
        return False
    outcome = outcome_of(contract)
    contract.delivered_on_time = outcome["delivered_on_time"]
    contract.accuracy_achieved = outcome["accuracy_achieved"]
    contract.days_late = outcome["days_late"]
    CONTRACT_LIFECYCLE.transition(session, contract, "completed", actor=actor,
                                  organization_id=contract.order.agency_id, data=outcome, now=now)
    order = contract.order
    notify(session, users_of(session, order.agency_id, roles=["agency"])
           + users_of(session, contract.vendor_id, roles=["vendor"]), "contract.completed",
           {"contract_id": contract.id, "order_id": order.id, "order_title": order.title}, now=now)
    settle_order(session, order, actor=actor, now=now)
    return True


def terminate_contract(session: Session, contract_id: int, *, actor, reason: str,
                       now: dt.datetime | None = None) -> Contract:
    """A coordinator ends an active contract the vendor defaulted on, with a reason; what was not
    accepted goes back to the order to be matched again."""
    contract = lock_contract(session, contract_id, actor=actor, roles=("coordinator",))
    require_independent(contract, actor)
    reason = require_reason(reason)
    require_active(contract)
    waiting = [lot.id for lot in contract.lots if lot.status == "submitted"]
    disputed = [lot.id for lot in contract.lots if lot.dispute and lot.dispute.status == "open"]
    if waiting or disputed:
        raise Conflict(
            N_("Contract %(contract)s has lots waiting for inspection or a dispute decision (%(lots)s); "
               "decide them before terminating."),
            errors={"lots": [str(i) for i in waiting + disputed]},
            params={"contract": contract.id, "lots": ", ".join(map(str, waiting + disputed))},
        )
    now = now or utcnow()
    remainder = contract.volume - accepted_volume(contract)
    CONTRACT_LIFECYCLE.transition(session, contract, "terminated", actor=actor,
                                  organization_id=contract.order.agency_id, reason=reason,
                                  data={"remainder": remainder}, now=now)
    order = contract.order
    notify(session, users_of(session, order.agency_id, roles=["agency"])
           + users_of(session, contract.vendor_id, roles=["vendor"]), "contract.terminated",
           {"contract_id": contract.id, "order_id": order.id, "order_title": order.title,
            "remainder": remainder, "reason": reason}, now=now)
    settle_order(session, order, actor=actor, now=now)
    if order.status == "evaluating":
        reinstate_covered_bids(session, order, except_vendor=contract.vendor_id, actor=actor, now=now)
    return contract


def notify_overdue_contracts(session: Session, now: dt.datetime | None = None) -> int:
    """Tell the vendor, the agency and coordinators once of each active contract past its deadline;
    the job commits. Safe to run twice: each contract is told once, under its row lock."""
    now = now or utcnow()
    settings = settings_of(session)
    contracts = session.scalars(
        select(Contract).where(Contract.overdue(now), Contract.overdue_notified_at.is_(None))
        .order_by(Contract.id).with_for_update(skip_locked=True)
    ).all()
    coordinators = users_with_role(session, "coordinator")
    for contract in contracts:
        contract.overdue_notified_at = now
        order = contract.order
        remainder = contract.volume - accepted_volume(contract)
        notify(session, users_of(session, contract.vendor_id, roles=["vendor"])
               + users_of(session, order.agency_id, roles=["agency"]) + coordinators,
               "contract.overdue",
               {"contract_id": contract.id, "order_id": order.id, "order_title": order.title,
                "deadline": settings.local_isoformat(contract.deadline), "remainder": remainder,
                "pending": pending_volume(contract)}, now=now)
        audit.record(session, "contract.overdue", actor=None, object_type="contract",
                     object_id=contract.id, organization_id=order.agency_id,
                     data={"remainder": remainder}, occurred_at=now)
    return len(contracts)
