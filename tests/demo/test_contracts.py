"""Awards by matching runs and coordinators' decisions, and the contracts they made, in their states."""

from __future__ import annotations

from sqlalchemy import select

from market.accounts.models import User
from market.allocations.models import Allocation, MatchRun
from market.audit.models import AuditEvent
from market.contracts.models import Contract
from market.contracts.services import (
    accepted_volume,
    contract_value,
    covered_by_order,
    done_volume,
    plan_milestones,
)
from market.db import utcnow
from market.orders.models import Order
from market.settings import settings_of


def current_contracts(session) -> list[Contract]:
    """The contracts the platform made (the history's predate it: no allocation)."""
    return session.scalars(select(Contract).where(Contract.allocation_id.is_not(None)).order_by(Contract.id)).all()


def test_awarded_work_is_under_contract_for_its_whole_volume(session):
    orders = session.scalars(select(Order).where(Order.status.in_(("awarded", "in_progress", "completed")))).all()
    covered = covered_by_order(session, [o.id for o in orders])
    for order in orders:
        contracts = session.scalars(select(Contract).where(Contract.order_id == order.id)).all()
        # A terminated contract covers only what was accepted of it; its remainder was matched again.
        assert covered[order.id][0] == order.volume, order.title
        live = [c for c in contracts if c.status != "terminated"]
        assert sum(c.volume for c in live) + sum(accepted_volume(c) for c in contracts
                                                 if c.status == "terminated") == order.volume
        awarded = [b for b in order.bids if b.status == "awarded"]
        assert {c.bid_id for c in live} <= {b.id for b in awarded}
        expected = "active" if order.status in ("awarded", "in_progress") else "completed"
        assert {c.status for c in live} == {expected}
        assert order.status == "in_progress" or len(live) == len(contracts)


def test_every_current_contract_comes_from_a_match_a_coordinator_approved(session):
    coordinator = session.scalar(select(User).where(User.role == "coordinator"))
    contracts = current_contracts(session)
    assert len(contracts) >= 20
    for contract in contracts:
        allocation = session.get(Allocation, contract.allocation_id)
        run = session.get(MatchRun, allocation.run_id)
        assert allocation.status == "approved" and allocation.decided_by_id == coordinator.id and allocation.reason
        assert (allocation.order_id, allocation.bid_id, allocation.volume) == (
            contract.order_id, contract.bid_id, contract.volume)
        assert run.started_at < contract.created_at == contract.starts_at
        assert contract.order.awarded_at >= contract.created_at


def test_a_coordinator_rejected_a_proposal_and_the_order_went_to_another_run(session):
    rejected = session.scalars(select(Allocation).where(Allocation.status == "rejected")).all()
    assert rejected and all(a.reason for a in rejected)
    for allocation in rejected:
        approved = session.scalars(select(Allocation).where(Allocation.order_id == allocation.order_id,
                                                            Allocation.status == "approved")).all()
        assert approved and all(a.run_id > allocation.run_id and a.vendor_id != allocation.vendor_id
                                for a in approved)


def test_orders_no_eligible_bid_could_win_were_found_so_by_a_match_run(session):
    orders = session.scalars(select(Order).where(Order.status == "unsuccessful")).all()
    assert orders
    for order in orders:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "order.unsuccessful",
                                                        AuditEvent.object_id == order.id))
        assert session.get(MatchRun, event.data["match_run_id"]).started_at == order.unsuccessful_at


def test_every_contract_is_valued_and_planned_by_the_contracts_service(session):
    for contract in session.scalars(select(Contract)):
        assert contract.value == contract_value(contract.unit_price, contract.volume)
        plan = plan_milestones(contract, settings_of(session))
        assert [(m.name, m.due_at, m.volume) for m in contract.milestones] == [
            (m.name, m.due_at, m.volume) for m in plan]


def test_progress_is_reported_cumulatively_and_finished_work_in_full(session):
    now = utcnow()
    running = session.scalars(select(Contract).where(Contract.status == "active")).all()
    started = [c for c in running if c.order.status == "in_progress"]
    assert started and all(0 < done_volume(c) < c.volume for c in started)
    assert all(done_volume(c) == 0 and not c.lots for c in running if c.order.status == "awarded")
    for contract in session.scalars(select(Contract)):
        for milestone in contract.milestones:
            assert milestone.reported_volume <= milestone.volume
            assert (milestone.completed_at is not None) == (milestone.reported_volume == milestone.volume)
        if contract.status == "completed":
            assert done_volume(contract) == contract.volume
            # The last report comes with the last lot, which the agency's inspection accepts after.
            assert contract.milestones[-1].completed_at <= contract.completed_at < now
    lots = [lot for c in started for lot in c.lots]
    assert {lot.status for lot in lots} == {"accepted", "rejected", "submitted"}
    assert all(lot.volume <= lot.contract.volume and lot.submitted_at < now for lot in lots)


def test_completed_orders_were_accepted_after_their_last_delivery(session):
    for order in session.scalars(select(Order).where(Order.status == "completed")):
        contracts = session.scalars(select(Contract).where(Contract.order_id == order.id)).all()
        # Today's: the inspection accepting the last delivery completes its contract and the order.
        assert order.completed_at >= max(c.completed_at for c in contracts)
        assert all(c.rating and c.delivered_on_time is not None and c.accuracy_achieved for c in contracts)
        assert all(c.rating_detail is not None for c in contracts if c.allocation_id is not None)
