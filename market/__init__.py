"""market: a marketplace matching public data-annotation demand to local annotation firms."""

from __future__ import annotations

import logging
import os
from functools import partial
from pathlib import Path

from flask import Flask

from config.settings import BaseConfig, config_from_env, default_sqlite_url


def create_app(config: BaseConfig | None = None) -> Flask:
    """Build the app in small named steps; nothing here runs at import time."""
    config = config or config_from_env()
    config.validate()
    app = Flask(
        __name__, instance_path=config.INSTANCE_PATH or None, instance_relative_config=False
    )
    _load_config(app, config)
    _configure_logging(app)
    _init_database(app)
    _init_errors(app)
    _trust_proxies(app)
    _init_requests(app)
    _init_api(app)
    _init_web(app)
    _init_public_cache(app)
    _init_cli(app)
    # How to build another app like this one: gunicorn's workers each build their own after the fork.
    app.extensions["market.factory"] = partial(create_app, config)
    return app


def _load_config(app: Flask, config: BaseConfig) -> None:
    app.config.from_object(config)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = default_sqlite_url(Path(app.instance_path))
    app.json.sort_keys = False
    app.json.ensure_ascii = False


def _configure_logging(app: Flask) -> None:
    level = getattr(logging, str(app.config["LOG_LEVEL"]).upper(), logging.INFO)
    logging.getLogger("market").setLevel(level)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")


def _init_database(app: Flask) -> None:
    from market import db
    from market.settings import Settings

    # The programme's settings are built once here; the sessions carry them to the services.
    settings = Settings.from_config(app.config, instance_path=app.instance_path)
    app.extensions["market.settings"] = settings
    db.init_app(app, settings)


def _init_errors(app: Flask) -> None:
    from market import errors

    errors.init_app(app)


def _trust_proxies(app: Flask) -> None:
    # Behind a load balancer every request would otherwise come from its address, which breaks
    # the per-address login limit and the addresses in the audit trail.
    hops = app.config["TRUSTED_PROXIES"]
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def _init_requests(app: Flask) -> None:
    from market import requestlog

    requestlog.init_app(app)


def _init_api(app: Flask) -> None:
    from market import api

    api.init_app(app)


def _init_web(app: Flask) -> None:
    from market import web

    web.init_app(app)


def _init_public_cache(app: Flask) -> None:
    # Outside the app (WSGI middleware): a held public answer is sent before Flask builds a request.
    from market.orders import freshness

    freshness.init_app(app)


def _init_cli(app: Flask) -> None:
    from market import cli

    cli.init_app(app)
