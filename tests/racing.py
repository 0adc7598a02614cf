"""Truly concurrent requests against PostgreSQL: an app with its own pool behind a threaded server.

Racing requests must commit, and committed rows would show up in every later test that counts
what it sees (the directory, the audit trail); so the racing app works in a schema of its own in
the test database, migrated once per run and dropped with it. No rows are ever deleted.
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, make_url, text

from config import settings
from market import create_app
from market.accounts import services as accounts
from market.migrations import upgrade
from tests.factories import ALL_FACTORIES, OrderFactory, UserFactory, VendorFactory, able_to
from tests.loopback import serving

RACERS = 10


@pytest.fixture(scope="session")
def race_database_url(database_url):
    """The test database, seen through a schema of its own, migrated like the main one.

    The racing requests must commit, and committed rows would show up in every later test that
    counts what it sees (the public directory, the audit trail); a private schema keeps them apart
    in the same database, and dropping it throws the racing data away with the run.
    """
    schema = f"races_{uuid.uuid4().hex[:12]}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(database_url).update_query_dict({"options": f"-csearch_path={schema}"})
    url = url.render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def race_app(race_database_url, tmp_path):
    """An app with its own engine and pool, so each racing request has its own connection."""
    racing = create_app(
        settings.TestingConfig(
            race_database_url,
            INSTANCE_PATH=str(tmp_path / "instance"),
            DATABASE_POOL_SIZE=RACERS + 2,
        )
    )
    yield racing
    racing.extensions["market.db"].engine.dispose()


@pytest.fixture
def race_server(race_app):
    with serving(race_app, threaded=True) as base:
        yield base


class Committed:
    """Test data written through the racing app's own session and committed, for all to see."""

    def __init__(self, app):
        self.app = app

    def __enter__(self):
        self.context = self.app.app_context()
        self.context.push()
        self.session = self.app.extensions["market.db"].sessionmaker()
        for f in ALL_FACTORIES:
            f._meta.sqlalchemy_session = self.session
        return self

    def firm(self):
        """A verified firm able to do the factories' orders (image / bbox)."""
        firm = VendorFactory()
        able_to(firm)
        return firm

    def order(self, **kwargs):
        return OrderFactory(**kwargs)

    def token(self, firm) -> str:
        """A live token of a new staff member of `firm`."""
        return self.user_token("vendor", firm)

    def __exit__(self, exc_type, *_):
        for f in ALL_FACTORIES:
            f._meta.sqlalchemy_session = None
        if exc_type is None:
            self.session.commit()
        self.session.close()
        self.context.pop()

    def user_token(self, role: str, organization) -> str:
        """A live token of a new user with `role` in `organization`."""
        user = UserFactory(role=role, organization=organization)
        token, _row = accounts.issue_token(self.session, user, ttl_hours=1)
        return token


def all_at_once(calls) -> list[int]:
    """Run every call in its own thread, released together, and return the status codes in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait(timeout=30)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return [response.status_code for response in pool.map(run, calls)]


