"""What the API's views and schemas share with the OpenAPI document: ids, decimals, the blueprint.

A leaf: views import it, and it imports nothing of theirs (the registrar, market.api, imports
the views).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from decimal import Decimal

import flask_smorest
import marshmallow
from marshmallow import RAISE
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.routing import IntegerConverter

from market import db, idempotency
from market.api.fields import MAX_ID, paginate
from market.auth import current_user

PUBLIC = []  # the security of an operation anyone may call (the document's default is the bearer token)


class IdConverter(IntegerConverter):
    """Path ids: positive and within the database's integer range, else simply no such route (404)."""

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=MAX_ID)


def decimal_as_string(self, field, ret, **kwargs) -> dict:
    """Document a Decimal dumped as a string ("0.2800": exact CNY) as a string, not as a number.

    apispec calls every Decimal a number and writes its range as strings, which is not a valid
    OpenAPI document and does not match the strings the API returns. The range is kept as
    x-minimum / x-maximum, as apispec itself does for ranges on non-numbers.
    """
    if not isinstance(field, marshmallow.fields.Decimal) or not field.as_string:
        return {}
    for key in ("minimum", "maximum"):
        if key in ret:
            ret[f"x-{key}"] = ret.pop(key)
    places = getattr(field, "decimals", None)
    pattern = rf"^[0-9]+(\.[0-9]{{1,{places}}}0*)?$" if places else r"^-?[0-9]+(\.[0-9]+)?$"
    return {"type": "string", "format": "decimal", "pattern": pattern}


class JSONNumber(Decimal):
    """A JSON number with a fraction or exponent, exact, and with the literal it was written as."""

    literal: str

    def __new__(cls, literal: str):
        number = super().__new__(cls, literal)
        number.literal = literal
        return number


class _Parser(FlaskParser):
    """Unknown query parameters are refused like unknown body fields: a typo never goes unnoticed."""

    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": RAISE,
        "querystring": RAISE,
    }

    def _raw_load_json(self, req):
        # JSON numbers are read as written (Decimal, not float), so that an amount sent as the
        # number 8.3456E4 or 83456.0000000000001 reaches its field as sent and is refused, rather
        # than turned into a float and silently rounded. Float fields convert it as before.
        if not is_json_request(req):
            return core.missing
        data = req.get_data(cache=True)
        return json.loads(data.decode("utf-8"), parse_float=JSONNumber)


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's blueprint with the two things nearly every view repeated."""

    ARGUMENTS_PARSER = _Parser()

    def paginated(self, page_schema: type[marshmallow.Schema]):
        """The view returns a Select (or a Select and a function presenting its rows); this runs it
        for the page the query asks (`page`, `per_page`) and answers `{items, meta}`."""

        def decorator(view: Callable):
            @self.response(200, page_schema)
            @functools.wraps(view)
            def wrapper(query, *args, **kwargs):
                page, per_page = query.pop("page"), query.pop("per_page")
                result = view(query, *args, **kwargs)
                stmt, present = result if isinstance(result, tuple) else (result, None)
                body = paginate(db.session, stmt, page, per_page)
                if present is not None:
                    body["items"] = present(body["items"])
                return body

            return wrapper

        return decorator

    @staticmethod
    def commits(view: Callable):
        """Commit the request's one transaction when the view has done its work (views that write).

        Under `@blp.response` (as every view has it) the commit comes after the response is
        built, so nothing the response shows is loaded after the commit: once the write is
        committed, no failure of the database can turn its answer into an error.
        """

        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            result = view(*args, **kwargs)
            db.session.commit()
            return result

        wrapper._market_write = {"view": view, "idempotent": False}
        return wrapper

    @staticmethod
    def idempotent(committing_view: Callable):
        """Make retrying the write safe with an `Idempotency-Key` header (market.idempotency).

        Goes between `@blp.response` and `@blp.commits`; the header is documented on the operation.
        """
        write = getattr(committing_view, "_market_write", None)
        if write is None:
            raise TypeError("@blp.idempotent goes on a view with @blp.commits, under @blp.response")
        committing_view._market_write = {**write, "idempotent": True}
        return committing_view

    def response(self, status_code, schema=None, **kwargs):
        """flask-smorest's response; for a view that commits, the commit follows the dump."""
        document = super().response(status_code, schema, **kwargs)

        def decorator(func: Callable):
            write = getattr(func, "_market_write", None)
            if write is None:
                return document(func)
            view = write["view"]

            @functools.wraps(view)
            def flushed(*args, **kwargs):
                # What the view created gets its ids and defaults before the dump shows it.
                result = view(*args, **kwargs)
                db.session.flush()
                return result

            respond = document(flushed)

            @functools.wraps(respond)
            def wrapper(*args, **kwargs):
                if write["idempotent"]:
                    response = idempotency.run(
                        db.session, current_user().id, lambda: respond(*args, **kwargs)
                    )
                else:
                    response = respond(*args, **kwargs)
                db.session.commit()
                return response

            if write["idempotent"]:
                manual = wrapper._apidoc.setdefault("manual_doc", {})
                manual.setdefault("parameters", []).append(idempotency.PARAMETER)
            return wrapper

        return decorator

    def add_url_rule(self, rule, endpoint=None, view_func=None, provide_automatic_options=None,
                     **options):
        """Routes that only read run again once when their connection drops (a quick restart)."""
        methods = {m.upper() for m in options.get("methods") or ("GET",)}
        if view_func is not None and methods <= {"GET", "HEAD", "OPTIONS"}:
            view_func = db.retry_once_on_disconnect(view_func)
        super().add_url_rule(rule, endpoint, view_func, provide_automatic_options, **options)
