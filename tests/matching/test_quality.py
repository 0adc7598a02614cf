"""The pure quality model on synthetic history with known signal: fit, calibration, prior, files."""

from __future__ import annotations

import json

import numpy as np
import pytest

from market.matching import quality
from market.matching.quality import FEATURE_NAMES

COL = {name: i for i, name in enumerate(FEATURE_NAMES)}


def synthetic(n: int = 600, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Contracts whose success depends on proficiency, past record, load and the accuracy target."""
    rng = np.random.default_rng(seed)
    past = rng.choice([0, 0, 1, 2, 4, 8, 15], size=n)
    skill = rng.uniform(0.2, 1.0, n)
    X = np.zeros((n, len(FEATURE_NAMES)))
    X[:, COL["proficiency"]] = np.clip(skill + rng.normal(0, 0.1, n), 0, 1)
    on_time = rng.binomial(past, skill)
    accepted = rng.binomial(past, skill)
    X[:, COL["on_time_rate"]] = (on_time + 1) / (past + 2)
    X[:, COL["acceptance_rate"]] = (accepted + 1) / (past + 2)
    X[:, COL["past_contracts"]] = np.log1p(past)
    X[:, COL["experience"]] = np.where(past > 0, np.log1p(past * rng.uniform(1e3, 1e5, n)), 0.0)
    X[:, COL["load"]] = rng.uniform(0.2, 2.0, n)
    X[:, COL["accuracy_target"]] = rng.choice([0.9, 0.95, 0.98], size=n)
    X[:, COL["text_similarity"]] = np.where(past > 0, rng.uniform(0, 1, n), 0.0)
    logit = (
        6 * (skill - 0.6)
        - 1.5 * (X[:, COL["load"]] - 1)
        - 25 * (X[:, COL["accuracy_target"]] - 0.94)
    )
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y


@pytest.fixture(scope="module")
def trained():
    X, y = synthetic()
    model, metrics = quality.train(X, y, seed=0)
    return model, metrics, X, y


def logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


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


def test_a_vendor_without_history_gets_the_prior_whatever_its_history_features_say(trained):
    model, _metrics, _X, _y = trained
    row = np.array([[0.8, 0.5, 0.5, 0.0, 0.0, 1.0, 0.95, 0.0]])
    odd = row.copy()
    odd[0, COL["on_time_rate"]] = 0.05
    odd[0, COL["text_similarity"]] = 1.0
    p = model.predict(row)[0]
    assert model.predict(odd)[0] == pytest.approx(p)
    assert p == pytest.approx(model.prior.predict(row)[0])
    explanation = model.explain(row)
    assert explanation.history_weight == 0
    assert explanation.note.startswith("no earlier contracts")
    by_feature = {c.feature: c.contribution for c in explanation.contributions}
    assert by_feature["on_time_rate"] == 0 and by_feature["text_similarity"] == 0
    assert by_feature["proficiency"] > 0


def test_the_prior_rises_with_assessed_proficiency_and_falls_with_load(trained):
    model = trained[0]
    base = np.array([0.5, 0.5, 0.5, 0.0, 0.0, 1.0, 0.95, 0.0])
    skilled, busy = base.copy(), base.copy()
    skilled[COL["proficiency"]] = 0.95
    busy[COL["load"]] = 2.5
    p = model.predict(np.vstack([base, skilled, busy]))
    assert p[1] > p[0] > p[2]


def test_own_history_weighs_more_as_contracts_accumulate(trained):
    model = trained[0]
    assert quality.history_weight(0) == 0
    assert quality.history_weight(quality.HISTORY_STRENGTH) == pytest.approx(0.5)
    rows = np.tile([0.8, 0.3, 0.3, 0.0, 8.0, 1.0, 0.95, 0.2], (3, 1))
    rows[:, COL["past_contracts"]] = np.log1p([1, 3, 30])
    weights = [e.history_weight for e in model.explain_batch(rows)]
    assert weights == pytest.approx([0.25, 0.5, 30 / 33])


def test_contributions_add_up_to_the_logit_minus_the_intercept(trained):
    model, _metrics, X, _y = trained
    for explanation in model.explain_batch(X[:50]):
        total = sum(c.contribution for c in explanation.contributions)
        assert total == pytest.approx(
            logit(explanation.probability) - explanation.intercept, abs=1e-9
        )
        assert [c.feature for c in explanation.contributions] == list(FEATURE_NAMES)
        assert explanation.source == "model"


def test_the_explanation_is_of_the_calibrated_model_platt_scaling_on_the_regression_score(trained):
    model, _metrics, X, _y = trained
    history = model.history
    score = history.pipeline.decision_function(X[:, history.columns])
    expected = 1 / (1 + np.exp(-(history.platt_a * score + history.platt_b)))
    np.testing.assert_allclose(history.predict(X), expected, rtol=1e-10)
    # Fully experienced vendors are judged (almost) by the history model alone.
    seasoned = X.copy()
    seasoned[:, COL["past_contracts"]] = np.log1p(10_000)
    np.testing.assert_allclose(model.predict(seasoned), history.predict(seasoned), atol=2e-3)


def test_the_explanation_serialises_with_descriptions(trained):
    model, _metrics, X, _y = trained
    data = model.explain(X[0]).to_dict()
    json.dumps(data)
    assert data["source"] == "model"
    assert {c["feature"] for c in data["contributions"]} == set(FEATURE_NAMES)
    assert all(c["description"] for c in data["contributions"])


def test_without_a_trained_model_the_prior_comes_from_proficiency_alone():
    prior = quality.PriorModel()
    rows = np.tile([0.5, 0.9, 0.9, 3.0, 9.0, 0.1, 0.9, 1.0], (3, 1))
    rows[:, COL["proficiency"]] = [0.0, 0.5, 1.0]
    np.testing.assert_allclose(prior.predict(rows), [0.1, 0.5, 0.9])
    explanation = prior.explain(rows[2])
    assert explanation.source == "prior" and "no trained model" in explanation.note
    assert explanation.version is None
    total = sum(c.contribution for c in explanation.contributions)
    assert total == pytest.approx(logit(0.9) - explanation.intercept)
    assert quality.prior_probability(None) == pytest.approx(0.5)


def test_too_little_history_is_refused():
    X, y = synthetic(quality.MIN_SAMPLES - 1)
    with pytest.raises(quality.InsufficientData, match="too little history"):
        quality.train(X, y)


def test_history_with_one_outcome_only_is_refused():
    X, _y = synthetic(100)
    with pytest.raises(quality.InsufficientData, match="one-sided"):
        quality.train(X, np.ones(100, dtype=int))


def test_features_that_are_not_finite_numbers_are_refused(trained):
    model = trained[0]
    row = np.array([[np.nan, 0.5, 0.5, 0.0, 0.0, 1.0, 0.95, 0.0]])
    with pytest.raises(ValueError, match="finite"):
        model.predict(row)
    with pytest.raises(ValueError, match="8 features"):
        model.predict(np.zeros((1, 3)))


def test_a_saved_model_loads_back_as_the_current_version_with_its_metrics(trained, tmp_path):
    model, metrics, X, y = trained
    assert quality.load_current(tmp_path) is None
    assert quality.save(model, tmp_path) == 1
    assert quality.save(model, tmp_path) == 2
    assert (tmp_path / "current").read_text().strip() == "2"
    assert (tmp_path / "quality-1.joblib").exists() and (tmp_path / "quality-2.json").exists()
    loaded = quality.load_current(tmp_path)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert loaded.version == 2
    info = quality.read_current_info(tmp_path)
    assert info["version"] == 2
    assert info["metrics"] == metrics
    assert info["features"] == list(FEATURE_NAMES)
    assert info["n_samples"] == len(y)
    assert info["fingerprint"] == quality.fingerprint(X, y)
    assert info["sklearn_version"] and info["trained_at"]
    assert set(info["coefficients"]["history"]) == set(FEATURE_NAMES)


def test_the_fingerprint_tells_different_training_data_apart():
    X, y = synthetic(100)
    assert quality.fingerprint(X, y) == quality.fingerprint(X.copy(), y.copy())
    y2 = y.copy()
    y2[0] = 1 - y2[0]
    assert quality.fingerprint(X, y2) != quality.fingerprint(X, y)


def test_a_model_trained_on_another_feature_list_is_refused(trained, tmp_path):
    model = trained[0]
    version = quality.save(model, tmp_path)
    sidecar = tmp_path / f"quality-{version}.json"
    info = json.loads(sidecar.read_text())
    info["features"] = info["features"][:-1]
    sidecar.write_text(json.dumps(info))
    with pytest.raises(quality.ModelMismatch, match="market model train"):
        quality.load_current(tmp_path)


def test_a_model_object_with_another_feature_list_is_refused_even_if_its_sidecar_agrees(
    trained, tmp_path
):
    model = trained[0]
    renamed = quality.QualityModel(
        model.history, model.prior, features=("proficiency",) + FEATURE_NAMES[1:-1]
    )
    version = quality.save(renamed, tmp_path)
    sidecar = tmp_path / f"quality-{version}.json"
    info = json.loads(sidecar.read_text())
    info["features"] = list(FEATURE_NAMES)
    sidecar.write_text(json.dumps(info))
    with pytest.raises(quality.ModelMismatch):
        quality.load_current(tmp_path)


def test_a_corrupt_model_file_is_reported_as_unusable(trained, tmp_path):
    version = quality.save(trained[0], tmp_path)
    (tmp_path / f"quality-{version}.joblib").write_bytes(b"not a model")
    with pytest.raises(quality.ModelLoadError, match="cannot load"):
        quality.load_current(tmp_path)
