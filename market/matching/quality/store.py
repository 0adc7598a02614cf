"""Quality models on disk: numbered versions in a folder, one of them current."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import joblib
import sklearn

from market.matching.quality.features import FEATURE_NAMES, HISTORY_STRENGTH, PRIOR_FEATURES
from market.matching.quality.model import QualityModel

__all__ = ["ModelLoadError", "ModelMismatch", "load_current", "read_current_info", "save"]

log = logging.getLogger(__name__)


class ModelLoadError(RuntimeError):
    """The persisted model cannot be used; callers fall back to the prior."""


class ModelMismatch(ModelLoadError):
    """The persisted model was trained on a different feature list than this code computes."""


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


def save(
    model: QualityModel, directory: str | os.PathLike, *, trained_at: dt.datetime | None = None
) -> int:
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
    trained_at = trained_at or dt.datetime.now(dt.UTC)
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
    _write_atomically(
        _sidecar(directory, version), json.dumps(model.info, indent=2, ensure_ascii=False) + "\n"
    )
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
        raise ModelLoadError(
            f"cannot read the metadata of quality model version {version}: {exc}"
        ) from exc


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
        log.warning(
            "quality model version %s was trained with scikit-learn %s, running %s; "
            "retrain with `market model train`",
            version,
            info.get("sklearn_version"),
            sklearn.__version__,
        )
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
