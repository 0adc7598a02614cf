"""What coordinators read around a run: what a run would take, what it did with each order, and a
firm's seat load per ISO week with and without a proposal, counted independently here."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from market.allocations import report, runs
from market.allocations.models import Allocation
from market.db import utcnow
from market.errors import Forbidden
from market.settings import settings_of
from tests.allocations.conftest import capable_vendor, evaluating_order
from tests.factories import BidFactory, ContractFactory, OrderFactory


def _working_days(start: dt.date, end: dt.date) -> int:
    return sum(1 for n in range((end - start).days + 1) if (start + dt.timedelta(days=n)).weekday() < 5)


def test_a_plan_counts_the_orders_under_evaluation_their_live_bids_and_firms(actors, db_session):
    order = evaluating_order(actors.agency.organization)
    empty = evaluating_order(actors.agency.organization)
    OrderFactory(published=True)  # still open for bids
    firms = [capable_vendor(), capable_vendor()]
    for firm in firms:
        BidFactory(order=order, vendor=firm, unit_price=Decimal("0.30"), volume=order.volume)
    BidFactory(order=empty, vendor=firms[0], status="withdrawn", withdrawn_at=utcnow())
    db_session.flush()
    plan = report.plan_run(db_session, actor=actors.coordinator)
    assert {p.order.id: p.bids for p in plan.orders} == {order.id: 2, empty.id: 0}
    assert (plan.bids, plan.vendors) == (2, 2)
    assert plan.time_limit == settings_of(db_session).match_time_limit


@pytest.mark.parametrize("role", ["agency", "vendor"])
def test_only_the_platforms_staff_read_a_plan(actors, db_session, role):
    with pytest.raises(Forbidden):
        report.plan_run(db_session, actor=getattr(actors, role))


@pytest.fixture
def proposal(actors, db_session):
    order = evaluating_order(actors.agency.organization, splittable=False, volume=20000)
    firm = capable_vendor(seats=50, throughput=800.0)
    pricey = capable_vendor()
    BidFactory(order=order, vendor=firm, unit_price=Decimal("0.30"), volume=order.volume)
    BidFactory(order=order, vendor=pricey, unit_price=Decimal("0.90"), volume=order.volume)
    nobody = evaluating_order(actors.agency.organization, title="无人投标")
    db_session.flush()
    run = runs.run_matching(db_session, actor=actors.coordinator, time_limit=5)
    allocation = db_session.scalar(select(Allocation).where(Allocation.run_id == run.id))
    return {"order": order, "firm": firm, "run": run, "allocation": allocation, "nobody": nobody}


def test_a_proposals_load_is_its_volume_over_the_firms_throughput_spread_over_the_orders_weeks(
        proposal, db_session):
    weeks = report.seat_load(db_session, proposal["allocation"])
    assert weeks
    added = sum(w.with_this - w.without for w in weeks)
    assert added == pytest.approx(20000 / 800.0)
    assert all(w.without == 0 for w in weeks)  # nothing running yet
    assert max(w.capacity for w in weeks) == 50 * 5  # seats × five working days
    settings = settings_of(db_session)
    today, deadline = settings.local_date(utcnow()), settings.local_date(proposal["order"].delivery_deadline)
    days = _working_days(today, deadline)
    first = weeks[0]
    first_days = _working_days(today, today + dt.timedelta(days=6 - today.weekday()))
    assert first.with_this == pytest.approx(25 * first_days / days)


def test_a_running_contract_of_the_firm_counts_in_the_load_without_the_proposal(proposal, db_session):
    order = OrderFactory(awarded=True, modality="image", annotation_type="bbox")
    ContractFactory(order=order, vendor=proposal["firm"], volume=8000,
                    deadline=proposal["order"].delivery_deadline)
    db_session.flush()
    weeks = report.seat_load(db_session, proposal["allocation"])
    assert sum(w.without for w in weeks) == pytest.approx(8000 / 800.0, rel=0.05)
    assert all(w.with_this > w.without for w in weeks)


def test_the_report_says_what_each_order_got_and_why_the_other_did_not(proposal, db_session):
    outcomes = {o.order.id: o for o in report.run_outcomes(db_session, proposal["run"], language="en")}
    matched = outcomes[proposal["order"].id]
    assert (matched.proposals, matched.proposed, matched.bids, matched.eligible) == (1, 20000, 2, 1)
    assert matched.reasons and "budget" in matched.reasons[0][0]
    nobody = outcomes[proposal["nobody"].id]
    assert (nobody.proposals, nobody.bids, nobody.unsuccessful) == (0, 0, True)

