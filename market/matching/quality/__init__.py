"""Learned quality model: the probability that a vendor delivers an order on time at its accuracy target.

Pure: feature arrays in, calibrated probabilities and per-feature explanations out; persistence
is files in a folder the caller names. No Flask, no database. Its parts: ``features`` (what is
measured, the priors), ``model`` (the pooled calibrated logistic model and why it is built so),
``training`` (fitting and held-out metrics) and ``store`` (numbered versions on disk).

Callers use the names below from here. ``QualityModel`` and ``CalibratedLogit`` must stay
reachable here in any case: models saved before the package was split were pickled as
``market.matching.quality.QualityModel`` and ``market.matching.quality.CalibratedLogit``.
"""

from market.matching.quality.features import (
    FEATURE_NAMES,
    FEATURES,
    HISTORY_STRENGTH,
    LOAD_CAP,
    NEUTRAL_PROFICIENCY,
    PRIOR_FEATURES,
    Feature,
    history_weight,
    make_text_vectorizer,
    prior_probability,
    smoothed_rate,
)
from market.matching.quality.model import (
    CalibratedLogit,
    Contribution,
    Explanation,
    PriorModel,
    QualityModel,
)
from market.matching.quality.store import (
    ModelLoadError,
    ModelMismatch,
    load_current,
    read_current_info,
    save,
)
from market.matching.quality.training import (
    MIN_PER_CLASS,
    MIN_SAMPLES,
    InsufficientData,
    fingerprint,
    train,
)

__all__ = [
    "FEATURES",
    "FEATURE_NAMES",
    "HISTORY_STRENGTH",
    "LOAD_CAP",
    "MIN_PER_CLASS",
    "MIN_SAMPLES",
    "NEUTRAL_PROFICIENCY",
    "PRIOR_FEATURES",
    "CalibratedLogit",
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
