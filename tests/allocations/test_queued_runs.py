"""Match runs off the request: queued by the API or when bidding closes, executed by the
scheduler's job once each, oldest first, with their state (queued, running, completed, failed)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from market.allocations import runs
from market.allocations.models import Allocation, MatchRun
from market.db import utcnow
from market.jobs.runner import run_job
from market.matching import match as engine
from market.notifications.models import Notification
from market.orders import services as orders
from tests.allocations.conftest import capable_vendor, evaluating_order
from tests.conftest import assert_error
from tests.factories import BidFactory, OrderFactory


def _queue(api, actors, json=None):
    response = api.post("/api/v1/match-runs", json=json or {}, token=actors.token(actors.coordinator))
    assert response.status_code == 202, response.text
    return response.json()


def _get(api, actors, run_id):
    return api.get(f"/api/v1/match-runs/{run_id}", token=actors.token(actors.coordinator)).json()


def test_a_queued_run_matches_nothing_until_the_scheduler_runs_it(api, app, actors, market,
                                                                   db_session):
    queued = _queue(api, actors)
    assert queued["status"] == "queued" and queued["queued_at"] and queued["started_at"] is None
    assert queued["requested_order_ids"] is None
    assert _get(api, actors, queued["id"])["status"] == "queued"
    assert db_session.scalar(select(func.count(Allocation.id))) == 0

    assert run_job(app, "match-runs").counts == {"completed": 1, "failed": 0, "requeued": 0}
    done = _get(api, actors, queued["id"])
    assert done["status"] == "completed" and done["finished_at"] and done["error"] is None
    assert set(done["order_ids"]) == {market["whole"].id, market["split"].id}
    assert done["stats"]["proposals"] >= 2
    assert db_session.scalar(select(func.count(Allocation.id)).where(
        Allocation.run_id == queued["id"])) == done["stats"]["proposals"]
    told = db_session.scalars(select(Notification.payload).where(
        Notification.kind == "allocation.proposed",
        Notification.recipient_id == actors.coordinator.id)).all()
    assert told == [{"match_run_id": queued["id"], "proposals": done["stats"]["proposals"]}]

    assert run_job(app, "match-runs").counts["completed"] == 0, "a completed run is not run again"
    assert db_session.scalar(select(func.count(MatchRun.id))) == 1


def test_queued_runs_are_taken_oldest_first_one_at_a_time(api, actors, market, db_session):
    first, second = _queue(api, actors), _queue(api, actors)
    claimed = runs.claim_next_run(db_session)
    assert claimed.id == first["id"] and claimed.status == "running" and claimed.claim_token
    after = runs.claim_next_run(db_session)
    assert after.id == second["id"] and after.claim_token != claimed.claim_token
    assert runs.claim_next_run(db_session) is None


def test_a_running_run_shows_its_phase_and_progress(api, actors, market, db_session):
    queued = _queue(api, actors)
    claimed = runs.claim_next_run(db_session)
    db_session.flush()
    running = _get(api, actors, queued["id"])
    assert running["status"] == "running" and running["started_at"] and running["progress"] is None
    runs.record_progress_row(db_session, claimed.id, "quality", 3, 7)
    db_session.flush()
    progress = _get(api, actors, queued["id"])["progress"]
    assert (progress["phase"], progress["done"], progress["total"]) == ("quality", 3, 7)


def test_a_run_that_raises_is_failed_with_its_error_and_the_next_one_still_runs(
    api, app, actors, market, db_session, monkeypatch
):
    broken, fine = _queue(api, actors), _queue(api, actors)
    real = engine.match
    calls = []

    def once_broken(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise MemoryError("the solver ran out of memory")
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "match", once_broken)
    assert run_job(app, "match-runs").counts == {"completed": 1, "failed": 1, "requeued": 0}
    failed = _get(api, actors, broken["id"])
    assert failed["status"] == "failed" and "MemoryError" in failed["error"]
    assert db_session.scalar(select(func.count(Allocation.id)).where(
        Allocation.run_id == broken["id"])) == 0, "nothing of a failed run is stored"
    assert _get(api, actors, fine["id"])["status"] == "completed"


def test_a_named_order_decided_before_the_run_fails_it_with_why(api, app, actors, market):
    queued = _queue(api, actors, {"order_ids": [market["whole"].id]})
    with app.app_context():
        from market import db

        orders.cancel_order(db.session, market["whole"].id, actor=market["agency"],
                            reason="预算取消")
        db.session.commit()
    run_job(app, "match-runs")
    failed = _get(api, actors, queued["id"])
    assert failed["status"] == "failed"
    assert "under evaluation" in failed["error"]


def test_a_run_its_scheduler_left_running_is_queued_again_and_completed_once(
    app, actors, market, db_session
):
    queued = runs.queue_run(db_session, actor=actors.coordinator)
    dead = runs.claim_next_run(db_session)  # the scheduler that claimed it died before running it
    db_session.flush()
    early = run_job(app, "match-runs", now=utcnow())
    assert early.counts == {"completed": 0, "failed": 0, "requeued": 0}, "too soon to call it dead"
    later = utcnow() + dt.timedelta(seconds=app.config["SCHEDULER_MATCH_RUN_ORPHAN_SECONDS"] + 1)
    assert run_job(app, "match-runs", now=later).counts == {"completed": 1, "failed": 0,
                                                            "requeued": 1}
    db_session.expire_all()
    assert queued.status == "completed"
    assert runs.execute_claimed(db_session, queued.id, dead.claim_token) is None, \
        "the dead claim can no longer finish it"
    assert db_session.scalar(select(func.count(Allocation.id))) == queued.stats["proposals"]


def test_closing_bidding_queues_one_run_over_the_closed_orders(app, actors, db_session):
    closing = OrderFactory(closed=True, delivery_deadline=utcnow() + dt.timedelta(days=40),
                           volume=20000)
    BidFactory(order=closing, vendor=capable_vendor(), volume=20000)
    OrderFactory()  # still open
    run_job(app, "close-bidding")
    run_job(app, "close-bidding")
    (queued,) = db_session.scalars(select(MatchRun)).all()
    assert (queued.status, queued.trigger, queued.requested_order_ids) == (
        "queued", "bidding-closed", [closing.id])
    assert queued.started_by_id is None
    run_job(app, "match-runs")
    db_session.expire_all()
    assert queued.status == "completed" and queued.order_ids == [closing.id]
    assert db_session.scalar(select(func.count(Allocation.id)).where(
        Allocation.run_id == queued.id)) == 1


def test_a_run_queued_at_closing_skips_an_order_cancelled_since(app, actors, db_session):
    closing = evaluating_order(actors.agency.organization)
    kept = evaluating_order(actors.agency.organization)
    for order in (closing, kept):
        BidFactory(order=order, vendor=capable_vendor(), volume=order.volume)
    queued = runs.queue_run(db_session, actor=None, order_ids=[closing.id, kept.id],
                            trigger=runs.BIDDING_CLOSED)
    orders.cancel_order(db_session, closing.id, actor=actors.agency, reason="需求撤回")
    db_session.flush()
    run_job(app, "match-runs")
    db_session.expire_all()
    assert queued.status == "completed" and queued.order_ids == [kept.id]


def test_the_automatic_run_can_be_turned_off(app, db_session, factories, monkeypatch):
    monkeypatch.setitem(app.config, "MATCH_ON_BIDDING_CLOSE", False)
    OrderFactory(closed=True)
    assert run_job(app, "close-bidding").counts == {"closed": 1, "queued_runs": 0}
    assert db_session.scalar(select(func.count(MatchRun.id))) == 0


def test_only_coordinators_queue_runs_and_staff_read_them(api, actors):
    queued = _queue(api, actors)
    for role in ("agency", "vendor"):
        token = actors.token(getattr(actors, role))
        assert_error(api.post("/api/v1/match-runs", json={}, token=token), 403)
        assert_error(api.get(f"/api/v1/match-runs/{queued['id']}", token=token), 403)
    assert_error(api.post("/api/v1/match-runs", json={}, token=actors.token(actors.admin)), 403)
    assert api.get(f"/api/v1/match-runs/{queued['id']}",
                   token=actors.token(actors.admin)).json()["status"] == "queued"
    assert_error(api.get("/api/v1/match-runs/999999", token=actors.token(actors.admin)), 404)


def test_the_command_line_still_runs_matching_at_once(app, market, db_session):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["match", "run", "--time-limit", "2"])
    assert result.exit_code == 0, result.output
    run = db_session.scalars(select(MatchRun)).one()
    assert (run.status, run.trigger) == ("completed", "cli")


@pytest.mark.postgres_only
def test_two_schedulers_never_claim_the_same_run(race_app):
    from tests.racing import Committed

    with Committed(race_app) as data:
        ids = [runs.queue_run(data.session, actor=None).id for _ in range(2)]
    sessions = race_app.extensions["market.db"].sessionmaker
    with race_app.app_context(), sessions() as one, sessions() as two:
        taken = runs.claim_next_run(one)  # not committed: the row stays locked
        skipped = runs.claim_next_run(two)
        assert [taken.id, skipped.id] == ids, "the second skips the locked run, takes the next"
        assert runs.claim_next_run(two) is None
        one.rollback()
        two.rollback()
        for _ in ids:  # leave no queued run behind for the other tests of this database
            run = runs.claim_next_run(one)
            runs.fail_claimed(one, run.id, run.claim_token, "test over")
        one.commit()
