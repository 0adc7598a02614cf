"""The demo programme's past contracts are a history the quality model can learn from."""

from __future__ import annotations

import datetime as dt

from market.demo.seed import DEFAULT_SEED, seed_demo
from market.matching import quality
from market.quality.data import training_set

NOW = dt.datetime(2026, 6, 1, 2, 0, tzinfo=dt.UTC)


def test_the_model_learns_the_demo_history_better_than_the_base_rate(db_session):
    seed_demo(db_session, seed=DEFAULT_SEED, now=NOW)
    db_session.flush()  # the features are read back with queries
    data = training_set(db_session)
    assert len(data.y) >= 300
    again = training_set(db_session)
    assert quality.fingerprint(again.X, again.y) == quality.fingerprint(data.X, data.y)

    model, metrics = quality.train(data.X, data.y, seed=0, text_vectorizer=data.vectorizer)

    assert metrics["cv_auc"] > 0.65
    assert metrics["brier"] < metrics["brier_base_rate"]
    assert metrics["cv_brier"] < metrics["brier_base_rate"]
    # What the history should teach: assessed proficiency helps, a harder accuracy target hurts.
    coefficients = model.coefficients()["history"]
    assert coefficients["proficiency"] > 0 and coefficients["accuracy_target"] < 0

