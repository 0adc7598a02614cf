"""`market model train` and `market model show` on a small history made with factories."""

from __future__ import annotations

import json

import pytest

from market.matching.quality import FEATURE_NAMES


@pytest.fixture
def cli(app, connection, monkeypatch, tmp_path):
    # The app is shared by the whole run; give each test its own instance folder for models.
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    runner = app.test_cli_runner()

    def invoke(*args):
        # A context of its own: the command's session closes before the test's savepoint rolls back.
        with app.app_context():
            return runner.invoke(args=["model", *args])

    return invoke


def test_model_train_prints_held_out_metrics_and_saves_the_current_model(
    cli, build_history, tmp_path
):
    build_history(contracts=48)
    result = cli("train", "--seed", "3")
    assert result.exit_code == 0, result.output
    assert "48 completed contracts with outcomes" in result.output
    assert "Held-out AUC" in result.output and "Brier score" in result.output
    assert "5-fold cross-validated: AUC" in result.output
    assert "Quality model version 1 saved" in result.output
    info = json.loads((tmp_path / "models" / "quality-1.json").read_text())
    assert info["metrics"]["n"] == 48 and info["metrics"]["seed"] == 3
    assert info["features"] == list(FEATURE_NAMES)
    assert (tmp_path / "models" / "current").read_text().strip() == "1"


def test_model_train_again_makes_a_new_current_version(cli, build_history, tmp_path):
    build_history(contracts=40)
    assert cli("train").exit_code == 0
    result = cli("train")
    assert result.exit_code == 0, result.output
    assert "version 2" in result.output
    assert (tmp_path / "models" / "current").read_text().strip() == "2"


def test_model_train_with_too_little_history_fails_and_says_why(cli, build_history, tmp_path):
    build_history(contracts=12)
    result = cli("train")
    assert result.exit_code != 0
    assert "too little history" in result.output and "12 contracts" in result.output
    assert "prior stays in use" in result.output
    assert not (tmp_path / "models" / "current").exists()


def test_model_show_without_a_model_says_the_prior_is_in_use(cli):
    result = cli("show")
    assert result.exit_code == 0
    assert "No quality model has been trained" in result.output


def test_model_show_prints_the_current_version_metrics_and_coefficients(cli, build_history):
    build_history(contracts=40)
    assert cli("train").exit_code == 0
    result = cli("show")
    assert result.exit_code == 0, result.output
    assert "Quality model version 1" in result.output
    assert "Held-out AUC" in result.output
    for name in FEATURE_NAMES:
        assert name in result.output


def test_model_show_reports_an_unreadable_model(cli, tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "current").write_text("latest\n")
    result = cli("show")
    assert result.exit_code != 0
    assert "does not name a model version" in result.output


def test_model_train_keeps_the_current_model_when_the_new_one_scores_worse(
    cli, build_history, tmp_path
):
    build_history(contracts=40)
    assert cli("train").exit_code == 0
    sidecar = tmp_path / "models" / "quality-1.json"
    info = json.loads(sidecar.read_text())
    info["metrics"]["brier"] = 0.0  # a current model no new one can beat
    sidecar.write_text(json.dumps(info))
    result = cli("train")
    assert result.exit_code == 0, result.output
    assert "Kept quality model version 1" in result.output and "Prior alone: AUC" in result.output
    assert (tmp_path / "models" / "current").read_text().strip() == "1"
    assert not (tmp_path / "models" / "quality-2.json").exists()
