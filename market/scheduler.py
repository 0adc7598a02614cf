"""The scheduler process (`market scheduler`): periodic jobs, run in exactly one process per deployment.

Jobs never run inside web workers: with several gunicorn workers (or hosts) each would run them.
Instead one process runs an APScheduler BlockingScheduler with the jobs of market.jobs.catalogue
(closing bidding, queued match runs, demand alerts and digests, reminders, the e-mail outbox,
purging what expired), each run through market.jobs.runner, which records it in job_runs.
`market jobs list` shows the schedule and the last runs; `market jobs run NAME` runs one by hand.

Each job is thin and safe to run twice or in two processes at once: effects are claimed in the
database (rows taken with FOR UPDATE SKIP LOCKED, or a unique key per effect). A job that fails
is logged, recorded and run again at its next time; misfires and coalescing are set per job
(market.jobs.catalogue says how).

Only one scheduler is active. On PostgreSQL every scheduler first takes a session-level advisory
lock (``pg_try_advisory_lock``) on a dedicated connection; on SQLite (one machine) an exclusive
lock on the file ``scheduler.lock`` in the instance folder. A scheduler that does not get it
waits as a standby and retries every --standby-seconds (15), so starting one scheduler per host
is safe and another takes over within that time when the active one dies: the database ends a
dead process's session and the kernel drops a dead process's file lock. The active scheduler
checks its lock connection every LOCK_CHECK_SECONDS: if the connection was lost (and with it the
lock, which another scheduler may now hold) it stops its jobs and goes back to standby.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import logging
import os
import signal
import threading
from pathlib import Path

from flask import Flask
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from market.db import database
from market.jobs import catalogue
from market.jobs.runner import mark_interrupted, run_job

log = logging.getLogger(__name__)

# The advisory lock's key: any fixed 64-bit number the deployment uses for nothing else.
LOCK_KEY = 0x6D61726B65740001  # "market" + 1
LOCK_CHECK_SECONDS = 30


class SchedulerLock:
    """Leadership among schedulers: a PostgreSQL session-level advisory lock on its own connection,
    or on SQLite an exclusive lock on a file in the instance folder (`lock_path`).
    """

    def __init__(self, engine: Engine, key: int = LOCK_KEY, *, lock_path: str | Path | None = None) -> None:
        self.engine = engine
        self.key = key
        self.connection: Connection | None = None
        self.held = False
        self.lock_path = Path(lock_path) if lock_path else None
        self._file: int | None = None

    @property
    def needed(self) -> bool:
        """Whether the lock lives in the database (and its connection must be watched)."""
        return self.engine.dialect.name == "postgresql"

    def try_acquire(self) -> bool:
        if self.held:
            return True
        if not self.needed:
            self.held = self._try_file_lock()
            return self.held
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

    def _try_file_lock(self) -> bool:
        if self.lock_path is None:  # nowhere to keep a lock file: the caller runs one process
            return True
        descriptor = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            # flock: held until released or the process dies, also against this process's other
            # descriptors; so two schedulers on one machine never both run.
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            return False
        os.ftruncate(descriptor, 0)
        os.write(descriptor, f"{os.getpid()}\n".encode())
        self._file = descriptor
        return True

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            os.close(self._file)
            self._file = None
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


def shut_down(scheduler) -> None:
    """Stop `scheduler` unless it has stopped already: a signal, the start-up check and a lost lock
    may each ask at once (the stop watcher and stop_if_asked both do when SIGTERM comes early)."""
    from apscheduler.schedulers import SchedulerNotRunningError

    try:
        scheduler.shutdown(wait=False)
    except SchedulerNotRunningError:
        pass


def build_scheduler(app: Flask, lock: SchedulerLock, stop: threading.Event):
    """The BlockingScheduler with every job, each first run right away, plus the lock check."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.blocking import BlockingScheduler

    # On SQLite one writer at a time: jobs side by side would only wait for each other's lock.
    workers = 4 if lock.needed else 1
    scheduler = BlockingScheduler(
        timezone=dt.UTC,
        executors={"default": ThreadPoolExecutor(workers)},
    )
    now = dt.datetime.now(dt.UTC)
    for job in catalogue.JOBS:
        trigger, grace = job.trigger(app.config)
        scheduler.add_job(run_job, trigger, args=[app, job.name], id=job.name, name=job.name,
                          next_run_time=now, misfire_grace_time=grace, coalesce=True,
                          max_instances=1)
        log.info("scheduler: job %s %s", job.name, job.schedule_text(app.config))

    def stop_if_asked():
        # A stop that came while the scheduler was starting found nothing running to shut down.
        if stop.is_set():
            shut_down(scheduler)

    def check_lock():
        if not lock.still_held():
            log.error("scheduler: lock lost; stopping jobs and going back to standby")
            shut_down(scheduler)

    # No misfire grace limit: with one worker (SQLite) the jobs' first runs come first, and a stop
    # check skipped as "missed" would only log a warning at every start.
    scheduler.add_job(stop_if_asked, "date", run_date=now, id="stop-if-asked", name="stop-if-asked",
                      misfire_grace_time=None)
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
    stop = stop or threading.Event()
    with app.app_context():
        engine = database().engine
    lock = SchedulerLock(engine, lock_path=Path(app.instance_path) / "scheduler.lock")
    active = []

    def on_signal(signum, _frame):
        log.info("scheduler: signal %d, stopping", signum)
        stop.set()

    def shut_down_on_stop():
        stop.wait()
        for scheduler in list(active):
            shut_down(scheduler)

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
    threading.Thread(target=shut_down_on_stop, name="scheduler-stop", daemon=True).start()
    # APScheduler says "running job ..." at INFO on every run; the jobs log what they did instead.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    try:
        while lock.wait(stop, standby_seconds):
            log.info("scheduler: active (%s)",
                     "advisory lock held" if lock.needed else f"lock file {lock.lock_path}")
            interrupted = mark_interrupted(app)
            if interrupted:
                log.warning("scheduler: %d job run(s) of the previous scheduler were interrupted",
                            interrupted)
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
