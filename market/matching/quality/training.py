"""Training the quality model on past contracts, with held-out and cross-validated metrics."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold, train_test_split
from threadpoolctl import threadpool_limits

from market.matching.quality.features import FEATURE_NAMES, PRIOR_FEATURES, check_matrix
from market.matching.quality.model import CalibratedLogit, QualityModel

__all__ = ["MIN_PER_CLASS", "MIN_SAMPLES", "InsufficientData", "fingerprint", "train"]

MIN_SAMPLES = 30
MIN_PER_CLASS = 8  # both classes in every test fold, and five calibration folds inside each fit
TEST_SIZE = 0.25
CV_FOLDS = 5


class InsufficientData(ValueError):
    """Too little or too one-sided history to learn from."""


def _check_training_data(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    X = check_matrix(X, len(FEATURE_NAMES))
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
        for train_rows, test_rows in StratifiedKFold(
            CV_FOLDS, shuffle=True, random_state=seed
        ).split(X, y):
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

