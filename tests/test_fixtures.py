"""The test fixtures themselves: what the API writes in a test is rolled back with the test."""

from __future__ import annotations

import gc

from sqlalchemy import func, select

from market.audit.models import AuditEvent
from tests.conftest import ApiClient, outer_transaction
from tests.loopback import closing_its_body

EMAIL = "rolled-back@example.cn"


def _failed_logins(connection) -> int:
    stmt = (
        select(func.count())
        .select_from(AuditEvent)
        .where(
            AuditEvent.action == "auth.login_failed", AuditEvent.data["email"].as_string() == EMAIL
        )
    )
    return connection.scalar(stmt)


def test_what_a_request_commits_is_seen_in_the_test_and_gone_after_it(app):
    with outer_transaction(app) as connection:
        response = ApiClient(app).post(
            "/api/v1/auth/tokens", json={"email": EMAIL, "password": "x"}
        )
        assert response.status_code == 401, response.text
        assert _failed_logins(connection) == 1  # the view committed: into the outer transaction
    with app.extensions["market.db"].engine.connect() as fresh:
        assert _failed_logins(fresh) == 0


def test_the_loopback_server_closes_a_body_its_client_abandoned_part_way():
    closed = []

    class Body:
        def __iter__(self):
            yield b"first"
            yield b"second"

        def close(self):
            closed.append(True)

    served = closing_its_body(lambda environ, start_response: Body())
    chunks = served({}, None)
    assert next(chunks) == b"first"
    del chunks  # what werkzeug leaves behind when draining a reset socket raises
    gc.collect()
    assert closed == [True]
