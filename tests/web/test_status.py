"""The system status page (administrators; coordinators without the outbox) and the job runs."""

from __future__ import annotations

import datetime as dt

import pytest

from market.db import utcnow
from market.jobs.models import JobRun
from market.notifications.models import OutboxEmail


def _run(db_session, job: str, *, ago: dt.timedelta = dt.timedelta(seconds=30), **fields) -> JobRun:
    started = utcnow() - ago
    run = JobRun(job=job, started_at=started, finished_at=started + dt.timedelta(seconds=2),
                 runner="host-a:4242", **{"outcome": "succeeded", "counts": {}} | fields)
    db_session.add(run)
    db_session.flush()
    return run


@pytest.fixture
def history(db_session):
    """A scheduler that ran lately: a run that closed bidding, one that failed, and mails in trouble."""
    _run(db_session, "close-bidding", counts={"closed": 3, "queued_runs": 1})
    _run(db_session, "send-outbox", outcome="failed", error="SMTPConnectError: 421 busy")
    db_session.add_all([
        OutboxEmail(to_address="waiting@example.cn", subject="投标已截止", body="-"),
        OutboxEmail(to_address="refused@example.cn", subject="中标通知", body="-", status="failed",
                    attempts=5, last_error="SMTPRecipientsRefused: 550 no such user"),
        OutboxEmail(to_address="doubt@example.cn", subject="密码重置", body="-", status="unknown",
                    attempts=1, last_error="the sender stopped while handing it over"),
    ])
    db_session.flush()


def test_an_admin_sees_the_database_scheduler_last_runs_and_the_outbox_in_trouble(
        browser, actors, history):
    browser.sign_in(actors.admin)
    page = browser.get("/system/status")
    assert page.status_code == 200
    text = page.text
    assert "系统状态" in text and "数据库" in text and "可以连接" in text
    assert "host-a:4242" in text and "调度程序：正在运行任务" in text
    assert "close-bidding" in text and "截止订单 3" in text
    assert "SMTPConnectError: 421 busy" in text and "失败" in text
    assert "从未运行" in text  # the jobs without a run yet
    for address in ("refused@example.cn", "doubt@example.cn"):
        assert address in text
    assert "waiting@example.cn" not in text, "mails waiting are counted, not listed"
    assert "SMTPRecipientsRefused: 550 no such user" in text
    assert 'href="/system/status"' in browser.get("/").text  # the header's link


def test_the_status_page_reads_in_english(english_browser, actors, history):
    english_browser.sign_in_in_english(actors.admin)
    text = english_browser.get("/system/status").text
    assert "System status" in text and "Reachable: answered in" in text
    assert "Scheduler: running jobs" in text and "Never run." in text
    assert "Unknown: its sender stopped while sending" in text
    assert "Close bidding that is due; queue a match run over it" in text
    assert "every 60 s" in text and "daily at 08:00" in text


def test_a_status_page_without_recent_runs_says_no_scheduler_is_active(browser, actors, db_session):
    _run(db_session, "close-bidding", ago=dt.timedelta(hours=2))
    _run(db_session, "a-job-since-removed", ago=dt.timedelta(seconds=5))  # not this version's
    browser.sign_in(actors.admin)
    text = browser.get("/system/status").text
    assert "调度程序：未在运行任务" in text and "market scheduler" in text


def test_coordinators_see_the_jobs_but_not_the_outbox(browser, actors, history):
    browser.sign_in(actors.coordinator)
    page = browser.get("/system/status")
    assert page.status_code == 200
    assert "close-bidding" in page.text and "host-a:4242" in page.text
    assert "doubt@example.cn" not in page.text and "邮件发件箱" not in page.text
    runs = browser.get("/system/job-runs")
    assert runs.status_code == 200 and "SMTPConnectError: 421 busy" in runs.text


@pytest.mark.parametrize("role", ["agency", "vendor"])
def test_nobody_else_sees_the_status_or_the_job_runs(browser, actors, history, role):
    assert browser.get("/system/status").status_code == 302  # sign in first
    browser.sign_in(getattr(actors, role))
    for path in ("/system/status", "/system/job-runs", "/system/job-runs?job=nope"):
        assert browser.get(path).status_code == 403, path
    assert "/system/status" not in browser.get("/").text


def test_the_job_runs_are_filtered_by_job_and_outcome_and_paged(browser, actors, db_session):
    for n in range(3):
        _run(db_session, "match-runs", ago=dt.timedelta(minutes=n + 1),
             counts={"completed": n, "failed": 0, "requeued": 0})
    _run(db_session, "send-outbox", outcome="interrupted")
    browser.sign_in(actors.coordinator)
    text = browser.get("/system/job-runs?job=match-runs&per_page=2").text
    assert "3 次运行" in text and "send-outbox" not in text.split("<table")[1]
    assert 'rel="next"' in text and "page=2" in text
    text = browser.get("/system/job-runs?outcome=interrupted").text
    assert "1 次运行" in text and "中断（其调度程序已停止）" in text


def test_a_filter_that_does_not_exist_is_shown_as_a_field_error(english_browser, actors):
    english_browser.sign_in_in_english(actors.admin)
    page = english_browser.get("/system/job-runs?job=no-such-job")
    assert page.status_code == 422
    assert "There is a problem" in page.text and 'href="#field-job"' in page.text
