"""Accounts tests: the programme's settings changed for one test, and a real SMTP server on loopback."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from market.notifications.tasks import SmtpSender, send_outbox
from market.settings import SESSION_KEY
from tests.smtp import LoopbackSmtpServer


@pytest.fixture
def settings(app, connection, db_session):
    """`settings(login_max_failures=2)`: the settings that this test's requests and `db_session`
    carry, back to the app's own afterwards."""
    database = app.extensions["market.db"]
    original = database.settings

    def change(**values):
        database.settings = replace(database.settings, **values)
        database.bind_to(connection)  # new sessions carry the new settings
        db_session.info[SESSION_KEY] = database.settings
        return database.settings

    yield change
    database.settings = original
    database.bind_to(connection)


@pytest.fixture
def mailbox():
    """A real SMTP server on loopback; `mailbox.deliver(session)` sends the outbox to it."""
    with LoopbackSmtpServer() as server:
        server.deliver = lambda session: send_outbox(
            session, SmtpSender("127.0.0.1", server.port, "market@example.cn", timeout=5)
        )
        yield server


def token_in(body: str) -> str:
    """The token of the link in a mail's body."""
    return re.search(r"[?&]token=([A-Za-z0-9_-]+)", body).group(1)
