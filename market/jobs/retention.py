"""How long the record of job runs is kept: the scheduler writes a run every few seconds (most of
them with nothing to do), so the table would grow by some 16,000 rows a day and the status page's
last run of each job would slow down with it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from market.db import utcnow
from market.jobs.models import JobRun


def purge_job_runs(session: Session, *, keep: dt.timedelta, now: dt.datetime | None = None) -> int:
    """Delete the finished job runs that started more than `keep` ago, except each job's newest
    run (so `market jobs list` and the status page still say when each job last ran); how many."""
    now = now or utcnow()
    newest = select(func.max(JobRun.id)).group_by(JobRun.job)
    deleted = session.execute(
        delete(JobRun).where(JobRun.started_at < now - keep, JobRun.outcome != "running",
                             JobRun.id.not_in(newest))
        .execution_options(synchronize_session=False)
    ).rowcount
    return deleted or 0
