"""Form input through the API's own schemas: the same rules, field errors back to the form."""

from __future__ import annotations

import re

from flask_babel import get_locale
from marshmallow import Schema, ValidationError
from marshmallow import fields as ma_fields
from werkzeug.datastructures import MultiDict

from market import db
from market.errors import BODY, DomainError, flatten_errors


def refusal(error: DomainError) -> dict[str, list[str]]:
    """What a form shows of a service's refusal, with nothing stored: bad input beside its fields;
    anything else (someone else decided first, a change of state not allowed) as its message at
    the top, in the reader's language. A conflict's fields hold codes for programs, not people."""
    db.session.rollback()
    if error.status_code == 422 and error.errors:
        return error.errors
    return {BODY: [error.said(get_locale().language)]}


def load_form(schema: Schema, form: MultiDict, *, lists: tuple[str, ...] = (),
              lines: tuple[str, ...] = ()) -> tuple[dict, dict]:
    """(data, {}) when `form` passes `schema`, else ({}, the flat field map of the API's 422).

    Field names are the API's paths (`vendor_profile.seats`), so the error of a field comes back
    under its own name. Empty inputs are left out (a browser sends every field of a form); `lists`
    names the fields shown as a set of checkboxes, given even when none is ticked; `lines` the
    lists typed in a text area, one item a line.
    """
    raw: dict = {}
    for key, value in form.items():
        if key == "csrf_token" or key in lists or value.strip() == "":
            continue
        if key in lines:
            _put(raw, key, [line.strip() for line in value.splitlines() if line.strip()])
        else:
            _put(raw, key, _typed(schema, key, value.strip()))
    for name in lists:
        _put(raw, name, [_typed(schema, name, value.strip()) for value in form.getlist(name)
                         if value.strip()])
    try:
        return schema.load(raw, unknown="exclude"), {}
    except ValidationError as error:
        return {}, flatten_errors(error.messages)


def _typed(schema: Schema, path: str, value: str):
    """A form's text as the JSON value the API would get: the API's integers are strict (1.5 is
    not 1), and a browser sends every number as text."""
    field = None
    for name in path.split("."):
        fields_ = schema.fields if field is None else getattr(field, "schema", None)
        field = fields_.fields.get(name) if isinstance(fields_, Schema) else (fields_ or {}).get(name)
        if field is None:
            return value
    if isinstance(field, ma_fields.List):  # an item of a list of checkboxes
        field = field.inner
    if isinstance(field, ma_fields.Integer) and re.fullmatch(r"[+-]?[0-9]+", value):
        return int(value)
    return value


def _put(raw: dict, path: str, value) -> None:
    *parents, name = path.split(".")
    for parent in parents:
        raw = raw.setdefault(parent, {})
    raw[name] = value
