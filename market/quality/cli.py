"""`market model ...`: train the quality model on past contracts and show the one in use."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext


@click.group("model")
def model():
    """The quality model that predicts on-time delivery at the accuracy target."""


@model.command("train")
@click.option(
    "--seed",
    type=click.IntRange(0, 2**32 - 1),
    default=0,
    show_default=True,
    help="Seed of the held-out split and calibration folds; the same seed gives the same model.",
)
@with_appcontext
def train(seed: int):
    """Retrain on every completed contract with outcomes and make the new model current."""
    from market import db
    from market.matching.quality import InsufficientData
    from market.quality import service

    try:
        result = service.train_from_database(
            db.session, current_app.instance_path, seed=seed, progress=click.echo
        )
    except InsufficientData as exc:
        raise click.ClickException(f"{exc}. The proficiency prior stays in use.") from exc
    if result["kept_previous"]:
        click.echo(f"Kept quality model version {result['version']}: the new one is worse "
                   f"({result['why']}). Its metrics:")
    else:
        click.echo(f"Quality model version {result['version']} saved to {result['path']}")
    _echo_metrics(result)


@model.command("show")
@with_appcontext
def show():
    """Show the current model's version, training data and held-out metrics."""
    from market.matching.quality import FEATURES, ModelLoadError
    from market.quality import service

    try:
        info = service.current_info(current_app.instance_path)
    except ModelLoadError as exc:
        raise click.ClickException(f"{exc}. The proficiency prior is in use.") from exc
    if info is None:
        click.echo("No quality model has been trained: the proficiency prior is in use. "
                   "Run `market model train` once past contracts have outcomes.")
        return
    click.echo(f"Quality model version {info['version']}, trained {info['trained_at']} "
               f"with scikit-learn {info['sklearn_version']}")
    click.echo(f"Data fingerprint {info['fingerprint'][:16]}")
    _echo_metrics(info["metrics"])
    click.echo(
        "Change in log-odds per standard deviation (history model; prior model in brackets):"
    )
    history = info["coefficients"]["history"]
    prior = info["coefficients"]["prior"]
    for feature in FEATURES:
        prior_text = f" [{prior[feature.name]:+.3f}]" if feature.name in prior else ""
        click.echo(
            f"  {feature.name:16} {history.get(feature.name, 0.0):+.3f}{prior_text}  {feature.description}"
        )


def _echo_metrics(metrics: dict) -> None:
    click.echo(
        f"Held-out AUC {metrics['auc']:.3f}, Brier score {metrics['brier']:.3f} "
        f"(always the base rate: {metrics['brier_base_rate']:.3f}), log loss {metrics['log_loss']:.3f}"
    )
    click.echo(
        f"{metrics['cv_folds']}-fold cross-validated: AUC {metrics['cv_auc']:.3f} ± {metrics['cv_auc_sd']:.3f}, "
        f"Brier score {metrics['cv_brier']:.3f} ± {metrics['cv_brier_sd']:.3f}"
    )
    click.echo(
        f"Prior alone: AUC {metrics['prior_auc']:.3f}, Brier score {metrics['prior_brier']:.3f}"
    )
    click.echo(
        f"n = {metrics['n']} contracts ({metrics['n_train']} training, {metrics['n_test']} held out), "
        f"base rate {metrics['base_rate']:.1%}"
    )
