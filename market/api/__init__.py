"""The JSON API under /api/v1: flask-smorest with one error shape and the OpenAPI document."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api
from werkzeug.routing import IntegerConverter

from market.errors import handle_http_exception

BEARER = [{"bearerAuth": []}]
MAX_ID = 2**31 - 1  # PostgreSQL's integer


class MarketApi(Api):
    """flask-smorest's Api, with its HTTP error handler replaced by the app's one error shape."""

    def handle_http_exception(self, error):
        return handle_http_exception(error)


class IdConverter(IntegerConverter):
    """Path ids: positive and within the database's integer range, else simply no such route (404)."""

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=MAX_ID)


def init_app(app: Flask) -> None:
    from market.api import blueprints

    app.url_map.converters["id"] = IdConverter

    api = MarketApi(app, spec_kwargs={
        "info": {"description": "Public data-annotation demand, vendor bids, matching and approval."},
    })
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    for blueprint in blueprints.all_blueprints():
        api.register_blueprint(blueprint)
    app.extensions["market.api"] = api
    _health(app)


def _health(app: Flask) -> None:
    from sqlalchemy import text

    from market import db

    @app.get("/healthz")
    def healthz():
        """The process is up (for a load balancer's liveness check)."""
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz():
        """The database answers (for a load balancer's readiness check)."""
        try:
            db.session.execute(text("SELECT 1"))
        except Exception as exc:  # any database failure means "not ready", never a 500
            app.logger.warning("readiness check failed: %s", exc.__class__.__name__)
            return {"status": "unavailable", "database": "unreachable"}, 503
        return {"status": "ok", "database": "ok"}
