"""The scheduled jobs: what each does and when it runs. Each is thin: sessions from the app's
database, one service call per unit of work, a commit; safe to run twice or in two processes.

Misfires and coalescing are set per job (APScheduler keeps its jobs in memory, so these matter
while the scheduler runs, e.g. when a long match run or a slow database delays the others):

* interval jobs: coalesce (runs missed while the process was busy become one), grace of one
  interval (a run later than that is skipped, the next comes soon), never two at once;
* the nightly retraining: coalesce, a grace of 12 hours, and a run at start-up, which trains only
  when there are outcomes the current model has not seen (and were not tried already);
* the daily digest: coalesce, a grace of 12 hours (a scheduler busy or restarted at 08:00 still
  sends that morning's digest), and it also runs when the scheduler starts: it sends only what
  is due today and not sent yet, so a run at start-up catches up a morning the scheduler missed.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from market.accounts.services import purge_expired_tokens
from market.allocations import runs
from market.bids.alerts import alert_new_orders, send_digests
from market.contracts.payments import notify_overdue_payments
from market.contracts.progress import notify_overdue_contracts
from market.db import database
from market.errors import DomainError
from market.i18n import N_
from market.idempotency import purge_expired
from market.jobs.models import JobRun
from market.jobs.reminders import ReminderSettings, send_reminders
from market.jobs.retention import purge_job_runs
from market.notifications.tasks import send_outbox, sender_from_config
from market.orders.tasks import close_due_orders
from market.quality.service import retrain_if_new

log = logging.getLogger(__name__)

# Match runs executed per job run at most: the others wait for the next (seconds later).
RUNS_PER_JOB = 5


@dataclass(frozen=True)
class Job:
    name: str
    func: Callable[[Flask, dt.datetime], dict]
    description: str
    every_setting: str | None = None  # an interval job: its seconds from the config
    every_default: int = 60
    daily_hour_setting: str | None = None  # a daily job: its local hour from the config
    grace_seconds: int | None = None  # None: one interval

    def seconds(self, config: Mapping) -> int:
        return int(config.get(self.every_setting) or self.every_default)

    def trigger(self, config: Mapping):
        """The APScheduler trigger, and the misfire grace time in seconds."""
        from apscheduler.triggers.cron import CronTrigger
        from apscheduler.triggers.interval import IntervalTrigger

        if self.daily_hour_setting:
            hour = int(config[self.daily_hour_setting])
            return CronTrigger(hour=hour, minute=0, timezone=config["TIMEZONE"]), self.grace_seconds
        seconds = self.seconds(config)
        return IntervalTrigger(seconds=seconds), self.grace_seconds or seconds

    def schedule_text(self, config: Mapping) -> str:
        if self.daily_hour_setting:
            return f"daily at {int(config[self.daily_hour_setting]):02d}:00 {config['TIMEZONE']}"
        return f"every {self.seconds(config)} s"


def close_bidding(app: Flask, now: dt.datetime) -> dict:
    """Published orders past their closing time move to evaluating; a match run over them is
    queued in the same transaction (MATCH_ON_BIDDING_CLOSE), so each closing queues one run."""
    with database().sessionmaker() as session:
        closed = close_due_orders(session, now=now)
        queued = None
        if closed and app.config.get("MATCH_ON_BIDDING_CLOSE", True):
            queued = runs.queue_run(session, actor=None, order_ids=[o.id for o in closed],
                                    trigger=runs.BIDDING_CLOSED, now=now)
        session.commit()
        return {"closed": len(closed), "queued_runs": 1 if queued else 0}


def match_runs(app: Flask, now: dt.datetime) -> dict:
    """Execute the queued match runs, oldest first, one at a time; a run a dead scheduler left
    running is queued again first."""
    sessions = database().sessionmaker
    orphaned_before = now - dt.timedelta(seconds=int(app.config["SCHEDULER_MATCH_RUN_ORPHAN_SECONDS"]))
    with sessions() as session:
        requeued = runs.requeue_orphans(session, now=now, claimed_before=orphaned_before)
        session.commit()
    completed = failed = 0
    for _ in range(RUNS_PER_JOB):
        with sessions() as session:
            run = runs.claim_next_run(session, now=now)
            if run is None:
                break
            run_id, token = run.id, run.claim_token
            session.commit()  # from now on it shows as running
        try:
            with sessions() as session:
                done = runs.execute_claimed(session, run_id, token, now=now,
                                            progress=_progress_writer(run_id))
                session.commit()
            completed += done is not None
        # A run that fails is recorded failed with why, and the next queued run still gets its turn.
        except Exception as exc:
            log.exception("match run %s failed", run_id)
            why = exc.message if isinstance(exc, DomainError) else f"{type(exc).__name__}: {exc}"
            with sessions() as session:
                runs.fail_claimed(session, run_id, token, why, now=now)
                session.commit()
            failed += 1
    return {"completed": completed, "failed": failed, "requeued": len(requeued)}


def _progress_writer(run_id: int) -> runs.Progress:
    """Progress written in short transactions of its own, for GET /match-runs/{id} to show.

    Only on PostgreSQL: on SQLite the run's transaction holds the database's one write lock, so a
    second writer would wait for the run to end.
    """
    db = database()
    if db.engine.dialect.name != "postgresql":
        return lambda step, done, total: None

    def write(step: str, done: int, total: int) -> None:
        try:
            with db.sessionmaker() as session:
                runs.record_progress_row(session, run_id, step, done, total)
                session.commit()
        except SQLAlchemyError as exc:  # progress is for people watching; the run goes on
            log.warning("match run %s: progress not written (%s)", run_id, type(exc).__name__)

    return write


def demand_alerts(app: Flask, now: dt.datetime) -> dict:
    """The staff of firms that can bid on a newly published order are told in the app."""
    with database().sessionmaker() as session:
        counts = alert_new_orders(session, now=now)
        session.commit()
        return counts


def demand_digest(app: Flask, now: dt.datetime) -> dict:
    """Today's e-mail digest of new orders, once per vendor user who wants it."""
    with database().sessionmaker() as session:
        counts = send_digests(session, hour=int(app.config["DIGEST_HOUR"]), now=now)
        session.commit()
        return counts


def reminders(app: Flask, now: dt.datetime) -> dict:
    """Reminders of proposals, questions, verifications and delivered lots that have waited too long."""
    with database().sessionmaker() as session:
        counts = send_reminders(session, ReminderSettings.from_config(app.config), now=now)
        session.commit()
        return counts


def send_mail(app: Flask, now: dt.datetime) -> dict:
    """Queued e-mails go out (through SMTP when MARKET_SMTP_HOST is set, else to the log)."""
    with database().sessionmaker() as session:
        sent = send_outbox(session, sender_from_config(app.config), now=now,
                           max_attempts=int(app.config["OUTBOX_MAX_ATTEMPTS"]),
                           backoff=dt.timedelta(seconds=int(app.config["OUTBOX_BACKOFF_SECONDS"])),
                           stale=dt.timedelta(
                               seconds=int(app.config["OUTBOX_SENDING_STALE_SECONDS"])))
        session.commit()
        return {"sent": sent}


def purge(app: Flask, now: dt.datetime) -> dict:
    """Idempotency-Keys past MARKET_IDEMPOTENCY_KEY_HOURS, expired API tokens (and with them the
    pages' sign-ins, which hold one), expired one-time e-mail tokens and job runs older than
    MARKET_JOB_RUNS_KEEP_DAYS are deleted."""
    with database().sessionmaker() as session:
        keys = purge_expired(session, now=now)
        tokens = purge_expired_tokens(session, now=now)
        job_runs = purge_job_runs(session, now=now,
                                  keep=dt.timedelta(days=int(app.config["JOB_RUNS_KEEP_DAYS"])))
        session.commit()
        return {"idempotency_keys": keys, **tokens, "job_runs": job_runs}


def overdue(app: Flask, now: dt.datetime) -> dict:
    """Tell once of each contract past its deadline with work left, and each payment past due."""
    with database().sessionmaker() as session:
        contracts = notify_overdue_contracts(session, now=now)
        payments = notify_overdue_payments(session, now=now)
        session.commit()
        return {"contracts": contracts, "payments": payments}


def retrain(app: Flask, now: dt.datetime) -> dict:
    """Retrain the quality model when completed contracts have new outcomes; the new model replaces
    the current one only when it is not worse. Its held-out metrics go into the run's counts."""
    with database().sessionmaker() as session:
        last = session.scalars(
            select(JobRun.counts).where(JobRun.job == "retrain", JobRun.outcome == "succeeded")
            .order_by(JobRun.id.desc()).limit(1)).first() or {}
        tried = last.get("outcomes") if last.get("kept_previous") else None
        return retrain_if_new(session, app.instance_path, now=now, last_tried=tried)


JOBS: tuple[Job, ...] = (
    Job("close-bidding", close_bidding, N_("close bidding that is due; queue a match run over it"),
        every_setting="SCHEDULER_CLOSE_BIDDING_SECONDS", every_default=60),
    Job("match-runs", match_runs, N_("execute queued match runs, oldest first"),
        every_setting="SCHEDULER_MATCH_RUNS_SECONDS", every_default=10),
    Job("demand-alerts", demand_alerts, N_("tell firms that can bid of newly published orders"),
        every_setting="SCHEDULER_ALERTS_SECONDS", every_default=30),
    Job("demand-digest", demand_digest, N_("e-mail each vendor user the day's new orders they can bid on"),
        daily_hour_setting="DIGEST_HOUR", grace_seconds=12 * 3600),
    Job("reminders", reminders, N_("remind of waiting proposals, questions, verifications and lots"),
        every_setting="SCHEDULER_REMINDERS_SECONDS", every_default=900),
    Job("send-outbox", send_mail, N_("send queued e-mails"),
        every_setting="SCHEDULER_OUTBOX_SECONDS", every_default=30),
    Job("purge-expired", purge, N_("delete expired tokens, sign-ins, idempotency keys and old job runs"),
        every_setting="SCHEDULER_IDEMPOTENCY_SECONDS", every_default=3600),
    Job("retrain", retrain, N_("retrain the quality model on new contract outcomes, if it is better"),
        daily_hour_setting="RETRAIN_HOUR", grace_seconds=12 * 3600),
    Job("overdue", overdue, N_("tell once of contracts and payments past due"),
        every_setting="SCHEDULER_OVERDUE_SECONDS", every_default=3600),
)


def job_named(name: str) -> Job:
    for job in JOBS:
        if job.name == name:
            return job
    raise KeyError(name)
