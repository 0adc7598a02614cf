"""Training the quality model: what it learns, how it is measured, what it refuses."""

from __future__ import annotations

import numpy as np
import pytest

from market.matching import quality
from tests.matching.quality.conftest import synthetic


def test_the_model_finds_a_known_signal_on_held_out_contracts(trained):
    _model, metrics, _X, y = trained
    assert metrics["auc"] > 0.8
    assert metrics["n"] == len(y) and metrics["n_train"] + metrics["n_test"] == len(y)
    assert metrics["n_test"] == pytest.approx(0.25 * len(y), abs=1)
    assert metrics["base_rate"] == pytest.approx(y.mean())
    assert metrics["cv_folds"] == 5 and metrics["cv_auc"] > 0.8 and 0 <= metrics["cv_auc_sd"] < 0.1


def test_its_probabilities_are_calibrated_better_than_always_predicting_the_base_rate(trained):
    model, metrics, X, y = trained
    assert metrics["brier"] < metrics["brier_base_rate"] - 0.03
    assert metrics["log_loss"] < 0.6
    # Calibration in the large: on average it predicts as many successes as there were.
    assert model.predict(X).mean() == pytest.approx(y.mean(), abs=0.03)


def test_the_same_seed_gives_the_same_model_and_metrics():
    X, y = synthetic(300, seed=3)
    first, first_metrics = quality.train(X, y, seed=7)
    second, second_metrics = quality.train(X, y, seed=7)
    other, other_metrics = quality.train(X, y, seed=8)
    assert first_metrics == second_metrics
    np.testing.assert_array_equal(first.predict(X), second.predict(X))
    assert other_metrics != first_metrics  # another seed, another held-out split


def test_too_little_history_is_refused():
    X, y = synthetic(quality.MIN_SAMPLES - 1)
    with pytest.raises(quality.InsufficientData, match="too little history"):
        quality.train(X, y)


def test_history_with_one_outcome_only_is_refused():
    X, _y = synthetic(100)
    with pytest.raises(quality.InsufficientData, match="one-sided"):
        quality.train(X, np.ones(100, dtype=int))


def test_the_fingerprint_tells_different_training_data_apart():
    X, y = synthetic(100)
    assert quality.fingerprint(X, y) == quality.fingerprint(X.copy(), y.copy())
    y2 = y.copy()
    y2[0] = 1 - y2[0]
    assert quality.fingerprint(X, y2) != quality.fingerprint(X, y)
