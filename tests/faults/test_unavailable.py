"""A database that cannot serve is a 503 with Retry-After, in the one error shape, in one log line.

The failures are simulated here (on either database); tests/faults/test_restart.py restarts a
real PostgreSQL under a real server.
"""

from __future__ import annotations

import logging

import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from market.accounts import services as accounts
from market.orders import access
from market.orders.models import Order
from tests.conftest import assert_error
from tests.factories import OrderFactory
from tests.orders.conftest import order_body


def refused() -> OperationalError:
    return OperationalError("SELECT 1", {}, psycopg.OperationalError("connection refused"))


def shutting_down() -> OperationalError:
    return OperationalError(
        "SELECT 1", {}, psycopg.errors.AdminShutdown("terminating connection due to administrator command")
    )


def failing(times: int, error, real=None):
    """A stand-in that raises `error()` the first `times` calls, then does what `real` does."""
    calls = []

    def stand_in(*args, **kwargs):
        calls.append(1)
        if len(calls) <= times:
            raise error()
        return real(*args, **kwargs)

    stand_in.calls = calls
    return stand_in


@pytest.fixture
def order(db_session, factories):
    order = OrderFactory()
    db_session.flush()
    return order


@pytest.mark.parametrize("error", [refused, shutting_down, lambda: PoolTimeout("pool exhausted")])
def test_an_unreachable_database_is_503_with_retry_after_and_one_warning(
    api, actors, order, monkeypatch, caplog, error
):
    monkeypatch.setattr(access, "get_visible_order", failing(2, error))
    with caplog.at_level(logging.INFO):
        response = api.get(f"/api/v1/orders/{order.id}", token=actors.token(actors.vendor))
    assert_error(response, 503)
    assert int(response.headers["Retry-After"]) > 0
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and warnings[0].exc_info is None, warnings
    assert f"request_id={response.headers['X-Request-ID']}" in warnings[0].getMessage()


def test_a_read_whose_connection_dropped_is_run_again_once(api, actors, order, monkeypatch):
    stand_in = failing(1, shutting_down, access.get_visible_order)
    monkeypatch.setattr(access, "get_visible_order", stand_in)
    response = api.get(f"/api/v1/orders/{order.id}", token=actors.token(actors.vendor))
    assert response.status_code == 200, response.text
    assert len(stand_in.calls) == 2


def test_a_statement_timeout_is_not_retried(api, actors, order, monkeypatch):
    timeout = lambda: OperationalError(  # noqa: E731
        "SELECT 1", {}, psycopg.errors.QueryCanceled("canceling statement due to statement timeout"))
    stand_in = failing(5, timeout)
    monkeypatch.setattr(access, "get_visible_order", stand_in)
    assert_error(api.get(f"/api/v1/orders/{order.id}", token=actors.token(actors.vendor)), 503)
    assert len(stand_in.calls) == 1


def test_the_token_lookup_is_run_again_once(api, actors, order, monkeypatch):
    token = actors.token(actors.agency)
    stand_in = failing(1, refused, accounts.resolve_token)
    monkeypatch.setattr(accounts, "resolve_token", stand_in)
    response = api.post("/api/v1/orders", token=token, json=order_body())
    assert response.status_code == 201, response.text
    assert len(stand_in.calls) == 2


def test_a_write_is_not_retried_but_answered_503(api, actors, monkeypatch, db_session):
    from market.orders import services

    monkeypatch.setattr(services, "create_order", failing(1, refused))
    response = api.post("/api/v1/orders", token=actors.token(actors.agency), json=order_body())
    assert_error(response, 503)
    assert db_session.scalar(select(func.count()).select_from(Order)) == 0


def test_a_connection_lost_after_the_commit_still_reports_the_write(
    api, actors, monkeypatch, db_session, caplog
):
    token = actors.token(actors.agency)
    real_close = Session.close

    def close(self):
        # The request's session, at teardown after its commit (the test's own holds no order).
        wrote = self is not db_session and any(
            isinstance(o, Order) for o in self.identity_map.values())
        real_close(self)
        if wrote:
            raise shutting_down()

    monkeypatch.setattr(Session, "close", close)
    with caplog.at_level(logging.WARNING):
        response = api.post("/api/v1/orders", token=token, json=order_body())
    monkeypatch.undo()
    assert response.status_code == 201, response.text
    assert db_session.get(Order, response.json()["id"]) is not None
    assert [r for r in caplog.records if r.exc_info] == []


def test_another_database_error_is_still_a_500_with_its_traceback(
    api, actors, order, monkeypatch, caplog
):
    bug = lambda: ProgrammingError("SELECT nope", {}, Exception("no such column"))  # noqa: E731
    monkeypatch.setattr(access, "get_visible_order", failing(1, bug))
    with caplog.at_level(logging.ERROR):
        response = api.get(f"/api/v1/orders/{order.id}", token=actors.token(actors.vendor))
    assert_error(response, 500)
    assert any(r.exc_info for r in caplog.records)


def test_readyz_follows_the_database(api, monkeypatch):
    assert api.get("/readyz").status_code == 200
    monkeypatch.setattr(Session, "execute", failing(1, refused))
    assert api.get("/readyz").status_code == 503


def test_the_response_of_a_write_is_built_before_its_commit(api, actors, monkeypatch):
    from market.orders.schemas import OrderSchema

    events = []
    real_commit, real_dump = Session.commit, OrderSchema.dump
    monkeypatch.setattr(Session, "commit", lambda self: (events.append("commit"), real_commit(self))[1])
    monkeypatch.setattr(OrderSchema, "dump",
                        lambda self, obj, **kw: (events.append("dump"), real_dump(self, obj, **kw))[1])
    response = api.post("/api/v1/orders", token=actors.token(actors.agency), json=order_body())
    assert response.status_code == 201, response.text
    assert events[-2:] == ["dump", "commit"], events



@pytest.mark.postgres_only
def test_the_timeouts_keep_the_server_options_of_the_url(database_url):
    from sqlalchemy import make_url, text

    from market.db import make_engine

    url = make_url(database_url).update_query_dict({"options": "-csearch_path=elsewhere"})
    engine = make_engine(url.render_as_string(hide_password=False), statement_timeout_ms=1234)
    with engine.connect() as conn:
        assert conn.scalar(text("SHOW search_path")) == "elsewhere"
        assert conn.scalar(text("SHOW statement_timeout")) == "1234ms"
    engine.dispose()
