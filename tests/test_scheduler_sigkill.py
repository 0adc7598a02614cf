"""A scheduler killed with SIGKILL in the middle of a job, then started again, leaves each effect
exactly once: one run's proposals, each mail delivered at most once and none lost unsaid.

Real `market scheduler` processes on a fresh database (SQLite file or PostgreSQL), a real SMTP
server on loopback. Each first scheduler stops at a pause point (tests/paused_scheduler.py) and
says so with a marker file, so the kill lands at a known place, never at a guessed time.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest
from sqlalchemy import create_engine, func, select

from market.allocations import runs
from market.allocations.models import Allocation, BidEvaluation, MatchRun
from market.audit.models import AuditEvent
from market.jobs.models import JobRun
from market.notifications.models import OutboxEmail
from market.notifications.services import outbox_emails
from market.notifications.tasks import UNKNOWN_ERROR
from tests.factories import BidFactory, UserFactory
from tests.fresh_database import fresh_app
from tests.racing import Committed
from tests.scheduler_process import SchedulerProcess, wait_for
from tests.smtp import LoopbackSmtpServer

pytestmark = pytest.mark.slow

# Every job but the one under test waits for an hour after its first run at start-up.
QUIET = {f"MARKET_SCHEDULER_{name}_SECONDS": "3600" for name in (
    "CLOSE_BIDDING", "ALERTS", "REMINDERS", "IDEMPOTENCY", "OVERDUE", "MATCH_RUNS", "OUTBOX")}


@pytest.fixture
def fresh(database_url, tmp_path):
    with fresh_app(database_url, tmp_path) as app:
        yield app


def _rows(engine, stmt):
    with engine.connect() as conn:
        return conn.execute(stmt).all()


def _killed_at_marker(first: SchedulerProcess, marker) -> None:
    wait_for(lambda: marker.exists() or first.process.poll() is not None, seconds=120,
             what="the pause point")
    assert marker.exists(), first.stop()
    first.kill()


def test_a_scheduler_killed_while_storing_a_run_leaves_one_runs_proposals_after_a_restart(
    fresh, tmp_path
):
    with Committed(fresh) as data:
        firms = [data.firm() for _ in range(3)]
        orders = [data.order(evaluating=True, splittable=True, max_vendors=2) for _ in range(2)]
        for order in orders:
            for firm in firms:
                BidFactory(order=order, vendor=firm, volume=order.volume // 2)
        queued = runs.queue_run(data.session, actor=None, order_ids=[o.id for o in orders])
        run_id = queued.id
    url = fresh.extensions["market.db"].engine.url.render_as_string(hide_password=False)
    engine = create_engine(url)
    env = {**QUIET, "MARKET_SCHEDULER_MATCH_RUNS_SECONDS": "1",
           "MARKET_SCHEDULER_MATCH_RUN_ORPHAN_SECONDS": "0", "MARKET_MATCH_TIME_LIMIT": "5"}
    marker = tmp_path / "paused"
    first = SchedulerProcess(url, tmp_path / "instance", env=env, pause_at="match-run-stored",
                             marker=marker)
    second = None
    try:
        _killed_at_marker(first, marker)
        # The claim was committed, the proposals were not: the kill rolled them back.
        assert _rows(engine, select(MatchRun.status).where(MatchRun.id == run_id)) == [("running",)]
        assert _rows(engine, select(func.count()).select_from(Allocation)) == [(0,)]
        assert _rows(engine, select(JobRun.outcome).where(JobRun.job == "match-runs")) == [
            ("running",)]

        second = SchedulerProcess(url, tmp_path / "instance", env=env)
        wait_for(lambda: _rows(engine, select(MatchRun.status).where(MatchRun.id == run_id))
                 == [("completed",)], seconds=120, what="the run to complete")
        time.sleep(2.5)  # the match-runs job runs every second: two more runs find nothing to do
    finally:
        first.stop()
        output = second.stop() if second else ""
    runs_now = _rows(engine, select(MatchRun.id, MatchRun.status, MatchRun.stats))
    allocations = _rows(engine, select(Allocation.run_id, Allocation.order_id, Allocation.bid_id,
                                       Allocation.volume))
    evaluations = _rows(engine, select(BidEvaluation.run_id, BidEvaluation.bid_id))
    requeued = _rows(engine, select(AuditEvent.object_id)
                     .where(AuditEvent.action == "match_run.requeued"))
    job_runs = _rows(engine, select(JobRun.runner, JobRun.outcome).where(JobRun.job == "match-runs")
                     .order_by(JobRun.id))
    engine.dispose()

    assert [(i, status) for i, status, _ in runs_now] == [(run_id, "completed")], "no second run"
    assert requeued == [(run_id,)], "the interrupted run was queued again, once"
    assert allocations, "the run proposed matches"
    assert {row.run_id for row in allocations} == {run_id}
    pairs = Counter((row.order_id, row.bid_id) for row in allocations)
    assert max(pairs.values()) == 1, "no bid is proposed twice"
    assert len(allocations) == runs_now[0][2]["proposals"]
    for order in orders:
        assert sum(row.volume for row in allocations if row.order_id == order.id) <= order.volume
    assert Counter(row.bid_id for row in evaluations) == Counter(
        {bid: 1 for bid in {row.bid_id for row in evaluations}}), "each bid evaluated once"
    assert job_runs[0] == (first.runner, "interrupted"), "the killed run is recorded as such"
    assert {outcome for _runner, outcome in job_runs[1:]} == {"succeeded"}
    assert "Traceback" not in output, output


@pytest.mark.parametrize("pause_at, delivered_before_kill", [
    ("smtp-after:2", True),    # the server took the second mail; the sender died before marking it
    ("smtp-before:2", False),  # the second mail was claimed; the sender died before handing it over
])
def test_a_scheduler_killed_while_sending_delivers_each_mail_at_most_once_and_reports_the_doubt(
    fresh, tmp_path, pause_at, delivered_before_kill
):
    addresses = [f"reader{n}@example.cn" for n in range(1, 4)]
    with Committed(fresh) as data:
        admin = UserFactory(role="admin")
        data.session.add_all([OutboxEmail(to_address=address, subject=f"通知 {n}", body="正文")
                              for n, address in enumerate(addresses, 1)])
        data.session.flush()
        admin_id = admin.id
    url = fresh.extensions["market.db"].engine.url.render_as_string(hide_password=False)
    engine = create_engine(url)
    marker = tmp_path / "paused"
    with LoopbackSmtpServer() as smtp:
        env = {**QUIET, "MARKET_SCHEDULER_OUTBOX_SECONDS": "1",
               "MARKET_OUTBOX_SENDING_STALE_SECONDS": "1",
               "MARKET_SMTP_HOST": "127.0.0.1", "MARKET_SMTP_PORT": str(smtp.port)}
        first = SchedulerProcess(url, tmp_path / "instance", env=env, pause_at=pause_at,
                                 marker=marker)
        second = None
        try:
            _killed_at_marker(first, marker)
            assert [m.recipients for m in smtp.received] == [[addresses[0]]] + (
                [[addresses[1]]] if delivered_before_kill else [])
            status = dict(_rows(engine, select(OutboxEmail.to_address, OutboxEmail.status)))
            assert status == {addresses[0]: "sent", addresses[1]: "sending",
                              addresses[2]: "pending"}
            time.sleep(1.1)  # the claim is older than the stale time when the next sender starts

            second = SchedulerProcess(url, tmp_path / "instance", env=env)
            wait_for(lambda: smtp.to(addresses[2]), seconds=60, what="the third mail")
            time.sleep(2.5)  # the outbox job runs every second: two more runs send nothing again
        finally:
            first.stop()
            output = second.stop() if second else ""
        received = Counter(address for mail in smtp.received for address in mail.recipients)
    status = dict(_rows(engine, select(OutboxEmail.to_address, OutboxEmail.status)))
    with fresh.app_context():
        session = fresh.extensions["market.db"].sessionmaker()
        from market.accounts.models import User

        listed = session.scalars(outbox_emails(actor=session.get(User, admin_id),
                                               status="unknown")).all()
        listed = [(mail.to_address, mail.last_error) for mail in listed]
        session.close()
    engine.dispose()

    assert received == Counter({addresses[0]: 1, addresses[1]: int(delivered_before_kill),
                                addresses[2]: 1}), "no mail delivered twice"
    assert status == {addresses[0]: "sent", addresses[1]: "unknown", addresses[2]: "sent"}
    assert listed == [(addresses[1], UNKNOWN_ERROR)], "the doubtful mail is shown to admins"
    assert "marked unknown, not sent again" in output
    assert "Traceback" not in output, output
