"""Database plumbing: the declarative Base, the engine per app, and the request-scoped session."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
from collections.abc import Callable
from decimal import Decimal

from flask import Flask, current_app, g
from sqlalchemy import JSON, DateTime, MetaData, Numeric, create_engine, event, make_url, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator
from werkzeug.local import LocalProxy

from market.settings import SESSION_KEY, Settings

log = logging.getLogger(__name__)

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


def make_engine(
    url: str,
    *,
    pool_size: int = 5,
    echo: bool = False,
    connect_timeout: int = 5,
    pool_timeout: float = 5,
    statement_timeout_ms: int = 15000,
) -> Engine:
    """The engine; on PostgreSQL with timeouts, so a database that stops answering fails fast.

    A worker that waits for a connection (`pool_timeout`), to connect (`connect_timeout`) or for a
    statement (`statement_timeout_ms`, lock waits included) gives up after that long and the
    request is answered 503, instead of every thread hanging until gunicorn's own timeout.
    """
    if url.startswith("sqlite"):
        engine = create_engine(
            url, echo=echo, connect_args={"check_same_thread": False, "timeout": 10}
        )
        _sqlite_pragmas(engine)
        return engine
    return create_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size * 2,
        pool_pre_ping=True,
        pool_timeout=pool_timeout,
        connect_args=_postgres_connect_args(url, connect_timeout, statement_timeout_ms),
    )


def _postgres_connect_args(url: str, connect_timeout: int, statement_timeout_ms: int) -> dict:
    # The timeout joins the URL's own server options (a search_path, say): connect_args would
    # replace them otherwise.
    given = make_url(url).query.get("options", "")
    options = [*([given] if isinstance(given, str) else given),
               f"-c statement_timeout={int(statement_timeout_ms)}"]
    return {"connect_timeout": connect_timeout, "options": " ".join(o for o in options if o)}


# SQLSTATEs of a server that is going away or not there yet: admin shutdown, crash shutdown,
# cannot connect now (starting up), and the connection exceptions (class 08).
_GONE_STATES = ("57P01", "57P02", "57P03", "08")


def _sqlstate(error: DBAPIError) -> str:
    return getattr(error.orig, "sqlstate", None) or ""


def is_disconnect(error: BaseException) -> bool:
    """The connection was lost or could not be made: a moment later the same work may succeed."""
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    state = _sqlstate(error)
    if state:
        return state.startswith(_GONE_STATES)
    # psycopg's "connection refused" and "server closed the connection" carry no SQLSTATE.
    return isinstance(error, OperationalError) and "sqlite" not in type(error.orig).__module__


def is_unavailable(error: BaseException) -> bool:
    """The database cannot serve now (down, restarting, too slow, busy): 503, not a bug (500).

    Every OperationalError of PostgreSQL is one (lost connections, shutdown, start-up, statement
    or lock timeouts, too many connections), as is a pool with no connection to give in time;
    of SQLite only "database is locked/busy", since its other ones are the program's mistakes.
    """
    if isinstance(error, PoolTimeout) or is_disconnect(error):
        return True
    if not isinstance(error, OperationalError):
        return False
    if "sqlite" in type(error.orig).__module__:
        message = str(error.orig).lower()
        return "locked" in message or "busy" in message
    return True


class Database:
    """Holds one app's engine and session factory; tests rebind it to a connection.

    Every session it makes carries the programme's settings (market.settings), so the services
    given the session know the home region and time zone without an app context.
    """

    def __init__(
        self, engine: Engine, settings: Settings | None = None, *, reconnect_seconds: float = 3
    ) -> None:
        self.engine = engine
        self.settings = settings or Settings()
        self.reconnect_seconds = reconnect_seconds
        self.bind_to(None)

    def wait_until_reachable(self) -> bool:
        """Try to connect for up to `reconnect_seconds` (a restart takes a second or two)."""
        if self.engine.dialect.name == "sqlite":
            return True  # a file on this machine: nothing restarts, and a lock is waited for anyway
        deadline = time.monotonic() + self.reconnect_seconds
        pause = 0.1
        while True:
            try:
                with self.engine.connect() as conn:
                    conn.execute(text("SELECT 1"))
                return True
            except SQLAlchemyError as exc:
                if not is_unavailable(exc) or time.monotonic() + pause > deadline:
                    return False
            time.sleep(pause)
            pause = min(pause * 2, 0.5)

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
            url,
            pool_size=app.config["DATABASE_POOL_SIZE"],
            echo=app.config["DATABASE_ECHO"],
            connect_timeout=app.config["DATABASE_CONNECT_TIMEOUT"],
            pool_timeout=app.config["DATABASE_POOL_TIMEOUT"],
            statement_timeout_ms=app.config["DATABASE_STATEMENT_TIMEOUT_MS"],
        ),
        settings,
        reconnect_seconds=app.config["DATABASE_RECONNECT_SECONDS"],
    )
    app.teardown_appcontext(_close_session)


def database() -> Database:
    return current_app.extensions["market.db"]


def _get_session() -> Session:
    if "db_session" not in g:
        g.db_session = database().sessionmaker()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    """End the request's session; a connection that died after the commit only gets a warning.

    The response has been built by then, and a write that was committed must be reported as done:
    an exception here would make the server answer its own 500 instead.
    """
    failure = _end(g.pop("db_session", None))
    if failure is not None:
        log.warning("closing the session failed: %s request_id=%s", describe(failure),
                    g.get("request_id", "-"))


def _end(db_session: Session | None) -> SQLAlchemyError | None:
    """Close `db_session`; when its connection is dead, invalidate it and say why instead."""
    if db_session is None:
        return None
    try:
        db_session.close()
        return None
    except SQLAlchemyError as exc:
        try:
            db_session.invalidate()
        except SQLAlchemyError:  # the connection is gone already; nothing left to release
            pass
        return exc


def describe(error: BaseException) -> str:
    """One line on a database error, for the log: its class and the driver's first line."""
    cause = getattr(error, "orig", None) or error
    first = (str(cause).strip().splitlines() or [""])[0][:200]
    return f"{type(cause).__name__}: {first}" if first else type(cause).__name__


def retry_once_on_disconnect(work: Callable) -> Callable:
    """Run `work` again, once, on a fresh session when its connection was lost.

    For reads and the token lookup, which change nothing, so running them twice is harmless: a
    database that restarts quickly goes unnoticed by their callers. The retry waits for the
    database to come back for up to DATABASE_RECONNECT_SECONDS; a second failure propagates (503).
    """

    @functools.wraps(work)
    def wrapper(*args, **kwargs):
        try:
            return work(*args, **kwargs)
        except DBAPIError as exc:
            if not is_disconnect(exc) or g.get("db_retried"):
                raise
            g.db_retried = True
            log.info("database connection lost (%s); retrying once request_id=%s",
                     describe(exc), g.get("request_id", "-"))
            _discard_session()
            database().wait_until_reachable()
            return work(*args, **kwargs)

    return wrapper


def _discard_session() -> None:
    """Drop the request's session and what was loaded with it (the signed-in user, say)."""
    _end(g.pop("db_session", None))  # the failure was logged by the caller
    for key in ("current_user", "current_token"):
        g.pop(key, None)


#: The session of the current request or app context; views and jobs commit it once.
session: Session = LocalProxy(_get_session)  # type: ignore[assignment]
