"""After the award: the seed's contracts in every post-award case, reached through the contracts'
services, and the outcomes of the completed ones as the quality model's training data."""

from __future__ import annotations

from sqlalchemy import func, select

from market.accounts.models import User
from market.audit.models import AuditEvent
from market.contracts.lots import switching_state
from market.contracts.models import Contract, DeliveryLot, Payment, ProgressReport, Rating
from market.contracts.payments import payment_summary
from market.contracts.progress import outcome_of
from market.contracts.services import covered_by_order, done_volume, pending_volume
from market.db import utcnow
from market.quality.data import training_set
from market.settings import settings_of


def current_contracts(session) -> list[Contract]:
    return session.scalars(select(Contract).where(Contract.allocation_id.is_not(None)).order_by(Contract.id)).all()


def running(session) -> list[Contract]:
    return [c for c in current_contracts(session) if c.status == "active"]


def test_work_is_in_progress_on_running_contracts(session):
    reported = [c for c in running(session) if c.progress_reports]
    assert len(reported) >= 5
    for contract in reported:
        volumes = [r.volume_done for r in sorted(contract.progress_reports, key=lambda r: r.reported_at)]
        assert volumes == sorted(set(volumes)) and volumes[-1] == done_volume(contract) < contract.volume
        assert contract.order.status == "in_progress"


def test_lots_wait_for_the_agencys_inspection(session):
    waiting = [c for c in running(session) if pending_volume(c)]
    assert len(waiting) >= 2
    assert all(lot.sample_size and lot.sample_positions for c in waiting for lot in c.lots
               if lot.status == "submitted")


def test_a_rejected_lot_was_reworked_and_handed_in_again(session):
    pairs = [(lot, again) for c in running(session) for lot in c.lots for again in c.lots
             if again.resubmission_of_id == lot.id]
    assert pairs
    for lot, again in pairs:
        assert lot.status == "rejected" and lot.sample_defects >= lot.reject_number
        assert again.volume == lot.volume and again.submitted_at > lot.decided_at
    assert any(again.status == "accepted" for _lot, again in pairs)


def test_two_rejections_switched_a_contract_to_tightened_inspection(session):
    tightened = [c for c in running(session) if switching_state(c).severity == "tightened"]
    assert tightened
    for contract in tightened:
        originals = [lot for lot in contract.lots if lot.resubmission_of_id is None]
        assert sum(lot.status == "rejected" for lot in originals) >= 2
        later = [lot for lot in contract.lots if lot.severity == "tightened"]
        assert later and all(lot.submitted_at > max(o.decided_at for o in originals) for lot in later)


def test_completed_contracts_are_rated_with_the_outcome_their_inspections_found(session):
    completed = [c for c in current_contracts(session) if c.status == "completed"]
    assert len(completed) >= 5
    for contract in completed:
        rating = contract.rating_detail
        assert rating is not None and rating.rated_at > contract.completed_at
        assert 1 <= min(rating.quality, rating.timeliness, rating.communication)
        outcome = outcome_of(contract)
        assert (contract.delivered_on_time, contract.accuracy_achieved) == (
            outcome["delivered_on_time"], outcome["accuracy_achieved"])
        assert contract.order.status == "completed"
    assert session.scalar(select(func.count(Rating.id)).where(Rating.reply.is_not(None)))


def test_a_terminated_contracts_remainder_was_matched_again(session):
    terminated = [c for c in current_contracts(session) if c.status == "terminated"]
    assert terminated
    for contract in terminated:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "contract.terminated",
                                                        AuditEvent.object_id == contract.id))
        assert event.data["reason"] and session.get(User, event.actor_id).role == "coordinator"
        order = contract.order
        assert covered_by_order(session, [order.id])[order.id][0] == order.volume
        successors = [c for c in order.contracts if c.status == "active" and c.created_at > contract.terminated_at]
        assert successors and all(c.vendor_id != contract.vendor_id for c in successors)
        assert order.status == "in_progress"


def test_payments_are_recorded_and_some_are_overdue(session):
    today = settings_of(session).local_date(utcnow())
    overdue = [c for c in current_contracts(session) if payment_summary(c, today)["overdue_lots"]]
    assert overdue
    paid = session.scalars(select(Payment).where(Payment.paid_on.is_not(None))).all()
    assert paid and all(p.accepted_on <= p.paid_on < today for p in paid)
    accepted = session.scalar(select(func.count(DeliveryLot.id)).join(Contract)
                              .where(Contract.allocation_id.is_not(None), DeliveryLot.status == "accepted"))
    assert session.scalar(select(func.count(Payment.id))) == accepted


def test_every_step_after_the_award_went_through_the_services(session):
    def events(action: str) -> int:
        return session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == action))

    current = select(DeliveryLot.id).join(Contract).where(Contract.allocation_id.is_not(None))
    assert events("lot.submitted") == session.scalar(select(func.count()).select_from(current.subquery()))
    assert events("contract.progress_reported") == session.scalar(select(func.count(ProgressReport.id)))
    assert events("contract.rated") == session.scalar(select(func.count(Rating.id)))
    assert events("payment.recorded") == session.scalar(select(func.count(Payment.id))
                                                        .where(Payment.paid_on.is_not(None)))
    completed = [c for c in current_contracts(session) if c.status == "completed"]
    assert events("contract.completed") == len(completed)
    assert events("lot.accepted") + events("lot.rejected") == session.scalar(
        select(func.count()).select_from(current.where(DeliveryLot.status != "submitted").subquery()))


def test_nothing_after_the_award_is_dated_after_the_seeding(session):
    now = utcnow()
    lots = session.scalars(select(DeliveryLot).join(Contract).where(Contract.allocation_id.is_not(None))).all()
    assert all(lot.submitted_at < now and (lot.decided_at is None or lot.decided_at < now) for lot in lots)
    assert all(r.reported_at < now for r in session.scalars(select(ProgressReport)))
    assert all(r.rated_at < now for r in session.scalars(select(Rating)))


def test_the_completed_contracts_outcomes_are_the_quality_models_training_data(session):
    completed = {c.id for c in current_contracts(session) if c.status == "completed"}
    assert completed <= set(training_set(session).contract_ids)
