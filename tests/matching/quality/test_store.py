"""Quality models on disk: versions, the current one, and models that cannot be used."""

from __future__ import annotations

import json

import numpy as np
import pytest

from market.matching import quality
from market.matching.quality import FEATURE_NAMES
from market.matching.quality.model import CalibratedLogit, QualityModel


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


def test_a_model_saved_before_the_package_was_split_still_loads(trained, tmp_path, monkeypatch):
    # Models saved by the single-module version name their classes market.matching.quality.X.
    model, _metrics, X, _y = trained
    with monkeypatch.context() as patch:
        patch.setattr(QualityModel, "__module__", "market.matching.quality")
        patch.setattr(CalibratedLogit, "__module__", "market.matching.quality")
        version = quality.save(model, tmp_path)
    assert (
        b"market.matching.quality.model"
        not in (tmp_path / f"quality-{version}.joblib").read_bytes()
    )
    loaded = quality.load_current(tmp_path)
    assert isinstance(loaded, QualityModel)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
