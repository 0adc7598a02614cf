"""The matching pages: what a run would take, queueing one for the scheduler, its progress while it
waits (the page reloads itself without a script) and its report once the scheduler has run it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from market.allocations.models import MatchRun
from market.audit.models import AuditEvent
from market.db import utcnow
from market.jobs.runner import run_job
from tests.allocations.conftest import capable_vendor, evaluating_order
from tests.factories import BidFactory, OrderFactory


@pytest.fixture
def closed(actors, db_session):
    """Two orders under evaluation: one with a good bid and one over budget, one with no bid."""
    order = evaluating_order(actors.agency.organization, title="路口行人框标注", splittable=False)
    lonely = evaluating_order(actors.agency.organization, title="无人投标的语音转写")
    good, pricey = capable_vendor(name="贵阳优标科技有限公司"), capable_vendor(name="黔南高价标注有限公司")
    for vendor, price in ((good, "0.30"), (pricey, "0.80")):
        actors.user("vendor", organization=vendor)
        BidFactory(order=order, vendor=vendor, unit_price=Decimal(price), volume=order.volume)
    OrderFactory(published=True, title="仍在投标的订单", agency=actors.agency.organization)
    db_session.flush()
    return {"order": order, "lonely": lonely}


def _runs(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(MatchRun))


def test_the_page_lists_what_a_run_would_take(browser, actors, closed):
    browser.sign_in(actors.coordinator)
    page = browser.get("/coordinator/matching")
    assert page.status_code == 200
    assert "路口行人框标注" in page.text and "无人投标的语音转写" in page.text
    assert "仍在投标的订单" not in page.text  # bidding is still open on it
    assert '<dd>2</dd>' in page.text  # two live bids, from two firms
    assert "10 秒" in page.text or "10秒" in page.text  # the solver's default time limit


def test_starting_a_run_queues_it_and_its_page_reloads_itself_until_the_scheduler_has_run_it(
        browser, actors, closed, db_session, app):
    browser.sign_in(actors.coordinator)
    started = browser.submit("/coordinator/matching", "/coordinator/match-runs",
                             {"order_ids": str(closed["order"].id), "time_limit": "5"})
    assert started.status_code == 302
    run = db_session.scalar(select(MatchRun).order_by(MatchRun.id.desc()))
    assert run.status == "queued" and run.requested_order_ids == [closed["order"].id]
    assert run.time_limit == 5 and run.started_by_id == actors.coordinator.id
    assert db_session.scalar(select(AuditEvent).where(AuditEvent.action == "match_run.queued",
                                                      AuditEvent.object_id == run.id)) is not None
    waiting = browser.get(started.headers["Location"])
    assert waiting.status_code == 200 and waiting.headers["Refresh"] == "3"
    assert "排队" in waiting.text and 'role="status"' in waiting.text
    assert "停止自动刷新" in waiting.text

    run_job(app, "match-runs", now=utcnow() + dt.timedelta(seconds=10))
    done = browser.get(started.headers["Location"])
    assert "Refresh" not in done.headers  # nothing to wait for any more
    text = done.text
    assert "已完成" in text and "目标值" in text and "上界" in text and "差距" in text
    assert "路口行人框标注" in text and "预算" in text  # matched; the pricey bid said why it lost


def test_a_run_over_every_order_reports_the_order_nobody_bid_on(browser, actors, closed, app):
    browser.sign_in(actors.coordinator)
    started = browser.submit("/coordinator/matching", "/coordinator/match-runs", {})
    assert started.status_code == 302
    run_job(app, "match-runs", now=utcnow() + dt.timedelta(seconds=10))
    report = browser.get(started.headers["Location"]).text
    assert "未撮合的订单：1" in report and "无人投标的语音转写" in report
    listed = browser.get("/coordinator/matching").text
    assert "最近的撮合批次" in listed and actors.coordinator.name in listed


def test_a_time_limit_out_of_range_is_refused_beside_its_field_and_nothing_is_queued(
        browser, actors, closed, db_session):
    browser.sign_in(actors.coordinator)
    refused = browser.submit("/coordinator/matching", "/coordinator/match-runs", {"time_limit": "600"})
    assert refused.status_code == 422 and 'id="error-time_limit"' in refused.text
    assert 'value="600"' in refused.text and _runs(db_session) == 0


def test_an_order_no_longer_under_evaluation_is_refused_and_nothing_is_queued(
        browser, actors, closed, db_session):
    browser.sign_in(actors.coordinator)
    token = browser.token(browser.get("/coordinator/matching"))
    open_order = OrderFactory(published=True, agency=actors.agency.organization)
    db_session.flush()
    refused = browser.post("/coordinator/match-runs",
                           data={"csrf_token": token, "order_ids": str(open_order.id)})
    assert refused.status_code == 422 and 'id="error-order_ids"' in refused.text
    assert _runs(db_session) == 0


def test_starting_without_the_forms_token_is_refused(browser, actors, closed, db_session):
    browser.sign_in(actors.coordinator)
    assert browser.post("/coordinator/match-runs", data={}).status_code == 400
    assert _runs(db_session) == 0


@pytest.mark.parametrize("role", ["agency", "vendor", "admin"])
def test_only_coordinators_use_the_matching_pages(browser, actors, closed, role, db_session):
    browser.sign_in(getattr(actors, role))
    assert browser.get("/coordinator/matching").status_code == 403
    token = browser.token(browser.get("/"))
    assert browser.post("/coordinator/match-runs", data={"csrf_token": token}).status_code == 403
    assert _runs(db_session) == 0


def test_an_unknown_run_is_not_found(browser, actors):
    browser.sign_in(actors.coordinator)
    assert browser.get("/coordinator/match-runs/999999").status_code == 404


def test_a_failed_run_says_why(browser, actors, db_session):
    run = MatchRun(status="failed", trigger="api", error="Only orders under evaluation can be matched.",
                   queued_at=utcnow(), finished_at=utcnow())
    db_session.add(run)
    db_session.flush()
    browser.sign_in(actors.coordinator)
    page = browser.get(f"/coordinator/match-runs/{run.id}")
    assert page.status_code == 200 and "失败" in page.text and "Refresh" not in page.headers


def test_the_pages_read_in_english(english_browser, actors, closed):
    english_browser.sign_in_in_english(actors.coordinator)
    page = english_browser.get("/coordinator/matching").text
    assert "What a run would take now" in page and "Start a matching run" in page
