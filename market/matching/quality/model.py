"""The pooled, calibrated logistic quality model and its exact per-feature explanations.

Why logistic regression (and not gradient boosting): the platform learns from a few hundred
past contracts with eight features whose effects are expected to be monotone (more proficiency,
more past successes, less load: better). A regularised linear model has low variance on that
little data, is close to calibrated by construction (it minimises log loss), and its logit is a
sum of one term per feature, so every score a coordinator sees decomposes exactly into
"this feature moved the odds by this much". Gradient boosting would need more data and only
approximate explanations.

The probability of one (order, vendor) pair is built from two calibrated logistic models:

- the *history model* on all FEATURES;
- the *prior model* on PRIOR_FEATURES only (assessed proficiency, load, accuracy target), which
  is what can be known about a vendor that has never completed a contract.

Their logits are pooled with the weight of the vendor's own history, w = n / (n + k), n the
number of its earlier completed contracts and k = HISTORY_STRENGTH:
logit p = w * logit p_history + (1 - w) * logit p_prior. A vendor without history (n = 0) gets
the prior alone, whatever its imputed history features say; after k contracts history and prior
count equally. Pooling in logit space keeps the explanation exact: each feature's contribution is
w * (its history-model term) + (1 - w) * (its prior-model term), and the contributions plus the
pooled intercept add up to the logit of the reported probability.

Before any model has been trained (a fresh install) PriorModel stands in: a Beta-style estimate
from assessed proficiency alone, p = (1 + m * proficiency) / (2 + m) with m = 8 pseudo-contracts:
a uniform Beta(1, 1) prior updated as if the vendor had completed m contracts at its assessed
rate, so it stays within [0.1, 0.9] and never claims certainty from an assessment alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from scipy.special import expit
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from market.matching.quality.features import (
    DESCRIPTIONS,
    FEATURE_NAMES,
    check_matrix,
    history_weight,
    prior_probability,
)

__all__ = ["CalibratedLogit", "Contribution", "Explanation", "PriorModel", "QualityModel"]

CALIBRATION_FOLDS = 5
REGULARISATION_C = 1.0


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return np.log(p) - np.log1p(-p)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return expit(z)  # no overflow warning for very negative logits


class Contribution(NamedTuple):
    feature: str
    value: float
    contribution: float  # in logit units: how far this feature moved the log-odds


@dataclass(frozen=True)
class Explanation:
    """Why a pair got its probability: logit p = intercept + sum of the contributions.

    A contribution is a coefficient times the feature's standardised value, so it is measured
    against an average past contract: positive means this feature makes success likelier than
    for an average contract, negative less likely; the intercept is the log-odds of that average.
    For the prior stand-in (no trained model) the reference is even odds and the intercept 0.
    """

    probability: float
    source: str  # "model" (trained), or "prior" (no usable trained model)
    intercept: float
    history_weight: float
    contributions: tuple[Contribution, ...]
    version: int | None = None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "probability": self.probability,
            "source": self.source,
            "version": self.version,
            "note": self.note,
            "intercept": self.intercept,
            "history_weight": self.history_weight,
            "contributions": [
                {"feature": c.feature, "description": DESCRIPTIONS.get(c.feature, ""),
                 "value": c.value, "contribution": c.contribution}
                for c in self.contributions
            ],
        }


@dataclass
class CalibratedLogit:
    """Standardise, L2 logistic regression, then Platt scaling fitted on out-of-fold scores.

    Platt scaling (sigmoid(a * f + b) on the regression's score f) is what
    CalibratedClassifierCV(method="sigmoid", ensemble=False) does; it is written out here because
    the explanation needs a and b, which that class keeps only in private attributes. Being
    affine in f, it keeps the logit a sum of one term per feature.
    """

    columns: tuple[int, ...]  # indices into FEATURES
    pipeline: Pipeline
    platt_a: float
    platt_b: float

    @classmethod
    def fit(
        cls, X: np.ndarray, y: np.ndarray, columns: Sequence[int], seed: int
    ) -> CalibratedLogit:
        columns = tuple(columns)
        Xc = X[:, columns]
        pipeline = Pipeline(
            [
                ("scale", StandardScaler()),
                (
                    "logistic",
                    LogisticRegression(C=REGULARISATION_C, solver="newton-cholesky", max_iter=1000),
                ),
            ]
        )
        folds = min(CALIBRATION_FOLDS, int(np.bincount(y, minlength=2).min()))
        scores = cross_val_predict(
            pipeline, Xc, y, cv=StratifiedKFold(folds, shuffle=True, random_state=seed),
            method="decision_function",
        )
        platt = LogisticRegression(C=1e6, solver="newton-cholesky", max_iter=1000).fit(
            scores.reshape(-1, 1), y
        )
        a, b = float(platt.coef_[0, 0]), float(platt.intercept_[0])
        if a <= 0:
            # Out-of-fold scores ranked worse than chance: trust none of the features and predict
            # the base rate rather than let Platt flip every sign.
            a, b = 0.0, float(_logit(np.array([y.mean()]))[0])
        pipeline.fit(Xc, y)
        return cls(columns, pipeline, a, b)

    def terms(self, X: np.ndarray) -> tuple[np.ndarray, float]:
        """Per-feature logit terms (rows x len(FEATURES), zero outside its columns) and intercept."""
        scaler: StandardScaler = self.pipeline.named_steps["scale"]
        logistic: LogisticRegression = self.pipeline.named_steps["logistic"]
        standardised = scaler.transform(X[:, self.columns])
        out = np.zeros_like(X, dtype=float)
        out[:, self.columns] = self.platt_a * standardised * logistic.coef_[0]
        return out, self.platt_a * float(logistic.intercept_[0]) + self.platt_b

    def predict(self, X: np.ndarray) -> np.ndarray:
        terms, intercept = self.terms(X)
        return _sigmoid(intercept + terms.sum(axis=1))

    def coefficients(self) -> dict[str, float]:
        """Calibrated change in log-odds per standard deviation of each feature."""
        logistic: LogisticRegression = self.pipeline.named_steps["logistic"]
        return {
            FEATURE_NAMES[c]: self.platt_a * float(w)
            for c, w in zip(self.columns, logistic.coef_[0], strict=True)
        }


_PAST_CONTRACTS = FEATURE_NAMES.index("past_contracts")
_PROFICIENCY = FEATURE_NAMES.index("proficiency")


@dataclass
class QualityModel:
    """The trained model: history and prior models pooled by the weight of the vendor's history."""

    history: CalibratedLogit
    prior: CalibratedLogit
    features: tuple[str, ...] = FEATURE_NAMES
    text_vectorizer: TfidfVectorizer | None = None
    info: dict[str, Any] = field(default_factory=dict)  # version, metrics, ...: filled by save()

    source = "model"

    @property
    def version(self) -> int | None:
        return self.info.get("version")

    def _pooled(self, X: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        X = check_matrix(X, len(FEATURE_NAMES))
        w = history_weight(np.expm1(X[:, _PAST_CONTRACTS]).round())
        history_terms, history_intercept = self.history.terms(X)
        prior_terms, prior_intercept = self.prior.terms(X)
        terms = w[:, None] * history_terms + (1 - w)[:, None] * prior_terms
        intercept = w * history_intercept + (1 - w) * prior_intercept
        return X, terms, intercept, w

    def predict(self, X: Any) -> np.ndarray:
        """Probabilities for rows of FEATURES."""
        _X, terms, intercept, _w = self._pooled(X)
        return _sigmoid(intercept + terms.sum(axis=1))

    def explain_batch(self, X: Any) -> list[Explanation]:
        X, terms, intercept, w = self._pooled(X)
        p = _sigmoid(intercept + terms.sum(axis=1))
        out = []
        for i in range(X.shape[0]):
            note = ("no earlier contracts: prior from proficiency, load and accuracy target"
                    if w[i] == 0 else f"own history weighs {w[i]:.0%} against the prior")
            out.append(Explanation(
                probability=float(p[i]), source=self.source, intercept=float(intercept[i]),
                history_weight=float(w[i]),
                contributions=tuple(Contribution(name, float(X[i, j]), float(terms[i, j]))
                                    for j, name in enumerate(FEATURE_NAMES)),
                version=self.version, note=note,
            ))
        return out

    def explain(self, x: Any) -> Explanation:
        """Explanation of one row: its probability and each feature's contribution to the logit."""
        return self.explain_batch(x)[0]

    def coefficients(self) -> dict[str, dict[str, float]]:
        return {"history": self.history.coefficients(), "prior": self.prior.coefficients()}


@dataclass
class PriorModel:
    """Stand-in when no trained model can be used: the Beta-style prior from proficiency alone."""

    note: str = "no trained model: estimate from assessed proficiency alone"

    source = "prior"
    version = None
    text_vectorizer = None

    def predict(self, X: Any) -> np.ndarray:
        X = check_matrix(X, len(FEATURE_NAMES))
        return prior_probability(X[:, _PROFICIENCY])

    def explain_batch(self, X: Any) -> list[Explanation]:
        X = check_matrix(X, len(FEATURE_NAMES))
        p = self.predict(X)
        logits = _logit(p)
        return [
            Explanation(
                probability=float(p[i]),
                source=self.source,
                intercept=0.0,
                history_weight=0.0,
                contributions=tuple(
                    Contribution(
                        name, float(X[i, j]), float(logits[i]) if j == _PROFICIENCY else 0.0
                    )
                    for j, name in enumerate(FEATURE_NAMES)
                ),
                note=self.note,
            )
            for i in range(X.shape[0])
        ]

    def explain(self, x: Any) -> Explanation:
        return self.explain_batch(x)[0]

