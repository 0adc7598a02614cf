"""`market jobs ...`: the scheduled jobs' schedule and last runs, and running one by hand."""

from __future__ import annotations

import datetime as dt

import click
from flask import current_app
from flask.cli import with_appcontext


def _local(moment: dt.datetime | None) -> str:
    from market.timezone import local_isoformat

    return local_isoformat(moment) if moment else "-"


@click.group("jobs")
def jobs():
    """The scheduled jobs: list them with their last runs, or run one once by hand."""


@jobs.command("list")
@click.option("--runs", "recent", type=click.IntRange(0, 1000), default=10, show_default=True,
              help="How many of the latest runs (of every job) to show below the schedule.")
@with_appcontext
def list_jobs(recent: int):
    """Each job with its schedule and its last run, then the latest runs."""
    from sqlalchemy import select
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from market import db
    from market.jobs.catalogue import JOBS
    from market.jobs.models import JobRun
    from market.jobs.services import last_runs

    try:
        last = last_runs(db.session)
        latest = db.session.scalars(select(JobRun).order_by(JobRun.id.desc()).limit(recent)).all()
    except (OperationalError, ProgrammingError):
        raise click.ClickException(
            "The database has no schema yet; run `market init-db` first.") from None
    config = current_app.config
    for job in JOBS:
        run = last.get(job.name)
        said = (f"last {run.outcome} at {_local(run.started_at)}" if run else "never run")
        click.echo(f"{job.name:<16} {job.schedule_text(config):<32} {said}")
        click.echo(f"{'':<16} {job.description}")
    if latest:
        click.echo("")
        click.echo("latest runs:")
    for run in latest:
        counts = ", ".join(f"{k} {v}" for k, v in run.counts.items())
        error = f"  error: {run.error.splitlines()[0]}" if run.error else ""
        click.echo(f"{run.id:>6}  {run.job:<16} {run.trigger:<8} {run.outcome:<11} "
                   f"{_local(run.started_at)}  {counts}{error}")


@jobs.command("run")
@click.argument("name")
@with_appcontext
def run_once(name: str):
    """Run the job NAME once, now, with the same guarantees as the scheduler (recorded as manual)."""
    from market.jobs import catalogue
    from market.jobs.runner import run_job

    names = [job.name for job in catalogue.JOBS]
    if name not in names:
        raise click.BadParameter(f"no job {name!r}; the jobs are {', '.join(names)}",
                                 param_hint="NAME")

    record = run_job(current_app._get_current_object(), name, trigger="manual")
    counts = ", ".join(f"{k} {v}" for k, v in record.counts.items()) or "nothing to do"
    if record.outcome != "succeeded":
        raise click.ClickException(f"{name} failed: {record.error}")
    click.echo(f"{name}: {counts} (job run {record.id})")
