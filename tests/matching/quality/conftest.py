"""Synthetic contract history with a known signal, and a model trained on it once per module."""

from __future__ import annotations

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
