"""The demo programme: who is in it, orders in every state, usable bids, a history to learn from."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
from collections import Counter, defaultdict

import pytest
from sqlalchemy import func, select

from market import db
from market.accounts.models import User
from market.audit.models import AuditEvent
from market.bids.models import Bid
from market.contracts.models import Contract
from market.db import utcnow
from market.demo.history import OutcomeModel
from market.demo.seed import DEFAULT_SEED, DEMO_PASSWORD, seed_demo
from market.orders.models import Order, Question
from market.organizations.credit_code import credit_code_problem
from market.organizations.models import CLEARANCES, Capability, Organization, VendorProfile
from tests.fresh_database import fresh_app

# Seeding needs an empty database, so these tests run on a fresh one (see tests/fresh_database.py),
# seeded once for the module; they only read it.


@pytest.fixture(scope="module")
def seeded(database_url, tmp_path_factory):
    with fresh_app(database_url, tmp_path_factory.mktemp("seeded")) as app:
        with app.app_context():
            summary = seed_demo(db.session, seed=DEFAULT_SEED)
            db.session.commit()
        yield app, summary


@pytest.fixture
def session(seeded):
    app, _summary = seeded
    with app.app_context():
        yield db.session


def vendors(session):
    return session.scalars(
        select(Organization).where(Organization.kind == "vendor").order_by(Organization.id)
    ).all()


def test_every_state_of_the_order_lifecycle_is_present(session):
    now = utcnow()
    orders = session.scalars(select(Order)).all()
    states = Counter(order.status for order in orders)
    assert set(states) == {
        "draft",
        "published",
        "evaluating",
        "awarded",
        "in_progress",
        "completed",
        "cancelled",
        "unsuccessful",
    }
    published = [o for o in orders if o.status == "published"]
    assert any(o.bidding_open(now) for o in published), "some orders take bids now"
    assert any(o.effective_status(now) == "evaluating" for o in published), (
        "some closed, job not yet run"
    )
    current = [
        o for o in orders if o.status != "completed" or o.completed_at > now - dt.timedelta(days=60)
    ]
    assert len(current) >= 60
    cancelled = [o for o in orders if o.status == "cancelled"]
    assert any(o.published_at is None for o in cancelled) and any(o.published_at for o in cancelled)


def test_orders_read_as_agency_staff_would_write_them(session):
    orders = session.scalars(select(Order).where(Order.status != "completed")).all()
    titles = " ".join(o.title for o in orders)
    for phrase in ("车辆检测框标注", "肺结节分割标注", "课堂语音转写", "点云三维框标注"):
        assert phrase in titles or any(phrase in o.title for o in session.scalars(select(Order)))
    for order in orders:
        assert (
            order.description and order.label_set and order.volume > 0 and order.budget_ceiling > 0
        )
        assert order.bidding_closes_at < order.delivery_deadline
        assert 0.9 <= order.accuracy_target <= 0.99
    assert {o.sector for o in orders} == {"transport", "health", "education"}


def test_every_credit_code_is_valid_unique_and_names_its_region(session):
    orgs = session.scalars(select(Organization)).all()
    assert len({o.credit_code for o in orgs}) == len(orgs)
    prefixes = {
        "贵阳市": "5201",
        "铜仁市": "5206",
        "黔南布依族苗族自治州": "5227",
        "重庆市": "5001",
        "成都市": "5101",
    }
    for org in orgs:
        assert credit_code_problem(org.credit_code) is None, (org.name, org.credit_code)
        if org.kind == "vendor":
            assert org.credit_code.startswith("91" + prefixes[org.city]), (
                org.name,
                org.credit_code,
            )
        else:
            assert org.credit_code[:2] in ("11", "12")  # public bodies and institutions


def test_the_cast_is_the_guizhou_programme(session):
    agencies = session.scalars(select(Organization).where(Organization.kind == "agency")).all()
    assert len(agencies) >= 6
    assert {s for a in agencies for s in a.sectors} == {"transport", "health", "education"}
    firms = vendors(session)
    local = [v for v in firms if v.province == "贵州省"]
    assert len(local) >= 25
    assert {v.city for v in local} == {"贵阳市", "铜仁市", "黔南布依族苗族自治州"}
    assert any(v.province != "贵州省" for v in firms), (
        "a few firms from outside show the local preference"
    )
    seats = [v.vendor_profile.seats for v in firms]
    assert min(seats) >= 20 and max(seats) <= 800 and max(seats) >= 500
    statuses = Counter(v.vendor_profile.verification_status for v in firms)
    assert statuses["suspended"] == 1 and statuses["pending"] >= 2 and statuses["verified"] >= 20
    suspended = next(v for v in firms if v.vendor_profile.verification_status == "suspended")
    assert suspended.vendor_profile.status_reason
    assert len({tuple(v.vendor_profile.certifications) for v in firms}) > 3
    assert {v.vendor_profile.clearance for v in firms} == set(CLEARANCES)
    assert {v.vendor_profile.sme for v in firms} == {True, False}
    assert {v.vendor_profile.onsite_possible for v in firms} == {True, False}


def test_every_vendor_has_capabilities_and_only_pending_ones_lack_an_assessment(session):
    for firm in vendors(session):
        profile = firm.vendor_profile
        assert profile.capabilities, firm.name
        for cap in profile.capabilities:
            assert cap.throughput_per_seat_day > 0 and cap.unit_price > 0
            if profile.verification_status == "pending":
                assert cap.assessed_proficiency is None
            else:
                assert 0.4 <= cap.assessed_proficiency <= 0.97 and cap.assessed_at is not None


def test_every_organisation_has_a_user_and_the_demo_logins_work(seeded, session):
    app, summary = seeded
    users = session.scalars(select(User)).all()
    assert {u.organization_id for u in users} == set(session.scalars(select(Organization.id)))
    client = app.test_client()
    expected = {"coordinator@demo.market.cn": "coordinator", "admin@demo.market.cn": "admin",
                "agency@demo.market.cn": "agency", "vendor@demo.market.cn": "vendor"}
    for email, role in expected.items():
        response = client.post(
            "/api/v1/auth/tokens", json={"email": email, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 201, (email, response.get_json())
        assert response.get_json()["user"]["role"] == role
    agency = session.scalar(select(User).where(User.email == "agency@demo.market.cn"))
    assert agency.organization.name == "贵州省交通运输厅"
    vendor = session.scalar(select(User).where(User.email == "vendor@demo.market.cn"))
    assert vendor.organization.city == "贵阳市"
    assert vendor.organization.vendor_profile.verification_status == "verified"
    assert {email for _role, email, _org in summary.logins} >= set(expected)


def _eligible(profile: VendorProfile, order: Order) -> bool:
    return (
        profile.verification_status == "verified"
        and CLEARANCES.index(profile.clearance) >= CLEARANCES.index(order.data_classification)
        and set(order.required_certifications) <= set(profile.certifications)
        and (profile.onsite_possible or not order.onsite_required)
        and any((c.modality, c.annotation_type) == (order.modality, order.annotation_type)
                for c in profile.capabilities)
    )


def test_bids_come_from_capable_firms_and_fit_their_orders(session):
    skills = {
        (c.vendor_id, c.modality, c.annotation_type) for c in session.scalars(select(Capability))
    }
    seats = dict(session.execute(select(VendorProfile.organization_id, VendorProfile.seats)).all())
    for bid in session.scalars(select(Bid)):
        order = bid.order
        assert (bid.vendor_id, order.modality, order.annotation_type) in skills
        assert bid.seats_committed <= seats[bid.vendor_id]
        assert bid.volume <= order.volume
        if not order.splittable:
            assert bid.volume == order.volume
        assert bid.submitted_at < order.bidding_closes_at


def test_orders_under_evaluation_have_eligible_bids_a_coordinator_can_match(session):
    now = utcnow()
    closed = [
        o
        for o in session.scalars(select(Order).where(Order.status.in_(("published", "evaluating"))))
        if o.effective_status(now) == "evaluating"
    ]
    assert len(closed) >= 10
    refused = 0
    for order in closed:
        live = [b for b in order.bids if b.status == "submitted"]
        good = [b for b in live if _eligible(b.vendor.vendor_profile, order)
                and b.unit_price * b.volume <= order.budget_ceiling]
        assert len(good) >= 2, order.title
        assert len({b.vendor_id for b in live}) == len(live)
        refused += len(live) - len(good)
    assert refused >= 3, "some bids show matching's refusals (rules not met, over budget)"


def test_awarded_work_is_under_contract_for_its_whole_volume(session):
    for order in session.scalars(
        select(Order).where(Order.status.in_(("awarded", "in_progress", "completed")))
    ):
        contracts = session.scalars(select(Contract).where(Contract.order_id == order.id)).all()
        assert sum(c.volume for c in contracts) == order.volume, order.title
        awarded = [b for b in order.bids if b.status == "awarded"]
        assert {c.bid_id for c in contracts} == {b.id for b in awarded}
        expected = "active" if order.status in ("awarded", "in_progress") else "completed"
        assert {c.status for c in contracts} == {expected}


def test_state_changes_are_audited_when_they_happened(session):
    for order in session.scalars(select(Order).where(Order.status == "evaluating")):
        events = session.scalars(select(AuditEvent).where(AuditEvent.object_type == "order",
                                                          AuditEvent.object_id == order.id)).all()
        actions = {e.action: e for e in events}
        assert {"order.created", "order.published", "order.evaluating"} <= set(actions)
        assert actions["order.published"].occurred_at == order.published_at
    actions = set(session.scalars(select(AuditEvent.action).distinct()))
    assert {
        "organization.created",
        "user.created",
        "vendor.verified",
        "vendor.suspended",
        "bid.submitted",
        "bid.awarded",
        "bid.rejected",
        "bid.withdrawn",
        "order.awarded",
        "order.cancelled",
        "order.unsuccessful",
        "question.asked",
        "question.answered",
    } <= actions


def test_questions_are_asked_and_mostly_answered(session):
    questions = session.scalars(select(Question)).all()
    answered = [q for q in questions if q.answered_at is not None]
    assert len(questions) >= 20 and len(answered) >= len(questions) // 2
    assert any(q.answered_at is None and q.order.status == "published" for q in questions)
    assert all(q.asked_at < q.answered_at < q.order.bidding_closes_at for q in answered)


# The history and its hidden model -----------------------------------------------------------------


def _history(session):
    rows = session.execute(
        select(
            Contract, Order.accuracy_target, Capability.assessed_proficiency, VendorProfile.seats
        )
        .join(Order, Order.id == Contract.order_id)
        .join(VendorProfile, VendorProfile.organization_id == Contract.vendor_id)
        .join(
            Capability,
            (Capability.vendor_id == Contract.vendor_id)
            & (Capability.modality == Order.modality)
            & (Capability.annotation_type == Order.annotation_type),
        )
        .where(Contract.status == "completed")
        .order_by(Contract.starts_at)
    ).all()
    return rows


def test_the_history_is_a_few_hundred_contracts_of_the_past_18_months_with_outcomes(session):
    rows = _history(session)
    assert 250 <= len(rows) <= 600
    now = utcnow()
    assert min(c.starts_at for c, *_ in rows) > now - dt.timedelta(days=560)
    assert max(c.completed_at for c, *_ in rows) < now
    for contract, *_ in rows:
        assert contract.delivered_on_time is not None and 0.7 <= contract.accuracy_achieved <= 0.995
        assert 1 <= contract.rating <= 5 and contract.completed_at > contract.starts_at
    on_time = Counter(c.delivered_on_time for c, *_ in rows)
    assert on_time[True] > on_time[False] > 10


def test_success_in_the_history_rises_with_proficiency_and_falls_with_load(session):
    rows = _history(session)
    by_vendor = defaultdict(list)
    success_by_skill = defaultdict(list)
    success_by_load = defaultdict(list)
    for contract, target, proficiency, seats in rows:
        # The load as the hidden model defines it: seats of the firm's running contracts plus
        # this one's.
        busy = sum(
            c.seats
            for c in by_vendor[contract.vendor_id]
            if c.starts_at <= contract.starts_at < c.completed_at
        )
        load = (busy + contract.seats) / seats
        by_vendor[contract.vendor_id].append(contract)
        success = contract.delivered_on_time and contract.accuracy_achieved >= target
        if proficiency < 0.75 or proficiency >= 0.85:
            success_by_skill[proficiency >= 0.85].append(success)
        success_by_load[load >= 0.5].append(success)
    rate = {key: sum(values) / len(values) for key, values in success_by_skill.items()}
    # Assessed proficiency is a noisy view of true skill (by design, so history adds information),
    # so the difference is real but modest.
    assert rate[True] > rate[False]
    loaded = {key: sum(values) / len(values) for key, values in success_by_load.items()}
    assert loaded[False] > loaded[True]


_firms = itertools.count()


def _draws(model: OutcomeModel, n: int, **kwargs) -> float:
    """The share of n independent first contracts (a new firm each: no experience) that succeed."""
    start = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    wins = 0
    for _ in range(n):
        values = {
            "vendor_seats": 100,
            "skill": ("image", "bbox"),
            "assessed": 0.8,
            "suspended": False,
            "accuracy_target": 0.95,
            "seats": 20,
        }
        values.update(kwargs)
        outcome = model.draw(
            vendor=f"firm-{next(_firms)}",
            starts_at=start,
            deadline=start + dt.timedelta(days=40),
            not_after=start + dt.timedelta(days=400),
            **values,
        )
        wins += outcome.delivered_on_time and outcome.accuracy_achieved >= values["accuracy_target"]
    return wins / n


def test_the_hidden_model_behaves_as_its_docstring_says():
    model = OutcomeModel(random.Random(1))
    base = _draws(model, 600)
    assert _draws(model, 600, assessed=0.6) < base - 0.15
    assert _draws(model, 600, seats=120) < base - 0.15  # 120 % of the firm's seats
    assert _draws(model, 600, accuracy_target=0.99) < base - 0.3
    assert _draws(model, 600, assessed=0.95) > base


def test_experience_counts_earlier_finished_contracts_of_the_same_modality():
    model = OutcomeModel(random.Random(2))
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    common = {"vendor": "firm", "vendor_seats": 100, "assessed": 0.8, "suspended": False,
              "accuracy_target": 0.95, "seats": 10, "not_after": start + dt.timedelta(days=1000)}
    for i in range(3):
        first = start + dt.timedelta(days=100 * i)
        outcome = model.draw(
            skill=("image", "bbox"),
            starts_at=first,
            deadline=first + dt.timedelta(days=30),
            **common,
        )
        assert outcome.experience == i
    later = start + dt.timedelta(days=400)
    assert (
        model.draw(
            skill=("audio", "transcription"),
            starts_at=later,
            deadline=later + dt.timedelta(days=30),
            **common,
        ).experience
        == 0
    )
    # The audio contract just drawn is running, so it counts towards the load at its start.
    assert math.isclose(model.load("firm", later, 30, 100), 0.4)


# Reproducibility ----------------------------------------------------------------------------------


def _snapshot(session) -> dict:
    return {
        "organizations": session.execute(
            select(
                Organization.id,
                Organization.kind,
                Organization.name,
                Organization.credit_code,
                Organization.city,
            ).order_by(Organization.id)
        ).all(),
        "capabilities": session.execute(
            select(
                Capability.vendor_id,
                Capability.modality,
                Capability.annotation_type,
                Capability.unit_price,
                Capability.assessed_proficiency,
            ).order_by(Capability.id)
        ).all(),
        "orders": session.execute(
            select(
                Order.id,
                Order.agency_id,
                Order.title,
                Order.status,
                Order.volume,
                Order.budget_ceiling,
                Order.accuracy_target,
                Order.data_classification,
                Order.splittable,
            ).order_by(Order.id)
        ).all(),
        "bids": session.execute(
            select(
                Bid.id,
                Bid.order_id,
                Bid.vendor_id,
                Bid.unit_price,
                Bid.volume,
                Bid.seats_committed,
                Bid.status,
            ).order_by(Bid.id)
        ).all(),
        "contracts": session.execute(
            select(
                Contract.id,
                Contract.order_id,
                Contract.vendor_id,
                Contract.volume,
                Contract.delivered_on_time,
                Contract.accuracy_achieved,
                Contract.rating,
            ).order_by(Contract.id)
        ).all(),
        "questions": session.scalar(select(func.count(Question.id))),
    }


def test_the_same_seed_writes_the_same_programme(seeded, session, database_url, tmp_path):
    first = _snapshot(session)
    with fresh_app(database_url, tmp_path) as other:
        with other.app_context():
            seed_demo(db.session, seed=DEFAULT_SEED)
            db.session.commit()
            second = _snapshot(db.session)
    for part in first:
        assert first[part] == second[part], part
