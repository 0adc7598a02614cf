"""The pooled model and the prior: probabilities and explanations that add up."""

from __future__ import annotations

import json

import numpy as np
import pytest

from market.matching import quality
from market.matching.quality import FEATURE_NAMES
from tests.matching.quality.conftest import COL, logit


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


def test_features_that_are_not_finite_numbers_are_refused(trained):
    model = trained[0]
    row = np.array([[np.nan, 0.5, 0.5, 0.0, 0.0, 1.0, 0.95, 0.0]])
    with pytest.raises(ValueError, match="finite"):
        model.predict(row)
    with pytest.raises(ValueError, match="8 features"):
        model.predict(np.zeros((1, 3)))
