"""A province-sized programme for measuring: the demo, then many more firms, orders and bids in bulk.

The demo (market.demo.seed) is written first, through the services, so its logins, matching runs,
proposals and contracts are all there. This adds, as rows written in bulk (PostgreSQL's COPY,
executemany elsewhere), firms up to `vendors`, orders up to `orders` in every state across the
demo's agencies and regions with titles and descriptions from its catalogue, `bids_per_order`
bids on each order that took bids, and a contract for each awarded one. The rows keep the rules
the services enforce: bids come from verified firms that meet the order's hard rules, within its
budget, one live bid per firm and order; statuses agree with their timestamps; every published
field is complete. No audit events or notifications are written for them: nobody did these
things on this platform, as with the demo's history (market.demo.past).

Reproducible: the same seed writes the same rows (times are placed relative to the day of
seeding, as the demo's are).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from market.bids.models import Bid
from market.contracts.models import Contract
from market.demo.catalogue import (
    BID_NOTES,
    CANCEL_REASONS,
    DIVISIONS,
    PHASES,
    PLACE_TAGS,
    PROFILES,
    REGISTRAR_COMPANY,
    SKILLS,
    TEMPLATES,
    TITLE_PREFIXES,
    TITLE_SUFFIXES,
)
from market.demo.context import Demo
from market.demo.seed import seed_demo
from market.demo.work import HIDDEN_FIELD_SETS
from market.orders import search
from market.orders.models import Order
from market.organizations.credit_code import make_credit_code
from market.organizations.models import CLEARANCES, Capability, Organization, VendorProfile

# How a province's orders are spread over their states (shares of the orders added).
STATE_SHARES = (
    ("draft", 0.04), ("published", 0.14), ("evaluating", 0.05), ("awarded", 0.04),
    ("in_progress", 0.13), ("completed", 0.48), ("cancelled", 0.06), ("unsuccessful", 0.06),
)
# The states in which a coordinator approved a match: one bid won, the others lost.
AWARDED = ("awarded", "in_progress", "completed")
YEARS_OF_HISTORY = 3
_CHUNK = 2_000  # orders generated and written at a time, with their bids and contracts

# Firm names: a place, a word and a kind of company.
_PLACES = ("筑", "黔", "贵安", "观山湖", "花溪", "乌当", "白云", "南明", "云岩", "铜仁", "万山", "碧江",
           "梵净", "都匀", "惠水", "福泉", "荔波", "黔南", "黔东", "遵义", "安顺", "毕节", "六盘水", "凯里")
_WORDS = ("数智", "云标", "智标", "数联", "图谱", "数聚", "星辰", "启明", "数语", "慧眼", "点云", "数帆",
          "山海", "锦程", "数据港", "智算", "明镜", "精标", "新元", "数源", "睿图", "声谷", "融智", "数链")
_KINDS = ("数据科技有限公司", "信息技术有限公司", "数据服务有限公司", "智能科技有限公司", "标注科技有限公司")
_CERTIFICATIONS = ("ISO 27001", "ISO 9001", "ISO 27701", "等保三级", "DSMM 3", "CMMI 3")
_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@dataclass
class ScaleSummary:
    seed: int
    vendors_added: int = 0
    capabilities_added: int = 0
    orders_added: int = 0
    bids_added: int = 0
    contracts_added: int = 0
    orders_by_state: Counter = field(default_factory=Counter)
    totals: dict = field(default_factory=dict)

    def lines(self) -> list[str]:
        states = ", ".join(f"{state} {n}" for state, n in sorted(self.orders_by_state.items()))
        return [
            f"Province (seed {self.seed}): {self.totals.get('orders', 0)} orders, "
            f"{self.totals.get('vendors', 0)} vendors, {self.totals.get('bids', 0)} bids, "
            f"{self.totals.get('contracts', 0)} contracts in all.",
            f"Added in bulk: {self.vendors_added} vendors with {self.capabilities_added} capabilities, "
            f"{self.orders_added} orders ({states}), {self.bids_added} bids, {self.contracts_added} contracts.",
        ]


@dataclass
class _Firm:
    id: int
    verified: bool
    clearance: int
    certifications: frozenset
    onsite: bool
    seats: int
    skills: dict  # (modality, annotation type) -> (throughput, unit price)


def seed_scale(session: Session, *, orders: int, vendors: int, bids_per_order: int, seed: int,
               now: dt.datetime | None = None, progress=lambda message: None) -> ScaleSummary:
    """Write the demo, then the province around it; the caller commits."""
    seed_demo(session, seed=seed, now=now)
    session.flush()
    progress("demo written")
    demo = Demo.make(session, seed, now or dt.datetime.now(dt.UTC))
    rng = random.Random(f"market-scale-{seed}")
    summary = ScaleSummary(seed=seed)
    writer = _Writer(session)
    firms = _existing_firms(session)
    agencies = {org.name: org.id for org in session.scalars(
        select(Organization).where(Organization.kind == "agency").order_by(Organization.id))}
    added = _add_vendors(session, writer, rng, demo, firms, max(0, vendors - len(firms)), summary)
    firms.extend(added)
    progress(f"{summary.vendors_added} vendors added")
    by_skill: dict[tuple, list[_Firm]] = {}
    for firm in firms:
        if firm.verified:
            for skill in firm.skills:
                by_skill.setdefault(skill, []).append(firm)
    _add_orders(session, writer, rng, demo, agencies, by_skill,
                max(0, orders - session.scalar(select(func.count(Order.id)))), bids_per_order, summary, progress)
    writer.finish()
    summary.totals = {
        "orders": session.scalar(select(func.count(Order.id))),
        "vendors": session.scalar(select(func.count(VendorProfile.organization_id))),
        "bids": session.scalar(select(func.count(Bid.id))),
        "contracts": session.scalar(select(func.count(Contract.id))),
    }
    return summary


def _existing_firms(session: Session) -> list[_Firm]:
    skills: dict[int, dict] = {}
    for cap in session.scalars(select(Capability)):
        skills.setdefault(cap.vendor_id, {})[(cap.modality, cap.annotation_type)] = (
            cap.throughput_per_seat_day, float(cap.unit_price))
    return [
        _Firm(p.organization_id, p.verification_status == "verified", CLEARANCES.index(p.clearance),
              frozenset(p.certifications), p.onsite_possible, p.seats, skills.get(p.organization_id, {}))
        for p in session.scalars(select(VendorProfile).order_by(VendorProfile.organization_id))
    ]


class _Writer:
    """Rows in bulk with the ids given: COPY on PostgreSQL, executemany elsewhere."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.connection = session.connection()
        self.postgresql = self.connection.dialect.name == "postgresql"
        self.next_ids: dict[str, int] = {}
        self.tables: set[str] = set()

    def next_id(self, model) -> int:
        name = model.__tablename__
        if name not in self.next_ids:
            self.next_ids[name] = (self.session.scalar(select(func.max(model.id))) or 0) + 1
        value = self.next_ids[name]
        self.next_ids[name] = value + 1
        return value

    def write(self, model, rows: list[dict]) -> None:
        if not rows:
            return
        table = model.__table__
        self.tables.add(table.name)
        columns = list(rows[0])
        if not self.postgresql:
            self.connection.execute(table.insert(), rows)
            return
        types = [table.c[name].type for name in columns]
        buffer = io.StringIO()
        for row in rows:
            buffer.write("\t".join(_copy_value(row[name], type_) for name, type_ in zip(columns, types, strict=True)))
            buffer.write("\n")
        cursor = self.connection.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            copy.write(buffer.getvalue())

    def finish(self) -> None:
        if self.postgresql:
            for name in sorted(self.tables - {"vendor_profiles"}):
                self.connection.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))"))


def vacuum(engine) -> None:
    """After a bulk load on PostgreSQL: statistics for the planner, and the visibility map that
    lets counts and deep pages read indexes alone (autovacuum would get there later)."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")


def _copy_value(value, type_) -> str:
    if value is None:
        return r"\N"
    if isinstance(type_, search.SearchTerms):
        value = search.copy_literal(value)
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, bool):
        value = "t" if value else "f"
    elif isinstance(value, dt.datetime):
        value = value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
    else:
        value = str(value)
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _credit_code(rng: random.Random, division: str, issued: set) -> str:
    while True:
        code = make_credit_code(REGISTRAR_COMPANY + division + "MA" + "".join(rng.choice(_ALPHABET) for _ in range(7)))
        if code not in issued:
            issued.add(code)
            return code


def _add_vendors(session, writer, rng, demo, firms, count, summary) -> list[_Firm]:
    issued = set(session.scalars(select(Organization.credit_code)))
    names = [p + w + k for p in _PLACES for w in _WORDS for k in _KINDS]
    rng.shuffle(names)
    places = [key for key in DIVISIONS]
    weights = [1.0 if key[0] == "贵州省" else 0.25 for key in places]
    added, orgs, profiles, capabilities = [], [], [], []
    for i in range(count):
        province, city, county = rng.choices(places, weights=weights)[0]
        at = demo.start + dt.timedelta(days=rng.uniform(0, 300))
        org_id = writer.next_id(Organization)
        name = names[i] if i < len(names) else f"{names[i % len(names)]}（{i // len(names) + 1}）"
        orgs.append({"id": org_id, "kind": "vendor", "name": name,
                     "credit_code": _credit_code(rng, DIVISIONS[(province, city, county)], issued),
                     "province": province, "city": city, "county": county,
                     "contact_email": f"firm{org_id}@scale.market.cn", "description": None, "sectors": [],
                     "created_at": at, "updated_at": at})
        status = rng.choices(("verified", "pending", "suspended"), weights=(0.86, 0.09, 0.05))[0]
        seats = int(rng.choice((20, 30, 40, 60, 80, 120, 160, 200, 300, 500)) * rng.uniform(0.8, 1.2))
        certifications = sorted(c for c in _CERTIFICATIONS if rng.random() < (0.5 if c.startswith("ISO") else 0.15))
        clearance = rng.choices(CLEARANCES, weights=(0.45, 0.45, 0.10))[0]
        onsite = rng.random() < 0.5
        profiles.append({
            "organization_id": org_id, "seats": seats, "headcount": int(seats * rng.uniform(1.0, 1.3)),
            "certifications": certifications, "clearance": clearance, "onsite_possible": onsite,
            "sme": seats < 300, "verification_status": status,
            "verified_at": at + dt.timedelta(days=3) if status != "pending" else None,
            "suspended_at": at + dt.timedelta(days=60) if status == "suspended" else None,
            "status_reason": "交付抽检准确率未达合同要求，暂停接单整改。" if status == "suspended" else None,
        })
        skills = {}
        for profile in rng.sample(sorted(PROFILES), rng.choice((1, 1, 2))):
            for key in PROFILES[profile]:
                skill = SKILLS[key]
                skills[key] = (round(rng.uniform(*skill.throughput), 1), round(rng.uniform(*skill.price), 4))
        quality = rng.uniform(0.6, 0.9)
        for (modality, annotation_type), (throughput, price) in sorted(skills.items()):
            capabilities.append({
                "id": writer.next_id(Capability), "vendor_id": org_id, "modality": modality,
                "annotation_type": annotation_type, "throughput_per_seat_day": throughput,
                "unit_price": Decimal(str(price)).quantize(Decimal("0.0001")),
                "assessed_proficiency": round(min(1.0, max(0.0, quality + rng.uniform(-0.06, 0.06))), 3),
                "evidence": "平台试标样本抽检", "assessed_at": at + dt.timedelta(days=3)})
        added.append(_Firm(org_id, status == "verified", CLEARANCES.index(clearance), frozenset(certifications),
                           onsite, seats, skills))
    writer.write(Organization, orgs)
    writer.write(VendorProfile, profiles)
    writer.write(Capability, capabilities)
    summary.vendors_added, summary.capabilities_added = len(orgs), len(capabilities)
    return added


def _add_orders(session, writer, rng, demo, agencies, by_skill, count, bids_per_order, summary, progress) -> None:
    from market.demo.catalogue import AGENCIES

    specs = [(spec, agencies[spec.name]) for spec in AGENCIES if spec.name in agencies]
    states = [state for state, _ in STATE_SHARES]
    shares = [share for _, share in STATE_SHARES]
    done = 0
    while done < count:
        n = min(_CHUNK, count - done)
        orders, bids, contracts = [], [], []
        for _ in range(n):
            state = rng.choices(states, weights=shares)[0]
            template = rng.choice(TEMPLATES)
            spec, agency_id = rng.choice([(s, i) for s, i in specs if template.sector in s.sectors])
            order = _order(rng, demo, writer, state, template, spec, agency_id)
            orders.append(order)
            summary.orders_by_state[state] += 1
            if order["published_at"] is not None and state != "unsuccessful":
                _bids(rng, demo, writer, order, state, by_skill.get(template.skill, []), bids_per_order,
                      bids, contracts)
        writer.write(Order, orders)
        writer.write(Bid, bids)
        writer.write(Contract, contracts)
        done += n
        summary.orders_added += len(orders)
        summary.bids_added += len(bids)
        summary.contracts_added += len(contracts)
        progress(f"{done}/{count} orders, {summary.bids_added} bids")


def _order(rng, demo, writer, state, template, spec, agency_id) -> dict:
    skill = SKILLS[template.skill]
    now = demo.today
    window = dt.timedelta(days=rng.uniform(30, 100))
    if state == "draft":
        created = now - dt.timedelta(days=rng.uniform(0.5, 10))
        closes = now + dt.timedelta(days=rng.uniform(10, 25))
    elif state == "published":
        created = now - dt.timedelta(days=rng.uniform(2, 20))
        closes = now + dt.timedelta(days=rng.uniform(1, 25))
    elif state == "evaluating":
        closes = now - dt.timedelta(days=rng.uniform(1, 8))
        created = closes - dt.timedelta(days=rng.uniform(16, 30))
    elif state == "awarded":
        closes = now - dt.timedelta(days=rng.uniform(8, 20))
        created = closes - dt.timedelta(days=rng.uniform(16, 30))
    elif state == "in_progress":
        closes = now - dt.timedelta(days=rng.uniform(20, 70))
        created = closes - dt.timedelta(days=rng.uniform(16, 30))
        window = dt.timedelta(days=rng.uniform(80, 160))
    else:  # completed, cancelled, unsuccessful: any time in the programme's years
        closes = now - dt.timedelta(days=rng.uniform(10, 365 * YEARS_OF_HISTORY))
        created = closes - dt.timedelta(days=rng.uniform(16, 30))
        if state == "completed":
            window = min(window, (now - closes) * 0.9)
            window = max(window, dt.timedelta(days=5))
    closes = closes.replace(minute=0, second=0, microsecond=0)
    deadline = closes + window
    volume = max(100, int(round(rng.uniform(*template.volume), -2)))
    reference = (skill.price[0] + skill.price[1]) / 2
    budget = Decimal(max(100.0, round(volume * reference * rng.uniform(1.1, 1.4), -2))).quantize(Decimal("0.01"))
    splittable = rng.random() < template.splittable_share
    place = rng.choice(PLACE_TAGS.get(spec.key, ("",)))
    year = demo.settings.local_date(created).year
    title = (rng.choice(TITLE_PREFIXES).format(year=year) + template.title + place
             + rng.choice(TITLE_SUFFIXES if place else TITLE_SUFFIXES + PHASES))
    hidden = dict(rng.choice(HIDDEN_FIELD_SETS))
    published = None if state == "draft" else created + dt.timedelta(days=1, hours=2)
    stamps = dict.fromkeys(("evaluating_at", "awarded_at", "in_progress_at", "completed_at", "cancelled_at",
                            "unsuccessful_at"))
    reason = None
    if state in ("evaluating", "unsuccessful", *AWARDED):
        stamps["evaluating_at"] = closes + dt.timedelta(minutes=1)
    if state in AWARDED:
        stamps["awarded_at"] = closes + dt.timedelta(days=rng.uniform(2, 5))
    if state in ("in_progress", "completed"):
        stamps["in_progress_at"] = stamps["awarded_at"] + dt.timedelta(days=1)
    if state == "completed":
        stamps["completed_at"] = max(stamps["in_progress_at"] + dt.timedelta(days=1),
                                     deadline - dt.timedelta(days=rng.uniform(0, 4)))
        deadline = max(deadline, stamps["completed_at"])
    if state == "unsuccessful":
        stamps["unsuccessful_at"] = closes + dt.timedelta(days=rng.uniform(2, 4))
        reason = "没有符合资格条件的有效投标。"
    if state == "cancelled":
        stamps["cancelled_at"] = published + dt.timedelta(days=rng.uniform(1, 10))
        reason = rng.choice(CANCEL_REASONS)
    certifications = [c for c in template.certifications if rng.random() < 0.3]
    row = {
        "id": writer.next_id(Order), "agency_id": agency_id, "created_by_id": None, "title": title,
        "description": template.description, "sector": template.sector, "modality": template.skill[0],
        "annotation_type": template.skill[1], "label_set": list(template.labels), "volume": volume,
        "unit": skill.unit, "budget_ceiling": budget, "bidding_closes_at": closes, "delivery_deadline": deadline,
        "accuracy_target": rng.choice(template.accuracy), "sampling_level": rng.choice(("II", "II", "II", "I", "III")),
        "aql": None, "data_classification": rng.choice(template.classifications),
        "onsite_required": rng.random() < template.onsite_share * 0.5, "required_certifications": certifications,
        "splittable": splittable, "max_vendors": rng.choice((2, 2, 3)) if splittable else None,
        "min_lot": max(1, min(volume, int(volume * rng.uniform(0.15, 0.3)))) if splittable else None,
        "scoring_weights": None, "hidden_fields": hidden, "status": state, "created_at": created,
        "updated_at": max(t for t in (created, published, *stamps.values()) if t is not None),
        "published_at": published, **stamps, "status_reason": reason,
        "search_terms": search.terms(title, template.description, hidden),
    }
    return row


def _eligible(firm: _Firm, order: dict) -> bool:
    return (firm.clearance >= CLEARANCES.index(order["data_classification"])
            and firm.certifications.issuperset(order["required_certifications"])
            and (firm.onsite or not order["onsite_required"]))


def _bids(rng, demo, writer, order, state, capable, per_order, bids, contracts) -> None:
    eligible = [firm for firm in capable if _eligible(firm, order)]
    if not eligible:
        return
    skill = (order["modality"], order["annotation_type"])
    chosen = rng.sample(eligible, min(len(eligible), per_order))
    ceiling = float(order["budget_ceiling"]) / order["volume"]
    until = min(order["bidding_closes_at"], order["cancelled_at"] or demo.today, demo.today)
    span = max(60.0, (until - order["published_at"]).total_seconds() - 1800)
    rows = []
    for firm in chosen:
        throughput, price = firm.skills[skill]
        price = min(price * rng.uniform(0.9, 1.08), ceiling * rng.uniform(0.82, 0.99))
        finish = order["delivery_deadline"] - dt.timedelta(days=rng.uniform(1, 5))
        days = max(1.0, (finish - order["bidding_closes_at"]).days * 5 / 7)
        seats = max(1, min(firm.seats, math.ceil(order["volume"] / (throughput * days))))
        rows.append({
            "id": writer.next_id(Bid), "order_id": order["id"], "vendor_id": firm.id, "submitted_by_id": None,
            "unit_price": Decimal(max(price, 0.0001)).quantize(Decimal("0.0001")), "volume": order["volume"],
            "seats_committed": seats, "proposed_finish_date": demo.settings.local_date(finish),
            "technical_note": rng.choice(BID_NOTES), "status": "submitted",
            "submitted_at": order["published_at"] + dt.timedelta(seconds=rng.uniform(60, span)),
            "withdrawn_at": None, "awarded_at": None, "rejected_at": None, "lapsed_at": None,
            "confirmation_requested_at": None, "confirmed_at": None, "status_reason": None,
        })
    if state == "cancelled":
        for row in rows:
            row.update(status="rejected", rejected_at=order["cancelled_at"], status_reason="order_cancelled_because")
    elif state in AWARDED:
        winner = min(rows, key=lambda row: row["unit_price"])
        for row in rows:
            if row is winner:
                row.update(status="awarded", awarded_at=order["awarded_at"])
            else:
                row.update(status="rejected", rejected_at=order["awarded_at"])
        contracts.append(_contract(rng, writer, order, winner, state))
    bids.extend(rows)


def _contract(rng, writer, order, bid, state) -> dict:
    completed = state == "completed"
    return {
        "id": writer.next_id(Contract), "allocation_id": None, "order_id": order["id"], "bid_id": bid["id"],
        "vendor_id": bid["vendor_id"], "volume": bid["volume"], "unit_price": bid["unit_price"],
        "value": (bid["unit_price"] * bid["volume"]).quantize(Decimal("0.01")), "seats": bid["seats_committed"],
        "starts_at": order["awarded_at"], "deadline": order["delivery_deadline"],
        "status": "completed" if completed else "active", "created_at": order["awarded_at"],
        "completed_at": order["completed_at"], "terminated_at": None, "status_reason": None,
        "payment_term_days": 30, "severity": "normal", "switching_score": 0, "recent_results": [],
        "tightened_rejections": 0, "consecutive_accepted": 0,
        "delivered_on_time": (rng.random() < 0.85) if completed else None,
        "accuracy_achieved": round(order["accuracy_target"] + rng.uniform(-0.01, 0.02), 4) if completed else None,
        "days_late": 0 if completed else None,
        "rating": rng.choice((3, 4, 4, 5, 5)) if completed else None, "rating_comment": None,
    }
