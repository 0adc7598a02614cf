"""Training, loading and applying the quality model; the model lives in `<instance>/models/`."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from market.db import utcnow
from market.matching import quality
from market.quality.data import History, training_set, work_for_bid

log = logging.getLogger(__name__)


def models_dir(instance_path: str | os.PathLike) -> Path:
    return Path(instance_path) / "models"


def outcomes_fingerprint(contract_ids: Sequence[int], labels: Sequence[int]) -> str:
    """SHA-256 of which completed contracts had which outcome: the model's data, as people would
    say it (the features also move with contracts still running, so their fingerprint would not
    tell whether there is anything new to learn from)."""
    pairs = ",".join(f"{i}:{int(y)}" for i, y in sorted(zip(contract_ids, labels, strict=True)))
    return hashlib.sha256(pairs.encode()).hexdigest()


def current_outcomes(session: Session) -> tuple[str, int]:
    """The fingerprint of the outcomes a model would be trained on now, and how many there are."""
    examples = History.load(session).training_contracts()
    return outcomes_fingerprint([c.id for c in examples], [c.label for c in examples]), len(examples)


def train_from_database(session: Session, instance_path: str | os.PathLike, seed: int = 0,
                        progress: Callable[[str], None] | None = None,
                        now: dt.datetime | None = None) -> dict[str, Any]:
    """Train on every completed contract with outcomes, save it as the current model (trained at
    `now`) unless it is worse than the current one, return its metrics and its outcomes'
    fingerprint.

    Raises quality.InsufficientData when there is too little or too one-sided history.
    """
    say = progress or (lambda _message: None)
    say("Reading past contracts and computing their features as of their start ...")
    data = training_set(session)
    outcomes = outcomes_fingerprint(data.contract_ids, data.y)
    say(f"{len(data.y)} completed contracts with outcomes, {int(data.y.sum())} delivered on time "
        f"at their accuracy target.")
    say(f"Training (seed {seed}): held-out evaluation, then a refit on all contracts ...")
    model, metrics = quality.train(data.X, data.y, seed=seed, text_vectorizer=data.vectorizer)
    directory = models_dir(instance_path)
    previous = _previous_info(directory)
    worse = worse_than(metrics, previous)
    if worse:
        log.info("quality model not replaced: %s; version %s stays current", worse,
                 previous["version"])
        say(f"The new model is worse ({worse}); version {previous['version']} stays current.")
        return {"version": previous["version"], "kept_previous": True, "why": worse,
                "outcomes": outcomes,
                "path": str(directory / f"quality-{previous['version']}.joblib"), **metrics}
    model.info["outcomes"] = outcomes
    version = quality.save(model, directory, trained_at=now)
    log.info("quality model version %s trained: AUC %.3f, Brier %.3f on %s held-out contracts",
             version, metrics["auc"], metrics["brier"], metrics["n_test"])
    return {"version": version, "kept_previous": False, "outcomes": outcomes,
            "path": str(directory / f"quality-{version}.joblib"), **metrics}


def retrain_if_new(session: Session, instance_path: str | os.PathLike, *, now: dt.datetime,
                   last_tried: str | None = None) -> dict[str, Any]:
    """Retrain when completed contracts have outcomes the current model did not learn from, and
    none were tried since (`last_tried`: the outcomes' fingerprint of the last retraining, which
    kept the current model because the new one was worse: the same data would give it again).

    Returns what was done, for the job's counts: `retrained` 1 with the new model's version and
    held-out metrics, or 0 with `kept_previous` (the new one was worse), `insufficient` (too little
    history) or neither (nothing new).
    """
    outcomes, n = current_outcomes(session)
    done: dict[str, Any] = {"retrained": 0, "contracts": n, "outcomes": outcomes[:16]}
    current = _previous_info(models_dir(instance_path)) or {}
    if outcomes[:16] in (str(current.get("outcomes", ""))[:16], last_tried):
        return done
    try:
        result = train_from_database(session, instance_path, now=now)
    except quality.InsufficientData as exc:
        log.info("quality model not retrained: %s", exc)
        return {**done, "insufficient": 1}
    return {**done, "retrained": 0 if result["kept_previous"] else 1,
            "kept_previous": int(result["kept_previous"]), "version": result["version"],
            "auc": round(result["auc"], 4), "brier": round(result["brier"], 4),
            "cv_auc": round(result["cv_auc"], 4), "n_test": result["n_test"]}


def load_current(instance_path: str | os.PathLike) -> quality.QualityModel | None:
    """The current trained model, None if none was trained; quality.ModelLoadError if unusable."""
    return quality.load_current(models_dir(instance_path))


def current_info(instance_path: str | os.PathLike) -> dict[str, Any] | None:
    """Version, training time, metrics and coefficients of the current model, None if none."""
    return quality.read_current_info(models_dir(instance_path))


def current_model(instance_path: str | os.PathLike) -> quality.QualityModel | quality.PriorModel:
    """The trained model, or the proficiency prior (saying why) when there is none or it is unusable."""
    try:
        model = load_current(instance_path)
    except quality.ModelLoadError as exc:
        log.warning("quality model unusable, using the proficiency prior: %s", exc)
        return quality.PriorModel(
            note=f"trained model unusable ({exc}); estimate from assessed proficiency alone"
        )
    return model if model is not None else quality.PriorModel()


def quality_for_pairs(
    session: Session,
    pairs: Sequence[tuple[Any, Any]],
    instance_path: str | os.PathLike,
    now: dt.datetime | None = None,
) -> list[tuple[float, dict[str, Any]]]:
    """(probability, explanation) for each (order, bid) pair, from one read of the vendors' history."""
    if not pairs:
        return []
    now = now or utcnow()
    model = current_model(instance_path)
    history = History.load(session, vendor_ids={bid.vendor_id for _order, bid in pairs})
    works = [work_for_bid(order, bid, now) for order, bid in pairs]
    X = history.features(works, model.text_vectorizer)
    return [(e.probability, e.to_dict()) for e in model.explain_batch(X)]


def _previous_info(directory: Path) -> dict[str, Any] | None:
    try:
        return quality.read_current_info(directory)
    except quality.ModelLoadError:
        return None  # an unusable model is no standard to keep


def worse_than(metrics: dict[str, Any], previous: dict[str, Any] | None) -> str | None:
    """Why a newly trained model should not replace the current one, None if it should: its
    held-out Brier score (the calibrated probability is what the score uses) is above the current
    model's. Without a current model, any model that trains is kept; the prior alone's scores are
    reported beside it."""
    before = (previous or {}).get("metrics", {})
    if "brier" in before and metrics["brier"] > before["brier"]:
        return f"held-out Brier {metrics['brier']:.3f} above the current model's {before['brier']:.3f}"
    return None
