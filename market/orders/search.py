"""Indexed text search of the directory that works for Chinese queries of one or two characters.

Chinese has no spaces between words, and trigram indexes (pg_trgm, FTS5's trigram tokenizer)
cannot look up a query shorter than three characters, which is most Chinese words (车辆, 医学).
So every order keeps `search_terms`: the distinct single characters and pairs of adjacent
characters of its title and public description, lowercased, separated by spaces, written
whenever the order is (a mapper event, so no writer can forget it). A query is turned into the
same grams; an order is a candidate when it has all of them, found through an index:

* PostgreSQL: the column is a text[] there, with a GIN index, queried with `@>`;
* SQLite: an FTS5 table over the column (the `ascii` tokenizer, which splits on the spaces only,
  so each term is one token), kept by triggers, queried with MATCH.

Candidates are then checked with the substring test the directory always had (`icontains` on
the title and the public description), so both databases return exactly what a scan would; a
query that is a single gram without case (车辆, 车, 12) needs no check: having the gram is
containing the query.
"""

from __future__ import annotations

from sqlalchemy import Text, cast, literal, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.sqltypes import NULLTYPE
from sqlalchemy.types import TypeDecorator

# The schema objects outside the models' metadata (compare_metadata must leave them alone).
FTS_TABLE = "orders_search"
GIN_INDEX = "ix_orders_search_terms"


class SearchTerms(TypeDecorator):
    """The terms as one space-separated string in Python; a text[] on PostgreSQL, text elsewhere."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.ARRAY(Text))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value, dialect):
        if dialect.name == "postgresql":
            return (value or "").split()
        return value

    def process_result_value(self, value, dialect):
        if dialect.name == "postgresql":
            return " ".join(value or ())
        return value


def _grams(text_: str) -> set[str]:
    """Single characters and adjacent pairs within runs of letters and digits."""
    grams: set[str] = set()
    run = ""
    for ch in text_.lower() + " ":
        if ch.isalnum():
            run += ch
            continue
        grams.update(run)
        grams.update(run[i:i + 2] for i in range(len(run) - 1))
        run = ""
    return grams


def terms(title: str | None, description: str | None, hidden_fields: dict | None) -> str:
    """What `search_terms` holds for an order: a private description is not searchable."""
    text_ = title or ""
    if description and "description" not in (hidden_fields or {}):
        text_ += " " + description
    return " ".join(sorted(_grams(text_)))


def query_grams(q: str) -> list[str]:
    """The grams every order containing `q` has: its pairs, or its single characters where a run
    is one character long. Empty when `q` has no letter or digit (then only the scan can tell)."""
    grams: set[str] = set()
    run = ""
    for ch in q.lower() + " ":
        if ch.isalnum():
            run += ch
            continue
        if len(run) > 1:
            grams.update(run[i:i + 2] for i in range(len(run) - 1))
        else:
            grams.update(run)
        run = ""
    return sorted(grams)


def is_exact(q: str, grams: list[str]) -> bool:
    """Whether having the grams is containing `q`: it is one gram, with no upper or lower case."""
    return grams == [q] and q.lower() == q.upper()


class HasTerms(ColumnElement):
    """SQL: the order's search_terms hold every gram (indexed on both databases)."""

    inherit_cache = False
    type = NULLTYPE  # not Boolean: SQLite would compare the whole test with 1

    def __init__(self, id_column, terms_column, grams: list[str]):
        self.id_column = id_column
        self.terms_column = terms_column
        self.grams = list(grams)


@compiles(HasTerms, "postgresql")
def _postgresql(element, compiler, **kw):
    wanted = cast(postgresql.array([literal(g, Text) for g in element.grams]), postgresql.ARRAY(Text))
    return compiler.process(element.terms_column.op("@>")(wanted), **kw)


@compiles(HasTerms)
def _sqlite(element, compiler, **kw):
    match = " ".join('"' + g.replace('"', '""') + '"' for g in element.grams)
    rows = select(text("rowid")).select_from(text(FTS_TABLE)).where(
        text(f"{FTS_TABLE} MATCH :fts_match").bindparams(fts_match=match))
    return compiler.process(element.id_column.in_(rows.scalar_subquery()), **kw)


# The migration's DDL, here beside the code that queries it.
POSTGRESQL_DDL = (f"CREATE INDEX {GIN_INDEX} ON orders USING gin (search_terms)",)
POSTGRESQL_DROP = (f"DROP INDEX IF EXISTS {GIN_INDEX}",)
SQLITE_DDL = (
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(search_terms, content='orders', content_rowid='id', "
    "tokenize='ascii')",
    f"CREATE TRIGGER {FTS_TABLE}_ai AFTER INSERT ON orders BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, search_terms) VALUES (new.id, new.search_terms); END",
    f"CREATE TRIGGER {FTS_TABLE}_ad AFTER DELETE ON orders BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_terms) VALUES ('delete', old.id, old.search_terms); END",
    f"CREATE TRIGGER {FTS_TABLE}_au AFTER UPDATE OF search_terms ON orders BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_terms) VALUES ('delete', old.id, old.search_terms); "
    f"INSERT INTO {FTS_TABLE}(rowid, search_terms) VALUES (new.id, new.search_terms); END",
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')",
)
SQLITE_DROP = (
    *(f"DROP TRIGGER IF EXISTS {FTS_TABLE}_{suffix}" for suffix in ("ai", "ad", "au")),
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
)


def is_extra(name: str | None) -> bool:
    """A schema object this module made that the models do not describe."""
    return bool(name) and (name == GIN_INDEX or name.startswith(FTS_TABLE))


def include_name(name, _type, _parents) -> bool:
    """For Alembic's comparison of the database with the models: leave this module's objects out."""
    return not is_extra(name)


def copy_literal(value: str) -> str:
    """The terms as a PostgreSQL array literal (for COPY): each quoted."""
    return "{" + ",".join('"' + g.replace("\\", "\\\\").replace('"', '\\"') + '"' for g in value.split()) + "}"
