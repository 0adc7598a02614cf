"""Idempotency-Key: a retried write returns its first result instead of creating another."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from market.db import utcnow
from market.idempotency import HEADER, IdempotencyKey, purge_expired
from market.orders.models import Order, Question
from tests.conftest import assert_error
from tests.orders.conftest import order_body

ORDERS = "/api/v1/orders"


def _orders_of(db_session, agency) -> int:
    return db_session.scalar(
        select(func.count()).select_from(Order).where(Order.agency_id == agency.organization_id)
    )


BODY = order_body()  # one body for every request: its dates are relative to now


def _draft(api, user, key, **changes):
    return api.post(ORDERS, token=_token(api, user), json={**BODY, **changes},
                    headers={HEADER: key} if key else None)


def _token(api, user):
    return api.actors.token(user)


@pytest.fixture
def api(api, actors):
    api.actors = actors
    return api


def test_a_repeat_with_the_same_key_and_body_returns_the_first_result(api, actors, db_session):
    first = _draft(api, actors.agency, "draft-1")
    again = _draft(api, actors.agency, "draft-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert _orders_of(db_session, actors.agency) == 1


def test_the_same_key_with_another_body_is_422_and_creates_nothing(api, actors, db_session):
    assert _draft(api, actors.agency, "draft-1").status_code == 201
    assert_error(_draft(api, actors.agency, "draft-1", title="另一个项目"), 422, HEADER)
    assert _orders_of(db_session, actors.agency) == 1


def test_a_key_is_one_user_s_own(api, actors, db_session):
    colleague = actors.user("agency", organization=actors.agency.organization)
    assert _draft(api, actors.agency, "k").status_code == 201
    assert _draft(api, colleague, "k").status_code == 201
    assert _orders_of(db_session, actors.agency) == 2


def test_without_a_key_every_request_creates(api, actors, db_session):
    assert _draft(api, actors.agency, None).status_code == 201
    assert _draft(api, actors.agency, None).status_code == 201
    assert _orders_of(db_session, actors.agency) == 2


def test_a_refused_write_keeps_no_key_so_the_corrected_retry_creates(api, actors, db_session):
    assert_error(_draft(api, actors.agency, "k", volume=0), 422, "volume")
    assert db_session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0
    assert _draft(api, actors.agency, "k").status_code == 201


def test_a_wrong_role_with_a_key_is_refused_and_stores_nothing(api, actors, db_session):
    assert_error(_draft(api, actors.vendor, "k"), 403)
    assert db_session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0


@pytest.mark.parametrize("key", ["with space", "x" * 256, "é"])
def test_a_key_that_cannot_be_one_is_422_and_creates_nothing(api, actors, db_session, key):
    assert_error(_draft(api, actors.agency, key), 422, HEADER)
    assert _orders_of(db_session, actors.agency) == 0


def test_an_expired_key_is_forgotten_and_purged(api, actors, db_session):
    assert _draft(api, actors.agency, "k").status_code == 201
    row = db_session.scalar(select(IdempotencyKey))
    row.expires_at = utcnow() - dt.timedelta(seconds=1)
    db_session.flush()
    assert "Idempotent-Replayed" not in _draft(api, actors.agency, "k").headers
    assert _orders_of(db_session, actors.agency) == 2
    db_session.expire_all()
    assert purge_expired(db_session, now=utcnow() + dt.timedelta(days=2)) == 1
    assert db_session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0


def test_a_question_asked_twice_with_one_key_is_stored_once(api, actors, db_session, factories):
    from tests.factories import OrderFactory

    order = OrderFactory()
    db_session.flush()
    ask = lambda: api.post(f"{ORDERS}/{order.id}/questions", token=actors.token(actors.vendor),  # noqa: E731
                           json={"text": "样本图像的分辨率是多少？"}, headers={HEADER: "q-1"})
    first, again = ask(), ask()
    assert first.status_code == again.status_code == 201 and again.json() == first.json()
    assert db_session.scalar(
        select(func.count()).select_from(Question).where(Question.order_id == order.id)) == 1


CREATING = [
    ("/api/v1/orders", "post"),
    ("/api/v1/orders/{order_id}/questions", "post"),
    ("/api/v1/orders/{order_id}/bids", "post"),
    ("/api/v1/match-runs", "post"),
]


@pytest.mark.parametrize("path, method", CREATING)
def test_the_creating_operations_document_the_header(api, path, method):
    operation = api.get("/api/v1/openapi.json").json()["paths"][path][method]
    assert [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"] == [HEADER]


def test_other_writes_do_not_offer_the_header(api):
    operation = api.get("/api/v1/openapi.json").json()["paths"]["/api/v1/orders/{order_id}"]["patch"]
    assert all(p["name"] != HEADER for p in operation.get("parameters", []))
