"""Database plumbing: the declarative Base, the engine per app, and the request-scoped session."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import Flask, current_app, g
from sqlalchemy import JSON, DateTime, MetaData, Numeric, create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator
from werkzeug.local import LocalProxy

from market.settings import SESSION_KEY, Settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator):
    """Timestamps stored as naive UTC and always returned timezone-aware.

    SQLite has no time zones, so storing naive UTC everywhere keeps both databases alike and
    makes comparisons in SQL correct on both.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC)


class Money(TypeDecorator):
    """CNY amounts as Decimal with two places."""

    impl = Numeric(14, 2)
    cache_ok = True

    def process_result_value(self, value, dialect):
        return None if value is None else Decimal(value).quantize(Decimal("0.01"))


class UnitPrice(TypeDecorator):
    """Per-unit CNY prices, which are often fractions of a yuan (e.g. 0.35 per box)."""

    impl = Numeric(12, 4)
    cache_ok = True

    def process_result_value(self, value, dialect):
        return None if value is None else Decimal(value).quantize(Decimal("0.0001"))


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        dt.datetime: UTCDateTime,
        dict: JSON,
        list: JSON,
    }


def _sqlite_pragmas(engine: Engine) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINTs (used by the per-test rollback and
    # by nested writes), so let SQLAlchemy emit BEGIN itself, as its docs recommend.
    file_backed = engine.url.database not in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        if file_backed:
            # WAL lets readers carry on while one transaction writes.
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # SQLite has no SELECT ... FOR UPDATE. BEGIN IMMEDIATE takes the write lock up front, so
        # two transactions never both read a row and then race to change it (and never deadlock
        # upgrading a read lock); the others wait for busy_timeout. This is what makes the row
        # locks of the services hold on the single-machine default too.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, *, pool_size: int = 5, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url, echo=echo, connect_args={"check_same_thread": False, "timeout": 10}
        )
        _sqlite_pragmas(engine)
        return engine
    return create_engine(
        url, echo=echo, pool_size=pool_size, max_overflow=pool_size * 2, pool_pre_ping=True
    )


class Database:
    """Holds one app's engine and session factory; tests rebind it to a connection.

    Every session it makes carries the programme's settings (market.settings), so the services
    given the session know the home region and time zone without an app context.
    """

    def __init__(self, engine: Engine, settings: Settings | None = None) -> None:
        self.engine = engine
        self.settings = settings or Settings()
        self.bind_to(None)

    def bind_to(self, connection: Connection | None) -> None:
        """Make new sessions join `connection` (a test's outer transaction), or the engine again."""
        info = {SESSION_KEY: self.settings}
        if connection is None:
            self.sessionmaker = sessionmaker(bind=self.engine, expire_on_commit=False, info=info)
        else:
            self.sessionmaker = sessionmaker(
                bind=connection,
                expire_on_commit=False,
                join_transaction_mode="create_savepoint",
                info=info,
            )


def init_app(app: Flask, settings: Settings) -> None:
    url = app.config["DATABASE_URL"]
    app.extensions["market.db"] = Database(
        make_engine(
            url, pool_size=app.config["DATABASE_POOL_SIZE"], echo=app.config["DATABASE_ECHO"]
        ),
        settings,
    )
    app.teardown_appcontext(_close_session)


def database() -> Database:
    return current_app.extensions["market.db"]


def _get_session() -> Session:
    if "db_session" not in g:
        g.db_session = database().sessionmaker()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.close()


#: The session of the current request or app context; views and jobs commit it once.
session: Session = LocalProxy(_get_session)  # type: ignore[assignment]
