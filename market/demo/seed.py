"""Writes the demo programme into an empty database: organisations, people, orders in every state, bids, history.

Reproducible: everything is drawn from random generators seeded with the seed, so two runs with
the same seed write the same organisations, orders, bids and outcomes; only the timestamps move
with the clock, because they are placed relative to the moment of seeding (bidding that is open
stays open).

State changes go through the lifecycles (each with its timestamp and audit event, dated when it
happened); plain inserts are used where a service would only add cost. The history of completed
contracts is written directly: it stands for the programme's records from before the platform,
and its outcomes come from the hidden model documented in market.demo.history.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from market.accounts import services as accounts
from market.accounts.models import User
from market.allocations import inputs
from market.allocations.policy import set_policy
from market.audit import services as audit
from market.audit.models import AuditEvent
from market.bids.models import Bid
from market.bids.lifecycle import BID_LIFECYCLE
from market.contracts.models import Contract, DeliveryLot, Milestone
from market.db import utcnow
from market.demo.catalogue import (
    AGENCIES, BID_NOTES, CANCEL_REASONS, DIVISIONS, OPERATOR, PHASES, PLACE_TAGS, PROFILES,
    REGISTRAR_COMPANY, REGISTRAR_GOVERNMENT, SKILLS, TEMPLATES, TITLE_PREFIXES, TITLE_SUFFIXES,
    UNSUCCESSFUL_REASONS, VENDORS, AgencySpec, TaskTemplate, VendorSpec,
)
from market.demo.history import Outcome, OutcomeModel
from market.orders.models import Order, Question
from market.orders.lifecycle import ORDER_LIFECYCLE
from market.matching import eligibility
from market.matching.eligibility import check_eligibility
from market.organizations import services as organizations
from market.organizations.credit_code import ALPHABET, make_credit_code
from market.organizations.models import Capability, Organization
from market.settings import settings_of

DEFAULT_SEED = 2026
DEMO_PASSWORD = "demo-password"
DEMO_DOMAIN = "demo.market.cn"
ZONE = ZoneInfo("Asia/Shanghai")
CENT = Decimal("0.01")
PRICE_PLACES = Decimal("0.0001")

# How many current orders to write in each state; "published_closed" is published with its
# closing time passed and the closing job not yet run (the API shows it as evaluating).
ORDER_PLAN = (
    ("draft", 8), ("published", 12), ("published_closed", 5), ("evaluating", 10), ("awarded", 6),
    ("in_progress", 8), ("completed", 6), ("cancelled", 5), ("unsuccessful", 4),
)
HISTORY_ORDERS = 300
HISTORY_DAYS = (100, 540)  # past contracts started between 18 months and ~3 months ago

GENERIC_QUESTIONS = (
    ("平台是否提供标注工具？", "平台提供在线标注工具，也可使用自有工具，交付格式须符合需求说明。"),
    ("能否分批交付？", "可以，按里程碑分三批交付，每批验收合格后进入下一批。"),
    ("样例数据何时提供？", "发布后即可在平台下载200条样例数据。"),
    ("是否接受联合体投标？", "本项目不接受联合体投标。"),
    ("验收抽检不合格如何处理？", "按GB/T 2828.1抽检，不合格批次退回返工，返工后重新抽检。"),
)


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
            f"  audit events: {self.audit_events}",
            f"Demo logins (password for all: {DEMO_PASSWORD}):",
        ]
        out += [f"  {role:<12} {email:<34} {org}" for role, email, org in self.logins]
        return out


def database_is_empty(session: Session) -> bool:
    return not session.scalar(select(func.count(Organization.id)))


def seed_demo(session: Session, *, seed: int = DEFAULT_SEED, now: dt.datetime | None = None) -> SeedSummary:
    """Write the demo programme into `session` (the caller commits) and say what was written."""
    return _Seeder(session, seed, now or utcnow()).run()


def _round_volume(value: float) -> int:
    step = 1000 if value >= 100_000 else 100 if value >= 10_000 else 10
    return max(step, int(round(value / step)) * step)


def _money(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _unit_price(value: float) -> Decimal:
    return Decimal(str(value)).quantize(PRICE_PLACES, rounding=ROUND_HALF_UP)


def _sample_size(volume: int) -> int:
    # Sample sizes of GB/T 2828.1, general inspection level II, by lot size.
    for limit, size in ((3200, 125), (10000, 200), (35000, 315), (150000, 500), (500000, 800)):
        if volume <= limit:
            return size
    return 1250


@dataclass(frozen=True)
class _Terms:
    """What a bid offers, as the engine's eligibility reads it (engine_bid)."""

    order_id: int | None
    vendor_id: int
    unit_price: Decimal
    volume: int
    id: int | None = None


@dataclass
class _Vendor:
    spec: VendorSpec
    org: Organization
    user: User
    capabilities: dict[tuple[str, str], Capability]

    @property
    def seats(self) -> int:
        return self.spec.seats

    @property
    def verified(self) -> bool:
        return self.org.vendor_profile.verification_status == "verified"


@dataclass
class _Agency:
    spec: AgencySpec
    org: Organization
    user: User


class _Seeder:
    def __init__(self, session: Session, seed: int, now: dt.datetime) -> None:
        self.session = session
        self.seed = seed
        self.now = now
        # Separate streams, so that adding to one part leaves the others' data unchanged.
        self.rng = random.Random(f"market-demo-{seed}")
        self.history_rng = random.Random(f"market-demo-{seed}-history")
        self.outcomes = OutcomeModel(random.Random(f"market-demo-{seed}-outcomes"))
        self.summary = SeedSummary(seed=seed)
        self.credit_codes: set[str] = set()
        self.start = now - dt.timedelta(days=HISTORY_DAYS[1] + 60)  # the programme's launch
        self._engine_vendors: dict[tuple[int, bool], eligibility.Vendor] = {}

    # Helpers ---------------------------------------------------------------------------------

    def local_time(self, days: float, hour: int, minute: int = 0) -> dt.datetime:
        """`hour`:`minute` in Beijing time on the day `days` from today, as UTC."""
        today = self.now.astimezone(ZONE).date() + dt.timedelta(days=int(days))
        return dt.datetime(today.year, today.month, today.day, hour, minute, tzinfo=ZONE).astimezone(dt.timezone.utc)

    def ago(self, days: float) -> dt.datetime:
        return self.now - dt.timedelta(days=days)

    def credit_code(self, registrar: str, division: str) -> str:
        while True:
            if registrar == REGISTRAR_COMPANY:
                # Codes issued since 2015 carry "MA" and seven characters in the organisation part.
                body = "MA" + "".join(self.rng.choice(ALPHABET) for _ in range(7))
            else:
                body = "".join(self.rng.choice("0123456789") for _ in range(8)) + self.rng.choice("0123456789X")
                body = body.replace("X", "1")
            code = make_credit_code(registrar + division + body)
            if code not in self.credit_codes:
                self.credit_codes.add(code)
                return code

    def add_user(self, org: Organization, *, email: str, name: str, role: str, actor, at: dt.datetime) -> User:
        data = {"email": email, "name": name, "password": DEMO_PASSWORD, "role": role,
                "organization_id": org.id, "locale": "zh"}
        return accounts.create_user(self.session, data, actor=actor, now=at)

    def add_organization(self, *, kind: str, name: str, registrar: str, division: str, province: str,
                         city: str, county: str | None, description: str, sectors=(), contact: str | None,
                         profile: dict | None = None, actor, at: dt.datetime) -> Organization:
        data = {"kind": kind, "name": name, "credit_code": self.credit_code(registrar, division),
                "province": province, "city": city, "county": county, "contact_email": contact,
                "description": description or None, "sectors": list(sectors)}
        if profile is not None:
            data["vendor_profile"] = profile
        org = organizations.create_organization(self.session, data, actor=actor, now=at)
        self.summary.organizations[kind] += 1
        return org

    # The cast --------------------------------------------------------------------------------

    def run(self) -> SeedSummary:
        self.make_operator()
        self.make_agencies()
        self.make_vendors()
        self.make_policy()
        self.make_history()
        self.make_current_orders()
        self.session.flush()
        self.summary.audit_events = self.session.scalar(select(func.count(AuditEvent.id)))
        return self.summary

    def make_operator(self) -> None:
        at = self.start
        self.operator = self.add_organization(
            kind="operator", name=OPERATOR.name, registrar=REGISTRAR_GOVERNMENT, division="520000",
            province=OPERATOR.province, city=OPERATOR.city, county=OPERATOR.county,
            description=OPERATOR.description, contact=f"platform@{DEMO_DOMAIN}", actor=None, at=at,
        )
        self.admin = self.add_user(self.operator, email=f"admin@{DEMO_DOMAIN}", name="平台管理员",
                                   role="admin", actor=None, at=at)
        self.coordinator = self.add_user(self.operator, email=f"coordinator@{DEMO_DOMAIN}", name="周敏",
                                         role="coordinator", actor=self.admin, at=at)
        self.summary.logins += [("admin", self.admin.email, self.operator.name),
                                ("coordinator", self.coordinator.email, self.operator.name)]

    def make_agencies(self) -> None:
        self.agencies: dict[str, _Agency] = {}
        for i, spec in enumerate(AGENCIES):
            at = self.start + dt.timedelta(days=2 + i)
            org = self.add_organization(
                kind="agency", name=spec.name, registrar=spec.registrar, division=spec.division,
                province=spec.province, city=spec.city, county=spec.county, description=spec.description,
                sectors=spec.sectors, contact=spec.email, actor=self.admin, at=at,
            )
            user = self.add_user(org, email=spec.email, name=spec.user_name, role="agency", actor=self.admin, at=at)
            self.agencies[spec.key] = _Agency(spec, org, user)
            self.summary.logins.append(("agency", spec.email, spec.name))

    def make_vendors(self) -> None:
        self.vendors: list[_Vendor] = []
        rng = self.rng
        for i, spec in enumerate(VENDORS):
            # Firms joined over the programme's first months; the pending ones only recently.
            at = self.ago(rng.uniform(5, 40)) if spec.status == "pending" else self.start + dt.timedelta(
                days=10 + 4 * i + rng.uniform(0, 3))
            profile = {
                "seats": spec.seats, "headcount": int(spec.seats * rng.uniform(1.05, 1.3)) + 3,
                "certifications": list(spec.certifications), "clearance": spec.clearance,
                "onsite_possible": spec.onsite, "sme": spec.sme,
            }
            email = f"{spec.slug}@{DEMO_DOMAIN}"
            org = self.add_organization(
                kind="vendor", name=spec.name, registrar=REGISTRAR_COMPANY,
                division=DIVISIONS[(spec.province, spec.city, spec.county)], province=spec.province,
                city=spec.city, county=spec.county, description=spec.description, contact=email,
                profile=profile, actor=self.admin, at=at,
            )
            user = self.add_user(org, email=email, name=spec.user_name, role="vendor", actor=self.admin, at=at)
            verified_at = at + dt.timedelta(days=rng.uniform(2, 10))
            capabilities = self.make_capabilities(spec, org, user, joined=at, assessed_at=verified_at)
            if spec.status in ("verified", "suspended"):
                organizations.set_vendor_status(self.session, org.id, "verified", actor=self.coordinator,
                                                reason=None, now=verified_at)
            if spec.status == "suspended":
                organizations.set_vendor_status(self.session, org.id, "suspended", actor=self.coordinator,
                                                reason=spec.status_reason, now=self.ago(rng.uniform(20, 40)))
            self.vendors.append(_Vendor(spec, org, user, capabilities))
            self.summary.vendors[spec.status] += 1
            self.summary.local_vendors += spec.province == "贵州省"
            if spec.slug == "vendor":
                self.summary.logins.append(("vendor", email, spec.name))
        self.main_vendor = next(v for v in self.vendors if v.spec.slug == "vendor")
        self._vendor_by_id = {v.org.id: v for v in self.vendors}
        self.summary.users = 2 + len(self.agencies) + len(self.vendors)
        self.summary.logins.append(("vendor", f"<firm>@{DEMO_DOMAIN}", "any other firm, e.g. "
                                    f"xiaolanshan@{DEMO_DOMAIN} (verified), wuling@{DEMO_DOMAIN} (pending), "
                                    f"fuquan@{DEMO_DOMAIN} (suspended)"))

    def make_capabilities(self, spec: VendorSpec, org: Organization, user: User, *, joined: dt.datetime,
                          assessed_at: dt.datetime) -> dict:
        """The firm declares what it does when it joins; coordinators assess it by a trial before verifying."""
        rng = self.rng
        keys: list[tuple[str, str]] = []
        for name in spec.profiles:
            keys += [key for key in PROFILES[name] if key not in keys]
        speed = rng.uniform(0.85, 1.15)  # some firms are simply faster
        declared, assessed = [], []
        for key in keys:
            skill = SKILLS[key]
            lo, hi = skill.throughput
            proficiency = None
            if spec.status != "pending":
                proficiency = round(min(0.97, max(0.4, rng.gauss(spec.quality, 0.05))), 2)
            item = {"modality": key[0], "annotation_type": key[1],
                    "throughput_per_seat_day": float(round(rng.uniform(lo, hi) * speed)),
                    "unit_price": _unit_price(rng.uniform(*skill.price))}
            declared.append({**item, "evidence": "企业自述能力，待平台组织试标考核。"})
            if proficiency is not None:
                assessed.append({**item, "assessed_proficiency": proficiency,
                                 "evidence": self.evidence(proficiency)})
        organizations.replace_capabilities(self.session, org.id, declared, actor=user, now=joined)
        if assessed:
            organizations.replace_capabilities(self.session, org.id, assessed, actor=self.coordinator,
                                               now=assessed_at)
            # Flushed: verifying refreshes the profile from the database, which would drop a collection
            # still pending in memory.
            self.session.flush()
        capabilities = {(c.modality, c.annotation_type): c for c in org.vendor_profile.capabilities}
        self.summary.capabilities += len(capabilities)
        return capabilities

    def evidence(self, assessed: float) -> str:
        sample = self.rng.choice((200, 300, 500))
        return f"平台组织试标考核：样本{sample}条，抽检准确率{min(0.995, 0.86 + 0.12 * assessed):.1%}。"

    def vendor_of(self, bid: Bid) -> _Vendor:
        return self._vendor_by_id[bid.vendor_id]

    def make_policy(self) -> None:
        set_policy(self.session, {"quality": 40, "price": 25, "capacity": 15, "local": 10, "fairness": 10},
                   actor=self.coordinator, note="试点期默认评分权重：质量优先，兼顾价格、产能匹配、本地企业与公平性。",
                   now=self.start + dt.timedelta(days=1))

    # Orders ----------------------------------------------------------------------------------

    def capable(self, template: TaskTemplate) -> list[_Vendor]:
        return [v for v in self.vendors if template.skill in v.capabilities and v.verified]

    def eligible(self, vendors: list[_Vendor], order: Order, *, verified_then: bool = False) -> list[_Vendor]:
        """The firms the matching engine's hard rules let win the order, whatever their price.

        `verified_then`: judged as the firms stood when they were verified (the firm suspended today
        won work before its suspension).
        """
        settings = settings_of(self.session)
        engine_order = inputs.engine_order(order, remaining=order.volume, vendors_left=order.max_vendors,
                                           today=settings.local_date(order.bidding_closes_at), settings=settings)
        winners = []
        for vendor in vendors:
            key = (vendor.org.id, verified_then)
            if key not in self._engine_vendors:
                engine_vendor = inputs.engine_vendor(vendor.org, award_share=0.0, settings=settings)
                self._engine_vendors[key] = (replace(engine_vendor, verification="verified") if verified_then
                                             else engine_vendor)
            # A probe offering the whole volume at no price: only the rules about the firm and the work speak.
            probe = _Terms(order_id=order.id, vendor_id=vendor.org.id, unit_price=Decimal(0), volume=order.volume)
            if not check_eligibility(engine_order, self._engine_vendors[key],
                                     inputs.engine_bid(probe, remaining=order.volume)):
                winners.append(vendor)
        return winners

    def pick_template(self, rng: random.Random, sector: str | None = None) -> TaskTemplate:
        return rng.choice([t for t in TEMPLATES if sector is None or t.sector == sector])

    def pick_agency(self, rng: random.Random, template: TaskTemplate) -> _Agency:
        agencies = [a for a in self.agencies.values() if template.sector in a.spec.sectors]
        # The provincial transport department is the demo agency login: give it the most work.
        weights = [2.0 if a.spec.key == "gz_transport" else 1.0 for a in agencies]
        return rng.choices(agencies, weights=weights)[0]

    def new_order(self, rng: random.Random, template: TaskTemplate, agency: _Agency, *, closes: dt.datetime,
                  window_days: float, created: dt.datetime, strict: bool = False) -> Order:
        skill = SKILLS[template.skill]
        volume = _round_volume(rng.uniform(*template.volume))
        reference = (skill.price[0] + skill.price[1]) / 2
        budget = _money(max(100.0, round(volume * reference * rng.uniform(1.1, 1.4), -2)))
        splittable = rng.random() < template.splittable_share
        place = rng.choice(PLACE_TAGS[agency.spec.key])
        title = (rng.choice(TITLE_PREFIXES).format(year=created.astimezone(ZONE).year) + template.title + place
                 + rng.choice(TITLE_SUFFIXES if place else TITLE_SUFFIXES + PHASES))
        order = Order(
            agency_id=agency.org.id, created_by_id=agency.user.id, title=title,
            description=template.description, sector=template.sector, modality=template.skill[0],
            annotation_type=template.skill[1], label_set=list(template.labels), volume=volume, unit=skill.unit,
            budget_ceiling=budget, bidding_closes_at=closes,
            delivery_deadline=_evening(closes + dt.timedelta(days=window_days)),
            accuracy_target=rng.choice(template.accuracy),
            sampling_level=rng.choice(("II", "II", "II", "I", "III")),
            data_classification=rng.choice(template.classifications),
            onsite_required=rng.random() < template.onsite_share,
            required_certifications=[c for c in template.certifications if rng.random() < 0.6],
            splittable=splittable,
            max_vendors=rng.choice((2, 2, 3)) if splittable else None,
            min_lot=min(volume, _round_volume(volume * rng.uniform(0.15, 0.3))) if splittable else None,
            scoring_weights=self.weights(rng, template),
            public_fields=list(rng.choice(PUBLIC_FIELD_SETS)),
            status="draft", created_at=created, updated_at=created,
        )
        if strict:
            # Demands few firms can meet: the core data tier, on site, and two rare certificates.
            order.data_classification = "core"
            order.onsite_required = True
            order.required_certifications = ["ISO 27701", "等保三级"]
        else:
            self.relax(order)
        return order

    @staticmethod
    def weights(rng: random.Random, template: TaskTemplate) -> dict | None:
        if rng.random() > 0.2:
            return None  # the coordinators' policy applies
        if template.sector == "health":
            return {"quality": 55, "price": 15, "capacity": 15, "local": 10, "fairness": 5}
        return {"quality": 35, "price": 35, "capacity": 10, "local": 10, "fairness": 10}

    def relax(self, order: Order) -> None:
        """Loosen an order's hard rules until at least three verified firms could win it."""
        steps = (
            lambda o: setattr(o, "required_certifications", []),
            lambda o: setattr(o, "onsite_required", False),
            lambda o: setattr(o, "data_classification", "general"),
        )
        for step in steps:
            if len(self.eligible(self.vendors, order)) >= 3:
                return
            step(order)

    def transition(self, order: Order, target: str, at: dt.datetime, actor=None, reason: str | None = None):
        ORDER_LIFECYCLE.transition(self.session, order, target, actor=actor, organization_id=order.agency_id,
                                   reason=reason, now=at)

    def make_current_orders(self) -> None:
        """The orders in flight today, in every state, each moved there through the order lifecycle."""
        rng = self.rng
        plans: list[_Plan] = []
        for state, count in ORDER_PLAN:
            for i in range(count):
                # The first order in each state belongs to the demo agency login.
                if i == 0:
                    template = self.pick_template(rng, "transport")
                    agency = self.agencies["gz_transport"]
                else:
                    template = self.pick_template(rng)
                    agency = self.pick_agency(rng, template)
                plans.append(self.plan(rng, state, i, template, agency))
        self.session.add_all([plan.order for plan in plans])
        self.session.flush()  # the audit events and bids need the orders' ids
        for plan in plans:
            audit.record(self.session, "order.created", actor=plan.agency.user, object_type="order",
                         object_id=plan.order.id, organization_id=plan.order.agency_id,
                         data={"title": plan.order.title, "volume": plan.order.volume},
                         occurred_at=plan.order.created_at)
            self.summary.orders[plan.state] += 1
            self.current_bids(rng, plan)
        self.session.flush()  # the audit events need the bids' ids
        for plan in plans:
            for bid in plan.bids:
                # Sealed, as the bids service writes it: the vendor's own event, no terms.
                audit.record(self.session, "bid.submitted", actor=self.vendor_of(bid).user, object_type="bid",
                             object_id=bid.id, organization_id=bid.vendor_id, data={"order_id": bid.order_id},
                             occurred_at=bid.submitted_at)
            self.summary.bids += len(plan.bids)
        for plan in plans:
            self.advance(rng, plan)
            self.questions(rng, plan)
        for plan in sorted((p for p in plans if p.state == "completed"), key=lambda p: (p.started, p.order.id)):
            self.completed_contracts(rng, plan)

    def plan(self, rng: random.Random, state: str, i: int, template: TaskTemplate, agency: _Agency) -> _Plan:
        """When things happened to one order in `state`, relative to now."""
        window = rng.uniform(30, 75)
        cancel_from = cancel_at = None
        if state == "draft":
            closes, created = self.local_time(rng.randint(10, 25), 17), self.ago(rng.uniform(0.5, 6))
        elif state == "published":
            closes, created = self.local_time(rng.randint(2, 16), 17), self.ago(rng.uniform(4, 15))
        elif state == "cancelled":
            cancel_from = ("draft", "published", "evaluating")[i % 3]
            if cancel_from == "draft":
                closes, created = self.local_time(rng.randint(5, 20), 17), self.ago(rng.uniform(6, 20))
                cancel_at = created + dt.timedelta(days=rng.uniform(1, 5))
            elif cancel_from == "published":
                closes = self.local_time(rng.randint(2, 10), 17)
                created = closes - dt.timedelta(days=rng.uniform(20, 30))
                cancel_at = self.ago(rng.uniform(0.5, 3))
            else:
                closes = self.local_time(-rng.randint(5, 20), 17)
                created = closes - dt.timedelta(days=rng.uniform(16, 25))
                cancel_at = closes + dt.timedelta(days=rng.uniform(1, 4))
        else:
            days_ago = {"published_closed": (1, 3), "evaluating": (2, 7), "awarded": (10, 18),
                        "in_progress": (25, 45), "completed": (80, 95), "unsuccessful": (8, 30)}[state]
            closes = self.local_time(-rng.randint(*days_ago), 17)
            created = closes - dt.timedelta(days=rng.uniform(16, 25))
            if state == "in_progress":
                window = rng.uniform(60, 100)  # still running today
            elif state == "completed":
                window = rng.uniform(35, 55)
        strict = state == "unsuccessful" and i % 2 == 0
        order = self.new_order(rng, template, agency, closes=closes, window_days=window, created=created,
                               strict=strict)
        return _Plan(state, i, order, agency, template, cancel_from=cancel_from, cancel_at=cancel_at)

    def published_at(self, order: Order) -> dt.datetime:
        return min(order.created_at + dt.timedelta(days=1, hours=2), self.now - dt.timedelta(hours=3))

    def current_bids(self, rng: random.Random, plan: _Plan) -> None:
        """Several bids per order that took bids, mostly from firms that meet its hard rules."""
        order = plan.order
        if plan.state == "draft" or plan.cancel_from == "draft":
            return
        published = self.published_at(order)
        until = min(order.bidding_closes_at, self.now, plan.cancel_at or self.now) - dt.timedelta(minutes=30)
        capable = self.capable(plan.template)
        eligible = self.eligible(capable, order)
        others = [v for v in capable if v not in eligible]
        over_budget = False
        if plan.state == "unsuccessful":
            # Either nobody who bid meets the hard rules, or everyone who does asked too much.
            if order.data_classification == "core":
                bidders = rng.sample(others, min(len(others), rng.randint(1, 3)))
            else:
                bidders, over_budget = rng.sample(eligible, min(len(eligible), rng.randint(2, 3))), True
        else:
            bidders = rng.sample(eligible, min(len(eligible), rng.randint(3, 6)))
            if self.main_vendor in eligible and self.main_vendor not in bidders and rng.random() < 0.6:
                bidders.append(self.main_vendor)
            if others and plan.index % 3 == 2:
                bidders.append(rng.choice(others))  # a firm that misread the rules: matching refuses it
        for n, vendor in enumerate(bidders):
            submitted = published + (until - published) * rng.uniform(0.1, 1.0)
            # Now and then one firm asks more than the budget allows: matching refuses that bid too.
            too_dear = over_budget or (plan.index % 3 == 1 and n == 0 and len(bidders) >= 3)
            plan.bids.append(self.make_bid(rng, order, vendor, submitted=submitted, over_budget=too_dear))
        self.session.add_all(plan.bids)

    def make_bid(self, rng: random.Random, order: Order, vendor: _Vendor, *, submitted: dt.datetime,
                 over_budget: bool, volume: int | None = None) -> Bid:
        capability = vendor.capabilities[(order.modality, order.annotation_type)]
        ceiling = float(order.budget_ceiling) / order.volume
        price = float(capability.unit_price) * rng.uniform(0.9, 1.08)
        if over_budget:
            price = max(price, ceiling * rng.uniform(1.05, 1.25))
        elif rng.random() < 0.9:
            price = min(price, ceiling * rng.uniform(0.82, 0.99))  # firms read the budget ceiling
        finish = order.delivery_deadline - dt.timedelta(days=rng.uniform(1, 7))
        days = _working_days(order.bidding_closes_at + dt.timedelta(days=3), finish)
        throughput = capability.throughput_per_seat_day
        if volume is None:
            volume = order.volume
            if order.splittable and volume / (throughput * days) > vendor.seats * 0.6:
                # A firm without the seats for the whole order offers the part it can do.
                volume = _round_volume(vendor.seats * 0.6 * throughput * days)
                volume = min(order.volume, max(order.min_lot or 1, volume))
        # Firms plan to finish with time to spare, so they commit more seats than the bare minimum.
        seats = max(1, min(vendor.seats, math.ceil(volume / (throughput * days * rng.uniform(0.5, 0.9)))))
        return Bid(
            order_id=order.id, vendor_id=vendor.org.id, submitted_by_id=vendor.user.id,
            unit_price=_unit_price(max(price, 0.0001)), volume=volume, seats_committed=seats,
            proposed_finish_date=finish.astimezone(ZONE).date(), technical_note=rng.choice(BID_NOTES),
            status="submitted", submitted_at=submitted,
        )

    def bid_transition(self, bid: Bid, target: str, at: dt.datetime, actor=None, reason: str | None = None):
        BID_LIFECYCLE.transition(self.session, bid, target, actor=actor, organization_id=bid.vendor_id,
                                 reason=reason, now=at)

    def advance(self, rng: random.Random, plan: _Plan) -> None:
        """Move one order (and its bids) through the lifecycle to its planned state."""
        order, agency, bids, state = plan.order, plan.agency, plan.bids, plan.state
        if state == "draft":
            return
        if plan.cancel_from == "draft":
            self.transition(order, "cancelled", plan.cancel_at, agency.user, rng.choice(CANCEL_REASONS))
            return
        self.transition(order, "published", self.published_at(order), agency.user)
        if state == "published" and bids and rng.random() < 0.4:
            bid = rng.choice(bids)
            self.bid_transition(bid, "withdrawn", bid.submitted_at + (self.now - bid.submitted_at) / 2,
                                self.vendor_of(bid).user)
        if state in ("published", "published_closed"):
            return
        evaluating = order.bidding_closes_at + dt.timedelta(minutes=1)  # the closing job's next run
        if plan.cancel_from == "evaluating":
            self.transition(order, "evaluating", evaluating)
        if state == "cancelled":
            self.transition(order, "cancelled", plan.cancel_at, agency.user, rng.choice(CANCEL_REASONS))
            for bid in bids:
                self.bid_transition(bid, "rejected", plan.cancel_at, reason="订单已取消")
            return
        self.transition(order, "evaluating", evaluating)
        if state == "evaluating":
            return
        decided = evaluating + dt.timedelta(days=rng.uniform(2, 5))
        if state == "unsuccessful":
            reason = UNSUCCESSFUL_REASONS[0] if order.data_classification == "core" else UNSUCCESSFUL_REASONS[1]
            self.transition(order, "unsuccessful", decided, self.coordinator, reason)
            for bid in bids:
                self.bid_transition(bid, "rejected", decided, self.coordinator, reason)
            return
        plan.winners = self.winners(order, bids)
        self.transition(order, "awarded", decided, self.coordinator)
        for bid in bids:
            won = any(bid is winner for winner, _volume in plan.winners)
            self.bid_transition(bid, "awarded" if won else "rejected", decided, self.coordinator,
                                None if won else "未中标")
        plan.started = decided + dt.timedelta(days=rng.uniform(1, 3))
        if state == "awarded":
            plan.started = max(plan.started, self.now + dt.timedelta(days=1))  # the work starts soon
            self.running_contracts(rng, plan, started=False)
            return
        self.transition(order, "in_progress", plan.started)
        if state == "in_progress":
            self.running_contracts(rng, plan, started=True)

    def winners(self, order: Order, bids: list[Bid]) -> list[tuple[Bid, int]]:
        """Whom the coordinators approved: the best eligible bids within budget, split where allowed."""
        ceiling = float(order.budget_ceiling) / order.volume
        key = (order.modality, order.annotation_type)

        def rank(bid: Bid):
            proficiency = self.vendor_of(bid).capabilities[key].assessed_proficiency or 0.0
            return (-proficiency + 0.2 * float(bid.unit_price) / ceiling, bid.vendor_id)

        able = {v.org.id for v in self.eligible([self.vendor_of(b) for b in bids], order)}
        good = [b for b in bids if b.vendor_id in able and float(b.unit_price) <= ceiling]
        ranked = sorted(good or bids, key=rank)
        if not order.splittable:
            whole = [b for b in ranked if b.volume == order.volume] or ranked
            return [(whole[0], order.volume)]
        chosen, left = [], order.volume
        for bid in ranked[: order.max_vendors or 1]:
            take = min(bid.volume, left)
            if take > 0:
                chosen.append((bid, take))
                left -= take
        if left:
            # Short of the volume: the best firm raised its offer when the coordinators asked.
            bid, take = chosen[0]
            bid.volume = take + left
            chosen[0] = (bid, bid.volume)
        return chosen

    def contract(self, order: Order, bid: Bid, volume: int, *, starts: dt.datetime, status: str,
                 history: bool = False) -> Contract:
        contract = Contract(
            order_id=order.id, bid_id=bid.id, vendor_id=bid.vendor_id, volume=volume, unit_price=bid.unit_price,
            value=_money(bid.unit_price * volume), seats=bid.seats_committed, starts_at=starts,
            deadline=order.delivery_deadline, status=status, created_at=order.awarded_at,
        )
        self.session.add(contract)
        self.summary.contracts[("history " if history else "current ") + status] += 1
        return contract

    @staticmethod
    def milestones(contract: Contract) -> list[Milestone]:
        window = contract.deadline - contract.starts_at
        first, second = int(contract.volume * 0.3), int(contract.volume * 0.4)
        parts = (("首批交付", 0.35, first), ("中期交付", 0.7, second),
                 ("终验交付", 1.0, contract.volume - first - second))
        return [Milestone(name=name, due_at=contract.starts_at + window * share, volume=volume)
                for name, share, volume in parts]

    def running_contracts(self, rng: random.Random, plan: _Plan, *, started: bool) -> None:
        order = plan.order
        for bid, volume in plan.winners:
            contract = self.contract(order, bid, volume, starts=plan.started, status="active")
            contract.milestones = self.milestones(contract)
            self.outcomes.occupy(self.vendor_of(bid).spec.slug, contract.starts_at, contract.deadline,
                                 contract.seats, order.modality)
            if not started:
                continue
            first, second = contract.milestones[0], contract.milestones[1]
            if first.due_at >= self.now:
                first.reported_volume = int(first.volume * rng.uniform(0.3, 0.9))
                continue
            first.reported_volume = first.volume
            first.completed_at = first.due_at - dt.timedelta(days=rng.uniform(0, 3))
            sample = _sample_size(first.volume)
            defects = int(sample * max(0.0, 1 - order.accuracy_target - rng.uniform(-0.01, 0.02)))
            contract.lots.append(DeliveryLot(
                volume=first.volume, note="首批交付", status="accepted", submitted_at=first.completed_at,
                sample_size=sample, sample_defects=defects, measured_accuracy=round(1 - defects / sample, 4),
                decided_at=min(self.now, first.completed_at + dt.timedelta(days=2)),
                decided_by_id=plan.agency.user.id, reason="抽检合格",
            ))
            second.reported_volume = int(second.volume * rng.uniform(0.2, 0.8))
            if rng.random() < 0.5:
                # A second lot waiting for the agency's inspection.
                contract.lots.append(DeliveryLot(
                    volume=second.reported_volume or 1, note="中期交付（部分）", status="submitted",
                    submitted_at=self.ago(rng.uniform(0.2, 2)),
                ))

    def completed_contracts(self, rng: random.Random, plan: _Plan) -> None:
        """Contracts of a current completed order; their outcomes come from the same hidden model."""
        order = plan.order
        decided = []
        for bid, volume in plan.winners:
            vendor = self.vendor_of(bid)
            contract = self.contract(order, bid, volume, starts=plan.started, status="completed")
            contract.milestones = self.milestones(contract)
            outcome = self.draw(vendor, order, plan.started, contract.seats)
            _close(contract, outcome)
            for milestone in contract.milestones:
                milestone.reported_volume = milestone.volume
                milestone.completed_at = min(milestone.due_at, outcome.completed_at)
            sample = _sample_size(contract.volume)
            defects = round(sample * (1 - outcome.accuracy_achieved))
            lot = DeliveryLot(
                volume=contract.volume, note="全部交付", status="accepted", submitted_at=outcome.completed_at,
                sample_size=sample, sample_defects=defects, measured_accuracy=round(1 - defects / sample, 4),
                decided_at=outcome.completed_at + dt.timedelta(hours=rng.uniform(4, 24)),
                decided_by_id=plan.agency.user.id, reason="终验通过",
            )
            contract.lots.append(lot)
            decided.append(lot.decided_at)
        self.transition(order, "completed", max(decided), plan.agency.user)

    def draw(self, vendor: _Vendor, order: Order, starts: dt.datetime, seats: int) -> Outcome:
        capability = vendor.capabilities[(order.modality, order.annotation_type)]
        return self.outcomes.draw(
            vendor=vendor.spec.slug, vendor_seats=vendor.seats, skill=(order.modality, order.annotation_type),
            assessed=capability.assessed_proficiency, suspended=vendor.spec.status == "suspended",
            accuracy_target=order.accuracy_target, starts_at=starts, deadline=order.delivery_deadline,
            seats=seats, not_after=self.now - dt.timedelta(days=2),
        )

    def questions(self, rng: random.Random, plan: _Plan) -> None:
        order = plan.order
        if order.published_at is None or not plan.bids:
            return
        pool = list(plan.template.questions) + list(GENERIC_QUESTIONS)
        last = min(order.bidding_closes_at, self.now, plan.cancel_at or self.now) - dt.timedelta(hours=1)
        for text, answer in rng.sample(pool, rng.randint(0, 3)):
            asker = self.vendor_of(rng.choice(plan.bids))
            asked = order.published_at + (last - order.published_at) * rng.uniform(0.05, 0.6)
            question = Question(order_id=order.id, asked_by_id=asker.user.id, vendor_id=asker.org.id, text=text,
                                asked_at=asked)
            self.session.add(question)
            self.session.flush()  # the audit event needs the id
            audit.record(self.session, "question.asked", actor=asker.user, object_type="question",
                         object_id=question.id, organization_id=order.agency_id, data={"order_id": order.id},
                         occurred_at=asked)
            self.summary.questions += 1
            # On open orders some questions still wait for their answer.
            if plan.state == "published" and rng.random() < 0.35:
                continue
            answered = asked + (last - asked) * rng.uniform(0.1, 0.5)
            question.answer, question.answered_by_id, question.answered_at = answer, plan.agency.user.id, answered
            audit.record(self.session, "question.answered", actor=plan.agency.user, object_type="question",
                         object_id=question.id, organization_id=order.agency_id,
                         data={"order_id": order.id, "answer": answer}, occurred_at=answered)

    # History ---------------------------------------------------------------------------------

    def market_weight(self, vendor: _Vendor, order: Order) -> float:
        """How likely a firm was to win past work: proficiency, size, locality, and room for the job."""
        capability = vendor.capabilities[(order.modality, order.annotation_type)]
        days = _working_days(order.bidding_closes_at, order.delivery_deadline)
        needed = order.volume / (capability.throughput_per_seat_day * days)
        weight = (capability.assessed_proficiency or 0.5) ** 3 * vendor.seats ** 0.25
        weight *= 1.3 if vendor.spec.province == "贵州省" else 1.0
        weight *= 8.0 if vendor.spec.status == "suspended" else 1.0  # it won on price, then failed
        return weight * (0.3 if needed > 0.9 * vendor.seats else 1.0)

    def make_history(self) -> None:
        """Completed orders of the past 18 months with their bids and contracts.

        Winners are drawn in proportion to market_weight among the firms that met the order's
        hard rules at the time (the firm suspended today was verified then; firms still pending
        have no history, so a quality model must fall back on their assessed proficiency). The
        outcome of every contract is drawn by OutcomeModel, in order of start, which documents
        the hidden model a quality model should recover.
        """
        rng = self.history_rng
        plans = []
        for _ in range(HISTORY_ORDERS):
            template = self.pick_template(rng)
            agency = self.pick_agency(rng, template)
            starts = self.ago(rng.uniform(*HISTORY_DAYS))
            closes = starts - dt.timedelta(days=rng.uniform(3, 6))
            order = self.new_order(rng, template, agency, closes=closes, window_days=rng.uniform(25, 70),
                                   created=closes - dt.timedelta(days=rng.uniform(16, 25)))
            # Only firms that had joined and could meet the rules then were in the running.
            joined = [v for v in self.vendors if v.spec.status != "pending" and template.skill in v.capabilities
                      and v.org.created_at < order.created_at]
            eligible = self.eligible(joined, order, verified_then=True)
            if not eligible:
                continue
            count = 2 if order.splittable and len(eligible) >= 3 and rng.random() < 0.5 else 1
            weights = [self.market_weight(v, order) for v in eligible]
            winners: list[_Vendor] = []
            while len(winners) < count:
                pick = rng.choices(eligible, weights=weights)[0]
                if pick not in winners:
                    winners.append(pick)
            losers = [v for v in eligible if v not in winners]
            rivals = rng.sample(losers, min(len(losers), rng.randint(1, 3)))
            order.status = "in_progress"  # completed once its contracts' outcomes are drawn
            order.published_at = order.created_at + dt.timedelta(days=1)
            order.evaluating_at = order.bidding_closes_at + dt.timedelta(minutes=1)
            order.awarded_at = starts - dt.timedelta(days=1)
            order.in_progress_at = starts
            plans.append((starts, order, winners, rivals))
        plans.sort(key=lambda p: p[0])
        self.session.add_all([order for _starts, order, _winners, _rivals in plans])
        self.session.flush()  # the bids need their orders' ids
        awarded = []
        for starts, order, winners, rivals in plans:
            shares = [order.volume] if len(winners) == 1 else [order.volume - order.volume // 2, order.volume // 2]
            for vendor, share in zip(winners, shares):
                bid = self.history_bid(rng, order, vendor, share, won=True)
                awarded.append((starts, order, vendor, bid, share))
            for vendor in rivals:
                self.history_bid(rng, order, vendor, None, won=False)
        self.session.flush()  # the contracts need the bids' ids
        finished: dict[int, list[dt.datetime]] = {}
        for starts, order, vendor, bid, share in awarded:
            contract = self.contract(order, bid, share, starts=starts, status="completed", history=True)
            _close(contract, self.draw(vendor, order, starts, contract.seats))
            finished.setdefault(id(order), []).append(contract.completed_at)
        for _starts, order, _winners, _rivals in plans:
            order.completed_at = max(finished[id(order)]) + dt.timedelta(days=1)
            order.status, order.updated_at = "completed", order.completed_at
        self.summary.history_orders = len(plans)

    def history_bid(self, rng: random.Random, order: Order, vendor: _Vendor, volume: int | None, *, won: bool) -> Bid:
        submitted = order.published_at + (order.bidding_closes_at - order.published_at) * rng.uniform(0.2, 0.95)
        bid = self.make_bid(rng, order, vendor, submitted=submitted, over_budget=False, volume=volume)
        bid.status = "awarded" if won else "rejected"
        bid.awarded_at = order.awarded_at if won else None
        bid.rejected_at = None if won else order.awarded_at
        bid.status_reason = None if won else "未中标"
        self.session.add(bid)
        self.summary.bids += 1
        return bid


PUBLIC_FIELD_SETS = (
    ("description", "label_set", "budget_ceiling", "accuracy_target"),
    ("description", "label_set", "budget_ceiling"),
    ("label_set", "accuracy_target", "data_classification"),
    ("description",),
)


@dataclass
class _Plan:
    """One current order on its way to its planned state."""

    state: str
    index: int  # its place among the orders planned in this state
    order: Order
    agency: _Agency
    template: TaskTemplate
    cancel_from: str | None = None
    cancel_at: dt.datetime | None = None
    bids: list[Bid] = field(default_factory=list)
    winners: list[tuple[Bid, int]] = field(default_factory=list)
    started: dt.datetime | None = None


def _evening(moment: dt.datetime) -> dt.datetime:
    """18:00 Beijing time on the day of `moment`: deadlines fall at the end of a working day."""
    local = moment.astimezone(ZONE)
    return dt.datetime(local.year, local.month, local.day, 18, 0, tzinfo=ZONE).astimezone(dt.timezone.utc)


def _working_days(start: dt.datetime, end: dt.datetime) -> float:
    return max(5.0, (end - start).total_seconds() / 86400 * 5 / 7)


def _close(contract: Contract, outcome: Outcome) -> None:
    contract.completed_at = outcome.completed_at
    contract.delivered_on_time = outcome.delivered_on_time
    contract.accuracy_achieved = outcome.accuracy_achieved
    contract.rating = outcome.rating
    contract.rating_comment = outcome.rating_comment
