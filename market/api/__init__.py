"""The JSON API under /api/v1: registers the blueprints, the one error shape and the OpenAPI document."""

from __future__ import annotations

import json
import re

from flask import Flask, current_app, request
from flask_smorest import Api
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, UnsupportedMediaType

from market.api import reference
from market.api.openapi import IdConverter, decimal_as_string
from market.auth import current_user
from market.errors import InvalidInput, handle_http_exception


class MarketApi(Api):
    """flask-smorest's Api, with its HTTP error handler replaced by the app's one error shape."""

    def handle_http_exception(self, error):
        return handle_http_exception(error)


# PostgreSQL cannot store NUL in text and no database can encode a lone surrogate: such text would
# fail on write with a 500, so it is refused before any view sees it.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_UNSTORABLE_MESSAGE = "Must not contain NUL characters or unpaired surrogates."


def _unstorable_path(document) -> str | None:
    """The dotted path of the first unstorable string (or key) in a parsed JSON document, else None."""
    stack = [("", document)]  # iterative: a body may be nested deeper than Python's recursion limit
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if _UNSTORABLE.search(value):
                return path or "_body"
        elif isinstance(value, dict):
            for key, item in value.items():
                child = f"{path}.{key}" if path else str(key)  # the path as errors name it
                if _UNSTORABLE.search(key):
                    return child
                stack.append((child, item))
        elif isinstance(value, list):
            stack.extend(
                (f"{path}[{i}]" if path else f"[{i}]", item) for i, item in enumerate(value)
            )
    return None


def refuse_unreadable_input() -> None:
    """Refuse, in the error shape, input that would otherwise crash a view or the database."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if (
        limit is not None
        and request.content_length is None
        and request.method in ("POST", "PUT", "PATCH")
    ):
        # A streamed (chunked) body has no length to check up front, and werkzeug stops reading
        # it at the limit without complaint: a body that reaches the limit is too large.
        if len(request.get_data(cache=True)) >= limit:
            raise RequestEntityTooLarge()
    locations = [("query", request.args.items(multi=True)),
                 ("path", (request.view_args or {}).items())]
    api = request.path.startswith("/api/")
    if not api:  # a page's form
        locations.append(("form", request.form.items(multi=True)))
    for location, pairs in locations:
        for key, value in pairs:
            if _UNSTORABLE.search(key) or (isinstance(value, str) and _UNSTORABLE.search(value)):
                raise InvalidInput("The request has invalid fields; see 'errors' for each one.",
                                   errors={location: {key: [_UNSTORABLE_MESSAGE]}})
    if not request.is_json:
        has_body = bool(request.content_length) or "chunked" in request.headers.get(
            "Transfer-Encoding", ""
        )
        if api and has_body and request.method in ("POST", "PUT", "PATCH"):
            # Otherwise the parser would see no JSON at all and report every field as missing.
            raise UnsupportedMediaType(
                "Send the body as JSON, with 'Content-Type: application/json'."
            )
        return
    try:
        document = json.loads(request.get_data(cache=True))
    except RecursionError:
        raise BadRequest("The JSON body is nested too deeply to read.") from None
    except ValueError:
        return  # malformed JSON is reported by the argument parser, as for every other view
    path = _unstorable_path(document)
    if path is not None:
        raise InvalidInput("The request has invalid fields; see 'errors' for each one.",
                           errors={"json": {path: [_UNSTORABLE_MESSAGE]}})


# The writes that need no token: logging in, a forgotten password, a firm registering.
_PUBLIC_WRITES = frozenset({
    "auth.create_token",
    "password_reset.request_password_reset",
    "password_reset.confirm_password_reset",
    "registrations.register",
    "registrations.confirm_registration",
    "registrations.resend_confirmation",
})


def authenticate_writes() -> None:
    """Every other write needs a signed-in user: say so (401) before reading the body.

    The views check permissions themselves; this only makes an anonymous write fail as
    unauthenticated rather than as invalid input, whatever its body.
    """
    if (
        request.method in ("POST", "PUT", "PATCH", "DELETE")
        and request.endpoint is not None
        and request.endpoint not in _PUBLIC_WRITES
        and request.path.startswith("/api/")
    ):
        current_user()


def init_app(app: Flask) -> None:
    from market.api import blueprints

    app.url_map.converters["id"] = IdConverter
    app.before_request(authenticate_writes)
    app.before_request(refuse_unreadable_input)

    api = MarketApi(
        app,
        spec_kwargs={
            "info": {
                "description": "Public data-annotation demand, vendor bids, matching and approval."
            },
            # Every operation needs the bearer token unless it says otherwise (security: []).
            "security": [{"bearerAuth": []}],
        },
    )
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    api.ma_plugin.converter.add_attribute_function(decimal_as_string)
    for blueprint in blueprints.all_blueprints():
        api.register_blueprint(blueprint)
    app.extensions["market.api"] = api
    reference.init_app(app)
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
