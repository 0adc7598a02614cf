"""Running one job once and recording it; the scheduler and `market jobs run` both come here.

Each run is a row of job_runs, committed before the job starts (so a run that never ends shows
as running) and finished with its outcome, its counts or its error. A job that raises is logged
and recorded as failed; the scheduler runs it again at its next time.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import time

from flask import Flask
from sqlalchemy import update

from market.db import database, utcnow
from market.jobs.catalogue import job_named
from market.jobs.models import JobRun

log = logging.getLogger(__name__)


def runner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_job(app: Flask, name: str, *, now: dt.datetime | None = None,
            trigger: str = "schedule") -> JobRun:
    """Run the job `name` once at `now` (default: the clock) and return its record."""
    job = job_named(name)
    now = now or utcnow()
    started = time.monotonic()
    with app.app_context():
        sessions = database().sessionmaker
        with sessions() as session:
            record = JobRun(job=name, trigger=trigger, started_at=now, runner=runner_name())
            session.add(record)
            session.commit()
            run_id = record.id
        outcome, counts, error = "succeeded", {}, None
        try:
            counts = job.func(app, now) or {}
        # Whatever a job raises is the job's failure, to record; the scheduler must go on.
        except Exception as exc:
            log.exception("job %s failed", name)
            outcome, error = "failed", f"{type(exc).__name__}: {exc}"[:4000]
        with sessions() as session:
            record = session.get(JobRun, run_id)
            record.outcome, record.counts, record.error = outcome, counts, error
            record.finished_at = now + dt.timedelta(seconds=time.monotonic() - started)
            session.commit()
        if outcome == "succeeded" and any(counts.values()):
            log.info("job %s: %s", name, ", ".join(f"{k} {v}" for k, v in counts.items()))
        return record


def mark_interrupted(app: Flask, *, now: dt.datetime | None = None) -> int:
    """Runs left "running" by the scheduler that was active before this one are over: there is one
    active scheduler, so no scheduled run can still be going when another becomes active."""
    with app.app_context(), database().sessionmaker() as session:
        result = session.execute(
            update(JobRun).where(JobRun.outcome == "running", JobRun.trigger == "schedule")
            .values(outcome="interrupted", finished_at=now or utcnow())
        )
        session.commit()
        return result.rowcount or 0
