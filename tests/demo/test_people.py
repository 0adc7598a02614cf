"""The cast: the Guizhou programme's operator, agencies and firms, registered as the platform registers them."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from market.accounts.models import User
from market.audit.models import AuditEvent
from market.demo.seed import DEMO_PASSWORD
from market.organizations.credit_code import credit_code_problem
from market.organizations.models import CLEARANCES, Organization


def vendors(session):
    return session.scalars(select(Organization).where(Organization.kind == "vendor").order_by(Organization.id)).all()


def events(session, action: str) -> dict[int, AuditEvent]:
    """The events of `action`, by the id of their object (each object has one)."""
    rows = session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()
    return {e.object_id: e for e in rows}


def test_every_credit_code_is_valid_unique_and_names_its_region(session):
    orgs = session.scalars(select(Organization)).all()
    assert len({o.credit_code for o in orgs}) == len(orgs)
    prefixes = {"贵阳市": "5201", "铜仁市": "5206", "黔南布依族苗族自治州": "5227", "重庆市": "5001", "成都市": "5101"}
    for org in orgs:
        assert credit_code_problem(org.credit_code) is None, (org.name, org.credit_code)
        if org.kind == "vendor":
            assert org.credit_code.startswith("91" + prefixes[org.city]), (org.name, org.credit_code)
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
    assert any(v.province != "贵州省" for v in firms), "a few firms from outside show the local preference"
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
        response = client.post("/api/v1/auth/tokens", json={"email": email, "password": DEMO_PASSWORD})
        assert response.status_code == 201, (email, response.get_json())
        assert response.get_json()["user"]["role"] == role
    agency = session.scalar(select(User).where(User.email == "agency@demo.market.cn"))
    assert agency.organization.name == "贵州省交通运输厅"
    vendor = session.scalar(select(User).where(User.email == "vendor@demo.market.cn"))
    assert vendor.organization.city == "贵阳市"
    assert vendor.organization.vendor_profile.verification_status == "verified"
    assert {email for _role, email, _org in summary.logins} >= set(expected)


def test_the_readme_logins_of_the_other_firms_are_in_the_states_it_names(session):
    status = {u.email: u.organization.vendor_profile.verification_status
              for u in session.scalars(select(User).where(User.role == "vendor"))}
    assert status["xiaolanshan@demo.market.cn"] == "verified"
    assert status["wuling@demo.market.cn"] == "pending"
    assert status["fuquan@demo.market.cn"] == "suspended"


def test_organisations_and_users_were_registered_by_the_services_when_they_joined(session):
    created = events(session, "organization.created")
    for org in session.scalars(select(Organization)):
        assert created[org.id].occurred_at == org.created_at
    made = events(session, "user.created")
    for user in session.scalars(select(User)):
        assert made[user.id].occurred_at == user.created_at
    hashes = list(session.scalars(select(User.password_hash)))  # each salted on its own, by create_user
    assert len(set(hashes)) == len(hashes)


def test_a_firm_declares_its_capabilities_and_a_coordinator_assesses_them_when_verifying_it(session):
    replaced = session.scalars(select(AuditEvent).where(AuditEvent.action == "vendor.capabilities_replaced")
                               .order_by(AuditEvent.id)).all()
    by_firm: dict[int, list[AuditEvent]] = {}
    for event in replaced:
        by_firm.setdefault(event.object_id, []).append(event)
    coordinator = session.scalar(select(User).where(User.role == "coordinator"))
    verified = events(session, "vendor.verified")
    for firm in vendors(session):
        declared, *assessed = by_firm[firm.id]
        assert declared.actor_org_id == firm.id and declared.occurred_at == firm.created_at
        if firm.vendor_profile.verification_status == "pending":
            assert not assessed and firm.id not in verified
            continue
        (assessment,) = assessed
        assert assessment.actor_id == coordinator.id
        assert assessment.occurred_at == verified[firm.id].occurred_at
        assert {c.assessed_at for c in firm.vendor_profile.capabilities} == {assessment.occurred_at}
