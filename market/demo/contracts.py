"""The coordinators' decisions on today's closed orders, and the contracts they made, in their states.

At its decision time an order is matched as the platform matches: a coordinator runs the engine
(run_matching, over every order under evaluation at that moment) and approves the proposals for
it (approve: the bid is awarded, the contract made by create_contract with its milestone plan,
the order awarded once covered, the losing bids rejected); now and then the coordinator first
rejects a proposal with a reason (reject) and runs the engine again. An order no eligible bid can
win is made unsuccessful by the run itself.

What follows an award goes through the contracts' services too, on the timeline, dated when it
happened (see Delivery): the firm reports progress and hands in lots, the agency inspects them by
the plan the service gives, pays and rates, a coordinator terminates a contract the firm defaulted
on and matches the remainder again; the orders move to in_progress and completed as the services
move them. Between them the running contracts show every post-award case: work in progress, lots
waiting for inspection, a lot rejected and resubmitted, tightened inspection after two rejections,
a terminated contract, a payment overdue; the completed ones are rated. How a completed contract
turned out comes from the hidden model of market.demo.history, and its inspections record it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from contextlib import contextmanager
from dataclasses import replace
from functools import partial

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from market.allocations import services as allocations
from market.allocations.models import Allocation, BidEvaluation
from market.allocations.runs import run_matching
from market.contracts import lots, payments, progress, ratings
from market.contracts.models import Contract, DeliveryLot
from market.contracts.services import done_volume
from market.demo.catalogue import APPROVAL_REASONS, REJECTION_REASONS
from market.demo.context import Demo
from market.demo.history import Outcome
from market.demo.orders import Plan
from market.demo.people import Cast, Vendor
from market.demo.timeline import Timeline
from market.orders.models import Order
from market.settings import SESSION_KEY, settings_of

# How often a coordinator runs matching again for what one run left of an order.
MAX_RUNS = 3
# The orders (state, index) on which the coordinator first rejects the top proposal.
REJECTED_FIRST = {("awarded", 1), ("in_progress", 1)}
STEP = dt.timedelta(minutes=20)  # between a run, the coordinator's decisions and the next run


def schedule_decisions(demo: Demo, cast: Cast, plans: list[Plan], timeline: Timeline) -> None:
    delivery = Delivery(demo, cast, timeline)
    for plan in plans:
        if plan.decided is not None:
            timeline.at(plan.decided, partial(_decide, demo, cast, delivery, plan))


def _decide(demo: Demo, cast: Cast, delivery: Delivery, plan: Plan, at: dt.datetime) -> None:
    order = plan.order
    if plan.state == "unsuccessful":
        if order.status == "evaluating":  # an earlier run may have found it hopeless already
            _run(demo, cast, at)
        _expect(order, "unsuccessful")
        return
    _award(demo, cast, plan, at)
    contracts = demo.session.scalars(select(Contract).where(Contract.order_id == order.id)
                                     .order_by(Contract.id)).all()
    if plan.state == "awarded":
        for contract in contracts:
            _occupy(demo, cast, contract)
        return
    if plan.state == "in_progress":
        for contract in contracts:
            _occupy(demo, cast, contract)
            _run_contract(delivery, plan, contract)
        return
    # The order completes with the inspection that accepts its last delivery.
    for contract in contracts:
        _complete(delivery, cast, plan, contract)


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


class Delivery:
    """The work after the awards, done through the contracts' services by the people who do it: the
    firm reports progress and hands in lots, the agency inspects, pays and rates, a coordinator
    terminates. It hands out the post-award cases the demo shows, each to the first running contract
    it suits, so every case is there whatever the draw."""

    def __init__(self, demo: Demo, cast: Cast, timeline: Timeline) -> None:
        self.demo, self.cast, self.timeline = demo, cast, timeline
        self.cases = list(RUNNING_CASES)
        self.overdue_left = OVERDUE_PAYMENTS

    def at(self, moment: dt.datetime, step) -> None:
        self.timeline.at(moment, step)

    def vendor(self, contract: Contract):
        return self.cast.vendor(contract.vendor_id).user

    def case_for(self, contract: Contract) -> str:
        """The case a running contract shows; "normal" once each case has its contract."""
        first = contract.milestones[0]
        for case in self.cases:
            if first.due_at < self.demo.today - RUNNING_CASES[case]:
                self.cases.remove(case)
                return case
        return "normal"

    # The firm

    def report(self, contract: Contract, done: int, note: str, at: dt.datetime) -> None:
        if done > done_volume(contract):
            progress.report_progress(self.demo.session, contract.id, {"volume_done": done, "note": note},
                                     actor=self.vendor(contract), now=at)

    def submit(self, contract: Contract, volume: int, note: str, at: dt.datetime,
               resubmits: DeliveryLot | None = None) -> DeliveryLot:
        tag = f"{contract.order_id}-{contract.id}-{len(contract.lots) + 1}"
        data = {"volume": volume, "note": note, "item_count": volume,
                "checksum": hashlib.sha256(f"demo-lot-{tag}".encode()).hexdigest(),
                "resubmission_of_id": resubmits.id if resubmits else None}
        return lots.submit_lot(self.demo.session, contract.id, data, actor=self.vendor(contract), now=at)

    # The agency

    def inspect(self, plan: Plan, lot: DeliveryLot, accuracy: float, at: dt.datetime, *,
                verdict: str | None = None) -> DeliveryLot:
        """The agency counts the nonconforming items of the drawn sample: as many as `accuracy` gives,
        or, for a `verdict` the case needs, just enough to accept or reject."""
        defects = min(lot.sample_size, max(0, round(lot.sample_size * (1 - accuracy))))
        if verdict == "accept":
            defects = min(defects, lot.accept_number)
        elif verdict == "reject":
            defects = max(defects, lot.reject_number)
        note = INSPECTION_NOTES["accept" if defects <= lot.accept_number else "reject"]
        return lots.inspect_lot(self.demo.session, lot.id, {"nonconforming": defects, "note": note},
                                actor=plan.agency.user, now=at)

    def pay(self, plan: Plan, contract: Contract, lot: DeliveryLot, *, may_be_late: bool = False) -> None:
        """The agency's finance office pays an accepted lot some days later, if that is before today;
        the first lot accepted long enough ago that `may_be_late` allows is left unpaid past its due date."""
        payment = next(p for p in contract.payments if p.lot_id == lot.id)
        term = dt.timedelta(days=contract.payment_term_days)
        if may_be_late and self.overdue_left and lot.decided_at + term + OVERDUE_BY < self.demo.today:
            self.overdue_left -= 1
            return
        paid = lot.decided_at + dt.timedelta(days=self.demo.rng.uniform(6, 24))
        if paid >= self.demo.today:
            return
        reference = f"GZCZ-{self.demo.settings.local_date(paid):%Y%m%d}-{lot.id:05d}"

        def record(at: dt.datetime) -> None:
            payments.record_payment(self.demo.session, contract.id, {
                "lot_id": lot.id, "amount": payment.amount, "paid_on": self.demo.settings.local_date(at),
                "reference": reference}, actor=plan.agency.user, now=at)
        self.at(paid, record)

    def accepted_then_paid(self, plan: Plan, contract: Contract, lot_of, accuracy: float, at: dt.datetime,
                           verdict: str) -> None:
        """Inspect the lot `lot_of()` gives at `at`; once accepted, schedule its payment."""
        def step(moment: dt.datetime) -> None:
            lot = self.inspect(plan, lot_of(), accuracy, moment, verdict=verdict)
            if lot.status == "accepted":
                self.pay(plan, contract, lot)
        self.at(at, step)


# The cases of running contracts, each handed to the first running contract whose first batch was
# due long enough ago for the case to have happened since.
RUNNING_CASES = {"rejected_resubmitted": dt.timedelta(days=12), "tightened": dt.timedelta(days=12),
                 "terminated": dt.timedelta(days=7)}
OVERDUE_PAYMENTS = 2  # accepted lots the agencies have not paid by their due date
OVERDUE_BY = dt.timedelta(days=3)
INSPECTION_NOTES = {"accept": "按GB/T 2828.1抽检，不合格数未超过接收数，本批验收合格。",
                    "reject": "按GB/T 2828.1抽检，不合格数达到拒收数，本批退回返工。"}
TERMINATION_REASON = ("首批成果逾期未交付，经书面催告仍未在限期内改正，"
                      "依据合同约定解除合同，剩余工作量重新匹配。")


def _run_contract(delivery: Delivery, plan: Plan, contract: Contract) -> None:
    """A running contract's course so far: work starts a few days after the award; the first batch
    is handed in and inspected once due, then part of the second; or, while the first is not due,
    part of the first. The cases of RUNNING_CASES go differently."""
    demo, rng = delivery.demo, delivery.demo.rng
    first, second = contract.milestones[0], contract.milestones[1]
    started = contract.starts_at + dt.timedelta(days=rng.uniform(1, 3))
    delivery.at(started, partial(delivery.report, contract, max(1, int(first.volume * rng.uniform(0.1, 0.25))),
                                 "项目启动，标注团队进场，完成首轮试标与规范对齐。"))
    if first.due_at >= demo.today:
        done = int(first.volume * rng.uniform(0.3, 0.9))
        delivery.at(max(started, demo.ago(rng.uniform(0.2, 2))),
                    partial(delivery.report, contract, done, "按计划推进首批标注。"))
        return
    case = delivery.case_for(contract)
    accuracy = plan.order.accuracy_target + rng.uniform(-0.005, 0.02)
    if case == "terminated":
        _default(delivery, plan, contract, first.due_at + dt.timedelta(days=rng.uniform(4, 6)))
        return
    delivered = first.due_at - dt.timedelta(days=rng.uniform(0, 3))
    lots_of: dict[str, DeliveryLot] = {}

    def hand_in(key: str, volume: int, note: str, resubmits: str | None = None):
        def step(at: dt.datetime) -> None:
            lots_of[key] = delivery.submit(contract, volume, note, at, lots_of.get(resubmits))
        return step

    delivery.at(delivered, partial(delivery.report, contract, first.volume, "首批成果完成并自检。"))
    delivery.at(delivered, hand_in("first", first.volume, "首批交付"))
    decided = delivered + dt.timedelta(days=rng.uniform(1, 2))
    part = max(1, int((second.volume - first.volume) * rng.uniform(0.3, 0.5)))
    if case == "normal" and decided >= demo.today:
        return  # handed in, waiting for the agency's inspection
    if case == "normal":
        delivery.accepted_then_paid(plan, contract, lambda: lots_of["first"], accuracy, decided,
                                    verdict="accept")
        last = decided
    elif case == "rejected_resubmitted":
        delivery.accepted_then_paid(plan, contract, lambda: lots_of["first"], accuracy, decided,
                                    verdict="reject")
        again = decided + dt.timedelta(days=rng.uniform(2, 3))
        delivery.at(again, hand_in("again", first.volume, "首批返工后重新交付：已按抽检意见全量复核并修正。",
                                   "first"))
        last = again + dt.timedelta(days=rng.uniform(1, 2))
        delivery.accepted_then_paid(plan, contract, lambda: lots_of["again"], accuracy + 0.01, last,
                                    verdict="accept")
    else:  # tightened: two of the first lots rejected switch the contract to tightened inspection
        delivery.accepted_then_paid(plan, contract, lambda: lots_of["first"], accuracy, decided,
                                    verdict="reject")
        early = decided + dt.timedelta(days=rng.uniform(1, 2))
        delivery.at(early, partial(delivery.report, contract, first.volume + part, "第二批部分完成。"))
        delivery.at(early, hand_in("second", part, "第二批部分交付"))
        rejected = early + dt.timedelta(days=rng.uniform(1, 2))
        delivery.accepted_then_paid(plan, contract, lambda: lots_of["second"], accuracy, rejected,
                                    verdict="reject")
        again = rejected + dt.timedelta(days=rng.uniform(1, 2))
        delivery.at(again, hand_in("again", first.volume, "首批返工后重新交付（加严检验）。", "first"))
        last = again + dt.timedelta(days=rng.uniform(1, 2))
        delivery.accepted_then_paid(plan, contract, lambda: lots_of["again"], accuracy + 0.02, last,
                                    verdict="accept")
        # The second part's rework is handed in and waits for the agency's tightened inspection.
        delivery.at(last + (demo.today - last) * rng.uniform(0.3, 0.7),
                    hand_in("second again", part, "第二批部分返工后重新交付。", "second"))
        return
    reported = last + (demo.today - last) * rng.uniform(0.3, 0.9)
    done = first.volume + max(1, int((second.volume - first.volume) * rng.uniform(0.2, 0.8)))
    delivery.at(reported, partial(delivery.report, contract, done, "第二批标注推进中。"))
    if case == "normal" and rng.random() < 0.5 or case == "rejected_resubmitted":
        # Part of the second batch handed in, waiting for the agency's inspection.
        delivery.at(reported, hand_in("waiting", done - first.volume, "中期交付（部分）"))


def _default(delivery: Delivery, plan: Plan, contract: Contract, at: dt.datetime) -> None:
    """The firm misses its first batch; a coordinator terminates the contract and matches the
    remainder again at once, the new contract starting as the old did."""
    demo, cast = delivery.demo, delivery.cast

    def terminate(moment: dt.datetime) -> None:
        progress.terminate_contract(demo.session, contract.id, actor=cast.coordinator,
                                    reason=TERMINATION_REASON, now=moment)
        before = set(demo.session.scalars(select(Contract.id).where(Contract.order_id == plan.order.id)))
        _rematch(demo, cast, plan, moment + STEP)
        for new in demo.session.scalars(select(Contract).where(Contract.order_id == plan.order.id,
                                                                Contract.id.not_in(before))):
            _occupy(demo, cast, new)
            started = new.starts_at + dt.timedelta(days=demo.rng.uniform(1, 2))
            done = max(1, int(new.milestones[0].volume * demo.rng.uniform(0.2, 0.6)))
            delivery.at(started, partial(delivery.report, new, done, "接续承接剩余工作量，已进场开展标注。"))
    delivery.at(at, terminate)


def _rematch(demo: Demo, cast: Cast, plan: Plan, at: dt.datetime) -> None:
    """The coordinator runs matching for what a terminated contract left and approves the proposals."""
    order, moment = plan.order, at
    for _attempt in range(MAX_RUNS):
        run = _run(demo, cast, moment)
        moment += STEP
        for allocation in demo.session.scalars(select(Allocation).where(
                Allocation.run_id == run.id, Allocation.order_id == order.id).order_by(Allocation.id)):
            if allocation.status == "proposed":
                allocations.approve(demo.session, allocation.id, actor=cast.coordinator,
                                    reason=demo.rng.choice(APPROVAL_REASONS), now=moment)
        if order.status == "awarded":
            return
    _expect(order, "awarded")


def _complete(delivery: Delivery, cast: Cast, plan: Plan, contract: Contract) -> None:
    """A contract of a completed order: its outcome drawn at its start (when it is delivered in full
    and how well), reported, handed in and inspected when it happened; a lot the sample rejects is
    reworked and handed in again. The inspection completes the contract; the agency pays and rates."""
    demo, rng = delivery.demo, delivery.demo.rng
    outcome = draw_outcome(demo, cast.vendor(contract.vendor_id), plan.order, contract.starts_at, contract.seats)
    first = contract.milestones[0]
    reported = min(first.due_at, contract.starts_at + (outcome.completed_at - contract.starts_at) * 0.4)
    delivery.at(reported, partial(delivery.report, contract, first.volume, "首批标注完成，进入第二阶段。"))
    delivery.at(outcome.completed_at, partial(delivery.report, contract, contract.volume, "全部标注完成，提交终验。"))
    lots_of: dict[str, DeliveryLot] = {}

    def hand_in(key: str, note: str, resubmits: str | None = None):
        def step(at: dt.datetime) -> None:
            lots_of[key] = delivery.submit(contract, contract.volume, note, at, lots_of.get(resubmits))
        return step

    def inspect(key: str, accuracy: float, verdict: str | None):
        def step(at: dt.datetime) -> None:
            lot = delivery.inspect(plan, lots_of[key], accuracy, at, verdict=verdict)
            if lot.status == "accepted":
                delivery.pay(plan, contract, lot, may_be_late=True)
                _rate(delivery, plan, contract, outcome, at + dt.timedelta(days=rng.uniform(1, 3)))
            elif at + REWORK < demo.today:
                again = at + dt.timedelta(days=rng.uniform(2, 3))
                delivery.at(again, hand_in("again", "终验返工后重新交付。", "all"))
                delivery.at(again + dt.timedelta(hours=rng.uniform(6, 24)),
                            inspect("again", max(outcome.accuracy_achieved, plan.order.accuracy_target), "accept"))
        return step

    delivery.at(outcome.completed_at, hand_in("all", "全部交付"))
    decided = outcome.completed_at + dt.timedelta(hours=rng.uniform(4, 24))
    # A lot rejected too late to be reworked before today is one the agency accepted after all.
    verdict = None if decided + REWORK < demo.today else "accept"
    delivery.at(decided, inspect("all", outcome.accuracy_achieved, verdict))


REWORK = dt.timedelta(days=4)  # from a rejection to the reworked lot's acceptance, at most
REPLIES = ("感谢贵单位的评价，我们将针对抽检发现的问题加强质检流程。",
           "感谢认可，后续项目我们将继续保持交付质量和进度。")


def _rate(delivery: Delivery, plan: Plan, contract: Contract, outcome: Outcome, at: dt.datetime) -> None:
    """The agency rates the vendor of a completed contract a few days after; the firm now and then
    replies."""
    demo, rng = delivery.demo, delivery.demo.rng
    if at >= demo.today:
        at = demo.today - dt.timedelta(hours=rng.uniform(1, 6))

    def scored(base: int) -> int:
        return min(5, max(1, base + rng.choice((-1, 0, 0, 1))))

    scores = {"quality": scored(outcome.rating),
              "timeliness": scored(outcome.rating if outcome.delivered_on_time else outcome.rating - 1),
              "communication": scored(outcome.rating)}
    reply = rng.choice(REPLIES) if rng.random() < 0.4 else None

    def rate(moment: dt.datetime) -> None:
        ratings.rate_contract(demo.session, contract.id, {**scores, "comment": outcome.rating_comment},
                              actor=plan.agency.user, now=moment)
        if reply is not None and moment + dt.timedelta(days=1) < demo.today:
            delivery.at(moment + dt.timedelta(days=rng.uniform(0.2, 1)), partial(
                lambda text, when: ratings.reply_to_rating(demo.session, contract.id, {"reply": text},
                                                           actor=delivery.vendor(contract), now=when), reply))
    delivery.at(at, rate)

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
