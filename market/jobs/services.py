"""Reading the record of job runs (coordinators and administrators)."""

from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from market.jobs.models import JobRun
from market.permissions import require_role


def list_job_runs(*, actor, job: str | None = None, outcome: str | None = None) -> Select:
    """Job runs, newest first, optionally of one job or with one outcome."""
    require_role(actor, "coordinator", "admin")
    stmt = select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc())
    if job:
        stmt = stmt.where(JobRun.job == job)
    if outcome:
        stmt = stmt.where(JobRun.outcome == outcome)
    return stmt


def last_runs(session: Session) -> dict[str, JobRun]:
    """The newest run of each job (the system's own view, for `market jobs list`)."""
    newest = (select(JobRun.job, func.max(JobRun.id).label("id")).group_by(JobRun.job)
              .subquery())
    rows = session.scalars(select(JobRun).join(newest, newest.c.id == JobRun.id))
    return {row.job: row for row in rows}
