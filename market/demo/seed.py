"""Writes the demo programme into an empty database: organisations, people, orders in every state, bids, history.

What the platform itself would have done goes through its services, each called with `now=` the
moment it happened, so timestamps, audit events and notifications are dated as they would be:

* market.demo.people: the operator, agencies and firms, their users and capabilities;
* market.demo.orders: today's orders, from drafting to bidding, questions, closing, cancelling;
* market.demo.contracts: matching runs and the coordinators' decisions, the contracts after them;
* market.demo.past: the records from before the platform, written as rows (the quality model's
  history), with outcomes from the hidden model of market.demo.history.

Reproducible: everything is drawn from random generators seeded with the seed, so two runs with
the same seed write the same organisations, orders, bids and outcomes; only the timestamps move
with the clock, because they are placed relative to the day of seeding (bidding that is open
stays open; see market.demo.context.Demo).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from market.accounts.models import User
from market.allocations.models import MatchRun
from market.allocations.policy import set_policy
from market.audit.models import AuditEvent
from market.bids.models import Bid
from market.contracts.models import Contract, DeliveryLot, Payment, Rating
from market.db import utcnow
from market.demo import contracts, orders, past, people
from market.demo.context import DEMO_DOMAIN, DEMO_PASSWORD, Demo
from market.demo.orders import ORDER_PLAN
from market.demo.rules import Rules
from market.demo.timeline import Timeline
from market.notifications.models import OutboxEmail
from market.orders.models import Question
from market.organizations.models import Capability, Organization, VendorProfile
from market.settings import settings_of

__all__ = ["DEFAULT_SEED", "DEMO_DOMAIN", "DEMO_PASSWORD", "ORDER_PLAN", "SeedSummary", "database_is_empty",
           "seed_demo"]

DEFAULT_SEED = 2026
SCORING_WEIGHTS = {"quality": 40, "price": 25, "capacity": 15, "local": 10, "fairness": 10}


@dataclass
class SeedSummary:
    """What the seed wrote, for the command line to print."""

    seed: int
    organizations: Counter = field(default_factory=Counter)
    vendors: Counter = field(default_factory=Counter)
    local_vendors: int = 0
    users: int = 0
    capabilities: int = 0
    orders: Counter = field(default_factory=Counter)
    history_orders: int = 0
    bids: int = 0
    questions: int = 0
    contracts: Counter = field(default_factory=Counter)
    lots: Counter = field(default_factory=Counter)
    payments: Counter = field(default_factory=Counter)
    ratings: int = 0
    match_runs: int = 0
    audit_events: int = 0
    logins: list[tuple[str, str, str]] = field(default_factory=list)

    def lines(self) -> list[str]:
        orgs = ", ".join(f"{kind} {n}" for kind, n in sorted(self.organizations.items()))
        vendors = ", ".join(f"{status} {n}" for status, n in sorted(self.vendors.items()))
        out = [
            f"Demo data written (seed {self.seed}).",
            f"  organisations: {sum(self.organizations.values())} ({orgs})",
            f"  vendors: {vendors}; {self.local_vendors} local to Guizhou, "
            f"{sum(self.vendors.values()) - self.local_vendors} from elsewhere",
            f"  users: {self.users}, capabilities: {self.capabilities}",
            f"  current orders: {sum(self.orders.values())}",
        ]
        for state, _count in ORDER_PLAN:
            label = {"published": "published (bidding open)",
                     "published_closed": "published (closing passed, shown as evaluating)"}.get(state, state)
            out.append(f"    {label}: {self.orders[state]}")
        contracts = ", ".join(f"{kind} {n}" for kind, n in sorted(self.contracts.items()))
        out += [
            f"  history: {self.history_orders} completed orders of the past 18 months",
            f"  bids: {self.bids}, questions: {self.questions}, contracts: {contracts}",
            f"  after the award: lots {sum(self.lots.values())} ("
            + ", ".join(f"{status} {n}" for status, n in sorted(self.lots.items()))
            + f"), payments {sum(self.payments.values())} ("
            + ", ".join(f"{status} {n}" for status, n in sorted(self.payments.items()))
            + f"), ratings {self.ratings}",
            f"  matching runs: {self.match_runs}, audit events: {self.audit_events}",
            f"Demo logins (password for all: {DEMO_PASSWORD}):",
        ]
        out += [f"  {role:<12} {email:<34} {org}" for role, email, org in self.logins]
        return out


def database_is_empty(session: Session) -> bool:
    return not session.scalar(select(func.count(Organization.id)))


def seed_demo(session: Session, *, seed: int = DEFAULT_SEED, now: dt.datetime | None = None) -> SeedSummary:
    """Write the demo programme into `session` (the caller commits) and say what was written."""
    demo = Demo.make(session, seed, now or utcnow())
    cast = people.seed_cast(demo)
    set_policy(session, SCORING_WEIGHTS, actor=cast.coordinator,
               note="试点期默认评分权重：质量优先，兼顾价格、产能匹配、本地企业与公平性。",
               now=demo.start + dt.timedelta(days=1))
    rules = Rules(demo.settings)
    history = past.seed_past(demo, cast, rules)
    plans = orders.plan_orders(demo, cast, rules)
    timeline = Timeline()
    orders.schedule_orders(demo, plans, timeline)
    contracts.schedule_decisions(demo, cast, plans, timeline)
    timeline.run()
    _mark_mails_sent(session)
    session.flush()  # the summary counts what was written
    return _summary(session, seed, cast, plans, history)


def _mark_mails_sent(session: Session) -> None:
    # The services queued the e-mails of every past step; the outbox job sent each within a minute
    # then. Left pending, the scheduler would mail weeks-old news to the demo's addresses now.
    session.execute(update(OutboxEmail).where(OutboxEmail.status == "pending")
                    .values(status="sent", attempts=1, sent_at=OutboxEmail.created_at))


def _summary(session: Session, seed: int, cast: people.Cast, plans: list[orders.Plan],
             history: past.Past) -> SeedSummary:
    def count(column) -> int:
        return session.scalar(select(func.count(column)))

    summary = SeedSummary(seed=seed, logins=cast.logins, history_orders=history.orders)
    summary.organizations.update(dict(session.execute(
        select(Organization.kind, func.count()).group_by(Organization.kind)).all()))
    summary.vendors.update(dict(session.execute(
        select(VendorProfile.verification_status, func.count()).group_by(VendorProfile.verification_status)).all()))
    summary.local_vendors = sum(v.spec.province == "贵州省" for v in cast.vendors)
    summary.users = count(User.id)
    summary.capabilities = count(Capability.id)
    summary.orders.update(plan.state for plan in plans)
    summary.bids = count(Bid.id)
    summary.questions = count(Question.id)
    by_status = Counter(dict(session.execute(select(Contract.status, func.count()).group_by(Contract.status)).all()))
    by_status["completed"] -= history.contracts  # every past contract is completed
    summary.contracts.update({f"current {status}": n for status, n in by_status.items() if n})
    summary.contracts["history completed"] = history.contracts
    summary.lots.update(dict(session.execute(
        select(DeliveryLot.status, func.count()).group_by(DeliveryLot.status)).all()))
    today = settings_of(session).local_date(utcnow())
    summary.payments.update(p.status_on(today) for p in session.scalars(select(Payment)))
    summary.ratings = count(Rating.id)
    summary.match_runs = count(MatchRun.id)
    summary.audit_events = count(AuditEvent.id)
    return summary
