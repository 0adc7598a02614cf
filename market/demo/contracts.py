"""The coordinators' decisions on today's closed orders, and the contracts they made, in their states.

At its decision time an order is matched as the platform matches: a coordinator runs the engine
(run_matching, over every order under evaluation at that moment) and approves the proposals for
it (approve: the bid is awarded, the contract made by create_contract with its milestone plan,
the order awarded once covered, the losing bids rejected); now and then the coordinator first
rejects a proposal with a reason (reject) and runs the engine again. An order no eligible bid can
win is made unsuccessful by the run itself.

What follows an award has no service yet, so it is written here on the timeline, dated when it
happened: the order moves to in_progress and completed through its lifecycle; milestone reports
(cumulative, as done_volume reads them), delivered lots, and a finished contract's outcome and
rating are set on the rows. The outcomes come from the hidden model of market.demo.history.
"""

from __future__ import annotations

import datetime as dt
import os
from contextlib import contextmanager
from dataclasses import replace
from functools import partial

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from market.allocations import services as allocations
from market.allocations.models import Allocation, BidEvaluation
from market.allocations.runs import run_matching
from market.contracts.models import Contract, DeliveryLot, Milestone
from market.demo.catalogue import APPROVAL_REASONS, REJECTION_REASONS
from market.demo.context import Demo, sample_size
from market.demo.history import Outcome
from market.demo.orders import Plan
from market.demo.people import Cast, Vendor
from market.demo.timeline import Timeline
from market.orders.lifecycle import ORDER_LIFECYCLE
from market.orders.models import Order
from market.settings import SESSION_KEY, settings_of

# How often a coordinator runs matching again for what one run left of an order.
MAX_RUNS = 3
# The orders (state, index) on which the coordinator first rejects the top proposal.
REJECTED_FIRST = {("awarded", 1), ("in_progress", 1)}
STEP = dt.timedelta(minutes=20)  # between a run, the coordinator's decisions and the next run


def schedule_decisions(demo: Demo, cast: Cast, plans: list[Plan], timeline: Timeline) -> None:
    for plan in plans:
        if plan.decided is not None:
            timeline.at(plan.decided, partial(_decide, demo, cast, timeline, plan))


def _decide(demo: Demo, cast: Cast, timeline: Timeline, plan: Plan, at: dt.datetime) -> None:
    order = plan.order
    if plan.state == "unsuccessful":
        if order.status == "evaluating":  # an earlier run may have found it hopeless already
            _run(demo, cast, at)
        _expect(order, "unsuccessful")
        return
    moment = _award(demo, cast, plan, at)
    contracts = demo.session.scalars(select(Contract).where(Contract.order_id == order.id)
                                     .order_by(Contract.id)).all()
    if plan.state == "awarded":
        for contract in contracts:
            _occupy(demo, cast, contract)
        return
    started = moment + dt.timedelta(days=demo.rng.uniform(1, 3))  # the firms start work
    timeline.at(started, partial(_move, demo, order, "in_progress", None))
    if plan.state == "in_progress":
        for contract in contracts:
            _occupy(demo, cast, contract)
            _report_progress(demo, plan, contract, timeline)
        return
    decided = [_complete(demo, cast, plan, contract, timeline) for contract in contracts]
    timeline.at(max(decided), partial(_move, demo, order, "completed", plan.agency.user))


def _move(demo: Demo, order: Order, target: str, actor, at: dt.datetime) -> None:
    # No service moves an order on after its award yet: the work starting, the agency accepting
    # the last delivery. The order lifecycle does, as such a service would.
    ORDER_LIFECYCLE.transition(demo.session, order, target, actor=actor, organization_id=order.agency_id, now=at)


def _award(demo: Demo, cast: Cast, plan: Plan, at: dt.datetime) -> dt.datetime:
    """Run matching and approve the order's proposals until it is covered; the time of the last approval."""
    order, moment = plan.order, at
    reject_first = (plan.state, plan.index) in REJECTED_FIRST
    for _attempt in range(MAX_RUNS):
        run = _run(demo, cast, moment)
        proposals = demo.session.scalars(select(Allocation).where(
            Allocation.run_id == run.id, Allocation.order_id == order.id).order_by(Allocation.id)).all()
        moment += STEP
        if reject_first and proposals and _eligible_bids(demo.session, run.id, order.id) >= 3:
            allocations.reject(demo.session, proposals[0].id, actor=cast.coordinator,
                               reason=demo.rng.choice(REJECTION_REASONS), now=moment)
            reject_first = False
            moment += STEP
            continue
        for allocation in proposals:
            if allocation.status == "proposed":  # the others were closed once the order was covered
                allocations.approve(demo.session, allocation.id, actor=cast.coordinator,
                                    reason=demo.rng.choice(APPROVAL_REASONS), now=moment)
        if order.status == "awarded":
            return moment
        moment += STEP
    _expect(order, "awarded")
    return moment


def _run(demo: Demo, cast: Cast, at: dt.datetime):
    with _scored_by_the_prior(demo.session):
        return run_matching(demo.session, actor=cast.coordinator, now=at)


@contextmanager
def _scored_by_the_prior(session: Session):
    """Matching scores quality by the proficiency prior, as the platform did before a model was trained.

    A model in the instance folder (trained on an earlier demo database) was trained on these very
    outcomes, and would make the same seed write different awards depending on what the folder holds.
    """
    settings = settings_of(session)
    # A folder with no models in it: the run falls back on the prior.
    session.info[SESSION_KEY] = replace(settings, instance_path=os.path.join(settings.instance_path,
                                                                             "no-model-while-seeding"))
    try:
        yield
    finally:
        session.info[SESSION_KEY] = settings


def _eligible_bids(session: Session, run_id: int, order_id: int) -> int:
    return session.scalar(select(func.count(BidEvaluation.id)).where(
        BidEvaluation.run_id == run_id, BidEvaluation.order_id == order_id, BidEvaluation.eligible.is_(True)))


def _expect(order: Order, status: str) -> None:
    if order.status != status:
        raise RuntimeError(f"demo order {order.id} ({order.title}) should be {status} after matching but is "
                           f"{order.status}; the seed's plan for it does not suit the engine")


def _occupy(demo: Demo, cast: Cast, contract: Contract) -> None:
    """Tell the hidden model of a contract still running, so later outcomes see the seats it takes."""
    vendor = cast.vendor(contract.vendor_id)
    demo.outcomes.occupy(vendor.spec.slug, contract.starts_at, contract.deadline, contract.seats,
                         contract.order.modality)


def _report_progress(demo: Demo, plan: Plan, contract: Contract, timeline: Timeline) -> None:
    """A running contract's reports so far: the first milestone delivered and its lot accepted once due,
    then part of the second; or, while the first is not due, part of the first."""
    rng = demo.rng
    first, second = contract.milestones[0], contract.milestones[1]
    if first.due_at >= demo.today:
        done = int(first.volume * rng.uniform(0.3, 0.9))
        timeline.at(demo.ago(rng.uniform(0.2, 2)), partial(_report, contract, first, done, None))
        return
    delivered = first.due_at - dt.timedelta(days=rng.uniform(0, 3))
    sample = sample_size(first.volume)
    defects = int(sample * max(0.0, 1 - plan.order.accuracy_target - rng.uniform(-0.01, 0.02)))
    accepted = DeliveryLot(
        volume=first.volume, note="首批交付", status="accepted", submitted_at=delivered, sample_size=sample,
        sample_defects=defects, measured_accuracy=round(1 - defects / sample, 4),
        decided_at=min(demo.today, delivered + dt.timedelta(days=2)), decided_by_id=plan.agency.user.id,
        reason="抽检合格",
    )
    timeline.at(delivered, partial(_report, contract, first, first.volume, accepted))
    reported = delivered + (demo.today - delivered) * rng.uniform(0.3, 0.9)
    done = first.volume + int((second.volume - first.volume) * rng.uniform(0.2, 0.8))
    waiting = None
    if rng.random() < 0.5 and done > first.volume:
        # Part of the second batch handed in, waiting for the agency's inspection.
        waiting = DeliveryLot(volume=done - first.volume, note="中期交付（部分）", status="submitted",
                              submitted_at=reported)
    timeline.at(reported, partial(_report, contract, second, done, waiting))


def _report(contract: Contract, milestone: Milestone, done: int, lot: DeliveryLot | None, at: dt.datetime) -> None:
    """The firm reports `done` against `milestone` (cumulative, as done_volume reads it), handing in `lot`."""
    milestone.reported_volume = done
    if done >= milestone.volume:
        milestone.completed_at = at
    if lot is not None:
        contract.lots.append(lot)


def _complete(demo: Demo, cast: Cast, plan: Plan, contract: Contract, timeline: Timeline) -> dt.datetime:
    """A contract of a completed order: its outcome drawn at its start, delivered and accepted when it
    happened; returns when the agency accepted it."""
    rng = demo.rng
    outcome = draw_outcome(demo, cast.vendor(contract.vendor_id), plan.order, contract.starts_at, contract.seats)
    sample = sample_size(contract.volume)
    defects = round(sample * (1 - outcome.accuracy_achieved))
    lot = DeliveryLot(
        volume=contract.volume, note="全部交付", status="accepted", submitted_at=outcome.completed_at,
        sample_size=sample, sample_defects=defects, measured_accuracy=round(1 - defects / sample, 4),
        decided_at=outcome.completed_at + dt.timedelta(hours=rng.uniform(4, 24)),
        decided_by_id=plan.agency.user.id, reason="终验通过",
    )
    timeline.at(outcome.completed_at, partial(_deliver_all, contract, outcome, lot))
    return lot.decided_at


def _deliver_all(contract: Contract, outcome: Outcome, lot: DeliveryLot, at: dt.datetime) -> None:
    finish(contract, outcome)
    contract.lots.append(lot)


def draw_outcome(demo: Demo, vendor: Vendor, order: Order, starts: dt.datetime, seats: int) -> Outcome:
    """How a contract of `vendor` on `order` turned out, by the hidden model; drawn in order of start."""
    capability = vendor.capabilities[(order.modality, order.annotation_type)]
    return demo.outcomes.draw(
        vendor=vendor.spec.slug, vendor_seats=vendor.seats, skill=(order.modality, order.annotation_type),
        assessed=capability.assessed_proficiency, suspended=vendor.spec.status == "suspended",
        accuracy_target=order.accuracy_target, starts_at=starts, deadline=order.delivery_deadline,
        seats=seats, not_after=demo.today - dt.timedelta(days=2),
    )


def finish(contract: Contract, outcome: Outcome) -> None:
    """The contract delivered in full: its outcome and rating, every milestone reported done."""
    contract.status = "completed"
    contract.completed_at = outcome.completed_at
    contract.delivered_on_time = outcome.delivered_on_time
    contract.accuracy_achieved = outcome.accuracy_achieved
    contract.rating = outcome.rating
    contract.rating_comment = outcome.rating_comment
    for milestone in contract.milestones:
        milestone.reported_volume = milestone.volume  # cumulative: the last one is the whole volume
        milestone.completed_at = min(milestone.due_at, outcome.completed_at)
    contract.milestones[-1].completed_at = outcome.completed_at
