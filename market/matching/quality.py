"""Learned quality model: the probability that a vendor delivers an order on time at its accuracy target.

Pure: feature arrays in, calibrated probabilities and per-feature explanations out; persistence
is files in a folder the caller names. No Flask, no database.

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

import datetime as dt
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import joblib
import numpy as np
import sklearn
from scipy.special import expit
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

__all__ = [
    "FEATURES",
    "FEATURE_NAMES",
    "HISTORY_STRENGTH",
    "MIN_PER_CLASS",
    "MIN_SAMPLES",
    "NEUTRAL_PROFICIENCY",
    "PRIOR_FEATURES",
    "Contribution",
    "Explanation",
    "Feature",
    "InsufficientData",
    "ModelLoadError",
    "ModelMismatch",
    "PriorModel",
    "QualityModel",
    "fingerprint",
    "history_weight",
    "load_current",
    "make_text_vectorizer",
    "prior_probability",
    "read_current_info",
    "save",
    "smoothed_rate",
    "train",
]


class Feature(NamedTuple):
    name: str
    description: str


FEATURES: tuple[Feature, ...] = (
    Feature("proficiency", "Assessed proficiency of the vendor for the order's modality and annotation "
                           "type, set by coordinators (0-1; 0.5 when not assessed)"),
    Feature("on_time_rate", "Share of the vendor's earlier contracts delivered on time, smoothed "
                            "towards 1/2: (on time + 1) / (contracts + 2)"),
    Feature("acceptance_rate", "Share of the vendor's earlier contracts that reached their order's "
                               "accuracy target, smoothed the same way"),
    Feature("past_contracts", "Number n of the vendor's earlier completed contracts, as log(1 + n)"),
    Feature("experience", "Units the vendor delivered earlier in the order's modality, as log(1 + units)"),
    Feature("load", "Seat-days the vendor has committed over the work's window, this work included, "
                    "per seat-day it has (1 = fully booked; capped at 5)"),
    Feature("accuracy_target", "The order's accuracy target (higher is harder)"),
    Feature("text_similarity", "Cosine similarity (TF-IDF of character n-grams) between the order's "
                               "title and description and the closest of the vendor's earlier orders"),
)
FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
_DESCRIPTIONS = {f.name: f.description for f in FEATURES}
# What is known about a vendor that has never completed a contract.
PRIOR_FEATURES: tuple[str, ...] = ("proficiency", "load", "accuracy_target")

NEUTRAL_PROFICIENCY = 0.5
HISTORY_STRENGTH = 3.0  # k in w = n / (n + k): after three contracts history counts as much as the prior
PRIOR_PSEUDO_CONTRACTS = 8.0  # m of the fresh-install prior
LOAD_CAP = 5.0
MIN_SAMPLES = 30
MIN_PER_CLASS = 8  # both classes in every test fold, and five calibration folds inside each fit
TEST_SIZE = 0.25
CALIBRATION_FOLDS = 5
CV_FOLDS = 5
REGULARISATION_C = 1.0

log = logging.getLogger(__name__)


class InsufficientData(ValueError):
    """Too little or too one-sided history to learn from."""


class ModelLoadError(RuntimeError):
    """The persisted model cannot be used; callers fall back to the prior."""


class ModelMismatch(ModelLoadError):
    """The persisted model was trained on a different feature list than this code computes."""


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


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return np.log(p) - np.log1p(-p)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return expit(z)  # no overflow warning for very negative logits


def _check_matrix(X: Any, width: int) -> np.ndarray:
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X.reshape(1, -1)
    if X.ndim != 2 or X.shape[1] != width:
        raise ValueError(f"expected rows of {width} features ({', '.join(FEATURE_NAMES)}), got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError("features must be finite numbers (impute missing values before predicting)")
    return X


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
                {"feature": c.feature, "description": _DESCRIPTIONS.get(c.feature, ""),
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
    def fit(cls, X: np.ndarray, y: np.ndarray, columns: Sequence[int], seed: int) -> CalibratedLogit:
        columns = tuple(columns)
        Xc = X[:, columns]
        pipeline = Pipeline([
            ("scale", StandardScaler()),
            ("logistic", LogisticRegression(C=REGULARISATION_C, solver="newton-cholesky", max_iter=1000)),
        ])
        folds = min(CALIBRATION_FOLDS, int(np.bincount(y, minlength=2).min()))
        scores = cross_val_predict(
            pipeline, Xc, y, cv=StratifiedKFold(folds, shuffle=True, random_state=seed),
            method="decision_function",
        )
        platt = LogisticRegression(C=1e6, solver="newton-cholesky", max_iter=1000).fit(scores.reshape(-1, 1), y)
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
        return {FEATURE_NAMES[c]: self.platt_a * float(w) for c, w in zip(self.columns, logistic.coef_[0])}


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
        X = _check_matrix(X, len(FEATURE_NAMES))
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
        X = _check_matrix(X, len(FEATURE_NAMES))
        return prior_probability(X[:, _PROFICIENCY])

    def explain_batch(self, X: Any) -> list[Explanation]:
        X = _check_matrix(X, len(FEATURE_NAMES))
        p = self.predict(X)
        logits = _logit(p)
        return [
            Explanation(
                probability=float(p[i]), source=self.source, intercept=0.0, history_weight=0.0,
                contributions=tuple(
                    Contribution(name, float(X[i, j]), float(logits[i]) if j == _PROFICIENCY else 0.0)
                    for j, name in enumerate(FEATURE_NAMES)
                ),
                note=self.note,
            )
            for i in range(X.shape[0])
        ]

    def explain(self, x: Any) -> Explanation:
        return self.explain_batch(x)[0]


def _check_training_data(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    X = _check_matrix(X, len(FEATURE_NAMES))
    y = np.asarray(y)
    if y.shape != (X.shape[0],) or not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be one 0 or 1 per row of features")
    y = y.astype(int)
    counts = np.bincount(y, minlength=2)
    if len(y) < MIN_SAMPLES:
        raise InsufficientData(
            f"too little history to train on: {len(y)} contracts with outcomes, at least {MIN_SAMPLES} needed"
        )
    if counts.min() < MIN_PER_CLASS:
        raise InsufficientData(
            f"history too one-sided to train on: {counts[1]} successful and {counts[0]} failed contracts; "
            f"at least {MIN_PER_CLASS} of each are needed"
        )
    return X, y


def _fit(X: np.ndarray, y: np.ndarray, seed: int, text_vectorizer) -> QualityModel:
    prior_columns = [FEATURE_NAMES.index(name) for name in PRIOR_FEATURES]
    return QualityModel(
        history=CalibratedLogit.fit(X, y, range(len(FEATURE_NAMES)), seed),
        prior=CalibratedLogit.fit(X, y, prior_columns, seed),
        text_vectorizer=text_vectorizer,
    )


def _scores(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    return {
        "auc": float(roc_auc_score(y, p)),
        "brier": float(brier_score_loss(y, p)),
        "log_loss": float(log_loss(y, np.clip(p, 1e-12, 1 - 1e-12), labels=[0, 1])),
    }


def fingerprint(X: Any, y: Any) -> str:
    """SHA-256 of the training data and feature names, to tell whether two models saw the same data."""
    digest = hashlib.sha256()
    digest.update("\x1f".join(FEATURE_NAMES).encode())
    digest.update(np.ascontiguousarray(np.asarray(X, dtype=np.float64)).tobytes())
    digest.update(np.ascontiguousarray(np.asarray(y, dtype=np.int64)).tobytes())
    return digest.hexdigest()


def train(X: Any, y: Any, *, seed: int = 0, text_vectorizer: TfidfVectorizer | None = None
          ) -> tuple[QualityModel, dict[str, Any]]:
    """Fit the model and measure it on held-out contracts.

    The headline metrics come from a model fitted on a stratified 75% of the rows and scored on
    the other 25%: AUC, Brier score and log loss of the pooled probability, next to the Brier
    score of always predicting the training base rate and the scores of the prior model alone.
    With a few hundred contracts one split of ~90 is noisy, so the same procedure is also
    cross-validated over five stratified folds (mean and standard deviation). The returned model
    is then refitted on all rows, as the procedure the metrics estimate. The same seed gives the
    same split, folds and model.
    """
    X, y = _check_training_data(X, y)
    # Tiny problems: BLAS threads only contend with each other (and with the web workers).
    with threadpool_limits(limits=1):
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=TEST_SIZE, stratify=y, random_state=seed
        )
        held_out = _fit(X_train, y_train, seed, text_vectorizer)
        scores = _scores(y_test, held_out.predict(X_test))
        prior_scores = _scores(y_test, held_out.prior.predict(X_test))
        folds = []
        for train_rows, test_rows in StratifiedKFold(CV_FOLDS, shuffle=True, random_state=seed).split(X, y):
            fold_model = _fit(X[train_rows], y[train_rows], seed, text_vectorizer)
            folds.append(_scores(y[test_rows], fold_model.predict(X[test_rows])))
        model = _fit(X, y, seed, text_vectorizer)
    metrics = {
        **scores,
        "brier_base_rate": float(brier_score_loss(y_test, np.full(len(y_test), y_train.mean()))),
        "prior_auc": prior_scores["auc"],
        "prior_brier": prior_scores["brier"],
        "cv_folds": CV_FOLDS,
        "cv_auc": float(np.mean([f["auc"] for f in folds])),
        "cv_auc_sd": float(np.std([f["auc"] for f in folds])),
        "cv_brier": float(np.mean([f["brier"] for f in folds])),
        "cv_brier_sd": float(np.std([f["brier"] for f in folds])),
        "n": int(len(y)),
        "n_train": int(len(y_train)),
        "n_test": int(len(y_test)),
        "positives": int(y.sum()),
        "base_rate": float(y.mean()),
        "seed": int(seed),
        "test_size": TEST_SIZE,
    }
    model.info = {"metrics": metrics, "fingerprint": fingerprint(X, y), "n_samples": int(len(y))}
    return model, metrics


# Persistence: <directory>/quality-<version>.joblib, a JSON sidecar beside it, and `current`
# naming the version in use. Versions are increasing integers, claimed by exclusive creation so
# two trainings at once cannot take the same number.

_CURRENT = "current"


def _artefact(directory: Path, version: int) -> Path:
    return directory / f"quality-{version}.joblib"


def _sidecar(directory: Path, version: int) -> Path:
    return directory / f"quality-{version}.json"


def _versions(directory: Path) -> list[int]:
    found = []
    for path in directory.glob("quality-*.joblib"):
        stem = path.stem.removeprefix("quality-")
        if stem.isdigit():
            found.append(int(stem))
    return sorted(found)


def _write_atomically(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the model's metadata is not secret
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def save(model: QualityModel, directory: str | os.PathLike, *, trained_at: dt.datetime | None = None) -> int:
    """Persist `model` as the next version and make it current; returns the version."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    version = (_versions(directory) or [0])[-1] + 1
    while True:
        try:
            handle = open(_artefact(directory, version), "xb")
            break
        except FileExistsError:
            version += 1
    trained_at = trained_at or dt.datetime.now(dt.timezone.utc)
    model.info = {
        **model.info,
        "version": version,
        "trained_at": trained_at.isoformat(),
        "sklearn_version": sklearn.__version__,
        "features": list(model.features),
        "prior_features": list(PRIOR_FEATURES),
        "history_strength": HISTORY_STRENGTH,
        "coefficients": model.coefficients(),
    }
    try:
        with handle:
            joblib.dump(model, handle)
    except BaseException:
        _artefact(directory, version).unlink(missing_ok=True)
        raise
    _write_atomically(_sidecar(directory, version), json.dumps(model.info, indent=2, ensure_ascii=False) + "\n")
    _write_atomically(directory / _CURRENT, f"{version}\n")
    return version


def _current_version(directory: Path) -> int | None:
    try:
        text = (directory / _CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    if not text.isdigit():
        raise ModelLoadError(f"{directory / _CURRENT} does not name a model version: {text!r}")
    return int(text)


def read_current_info(directory: str | os.PathLike) -> dict[str, Any] | None:
    """The sidecar of the current model (version, metrics, ...), or None when none was trained."""
    directory = Path(directory)
    version = _current_version(directory)
    if version is None:
        return None
    try:
        return json.loads(_sidecar(directory, version).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"cannot read the metadata of quality model version {version}: {exc}") from exc


def load_current(directory: str | os.PathLike) -> QualityModel | None:
    """The current model, None when none was ever trained; ModelLoadError when it cannot be used."""
    directory = Path(directory)
    version = _current_version(directory)
    if version is None:
        return None
    info = read_current_info(directory)
    expected = list(FEATURE_NAMES)
    if info.get("features") != expected:
        raise ModelMismatch(
            f"quality model version {version} was trained on features {info.get('features')}, "
            f"but this version of the software computes {expected}; retrain it with `market model train`"
        )
    if info.get("sklearn_version") != sklearn.__version__:
        # Only a scaler's and a logistic regression's fitted arrays are used, which have been stable
        # across releases; say so rather than refuse, and let the next training settle it.
        log.warning("quality model version %s was trained with scikit-learn %s, running %s; "
                    "retrain with `market model train`", version, info.get("sklearn_version"), sklearn.__version__)
    try:
        model = joblib.load(_artefact(directory, version))
    except Exception as exc:  # unpickling can fail in many ways; all mean "retrain"
        raise ModelLoadError(
            f"cannot load quality model version {version} ({exc}); retrain it with `market model train`"
        ) from exc
    if not isinstance(model, QualityModel) or list(model.features) != expected:
        raise ModelMismatch(
            f"quality model version {version} does not match this software's feature list {expected}; "
            f"retrain it with `market model train`"
        )
    return model
