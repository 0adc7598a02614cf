"""One-time tokens and account locks under truly concurrent requests (PostgreSQL)."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import func, select

from config import settings as market_settings
from market import create_app
from market.accounts import email_tokens
from market.db import utcnow
from market.notifications.models import OutboxEmail
from market.settings import settings_of
from tests.factories import PASSWORD, UserFactory
from tests.loopback import serving
from tests.racing import RACERS, Committed, all_at_once


def _post(url, json):
    return lambda: requests.post(url, json=json, timeout=60)


@pytest.mark.postgres_only
def test_one_reset_token_sent_many_times_at_once_sets_the_password_once(race_app, race_server):
    with Committed(race_app) as data:
        user = UserFactory()
        token = email_tokens.issue(data.session, user, "password_reset",
                                   ttl=settings_of(data.session).password_reset_ttl, now=utcnow())
    url = f"{race_server}/api/v1/password-reset/confirm"
    codes = all_at_once([_post(url, {"token": token, "new_password": f"new-secret-{i:04d}"})
                         for i in range(RACERS)])
    assert sorted(codes) == [200] + [422] * (RACERS - 1), codes


@pytest.fixture
def locking_server(race_database_url, tmp_path):
    """The racing app with a low account-lock count and no per-address limit in the way."""
    app = create_app(market_settings.TestingConfig(
        race_database_url, INSTANCE_PATH=str(tmp_path / "instance"), DATABASE_POOL_SIZE=RACERS + 2,
        LOGIN_MAX_FAILURES=1000, LOGIN_MAX_FAILURES_PER_ADDRESS=1000, LOGIN_LOCK_FAILURES=3,
    ))
    with serving(app, threaded=True) as base:
        yield app, base
    app.extensions["market.db"].engine.dispose()


@pytest.mark.postgres_only
def test_failed_logins_at_once_lock_the_account_and_mail_its_owner_once(locking_server):
    app, url = locking_server
    with Committed(app):
        user = UserFactory()
    login = f"{url}/api/v1/auth/tokens"
    codes = all_at_once([_post(login, {"email": user.email, "password": "wrong"}) for _ in range(RACERS)])
    assert set(codes) <= {401, 429}, codes
    assert requests.post(login, json={"email": user.email, "password": PASSWORD}, timeout=60).status_code == 429
    with app.app_context():
        session = app.extensions["market.db"].sessionmaker()
        mails = session.scalar(select(func.count(OutboxEmail.id)).where(OutboxEmail.to_address == user.email))
        session.close()
    assert mails == 1
