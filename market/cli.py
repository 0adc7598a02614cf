"""The command line: `market ...` (also `flask --app market ...`)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext


def init_app(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)


@click.command("init-db")
@with_appcontext
def init_db():
    """Create or upgrade the database schema by running the migrations."""
    from market.migrations import upgrade

    upgrade()
    click.echo("Database is at the newest schema.")


COMMANDS = [init_db]


def _create_app():
    from market import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=True, add_version_option=False)
def main():
    """market: the annotation demand marketplace."""
