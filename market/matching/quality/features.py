"""The features of the quality model: what is measured of a vendor and an order, and the priors."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

__all__ = [
    "DESCRIPTIONS",
    "FEATURES",
    "FEATURE_NAMES",
    "HISTORY_STRENGTH",
    "LOAD_CAP",
    "NEUTRAL_PROFICIENCY",
    "PRIOR_FEATURES",
    "PRIOR_PSEUDO_CONTRACTS",
    "Feature",
    "check_matrix",
    "history_weight",
    "make_text_vectorizer",
    "prior_probability",
    "smoothed_rate",
]


class Feature(NamedTuple):
    name: str
    description: str


FEATURES: tuple[Feature, ...] = (
    Feature(
        "proficiency",
        "Assessed proficiency of the vendor for the order's modality and annotation "
        "type, set by coordinators (0-1; 0.5 when not assessed)",
    ),
    Feature(
        "on_time_rate",
        "Share of the vendor's earlier contracts delivered on time, smoothed "
        "towards 1/2: (on time + 1) / (contracts + 2)",
    ),
    Feature(
        "acceptance_rate",
        "Share of the vendor's earlier contracts that reached their order's "
        "accuracy target, smoothed the same way",
    ),
    Feature(
        "past_contracts", "Number n of the vendor's earlier completed contracts, as log(1 + n)"
    ),
    Feature(
        "experience",
        "Units the vendor delivered earlier in the order's modality, as log(1 + units)",
    ),
    Feature(
        "load",
        "Seat-days the vendor has committed over the work's window, this work included, "
        "per seat-day it has (1 = fully booked; capped at 5)",
    ),
    Feature("accuracy_target", "The order's accuracy target (higher is harder)"),
    Feature(
        "text_similarity",
        "Cosine similarity (TF-IDF of character n-grams) between the order's "
        "title and description and the closest of the vendor's earlier orders",
    ),
)
FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
DESCRIPTIONS = {f.name: f.description for f in FEATURES}
# What is known about a vendor that has never completed a contract.
PRIOR_FEATURES: tuple[str, ...] = ("proficiency", "load", "accuracy_target")

NEUTRAL_PROFICIENCY = 0.5
HISTORY_STRENGTH = (
    3.0  # k in w = n / (n + k): after three contracts history counts as much as the prior
)
PRIOR_PSEUDO_CONTRACTS = 8.0  # m of the fresh-install prior
LOAD_CAP = 5.0


def smoothed_rate(successes: float, trials: float) -> float:
    """Posterior mean of a rate under a uniform Beta(1, 1) prior (Laplace's rule)."""
    return (successes + 1.0) / (trials + 2.0)


def history_weight(n_contracts: np.ndarray | float) -> np.ndarray:
    """Weight w = n / (n + k) of a vendor's own history against the prior."""
    n = np.maximum(np.asarray(n_contracts, dtype=float), 0.0)
    return n / (n + HISTORY_STRENGTH)


def prior_probability(proficiency: np.ndarray | float | None) -> np.ndarray:
    """Fresh-install estimate from assessed proficiency alone: (1 + m * proficiency) / (2 + m)."""
    value = np.asarray(NEUTRAL_PROFICIENCY if proficiency is None else proficiency, dtype=float)
    value = np.clip(np.where(np.isfinite(value), value, NEUTRAL_PROFICIENCY), 0.0, 1.0)
    return (1.0 + PRIOR_PSEUDO_CONTRACTS * value) / (2.0 + PRIOR_PSEUDO_CONTRACTS)


def make_text_vectorizer() -> TfidfVectorizer:
    """TF-IDF on character 1-3-grams: Chinese has no spaces, so words cannot be split on them."""
    return TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, min_df=1)


def check_matrix(X: Any, width: int) -> np.ndarray:
    """Rows of ``width`` features as a float matrix; ValueError for another shape or a missing value."""
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X.reshape(1, -1)
    if X.ndim != 2 or X.shape[1] != width:
        raise ValueError(
            f"expected rows of {width} features ({', '.join(FEATURE_NAMES)}), got shape {X.shape}"
        )
    if not np.all(np.isfinite(X)):
        raise ValueError(
            "features must be finite numbers (impute missing values before predicting)"
        )
    return X

