"""Housekeeping: what expired is deleted, what is still live stays."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from market.accounts import services as accounts
from market.accounts.models import ApiToken
from market.db import utcnow
from market.jobs.models import JobRun
from market.jobs.runner import run_job


def test_expired_tokens_and_the_sign_ins_on_them_are_purged_and_live_ones_kept(
    app, api, actors, db_session
):
    user = actors.vendor
    _old, stale = accounts.issue_token(db_session, user, ttl_hours=1)
    live_token, live = accounts.issue_token(db_session, user, ttl_hours=48)
    db_session.flush()
    later = utcnow() + dt.timedelta(hours=2)
    counts = run_job(app, "purge-expired", now=later).counts
    assert counts["api_tokens"] == 1 and counts["email_tokens"] == 0
    left = db_session.scalars(select(ApiToken.id).where(ApiToken.user_id == user.id)).all()
    assert left == [live.id] and stale.id not in left
    assert api.get("/api/v1/me", token=live_token).status_code == 200
    assert run_job(app, "purge-expired", now=later).counts["api_tokens"] == 0


def test_job_runs_older_than_the_keeping_time_are_purged_but_each_jobs_newest_stays(
    app, db_session
):
    now = utcnow()
    old = now - dt.timedelta(days=app.config["JOB_RUNS_KEEP_DAYS"] + 1)

    def ran(job: str, started: dt.datetime, outcome: str = "succeeded") -> JobRun:
        run = JobRun(job=job, started_at=started, outcome=outcome, runner="host:1",
                     finished_at=None if outcome == "running" else started)
        db_session.add(run)
        return run

    purged = [ran("match-runs", old), ran("match-runs", old + dt.timedelta(seconds=10))]
    recent = ran("match-runs", now - dt.timedelta(days=1))
    only_old = ran("retrain", old)  # the newest of its job, however old
    left_running = ran("send-outbox", old, outcome="running")
    db_session.flush()
    ids = [run.id for run in purged]
    assert run_job(app, "purge-expired", now=now).counts["job_runs"] == 2
    remaining = set(db_session.scalars(select(JobRun.id)).all())
    assert not remaining & set(ids)
    assert {recent.id, only_old.id, left_running.id} <= remaining
    assert run_job(app, "purge-expired", now=now).counts["job_runs"] == 0
