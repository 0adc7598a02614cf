"""Reading the record of job runs and the scheduler's state (coordinators and administrators)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from market.db import utcnow
from market.jobs import catalogue
from market.jobs.catalogue import Job
from market.jobs.models import JobRun
from market.permissions import require_role

# The scheduler counts as silent when no job has started for this long, or for three of its
# shortest intervals if that is longer: on SQLite one job at a time runs, so a long match run
# holds the others back for a while without anything being wrong.
SILENT_AFTER = dt.timedelta(minutes=5)


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


@dataclass(frozen=True)
class JobState:
    job: Job
    last: JobRun | None


@dataclass(frozen=True)
class SchedulerState:
    """What the job runs tell of the scheduler: which process ran the newest one and when."""

    jobs: list[JobState]
    runner: str | None  # host:pid of the process that started the newest run
    heartbeat: dt.datetime | None  # when the newest run started
    silent: bool  # no run for longer than expected: no scheduler is active


def scheduler_state(session: Session, config: Mapping, *, actor,
                    now: dt.datetime | None = None) -> SchedulerState:
    """Each job with its schedule and last run, and whether a scheduler is running them."""
    require_role(actor, "coordinator", "admin")
    now = now or utcnow()
    last = last_runs(session)
    # The jobs of this version only: a job renamed or dropped since says nothing of today's scheduler.
    current = [last[job.name] for job in catalogue.JOBS if job.name in last]
    newest = max(current, key=lambda run: run.started_at, default=None)
    shortest = min((job.seconds(config) for job in catalogue.JOBS if job.every_setting), default=60)
    quiet_for = max(SILENT_AFTER, dt.timedelta(seconds=3 * shortest))
    return SchedulerState(
        jobs=[JobState(job, last.get(job.name)) for job in catalogue.JOBS],
        runner=newest.runner if newest else None,
        heartbeat=newest.started_at if newest else None,
        silent=newest is None or now - newest.started_at > quiet_for,
    )
