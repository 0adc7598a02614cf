"""Form input through the API's own schemas: the same rules, field errors back to the form."""

from __future__ import annotations

from marshmallow import Schema, ValidationError
from werkzeug.datastructures import MultiDict

from market.errors import flatten_errors


def load_form(schema: Schema, form: MultiDict, *, lists: tuple[str, ...] = ()) -> tuple[dict, dict]:
    """(data, {}) when `form` passes `schema`, else ({}, the flat field map of the API's 422).

    Empty inputs are left out (a browser sends every field of a form); `lists` names the fields
    given as several values (checkboxes, a multiple select).
    """
    raw = {key: value for key, value in form.items() if value.strip() != "" and key != "csrf_token"}
    for name in lists:
        values = [value for value in form.getlist(name) if value.strip()]
        if values:
            raw[name] = values
        else:
            raw.pop(name, None)
    try:
        return schema.load(raw, unknown="exclude"), {}
    except ValidationError as error:
        return {}, flatten_errors(error.messages)
