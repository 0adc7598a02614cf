"""A fresh, empty, migrated database beside the test one: for the demo seed and concurrency tests.

The per-test rollback cannot serve them: seeding needs an empty database, and two connections
racing for rows need rows both can see. On SQLite it is a new file; on PostgreSQL a new database
on the same server, dropped afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from config.settings import TestingConfig
from market import create_app
from market.migrations import upgrade


@contextmanager
def fresh_database(base_url: str, folder: Path) -> Iterator[str]:
    """The URL of a new migrated database next to `base_url`, removed on exit."""
    if not base_url.startswith("postgresql"):
        url = f"sqlite:///{folder / f'fresh-{uuid.uuid4().hex[:8]}.sqlite3'}"
        upgrade(url)
        yield url
        return
    name = f"market_fresh_{uuid.uuid4().hex[:12]}"
    server = create_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except DBAPIError as exc:
        server.dispose()
        pytest.skip(f"cannot create a scratch database on the test server: {exc.orig}")
    try:
        url = make_url(base_url).set(database=name).render_as_string(hide_password=False)
        upgrade(url)
        yield url
    finally:
        with server.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.dispose()


@contextmanager
def fresh_app(base_url: str, folder: Path) -> Iterator:
    """An app of its own on a fresh database (its own engine, no per-test rollback)."""
    with fresh_database(base_url, folder) as url:
        app = create_app(TestingConfig(url, INSTANCE_PATH=str(folder / "instance")))
        try:
            yield app
        finally:
            app.extensions["market.db"].engine.dispose()
