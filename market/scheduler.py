"""The scheduler process (`market scheduler`): periodic jobs, run in exactly one process per deployment.

Jobs never run inside web workers: with several gunicorn workers (or hosts) each would run them.
Instead one process runs an APScheduler BlockingScheduler with these jobs:

* ``close-bidding`` every MARKET_SCHEDULER_CLOSE_BIDDING_SECONDS (60): published orders whose
  closing time has passed move to evaluating (market.orders.tasks.close_due_bidding).
* ``send-outbox`` every MARKET_SCHEDULER_OUTBOX_SECONDS (30): queued e-mails go out
  (market.notifications.tasks.send_outbox), through SMTP when MARKET_SMTP_HOST is set, else to
  the log.
* ``purge-idempotency-keys`` every MARKET_SCHEDULER_IDEMPOTENCY_SECONDS (3600): Idempotency-Keys
  past MARKET_IDEMPOTENCY_KEY_HOURS are deleted (market.idempotency.purge_expired).
* ``overdue`` every MARKET_SCHEDULER_OVERDUE_SECONDS (3600): contracts past their deadline with
  work left and payments past due are told once (market.contracts.progress, .payments).

Each job is thin: it opens an app context, calls one service, commits. Each is safe to run twice
or in two processes at once, because the services only pick rows still due and, on PostgreSQL,
skip rows another transaction has locked. A job that fails is logged and tried again at its next
run; a run that would overlap the previous one is skipped (max_instances=1, coalesce).

Only one scheduler is active. On SQLite (one machine) there is nothing to elect: run one
process. On PostgreSQL every scheduler first takes a session-level advisory lock
(``pg_try_advisory_lock``) on a dedicated connection; a scheduler that does not get it waits as a
standby and retries every --standby-seconds, so starting one scheduler per host is safe and
another takes over within that time when the active one stops. The active scheduler checks its
lock connection every LOCK_CHECK_SECONDS: if the connection was lost (and with it the lock,
which another scheduler may now hold) it stops its jobs and goes back to standby.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading

from flask import Flask
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

log = logging.getLogger(__name__)

# The advisory lock's key: any fixed 64-bit number the deployment uses for nothing else.
LOCK_KEY = 0x6D61726B65740001  # "market" + 1
LOCK_CHECK_SECONDS = 30
DEFAULT_OUTBOX_SECONDS = 30


class SchedulerLock:
    """Leadership among schedulers: a PostgreSQL session-level advisory lock on its own connection.

    On other databases (SQLite: one machine, one scheduler) it is always granted.
    """

    def __init__(self, engine: Engine, key: int = LOCK_KEY) -> None:
        self.engine = engine
        self.key = key
        self.connection: Connection | None = None
        self.held = False

    @property
    def needed(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def try_acquire(self) -> bool:
        if self.held:
            return True
        if not self.needed:
            self.held = True
            return True
        try:
            if self.connection is None:
                # Autocommit: the lock belongs to the session, and an idle transaction would hold
                # back vacuum for as long as the scheduler runs.
                self.connection = self.engine.connect().execution_options(
                    isolation_level="AUTOCOMMIT"
                )
            self.held = bool(
                self.connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key})
            )
        except DBAPIError as exc:  # the database is down or restarting: stay in standby, try again
            log.warning(
                "scheduler lock: cannot reach the database (%s); retrying", exc.__class__.__name__
            )
            self._drop_connection()
        return self.held

    def wait(self, stop: threading.Event, retry_seconds: float) -> bool:
        """Block until the lock is ours (True) or `stop` is set (False)."""
        announced = False
        while not stop.is_set():
            if self.try_acquire():
                return True
            if not announced:
                log.info(
                    "scheduler: standby, another scheduler is active; retrying every %g s",
                    retry_seconds,
                )
                announced = True
            stop.wait(retry_seconds)
        return False

    def still_held(self) -> bool:
        """Whether the lock connection is alive; when it is not, the lock is gone with it."""
        if not self.needed:
            return self.held
        if not self.held or self.connection is None:
            return False
        try:
            self.connection.scalar(text("SELECT 1"))
            return True
        except DBAPIError as exc:
            log.error("scheduler lock: lost the lock connection (%s)", exc.__class__.__name__)
            self.held = False
            self._drop_connection()
            return False

    def release(self) -> None:
        if self.needed and self.held and self.connection is not None:
            try:
                self.connection.scalar(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            except DBAPIError as exc:  # closing the connection below releases it anyway
                log.warning("scheduler lock: unlock failed (%s)", exc.__class__.__name__)
        self.held = False
        self._drop_connection()

    def _drop_connection(self) -> None:
        # Invalidated, not returned to the pool: a pooled session could still hold the lock.
        if self.connection is not None:
            try:
                self.connection.invalidate()
                self.connection.close()
            except SQLAlchemyError:  # already broken; nothing left to release
                pass
            self.connection = None


# Jobs --------------------------------------------------------------------------------------------


def close_bidding_job(app: Flask) -> int:
    """Move published orders past their closing time to evaluating."""
    from market import db
    from market.orders.tasks import close_due_bidding

    with app.app_context():
        closed = close_due_bidding(db.session)
        db.session.commit()
        return closed


def send_outbox_job(app: Flask) -> int:
    """Send the queued e-mails."""
    from market import db
    from market.notifications.tasks import send_outbox, sender_from_config

    with app.app_context():
        sent = send_outbox(db.session, sender_from_config(app.config))
        db.session.commit()
        if sent:
            log.info("scheduler: sent %d e-mail(s)", sent)
        return sent


def purge_idempotency_keys_job(app: Flask) -> int:
    """Forget the Idempotency-Keys whose time is up."""
    from market import db
    from market.idempotency import purge_expired

    with app.app_context():
        purged = purge_expired(db.session)
        db.session.commit()
        return purged


def overdue_job(app: Flask) -> int:
    """Tell once of each contract past its deadline with work left, and each payment past due."""
    from market import db
    from market.contracts.payments import notify_overdue_payments
    from market.contracts.progress import notify_overdue_contracts

    with app.app_context():
        told = notify_overdue_contracts(db.session) + notify_overdue_payments(db.session)
        db.session.commit()
        return told


JOBS = (
    ("close-bidding", close_bidding_job, "SCHEDULER_CLOSE_BIDDING_SECONDS", 60),
    ("send-outbox", send_outbox_job, "SCHEDULER_OUTBOX_SECONDS", DEFAULT_OUTBOX_SECONDS),
    ("purge-idempotency-keys", purge_idempotency_keys_job, "SCHEDULER_IDEMPOTENCY_SECONDS", 3600),
    ("overdue", overdue_job, "SCHEDULER_OVERDUE_SECONDS", 3600),
)


def build_scheduler(app: Flask, lock: SchedulerLock, stop: threading.Event):
    """The BlockingScheduler with every job, each first run right away, plus the lock check."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = BlockingScheduler(
        timezone=dt.UTC,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30},
    )
    now = dt.datetime.now(dt.UTC)
    for job_id, func, setting, default in JOBS:
        seconds = int(app.config.get(setting) or default)
        scheduler.add_job(func, "interval", args=[app], seconds=seconds, id=job_id, name=job_id,
                          next_run_time=now)
        log.info("scheduler: job %s every %d s", job_id, seconds)

    def stop_if_asked():
        # A stop that came while the scheduler was starting found nothing running to shut down.
        if stop.is_set():
            scheduler.shutdown(wait=False)

    def check_lock():
        if not lock.still_held():
            log.error("scheduler: lock lost; stopping jobs and going back to standby")
            scheduler.shutdown(wait=False)

    scheduler.add_job(stop_if_asked, "date", run_date=now, id="stop-if-asked", name="stop-if-asked")
    if lock.needed:
        scheduler.add_job(
            check_lock, "interval", seconds=LOCK_CHECK_SECONDS, id="check-lock", name="check-lock"
        )
    return scheduler


def run(app: Flask, *, standby_seconds: float = 15.0, stop: threading.Event | None = None) -> int:
    """Wait to become the active scheduler and run the jobs until `stop` is set; 0 then.

    SIGTERM and SIGINT set `stop` when this runs in the main thread (the `market scheduler`
    command); tests run it in a thread and set `stop` themselves.
    """
    from market.db import database

    stop = stop or threading.Event()
    with app.app_context():
        engine = database().engine
    lock = SchedulerLock(engine)
    active = []

    def on_signal(signum, _frame):
        log.info("scheduler: signal %d, stopping", signum)
        stop.set()

    def shut_down_on_stop():
        stop.wait()
        for scheduler in list(active):
            if scheduler.running:
                scheduler.shutdown(wait=False)

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
    threading.Thread(target=shut_down_on_stop, name="scheduler-stop", daemon=True).start()
    # APScheduler says "running job ..." at INFO on every run; the jobs log what they did instead.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    try:
        while lock.wait(stop, standby_seconds):
            log.info(
                "scheduler: active (%s)", "advisory lock held" if lock.needed else "single machine"
            )
            scheduler = build_scheduler(app, lock, stop)
            active[:] = [scheduler]
            scheduler.start()  # blocks until shut down: stopped, or the lock was lost
            active.clear()
            lock.release()
    finally:
        lock.release()
        stop.set()  # ends the stop watcher
    log.info("scheduler: stopped")
    return 0
