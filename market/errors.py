"""Domain errors that carry their HTTP status, and the one handler that renders every error."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from flask import Flask, current_app, g, jsonify, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError

from market import i18n
from market.db import describe, is_unavailable

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A refusal by the business rules; services raise these, the handler renders them.

    `message` is English, a catalogue message (marked with `N_`) where people read it, with
    `%(name)s` placeholders filled from `params`; `said(language)` is the message in a reader's
    language, each param shown in it too (a status by its name, a time as people read it), and
    `.message` the English. `errors` are the fields' messages (422) or codes (409).
    """

    status_code = 400
    status = "Bad Request"

    def __init__(self, message: str, errors: dict | None = None, headers: dict | None = None, *,
                 params: dict | None = None):
        self.template = message
        self.params = params or {}
        self.message = self.said("en")
        super().__init__(self.message)
        self.errors = errors or {}
        self.headers = headers or {}

    def said(self, language: str | None) -> str:
        """The message in `language` (zh or en)."""
        if not self.params:
            return i18n.translate_message(language, self.template)
        return i18n.translate(language, self.template,
                              **{name: shown(value, language) for name, value in self.params.items()})


def shown(value, language: str | None):
    """A message's param as a reader of `language` reads it: a code by its name (anything with a
    `said(language)`, as market.labels.Label), a time or a day in the locale's words."""
    if hasattr(value, "said"):
        return value.said(language)
    if isinstance(value, dt.datetime):
        return i18n.moment(value, language)
    if isinstance(value, dt.date):
        return i18n.day(value, language)
    return value


class InvalidInput(DomainError):
    """Input that is well-formed but breaks a rule the schema cannot see (e.g. a past date)."""

    status_code = 422
    status = "Unprocessable Entity"


class Unauthorized(DomainError):
    status_code = 401
    status = "Unauthorized"

    def __init__(
        self, message: str = "Authentication required: send 'Authorization: Bearer <token>'."
    ):
        super().__init__(message, headers={"WWW-Authenticate": 'Bearer realm="market"'})


class Forbidden(DomainError):
    status_code = 403
    status = "Forbidden"


class NotFound(DomainError):
    status_code = 404
    status = "Not Found"


class Conflict(DomainError):
    """A state transition that is not allowed, or a uniqueness the database enforces."""

    status_code = 409
    status = "Conflict"


class TooManyRequests(DomainError):
    status_code = 429
    status = "Too Many Requests"


# Where webargs found the input; the path of a field never needs it (a field lives in one place).
_LOCATIONS = frozenset(
    {"json", "query", "querystring", "form", "path", "view_args", "headers", "files"}
)
BODY = "_body"  # the key of messages about the input as a whole


def flatten_errors(errors: dict) -> dict[str, list[str]]:
    """Field messages as one flat map from each field's path to its messages.

    `title`, `weights.quality`, `capabilities[2].unit_price`; a rule across an object's fields is
    filed under the object (`weights`), one across the whole input under `_body`. Bodies, query
    strings and the services' own rules all come out in this shape.
    """
    flat: dict[str, list[str]] = {}

    def walk(value, path: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "_schema":
                    walk(item, path)
                elif isinstance(key, int) or (isinstance(key, str) and key.isdigit() and path):
                    walk(item, f"{path}[{key}]")
                else:
                    walk(item, f"{path}.{key}" if path else str(key))
        elif isinstance(value, (list, tuple)):
            for item in value:
                if isinstance(item, (dict, list, tuple)):
                    walk(item, path)
                else:
                    flat.setdefault(path or BODY, []).append(str(item))
        else:
            flat.setdefault(path or BODY, []).append(str(value))

    for key, value in (errors or {}).items():
        if key in _LOCATIONS:
            walk(value, "")
        else:
            walk({key: value}, "")
    return flat


def error_body(code: int, status: str, message: str, errors: dict | None = None) -> dict:
    return {
        "code": code,
        "status": status,
        "message": message,
        "errors": flatten_errors(errors or {}),
    }


def asked_language() -> str | None:
    """The supported language the client asks for (Accept-Language), if it names one."""
    return request.accept_languages.best_match(list(i18n.LOCALES))


def _api_language() -> str:
    """The language of an API error's message: the signed-in user's saved one (noted when the
    token was resolved, so an error never waits on the database), else the one the client asks
    for, else English, as the API has always written."""
    return g.get("reader_locale") or asked_language() or "en"


def _render(code: int, status: str, message: str | Callable[[str], str], errors: dict | None,
            headers: dict | None):
    """`message`: the text, or a domain error's `said`, which gives it in the reader's language."""
    # Outside the API a browser asked for a page: the web package renders the same error as one.
    page = current_app.extensions.get("market.error_page")
    wants_page = request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"
    if page is not None and wants_page and not request.path.startswith("/api/"):
        response = page(code, status, message, flatten_errors(errors or {}))
        for key, value in (headers or {}).items():
            response.headers[key] = value
        return response
    if callable(message):
        message = message(_api_language())
    response = jsonify(error_body(code, status, message, errors))
    response.status_code = code
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def handle_domain_error(error: DomainError):
    return _render(error.status_code, error.status, error.said, error.errors, error.headers)


def handle_http_exception(error: HTTPException):
    data = getattr(error, "data", None) or {}
    errors = data.get("errors") or data.get("messages") or {}
    message = data.get("message")
    if not message:
        if error.code == 422:
            message = i18n.N_("The request has invalid fields; see 'errors' for each one.")
        elif error.code == 400 and errors:
            message = i18n.N_("The request could not be read; see 'errors'.")
        else:
            message = error.description or error.name
    headers = dict(data.get("headers") or {})
    if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    return _render(error.code or 500, error.name, message, errors, headers)


def _rollback() -> None:
    """Leave the request's session usable after a failed statement (for logging, teardown)."""

    if "db_session" in g:
        try:
            g.db_session.rollback()
        except SQLAlchemyError:  # the connection is gone; teardown invalidates the session
            pass


def handle_database_error(error: SQLAlchemyError):
    """A database that cannot serve now is a 503 with Retry-After, logged in one line.

    PostgreSQL down, restarting or too slow, a pool with no free connection, SQLite locked by a
    long write: a moment to retry, not a server bug; a traceback per request would only fill the
    log during an outage. Any other database error is a bug (500, with its traceback).
    """
    if not is_unavailable(error):
        return handle_unexpected(error)
    log.warning("database unavailable: %s request_id=%s", describe(error),
                g.get("request_id", "-"))
    _rollback()
    return _render(
        503,
        "Service Unavailable",
        i18n.N_("The database is unavailable or busy; try again in a few seconds."),
        {},
        {"Retry-After": str(current_app.config.get("DATABASE_RETRY_AFTER", 2))},
    )


def handle_unexpected(error: Exception):
    if isinstance(error, HTTPException):
        return handle_http_exception(error)
    log.exception("unhandled error")
    _rollback()
    server_error = InternalServerError()
    return _render(
        500, server_error.name, i18n.N_("An unexpected error occurred; it has been logged."), {}, {}
    )


def init_app(app: Flask) -> None:
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(SQLAlchemyError, handle_database_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
