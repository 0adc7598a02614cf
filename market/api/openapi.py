"""What the API's views and schemas share with the OpenAPI document: ids, decimals, the blueprint.

A leaf: views import it, and it imports nothing of theirs (the registrar, market.api, imports
the views).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import flask_smorest
import marshmallow
from marshmallow import RAISE
from webargs.flaskparser import FlaskParser
from werkzeug.routing import IntegerConverter

from market import db
from market.api.fields import MAX_ID, paginate

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


class _Parser(FlaskParser):
    """Unknown query parameters are refused like unknown body fields: a typo never goes unnoticed."""

    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": RAISE,
        "querystring": RAISE,
    }


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
        """Commit the request's one transaction when the view has done its work (views that write)."""

        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            result = view(*args, **kwargs)
            db.session.commit()
            return result

        return wrapper
