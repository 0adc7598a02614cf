"""Test fixtures: migrations once per run, a rolled-back transaction per test, and API clients."""

from __future__ import annotations

import contextvars
import json
import os
from contextlib import contextmanager
from urllib.parse import urlencode

import pytest
import requests

from config.settings import TestingConfig
from market import create_app
from market.migrations import upgrade
from tests.loopback import serving

pytest_plugins = ["tests.factories", "tests.racing"]


def pytest_report_header(config):
    return f"database: {_database_kind()}"


def _database_kind() -> str:
    url = os.environ.get("MARKET_TEST_DATABASE_URL", "")
    return "postgresql" if url.startswith("postgresql") else "sqlite"


def pytest_collection_modifyitems(config, items):
    if _database_kind() == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (row locks); runs in the PostgreSQL pass")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("MARKET_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    upgrade(database_url)  # the migrations are what the tests run against, never create_all
    app = create_app(
        TestingConfig(database_url, INSTANCE_PATH=str(tmp_path_factory.mktemp("instance")))
    )
    yield app
    app.extensions["market.db"].engine.dispose()


@pytest.fixture(scope="session")
def live_server(app):
    """The app behind a real HTTP server on loopback, one request at a time."""
    with serving(app) as base:
        yield base


@contextmanager
def outer_transaction(app):
    """An outer transaction the app's sessions join with savepoints; rolled back at the end."""
    database = app.extensions["market.db"]
    conn = database.engine.connect()
    outer = conn.begin()
    database.bind_to(conn)
    try:
        yield conn
    finally:
        database.bind_to(None)
        outer.rollback()
        conn.close()


@pytest.fixture
def connection(app):
    """One outer transaction per test, rolled back after it."""
    with outer_transaction(app) as conn:
        yield conn


@pytest.fixture
def db_session(app, connection):
    with app.app_context():
        session = app.extensions["market.db"].sessionmaker()
        yield session
        session.close()


class _Verbs:
    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def put(self, path, **kwargs):
        return self.request("PUT", path, **kwargs)

    def patch(self, path, **kwargs):
        return self.request("PATCH", path, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)


class ClientResponse:
    """A test client response read the way `requests` reads one: `.json()` is a method."""

    def __init__(self, response):
        self.raw = response
        self.status_code = response.status_code
        self.headers = response.headers
        self.content = response.get_data()

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.content)


class ApiClient(_Verbs):
    """Requests through the Flask test client, with an optional bearer token.

    The interface of `requests` that the tests use: `json=`, `data=`, `params=`, `headers=`, plus
    `token=` and `remote_addr=` (the client's address as the server would see it). Each request runs
    in an empty context, as on a server thread: otherwise Flask would reuse the app context a test
    pushed (the `db_session` fixture does) and requests would share its `g`, with the signed-in user
    and the request's database session.
    """

    def __init__(self, app):
        self.app = app
        self.client = app.test_client()

    def request(self, method: str, path: str, token: str | None = None, headers: dict | None = None,
                params: dict | None = None, remote_addr: str | None = None, **kwargs):
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if params:
            path += ("&" if "?" in path else "?") + urlencode(params, doseq=True)
        environ = {"REMOTE_ADDR": remote_addr} if remote_addr else {}
        response = contextvars.Context().run(
            self.client.open,
            path,
            method=method,
            headers=headers,
            environ_base=environ,
            buffered=True,
            **kwargs,
        )
        return ClientResponse(response)


class LiveClient(_Verbs):
    """Real HTTP requests to the live server, with an optional bearer token."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.http = requests.Session()

    def request(
        self,
        method: str,
        path: str,
        token: str | None = None,
        headers: dict | None = None,
        **kwargs,
    ):
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.request(
            method, self.base_url + path, headers=headers, timeout=30, **kwargs
        )


@pytest.fixture
def api(app, connection) -> ApiClient:
    """The JSON API through the Flask test client, inside the test's rolled-back transaction."""
    return ApiClient(app)


@pytest.fixture
def live_api(live_server, connection) -> LiveClient:
    """The JSON API over real HTTP, for what needs a server: bodies streamed in chunks."""
    return LiveClient(live_server)


def assert_error(response, status: int, *fields: str) -> dict:
    """The one error shape, with the given status, and field messages for `fields`."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"code", "status", "message", "errors"}, body
    assert body["code"] == status
    assert isinstance(body["message"], str) and body["message"]
    errors = body["errors"]
    # One flat map from each field's path to its messages, whatever the input's location.
    assert all(isinstance(k, str) and isinstance(v, list) and all(isinstance(m, str) for m in v)
               for k, v in errors.items()), errors
    for field in fields:
        # The field itself, or one inside it (`weights` for `weights.quality`, `capabilities[0]`).
        assert any(key == field or key.startswith((f"{field}.", f"{field}[")) for key in errors), (
            field,
            body,
        )
    return body


def match(api, token: str, json: dict | None = None, *, now=None) -> dict:
    """Queue a match run through the API (202), run the scheduler's job, and read the run back."""
    from market.jobs.runner import run_job

    queued = api.post("/api/v1/match-runs", json=json or {}, token=token)
    assert queued.status_code == 202, queued.text
    assert queued.json()["status"] == "queued"
    record = run_job(api.app, "match-runs", now=now)
    assert record.outcome == "succeeded", record.error
    return api.get(f"/api/v1/match-runs/{queued.json()['id']}", token=token).json()


@pytest.fixture
def cached(app, monkeypatch):
    """The worker's cache on, reading the version on every request (as in production, but at once)."""
    monkeypatch.setitem(app.config, "DIRECTORY_CACHE_ENTRIES", 16)
    monkeypatch.setitem(app.config, "DIRECTORY_VERSION_RECHECK_SECONDS", 0)
    app.extensions.pop("market.directory_cache", None)
    yield
    app.extensions.pop("market.directory_cache", None)
