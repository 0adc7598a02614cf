"""Today's orders in every state, with their bids, questions, withdrawals, closings and cancellations.

Each order is planned first (what it asks, who bids what and when, which questions come), all
from the seeded random stream; its life is then put on the timeline, where every step calls the
service the platform would have: create_order, publish_order, submit_bid, ask_question,
answer_question, amend_order, confirm_bid, withdraw_bid, close_bidding (the closing job, which
lapses the bids not confirmed after a material amendment) and cancel_order, each with
`now=` the moment it happened. The coordinators' decisions are market.demo.contracts'.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from functools import partial

from market.bids import services as bids
from market.bids.models import Bid
from market.demo import work
from market.demo.catalogue import CANCEL_REASONS, TEMPLATES, TaskTemplate
from market.demo.context import Demo
from market.demo.people import Agency, Cast, Vendor
from market.demo.rules import Rules
from market.demo.timeline import Timeline
from market.orders import services as orders
from market.orders.models import Order, Question

# How many of today's orders to write in each state; "published_closed" is published with its
# closing time passed and the closing job not yet run (the API shows it as evaluating).
ORDER_PLAN = (
    ("draft", 8), ("published", 12), ("published_closed", 5), ("evaluating", 10), ("awarded", 6),
    ("in_progress", 8), ("completed", 6), ("cancelled", 5), ("unsuccessful", 4),
)
# The states reached by approving matches: their orders must be ones matching can cover.
AWARDED_STATES = ("awarded", "in_progress", "completed")
# When bidding closed, in days before today, by state.
CLOSED_DAYS_AGO = {"published_closed": (1, 3), "evaluating": (2, 7), "awarded": (10, 18), "in_progress": (25, 45),
                   "completed": (80, 95), "unsuccessful": (8, 30)}
CLOSING_JOB_DELAY = dt.timedelta(minutes=1)  # the scheduler's closing job runs every minute

# Amendments of today's orders, by state: the field, how it changes, the agency's note, and where
# in the bidding window it comes; each goes to the order of that state with the most bids. The
# deadline's extension is material: bids placed before it are confirmed a day later, all but the
# dearest, which lapses when bidding closes.
AMENDMENTS = {
    "published": ("label_set", lambda labels: [*labels, "其他"],
                  "经与算法团队确认，补充“其他”类别，无法归入既有类别的目标统一标为“其他”，避免漏标。", 0.5),
    "evaluating": ("delivery_deadline", lambda deadline: deadline + dt.timedelta(days=15),
                   "样本数据移交推迟，交付期限相应延长15天；已投标企业请确认报价是否维持或修改投标。", 0.35),
}
CONFIRMATION_DELAY = dt.timedelta(days=1)

GENERIC_QUESTIONS = (
    ("平台是否提供标注工具？", "平台提供在线标注工具，也可使用自有工具，交付格式须符合需求说明。"),
    ("能否分批交付？", "可以，按里程碑分三批交付，每批验收合格后进入下一批。"),
    ("样例数据何时提供？", "发布后即可在平台下载200条样例数据。"),
    ("是否接受联合体投标？", "本项目不接受联合体投标。"),
    ("验收抽检不合格如何处理？", "按GB/T 2828.1抽检，不合格批次退回返工，返工后重新抽检。"),
)


@dataclass
class PlannedBid:
    vendor: Vendor
    terms: dict  # as submit_bid takes them
    at: dt.datetime
    bid: Bid | None = None  # once submitted


@dataclass
class PlannedQuestion:
    asker: Vendor
    text: str
    answer: str
    asked: dt.datetime
    answered: dt.datetime | None  # None: still waiting for the agency


@dataclass
class PlannedAmendment:
    changes: dict  # as amend_order takes them, with the note
    at: dt.datetime
    confirmations: list[PlannedBid] = field(default_factory=list)  # confirmed a day later


@dataclass
class Plan:
    """One of today's orders: what it asks and what happens to it, and when."""

    state: str  # one of ORDER_PLAN's
    index: int  # its place among the orders planned in this state
    agency: Agency
    template: TaskTemplate
    data: dict  # as create_order takes it
    created: dt.datetime
    published: dt.datetime | None = None
    cancel_from: str | None = None
    cancel_at: dt.datetime | None = None
    cancel_reason: str | None = None
    decided: dt.datetime | None = None  # when the coordinators ran matching and decided
    bids: list[PlannedBid] = field(default_factory=list)
    questions: list[PlannedQuestion] = field(default_factory=list)
    withdrawal: tuple[PlannedBid, dt.datetime] | None = None
    amendment: PlannedAmendment | None = None
    order: Order | None = None  # once created

    @property
    def closes(self) -> dt.datetime:
        return self.data["bidding_closes_at"]

    @property
    def closed_by_job(self) -> bool:
        """Whether the closing job ran on it (the others are open, were cancelled first, or wait for the job)."""
        return self.state in ("evaluating", "unsuccessful", *AWARDED_STATES) or self.cancel_from == "evaluating"


def plan_orders(demo: Demo, cast: Cast, rules: Rules) -> list[Plan]:
    rng = demo.rng
    plans = []
    for state, count in ORDER_PLAN:
        for i in range(count):
            # The first order in each state belongs to the demo agency login; the first open one
            # is traffic camera frames to box, which the demo vendor login can bid on.
            if i == 0:
                template = TEMPLATES[0] if state == "published" else work.pick_template(rng, "transport")
                agency = cast.agencies["gz_transport"]
            else:
                template = work.pick_template(rng)
                agency = work.pick_agency(rng, cast, template)
            plan = _plan(demo, cast, rules, rng, state, i, template, agency)
            _plan_bids(demo, cast, rules, rng, plan)
            _plan_questions(demo, rng, plan)
            plans.append(plan)
    for state in AMENDMENTS:
        # Ties go to the first planned: the choice draws nothing from the random stream.
        _plan_amendment(demo, max((p for p in plans if p.state == state), key=lambda p: len(p.bids)))
    _check_decisions_precede_closings(plans)
    return plans


def _plan(demo: Demo, cast: Cast, rules: Rules, rng: random.Random, state: str, i: int, template: TaskTemplate,
          agency: Agency) -> Plan:
    """When things happen to one order in `state`, relative to now."""
    window = rng.uniform(30, 75)
    cancel_from = cancel_at = None
    if state == "draft":
        closes, created = demo.local_time(rng.randint(10, 25), 17), demo.ago(rng.uniform(0.5, 6))
    elif state == "published":
        closes, created = demo.local_time(rng.randint(2, 16), 17), demo.ago(rng.uniform(4, 15))
    elif state == "cancelled":
        cancel_from = ("draft", "published", "evaluating")[i % 3]
        if cancel_from == "draft":
            closes, created = demo.local_time(rng.randint(5, 20), 17), demo.ago(rng.uniform(6, 20))
            cancel_at = created + dt.timedelta(days=rng.uniform(1, 5))
        elif cancel_from == "published":
            closes = demo.local_time(rng.randint(2, 10), 17)
            created = closes - dt.timedelta(days=rng.uniform(20, 30))
            cancel_at = demo.ago(rng.uniform(0.5, 3))
        else:
            closes = demo.local_time(-rng.randint(5, 20), 17)
            created = closes - dt.timedelta(days=rng.uniform(16, 25))
            cancel_at = closes + dt.timedelta(days=rng.uniform(1, 4))
    else:
        closes = demo.local_time(-rng.randint(*CLOSED_DAYS_AGO[state]), 17)
        created = closes - dt.timedelta(days=rng.uniform(16, 25))
        if state == "in_progress":
            window = rng.uniform(60, 100)  # still running today
        elif state == "completed":
            window = rng.uniform(35, 55)
    strict = state == "unsuccessful" and i % 2 == 0
    data = work.draw_order(demo, rules, cast, rng, template, agency, closes=closes, window_days=window,
                           created=created, strict=strict)
    plan = Plan(state, i, agency, template, data, created, cancel_from=cancel_from, cancel_at=cancel_at)
    if state != "draft" and cancel_from != "draft":
        plan.published = min(created + dt.timedelta(days=1, hours=2), demo.today - dt.timedelta(hours=3))
    if cancel_from:
        plan.cancel_reason = rng.choice(CANCEL_REASONS)
    if state in AWARDED_STATES or state == "unsuccessful":
        # The coordinators decide a few days after closing; before any "published_closed" order closes.
        days = rng.uniform(2, 5) if state in AWARDED_STATES else rng.uniform(2, 4)
        plan.decided = closes + CLOSING_JOB_DELAY + dt.timedelta(days=days)
    return plan


def _plan_bids(demo: Demo, cast: Cast, rules: Rules, rng: random.Random, plan: Plan) -> None:
    """Several bids per order that took bids, from firms that meet its hard rules: submit_bid refuses
    any other bid at once (it asks the engine's rules), so none of those is ever stored."""
    if plan.published is None:
        return
    order = work.draft(plan.data)
    until = min(plan.closes, demo.today, plan.cancel_at or demo.today) - dt.timedelta(minutes=30)
    # Only verified firms can bid (submit_bid refuses the others); of them, those with the skill try.
    capable = [v for v in cast.vendors if plan.template.skill in v.capabilities and v.verified]
    eligible = rules.could_win(order, capable)
    if plan.state == "unsuccessful":
        # Nobody could meet its hard rules, or nobody bid within its budget: no bid was taken, and the
        # matching run finds no eligible bid.
        return
    bidders = rng.sample(eligible, min(len(eligible), rng.randint(3, 6)))
    if cast.main_vendor in eligible and cast.main_vendor not in bidders and rng.random() < 0.6:
        bidders.append(cast.main_vendor)
    if plan.state in AWARDED_STATES and eligible:
        # Matching must be able to cover the order: one bidder at least has the seats for all of it.
        roomy = max(eligible, key=lambda v: (work.room(order, v), -v.org.id))
        if all(work.room(order, v) < 1 / work.SEAT_SHARE for v in bidders) and roomy not in bidders:
            bidders.append(roomy)
    published = plan.published
    for vendor in bidders:
        at = published + (until - published) * rng.uniform(0.1, 1.0)
        plan.bids.append(PlannedBid(vendor, work.bid_terms(rng, demo, order, vendor), at))
    if plan.state == "published" and plan.bids and rng.random() < 0.4:
        withdrawn = rng.choice(plan.bids)
        plan.withdrawal = (withdrawn, withdrawn.at + (demo.today - withdrawn.at) / 2)


def _plan_questions(demo: Demo, rng: random.Random, plan: Plan) -> None:
    if not plan.bids:
        return
    pool = list(plan.template.questions) + list(GENERIC_QUESTIONS)
    last = min(plan.closes, demo.today, plan.cancel_at or demo.today) - dt.timedelta(hours=1)
    for text, answer in rng.sample(pool, rng.randint(0, 3)):
        asker = rng.choice(plan.bids).vendor
        asked = plan.published + (last - plan.published) * rng.uniform(0.05, 0.6)
        # On open orders some questions still wait for their answer.
        if plan.state == "published" and rng.random() < 0.35:
            answered = None
        else:
            answered = asked + (last - asked) * rng.uniform(0.1, 0.5)
        plan.questions.append(PlannedQuestion(asker, text, answer, asked, answered))


def _plan_amendment(demo: Demo, plan: Plan) -> None:
    """The amendment AMENDMENTS gives the order's state."""
    name, change, note, share = AMENDMENTS[plan.state]
    until = min(plan.closes, demo.today)
    at = plan.published + (until - plan.published) * share
    if name == "delivery_deadline":
        # After two bids at least, so one is confirmed and one lapses; early enough that bidding
        # needs no extension (the closing job is planned for the original closing time).
        latest = plan.closes - dt.timedelta(days=demo.settings.amendment_min_open_days + 1)
        placed = sorted(b.at for b in plan.bids)
        if len(placed) >= 2:
            at = min(max(at, placed[1] + dt.timedelta(hours=1)), latest)
    amendment = PlannedAmendment({name: change(plan.data[name]), "note": note}, at)
    if name == "delivery_deadline":
        earlier = sorted((b for b in plan.bids if b.at < at), key=lambda b: b.terms["unit_price"])
        amendment.confirmations = earlier[:-1] if len(earlier) > 1 else earlier
    plan.amendment = amendment


def _check_decisions_precede_closings(plans: list[Plan]) -> None:
    # A matching run takes every order whose bidding has closed and moves it to evaluating: a run
    # after a "published_closed" order closed would leave nothing for the closing job to do.
    first = min(p.closes for p in plans if p.state == "published_closed")
    if any(p.decided and p.decided >= first for p in plans):
        raise RuntimeError("a demo order is decided after a 'published_closed' one closed; see CLOSED_DAYS_AGO")


def schedule_orders(demo: Demo, plans: list[Plan], timeline: Timeline) -> None:
    """Put each order's life up to the coordinators' decision on the timeline."""
    for plan in plans:
        timeline.at(plan.created, partial(_create, demo, plan))
        if plan.published:
            timeline.at(plan.published, partial(_publish, demo, plan))
        for planned in plan.bids:
            timeline.at(planned.at, partial(_bid, demo, plan, planned))
        for question in plan.questions:
            timeline.at(question.asked, partial(_ask, demo, timeline, plan, question))
        if plan.withdrawal:
            planned, moment = plan.withdrawal
            timeline.at(moment, partial(_withdraw, demo, planned))
        if plan.amendment:
            timeline.at(plan.amendment.at, partial(_amend, demo, plan))
            for planned in plan.amendment.confirmations:
                timeline.at(plan.amendment.at + CONFIRMATION_DELAY, partial(_confirm, demo, planned))
        if plan.closed_by_job:
            timeline.at(plan.closes + CLOSING_JOB_DELAY, partial(_close, demo, plan))
        if plan.cancel_at:
            timeline.at(plan.cancel_at, partial(_cancel, demo, plan))


def _create(demo: Demo, plan: Plan, at: dt.datetime) -> None:
    plan.order = orders.create_order(demo.session, plan.data, actor=plan.agency.user, now=at)


def _publish(demo: Demo, plan: Plan, at: dt.datetime) -> None:
    orders.publish_order(demo.session, plan.order.id, actor=plan.agency.user, now=at)


def _bid(demo: Demo, plan: Plan, planned: PlannedBid, at: dt.datetime) -> None:
    planned.bid = bids.submit_bid(demo.session, plan.order.id, planned.terms, actor=planned.vendor.user, now=at)


def _ask(demo: Demo, timeline: Timeline, plan: Plan, planned: PlannedQuestion, at: dt.datetime) -> None:
    question = orders.ask_question(demo.session, plan.order.id, planned.text, actor=planned.asker.user, now=at)
    if planned.answered:
        timeline.at(planned.answered, partial(_answer, demo, plan, question, planned.answer))


def _answer(demo: Demo, plan: Plan, question: Question, answer: str, at: dt.datetime) -> None:
    orders.answer_question(demo.session, question.id, answer, actor=plan.agency.user, now=at)


def _amend(demo: Demo, plan: Plan, at: dt.datetime) -> None:
    orders.amend_order(demo.session, plan.order.id, plan.amendment.changes, actor=plan.agency.user, now=at)


def _confirm(demo: Demo, planned: PlannedBid, at: dt.datetime) -> None:
    bids.confirm_bid(demo.session, planned.bid.id, actor=planned.vendor.user, now=at)


def _withdraw(demo: Demo, planned: PlannedBid, at: dt.datetime) -> None:
    bids.withdraw_bid(demo.session, planned.bid.id, actor=planned.vendor.user, now=at)


def _close(demo: Demo, plan: Plan, at: dt.datetime) -> None:
    # As the closing job does: only an order still published (a matching run may have been first).
    if plan.order.status == "published":
        orders.close_bidding(demo.session, plan.order, now=at)


def _cancel(demo: Demo, plan: Plan, at: dt.datetime) -> None:
    orders.cancel_order(demo.session, plan.order.id, actor=plan.agency.user, reason=plan.cancel_reason, now=at)
