"""The app factory: configuration that must stop start-up, and the proxies it trusts."""

from __future__ import annotations

import pytest

from config import settings
from config.settings import ConfigError, ProductionConfig
from market import create_app


def test_production_without_a_secret_key_refuses_to_start(monkeypatch):
    monkeypatch.delenv("MARKET_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="MARKET_SECRET_KEY"):
        create_app(ProductionConfig())


@pytest.mark.parametrize("trusted, expected", [(1, "203.0.113.7"), (0, "127.0.0.1")])
def test_x_forwarded_for_names_the_client_only_behind_trusted_proxies(
    database_url, tmp_path, trusted, expected
):
    app = create_app(
        settings.TestingConfig(database_url, INSTANCE_PATH=str(tmp_path), TRUSTED_PROXIES=trusted)
    )
    seen = {}

    @app.get("/_probe")
    def probe():
        from flask import request

        seen["addr"] = request.remote_addr
        return {}

    app.test_client().get("/_probe", headers={"X-Forwarded-For": "203.0.113.7"})
    assert seen["addr"] == expected
    app.extensions["market.db"].engine.dispose()


@pytest.mark.parametrize("value", ["much", "-0.1", "nan"])
def test_a_seat_review_share_that_is_not_a_share_refuses_to_start(monkeypatch, value):
    monkeypatch.setenv("MARKET_SEAT_CHANGE_REVIEW_SHARE", value)
    with pytest.raises(ConfigError, match="MARKET_SEAT_CHANGE_REVIEW_SHARE"):
        settings.TestingConfig()


def test_the_seat_review_share_reaches_the_programmes_settings(monkeypatch, database_url, tmp_path):
    monkeypatch.setenv("MARKET_SEAT_CHANGE_REVIEW_SHARE", "0.5")
    app = create_app(settings.TestingConfig(database_url, INSTANCE_PATH=str(tmp_path)))
    assert app.extensions["market.settings"].seat_change_review_share == 0.5
    app.extensions["market.db"].engine.dispose()
