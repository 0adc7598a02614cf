"""Every run of a scheduled job is recorded, shown to coordinators and administrators, and a job
that raises is recorded failed and runs again at its next time."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from sqlalchemy import select

from market.db import utcnow
from market.jobs import catalogue
from market.jobs.catalogue import JOBS, Job
from market.jobs.models import JobRun
from market.jobs.runner import mark_interrupted, run_job
from market.scheduler import SchedulerLock, build_scheduler
from tests.conftest import assert_error
from tests.factories import OrderFactory


def test_a_run_is_recorded_with_its_start_end_outcome_and_counts(app, db_session, factories):
    OrderFactory(closed=True)
    now = utcnow().replace(microsecond=0)
    record = run_job(app, "close-bidding", now=now)
    stored = db_session.get(JobRun, record.id)
    assert (stored.job, stored.trigger, stored.outcome) == ("close-bidding", "schedule", "succeeded")
    assert stored.started_at == now and stored.finished_at >= now
    assert stored.counts == {"closed": 1, "queued_runs": 1}
    assert stored.error is None and ":" in stored.runner


@pytest.fixture
def flaky(monkeypatch):
    """A job that raises on its first run and works on the second."""
    calls = []

    def work(app, now):
        calls.append(now)
        if len(calls) == 1:
            raise RuntimeError("the SMTP server is away")
        return {"done": 1}

    monkeypatch.setattr(catalogue, "JOBS", (*JOBS, Job("flaky", work, "fails once")))
    return calls


def test_a_job_that_raises_is_logged_and_recorded_and_runs_again_next_time(app, db_session, flaky,
                                                                            caplog):
    caplog.set_level(logging.ERROR, logger="market.jobs.runner")
    failed = run_job(app, "flaky")
    assert failed.outcome == "failed" and failed.finished_at is not None
    assert failed.error == "RuntimeError: the SMTP server is away"
    assert "job flaky failed" in caplog.text and "Traceback" in caplog.text
    again = run_job(app, "flaky")
    assert (again.outcome, again.counts) == ("succeeded", {"done": 1})
    assert len(flaky) == 2


def test_a_run_left_running_by_the_previous_scheduler_is_marked_interrupted(app, db_session):
    now = utcnow()
    left = JobRun(job="match-runs", trigger="schedule", started_at=now, runner="gone:1")
    by_hand = JobRun(job="match-runs", trigger="manual", started_at=now, runner="other:2")
    db_session.add_all([left, by_hand])
    db_session.flush()
    assert mark_interrupted(app, now=now) == 1
    db_session.expire_all()
    assert (left.outcome, by_hand.outcome) == ("interrupted", "running")
    assert left.finished_at is not None


def test_coordinators_and_admins_read_the_runs_newest_first(api, app, actors):
    first = run_job(app, "close-bidding")
    second = run_job(app, "send-outbox")
    for user in (actors.coordinator, actors.admin):
        body = api.get("/api/v1/job-runs", token=actors.token(user)).json()
        ids = [item["id"] for item in body["items"]]
        assert ids[:2] == [second.id, first.id]
        assert body["items"][0]["counts"] == {"sent": 0}
        assert body["items"][0]["outcome"] == "succeeded"
    only = api.get("/api/v1/job-runs", params={"job": "close-bidding"},
                   token=actors.token(actors.coordinator)).json()["items"]
    assert only and {item["job"] for item in only} == {"close-bidding"}


def test_nobody_else_reads_the_runs(api, actors):
    for role in ("agency", "vendor"):
        assert_error(api.get("/api/v1/job-runs", token=actors.token(getattr(actors, role))), 403)
    assert_error(api.get("/api/v1/job-runs"), 401)
    assert_error(api.get("/api/v1/job-runs", params={"job": "no-such-job"},
                         token=actors.token(actors.admin)), 422, "job")


@pytest.fixture
def cli(app, connection):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=list(args))


def test_jobs_list_shows_the_schedule_and_the_last_runs(cli, app):
    run_job(app, "close-bidding")
    result = cli("jobs", "list")
    assert result.exit_code == 0, result.output
    for job in JOBS:
        assert job.name in result.output
    assert "every 60 s" in result.output and "daily at 08:00 Asia/Shanghai" in result.output
    assert "last succeeded at" in result.output and "latest runs:" in result.output


def test_jobs_run_runs_one_job_once_and_records_it_as_manual(cli, app, db_session, factories):
    OrderFactory(closed=True)
    result = cli("jobs", "run", "close-bidding")
    assert result.exit_code == 0, result.output
    assert "close-bidding: closed 1, queued_runs 1" in result.output
    again = cli("jobs", "run", "close-bidding")
    assert "closed 0" in again.output
    triggers = db_session.scalars(select(JobRun.trigger).where(JobRun.job == "close-bidding")).all()
    assert triggers == ["manual", "manual"]
    assert cli("jobs", "run", "no-such-job").exit_code == 2


def test_jobs_run_says_so_when_the_job_fails(cli, flaky):
    result = cli("jobs", "run", "flaky")
    assert result.exit_code == 1 and "flaky failed: RuntimeError" in result.output


def test_each_job_is_scheduled_with_coalescing_one_instance_and_a_deliberate_grace(app, tmp_path):
    import threading

    lock = SchedulerLock(app.extensions["market.db"].engine, lock_path=tmp_path / "lock")
    scheduler = build_scheduler(app, lock, threading.Event())
    scheduled = {job.id: job for job in scheduler.get_jobs()}
    for job in JOBS:
        entry = scheduled[job.name]
        assert entry.coalesce is True and entry.max_instances == 1
        if job.daily_hour_setting:
            assert entry.misfire_grace_time == 12 * 3600
            assert str(entry.trigger.timezone) == "Asia/Shanghai"
        else:
            assert entry.misfire_grace_time == job.seconds(app.config)
            assert entry.trigger.interval == dt.timedelta(seconds=job.seconds(app.config))
