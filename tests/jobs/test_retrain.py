"""The nightly retraining: a new quality model only when there are new outcomes, the current one
kept when the new one is worse, the metrics in the job run's counts; the clock is the test's."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from market.jobs.catalogue import job_named
from market.jobs.runner import run_job
from market.quality.service import current_info
from tests.factories import ContractFactory
from tests.quality.conftest import completed, day


@pytest.fixture
def instance(app, monkeypatch, tmp_path):
    # The app is shared by the whole run; each test keeps its models in a folder of its own.
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    return tmp_path


NIGHT = dt.datetime(2027, 1, 10, 18, 0, tzinfo=dt.UTC)  # 02:00 on the 11th in Asia/Shanghai


def test_it_runs_nightly_at_two_in_the_morning_shanghai_time(app):
    trigger, grace = job_named("retrain").trigger(app.config)
    noon_utc = dt.datetime(2027, 1, 10, 12, 0, tzinfo=dt.UTC)
    assert trigger.get_next_fire_time(None, noon_utc) == NIGHT
    assert grace == 12 * 3600


def test_a_model_is_trained_on_new_outcomes_and_not_again_without_new_ones(app, instance,
                                                                          build_history):
    build_history(contracts=48)
    first = run_job(app, "retrain", now=NIGHT)
    assert first.outcome == "succeeded", first.error
    counts = first.counts
    assert (counts["retrained"], counts["version"], counts["contracts"]) == (1, 1, 48)
    assert 0 <= counts["brier"] <= 1 and 0 <= counts["auc"] <= 1 and counts["n_test"] > 0
    info = current_info(instance)
    assert info["version"] == 1 and info["trained_at"] == NIGHT.isoformat()
    again = run_job(app, "retrain", now=NIGHT + dt.timedelta(days=1)).counts
    assert again["retrained"] == 0 and "version" not in again, "nothing new: no training"
    assert current_info(instance)["version"] == 1


def test_new_completed_contracts_bring_a_new_version(app, instance, build_history):
    made = build_history(contracts=48)
    assert run_job(app, "retrain", now=NIGHT).counts["retrained"] == 1
    vendor = made[0].vendor
    for k in range(4):
        completed(vendor, start=200 + k, end=220 + k, seats=10, on_time=k % 2 == 0)
    counts = run_job(app, "retrain", now=NIGHT + dt.timedelta(days=1)).counts
    assert (counts["retrained"], counts["version"], counts["contracts"]) == (1, 2, 52)
    assert current_info(instance)["version"] == 2


def test_a_worse_new_model_leaves_the_current_one_and_is_not_retried_on_the_same_data(
    app, instance, build_history
):
    made = build_history(contracts=48)
    assert run_job(app, "retrain", now=NIGHT).counts["version"] == 1
    # The current model as if it had been perfect: no new model can beat its Brier score.
    sidecar = instance / "models" / "quality-1.json"
    info = json.loads(sidecar.read_text())
    info["metrics"]["brier"] = 0.0
    sidecar.write_text(json.dumps(info))
    completed(made[0].vendor, start=200, end=220, seats=10, on_time=False)
    kept = run_job(app, "retrain", now=NIGHT + dt.timedelta(days=1)).counts
    assert (kept["retrained"], kept["kept_previous"], kept["version"]) == (0, 1, 1)
    assert kept["brier"] > 0, "the rejected model's metrics are recorded"
    assert current_info(instance)["version"] == 1
    assert not (instance / "models" / "quality-2.joblib").exists()
    same = run_job(app, "retrain", now=NIGHT + dt.timedelta(days=2)).counts
    assert same["retrained"] == 0 and "kept_previous" not in same, "the same data is not retried"


def test_too_little_history_is_recorded_and_the_prior_stays(app, instance, build_history):
    build_history(contracts=12)
    record = run_job(app, "retrain", now=NIGHT)
    assert record.outcome == "succeeded"
    assert (record.counts["retrained"], record.counts["insufficient"]) == (0, 1)
    assert current_info(instance) is None


def test_contracts_still_running_are_no_reason_to_retrain(app, instance, build_history, factories):
    made = build_history(contracts=48)
    assert run_job(app, "retrain", now=NIGHT).counts["retrained"] == 1
    ContractFactory(vendor=made[0].vendor, starts_at=day(300), deadline=day(330))
    assert run_job(app, "retrain", now=NIGHT + dt.timedelta(days=1)).counts["retrained"] == 0
