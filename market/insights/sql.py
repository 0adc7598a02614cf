"""The few SQL pieces the dashboard's aggregates need that SQLite and PostgreSQL spell differently,
and time buckets written as portable CASE expressions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Float, case, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement


class days_between(FunctionElement):  # noqa: N801 (an SQL function, named as one)
    """Days (fractional) from the first timestamp to the second, in SQL."""

    type = Float()
    inherit_cache = True


@compiles(days_between)
def _days_between_sqlite(element, compiler, **kw):
    start, end = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"(julianday({end}) - julianday({start}))"


@compiles(days_between, "postgresql")
def _days_between_postgresql(element, compiler, **kw):
    start, end = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 86400.0)"


def bucket(column, starts: Sequence[dt.datetime | float]) -> ColumnElement[int]:
    """Which of the ranges beginning at `starts` (ascending, each ending where the next begins; the
    caller bounds the last) `column` falls in, as its index; -1 before the first. For months and
    buckets of counts or days alike, in plain SQL."""
    return case(*[(column >= start, literal(i)) for i, start in reversed(list(enumerate(starts)))],
                else_=literal(-1))
