"""The scheduler process: one active scheduler (an advisory lock on PostgreSQL), idempotent jobs."""

from __future__ import annotations

import signal
import threading
import time

import pytest
from sqlalchemy import select, text

from market.jobs import catalogue
from market.jobs.catalogue import Job
from market.jobs.runner import run_job
from market.notifications.models import OutboxEmail
from market.scheduler import SchedulerLock, run
from tests.factories import OrderFactory
from tests.fresh_database import fresh_database
from tests.scheduler_process import SchedulerProcess


def test_closing_bidding_twice_closes_each_due_order_once(app, db_session, factories):
    due = OrderFactory(closed=True)
    still_open = OrderFactory()
    assert run_job(app, "close-bidding").counts == {"closed": 1, "queued_runs": 1}
    assert run_job(app, "close-bidding").counts == {"closed": 0, "queued_runs": 0}
    db_session.expire_all()
    assert due.status == "evaluating" and due.evaluating_at is not None
    assert still_open.status == "published"


def test_sending_the_outbox_twice_sends_each_mail_once(app, db_session):
    db_session.add(
        OutboxEmail(
            to_address="a@example.cn", subject="投标已截止", body="order_id: 1"
        )
    )
    db_session.flush()
    assert run_job(app, "send-outbox").counts == {"sent": 1}
    assert run_job(app, "send-outbox").counts == {"sent": 0}
    mail = db_session.scalar(select(OutboxEmail))
    db_session.refresh(mail)
    assert mail.status == "sent" and mail.attempts == 1


def test_on_sqlite_a_lock_file_lets_one_scheduler_of_the_machine_run(app, tmp_path):
    if app.extensions["market.db"].engine.dialect.name != "sqlite":
        pytest.skip("the single-machine case")
    engine = app.extensions["market.db"].engine
    first = SchedulerLock(engine, lock_path=tmp_path / "scheduler.lock")
    second = SchedulerLock(engine, lock_path=tmp_path / "scheduler.lock")
    try:
        assert first.try_acquire() and first.still_held()
        assert not second.try_acquire(), "the second waits as a standby"
        first.release()
        assert second.try_acquire(), "and takes over once the first lets go"
    finally:
        first.release()
        second.release()


@pytest.mark.postgres_only
def test_a_second_scheduler_waits_while_the_first_holds_the_lock(app):
    engine = app.extensions["market.db"].engine
    first, second = SchedulerLock(engine), SchedulerLock(engine)
    try:
        assert first.try_acquire()
        assert not second.try_acquire()
        stop = threading.Event()
        elected = []
        waiter = threading.Thread(
            target=lambda: elected.append(second.wait(stop, retry_seconds=0.05))
        )
        waiter.start()
        time.sleep(0.5)
        assert waiter.is_alive() and not second.held, "the standby must not become active"
        first.release()
        waiter.join(timeout=10)
        assert elected == [True] and second.held and second.still_held()
        assert not first.try_acquire(), "now the first is the standby"
    finally:
        first.release()
        second.release()


@pytest.mark.postgres_only
def test_a_standby_gives_up_waiting_when_stopped(app):
    engine = app.extensions["market.db"].engine
    first, second = SchedulerLock(engine), SchedulerLock(engine)
    try:
        assert first.try_acquire()
        stop = threading.Event()
        stop.set()
        assert second.wait(stop, retry_seconds=0.05) is False
    finally:
        first.release()
        second.release()


@pytest.mark.postgres_only
def test_a_lost_lock_connection_is_noticed(app):
    engine = app.extensions["market.db"].engine
    lock = SchedulerLock(engine)
    try:
        assert lock.try_acquire()
        pid = lock.connection.scalar(text("SELECT pg_backend_pid()"))
        with engine.connect() as other:  # what a database restart does to the lock's session
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        _wait_for(lambda: not lock.still_held())
        assert not lock.held
        assert lock.try_acquire(), "after a loss it can be elected again"
    finally:
        lock.release()


@pytest.fixture
def probe(monkeypatch):
    """Replace the jobs with one that records when the scheduler runs it."""
    runs = []
    monkeypatch.setattr(catalogue, "JOBS", (
        Job("probe", lambda app, now: runs.append(time.monotonic()) or {}, "a probe",
            every_setting="PROBE", every_default=1),))
    return runs


def _start(app, stop):
    thread = threading.Thread(
        target=run, args=(app,), kwargs={"standby_seconds": 0.05, "stop": stop}
    )
    thread.start()
    return thread


def _wait_for(condition, seconds=10.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_the_scheduler_runs_its_jobs_until_stopped_and_releases_the_lock(app, probe):
    stop = threading.Event()
    thread = _start(app, stop)
    try:
        _wait_for(lambda: len(probe) >= 1)  # each job's first run is right away
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    lock = SchedulerLock(app.extensions["market.db"].engine,
                         lock_path=f"{app.instance_path}/scheduler.lock")
    assert lock.try_acquire(), "a stopped scheduler leaves the lock free"
    lock.release()


@pytest.mark.postgres_only
def test_a_standby_scheduler_runs_no_job_until_the_active_one_stops(app, probe):
    active = SchedulerLock(app.extensions["market.db"].engine)
    stop = threading.Event()
    assert active.try_acquire()
    thread = _start(app, stop)
    try:
        time.sleep(1.0)
        assert probe == [], "a standby must not run jobs"
        active.release()  # the active scheduler stops
        _wait_for(lambda: len(probe) >= 1)
    finally:
        stop.set()
        thread.join(timeout=10)
        active.release()
    assert not thread.is_alive()


# two `market scheduler` processes on one PostgreSQL database ----------------------------------


@pytest.mark.postgres_only
@pytest.mark.slow
def test_of_two_scheduler_processes_one_runs_jobs_and_the_other_takes_over_after_sigkill(
    database_url, tmp_path
):
    from sqlalchemy import create_engine

    from market.jobs.models import JobRun

    standby_seconds = 1.0
    with fresh_database(database_url, tmp_path) as url:
        first = SchedulerProcess(url, tmp_path / "host-a", standby_seconds)
        second = None
        engine = create_engine(url)
        try:
            _wait_for(lambda: first.said("scheduler: active"), seconds=30)
            second = SchedulerProcess(url, tmp_path / "host-b", standby_seconds)
            _wait_for(lambda: second.said("scheduler: standby"), seconds=30)

            def runners() -> dict[str, set[str]]:
                with engine.connect() as conn:
                    rows = conn.execute(select(JobRun.runner, JobRun.outcome)).all()
                found: dict[str, set[str]] = {}
                for runner, outcome in rows:
                    found.setdefault(runner, set()).add(outcome)
                return found

            _wait_for(lambda: first.runner in runners(), seconds=10)
            time.sleep(2 * standby_seconds)  # the standby had time to try, and must not have run
            assert set(runners()) == {first.runner}, "only the active scheduler runs jobs"

            first.process.send_signal(signal.SIGKILL)
            first.process.wait(timeout=10)
            killed_at = time.monotonic()
            _wait_for(lambda: second.said("scheduler: active"), seconds=standby_seconds + 10)
            took = time.monotonic() - killed_at
            _wait_for(lambda: second.runner in runners(), seconds=10)
            assert took < standby_seconds + 5, f"the standby took {took:.1f} s to take over"
            assert "running" not in runners()[first.runner], (
                "the dead scheduler's unfinished runs are marked interrupted")
        finally:
            outputs = [process.stop() for process in (first, second) if process is not None]
            engine.dispose()
    assert all("Traceback" not in output for output in outputs), "\n".join(outputs)
