"""Shared schema pieces: local-time datetimes, vocabularies from config, pagination."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from flask import current_app
from marshmallow import Schema, ValidationError, fields, utils, validate
from sqlalchemy import func, select

from market.db import utcnow
from market.i18n import N_
from market.text import REASON_MAX, says_nothing
from market.timezone import local_isoformat, local_zone

MAX_ID = 2**31 - 1  # PostgreSQL's integer


class Function(fields.Function):
    """marshmallow's Function field, but whether the function takes the context is found once:
    marshmallow asks `inspect` on every value (40 times for a page of 20 orders, about a
    millisecond and a half of the request)."""

    def __init__(self, serialize=None, deserialize=None, **kwargs):
        super().__init__(serialize, deserialize, **kwargs)
        self._with_context = {func: len(utils.get_func_args(func)) > 1
                              for func in (self.serialize_func, self.deserialize_func) if func}

    def _call_or_raise(self, func, value, attr):
        if self._with_context[func]:
            return super()._call_or_raise(func, value, attr)
        return func(value)


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
            return parsed.astimezone(dt.UTC)
        except (OverflowError, ValueError) as exc:
            raise ValidationError(N_("Not a usable date and time.")) from exc


class DateFilter(LocalDateTime):
    """A time filter that also takes a plain date (YYYY-MM-DD, a day in local time): as a lower
    bound the day's first moment, as an upper bound its last, so the whole day is in."""

    def __init__(self, *, upper: bool, **kwargs):
        self.upper = upper
        kwargs.setdefault("metadata", {}).setdefault(
            "description",
            f"a local date and time, or a plain date (the {'end' if upper else 'start'} of that day)",
        )
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value, re.ASCII):
            try:
                day = dt.date.fromisoformat(value)
            except ValueError as exc:
                raise ValidationError("Not a valid date.") from exc
            moment = dt.datetime.combine(
                day, dt.time.max if self.upper else dt.time.min, tzinfo=local_zone()
            )
            try:
                return moment.astimezone(dt.UTC)
            except (OverflowError, ValueError) as exc:  # 0001-01-01 in UTC is before year 1
                raise ValidationError(N_("Not a usable date.")) from exc
        return super()._deserialize(value, attr, data, **kwargs)


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


class Text(Trimmed):
    """Required text (a title, a name, a question, an answer, a reason): it must say something.

    Text of only whitespace or invisible characters is refused, not stored; the length counts
    the text as given, without its surrounding whitespace.
    """

    def __init__(self, *, max_length: int, min_length: int = 1, **kwargs):
        super().__init__(validate=validate.Length(min=min_length, max=max_length), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if says_nothing(text):
            raise ValidationError("Must not be empty (nor only spaces or invisible characters).")
        return text


def Reason(**kwargs) -> fields.String:
    """Why a coordinator or administrator decided something: real text, not just spaces."""
    return Text(max_length=REASON_MAX, **kwargs)


def Note(**kwargs) -> fields.String:
    """An internal note beside a decision's reason: for coordinators only, never shown to the vendor."""
    return Trimmed(allow_none=True, validate=validate.Length(max=REASON_MAX), **kwargs)


class Amount(fields.Decimal):
    """Money exactly as written: ASCII digits with at most `places` decimals, as a string or a number.

    Python's Decimal would also read other scripts' digits ("٨٣٤٥٦"), full-width ones ("０.３５")
    and exponents ("8.3456e4"), and a `places` field would round "83456.009" up, raising a
    ceiling nobody wrote: all of these are refused instead.
    """

    def __init__(self, *, places: int, **kwargs):
        self.decimals = places
        # Zeros after the last place are allowed: "0.350000" is 0.35, nothing is rounded.
        self._pattern = re.compile(rf"[0-9]+(\.[0-9]{{1,{places}}}0*)?", re.ASCII)
        # places: dumped with exactly that many; loading never rounds, the digits were checked first.
        super().__init__(places=places, as_string=True, allow_nan=False, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
            raise ValidationError("Must be a number or a string of digits, e.g. \"1234.50\".")
        # A JSON number comes as a Decimal with the literal it was written as (market.api.openapi's
        # parser), so an exponent or a decimal too many is seen as sent.
        text = repr(value) if isinstance(value, float) else getattr(value, "literal", str(value))
        if not self._pattern.fullmatch(text):
            raise ValidationError(
                f"Must be digits 0-9 with at most {self.decimals} decimal places, "
                "e.g. \"1234.50\" (no exponent, no rounding)."
            )
        return super()._deserialize(text, attr, data, **kwargs)


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


# From this offset on, a page's ids are found first and only its rows read whole ("deferred
# join"): skipping the rows before it then walks an index, not the table.
DEFERRED_OFFSET = 500


def paginate(session, stmt, page: int, per_page: int) -> dict:
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    offset = (page - 1) * per_page
    entity = _listed_entity(stmt)
    if offset >= DEFERRED_OFFSET and entity is not None:
        ids = session.scalars(stmt.with_only_columns(entity.id).limit(per_page).offset(offset)).all()
        rows = {row.id: row for row in session.scalars(stmt.where(entity.id.in_(ids)))} if ids else {}
        items = [rows[i] for i in ids if i in rows]
    else:
        items = session.scalars(stmt.limit(per_page).offset(offset)).all()
    return {
        "items": items,
        "meta": {
            "page": page,
            "per_page": per_page,
            "total": total,
            "pages": -(-total // per_page),
        },
    }


def _listed_entity(stmt):
    """The mapped class a Select lists, when it lists one with an `id` (else None)."""
    described = stmt.column_descriptions
    if len(described) != 1:
        return None
    entity = described[0].get("entity")
    return entity if entity is not None and described[0].get("type") is entity and hasattr(entity, "id") else None
