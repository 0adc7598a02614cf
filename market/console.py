"""The `market` console script: Flask's command group with the app factory, and every market command."""

from __future__ import annotations

import click
from flask.cli import FlaskGroup

from market import create_app


@click.group(
    cls=FlaskGroup, create_app=create_app, add_default_commands=True, add_version_option=False
)
def main():
    """market: the annotation demand marketplace."""


if __name__ == "__main__":
    main()
