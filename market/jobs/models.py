"""The record of every run of a scheduled job (by the scheduler or by hand)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from market.db import Base, utcnow

JOB_OUTCOMES = ("running", "succeeded", "failed", "interrupted")
JOB_TRIGGERS = ("schedule", "manual")


class JobRun(Base):
    """One run of one job: when, how it ended, what it did (counts) or why it failed."""

    __tablename__ = "job_runs"
    __table_args__ = (
        CheckConstraint(f"outcome IN {JOB_OUTCOMES}", name="outcome"),
        CheckConstraint(f"trigger IN {JOB_TRIGGERS}", name="trigger"),
        CheckConstraint("outcome = 'running' OR finished_at IS NOT NULL", name="finished_has_time"),
        CheckConstraint("outcome != 'failed' OR error IS NOT NULL", name="failed_has_error"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    trigger: Mapped[str] = mapped_column(String(16), default="schedule")
    outcome: Mapped[str] = mapped_column(String(16), default="running")
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]
    counts: Mapped[dict] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    # Which process ran it ("host:pid"), so a run left "running" by a dead process can be told.
    runner: Mapped[str] = mapped_column(String(200), default="")


Index("ix_job_runs_job_started", JobRun.job, JobRun.started_at)
