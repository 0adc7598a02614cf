"""Shared schema pieces: local-time datetimes, vocabularies from config, pagination."""

from __future__ import annotations

import datetime as dt

from flask import current_app
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import func, select

from market.db import utcnow
from market.timezone import local_isoformat, local_zone

MAX_ID = 2**31 - 1  # PostgreSQL's integer


class LocalDateTime(fields.DateTime):
    """Stored in UTC, shown in the programme's time zone; input without an offset is local time."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return local_isoformat(value)

    def _deserialize(self, value, attr, data, **kwargs):
        parsed = super()._deserialize(value, attr, data, **kwargs)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=local_zone())
        try:
            return parsed.astimezone(dt.timezone.utc)
        except (OverflowError, ValueError) as exc:
            raise ValidationError("Not a usable date and time.") from exc


class Vocabulary(fields.String):
    """A string that must be one of a configured vocabulary (sectors, modalities, ...)."""

    def __init__(self, vocabulary: str, **kwargs):
        self.vocabulary = vocabulary
        super().__init__(**kwargs)
        self.metadata.setdefault("description", f"one of the configured {vocabulary}")

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        allowed = current_app.config["VOCABULARY"][self.vocabulary]
        if value not in allowed:
            raise ValidationError(f"Must be one of: {', '.join(allowed)}.")
        return value


class Trimmed(fields.String):
    """A string with surrounding whitespace removed on input, so that "   " counts as empty."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


def Reason(**kwargs) -> fields.String:
    """Why a coordinator or administrator decided something: real text, not just spaces."""
    return Trimmed(
        validate=validate.Length(min=1, max=2000, error="Give a reason of 1 to 2000 characters (not only spaces)."),
        **kwargs,
    )


def Id(**kwargs) -> fields.Integer:
    """A reference to another object by id; bounded so the database never sees an overflowing value."""
    return fields.Integer(validate=validate.Range(min=1, max=MAX_ID), strict=True, **kwargs)


def QueryId(**kwargs) -> fields.Integer:
    """`Id` for query strings: they arrive as text, which a strict integer would always refuse."""
    return fields.Integer(validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def future(value: dt.datetime) -> None:
    if value <= utcnow():
        raise ValidationError("Must be in the future.")


class PageQuerySchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class PageMetaSchema(Schema):
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    pages = fields.Integer()


def page_schema(item_schema: type[Schema], name: str) -> type[Schema]:
    """A response schema `{items: [...], meta: {...}}` for a paginated list of `item_schema`."""
    return type(name, (Schema,), {
        "items": fields.List(fields.Nested(item_schema)),
        "meta": fields.Nested(PageMetaSchema),
    })


def paginate(session, stmt, page: int, per_page: int) -> dict:
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    items = session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return {
        "items": items,
        "meta": {"page": page, "per_page": per_page, "total": total, "pages": -(-total // per_page)},
    }
