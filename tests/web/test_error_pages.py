"""What a browser gets when a request is too large, throttled or meets a database that cannot serve:
a page in the layout and the reader's language; the API keeps its JSON error shape for the same."""

from __future__ import annotations

import json

import psycopg
import pytest
from sqlalchemy.exc import OperationalError

from market.notifications import services as notifications
from market.orders import services as orders

TOO_LARGE = "x" * (2 * 1024 * 1024)  # over MARKET_MAX_CONTENT_LENGTH (1 MiB)


def _json_error(response, status: int) -> None:
    """The API's one error shape, though the client is a browser asking for HTML first."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert set(response.get_json()) == {"code", "status", "message", "errors"}


def _down(*args, **kwargs):
    raise OperationalError("SELECT 1", {}, psycopg.OperationalError("connection refused"))


@pytest.mark.parametrize("language, title", [("zh-CN", "提交的内容过大"), ("en-GB", "What you sent is too large")])
def test_a_form_too_large_gets_the_413_page_in_the_readers_language(app, connection, language, title):
    from tests.web.conftest import Browser

    browser = Browser(app, language=language)
    token = browser.token(browser.get("/login"))
    page = browser.post("/login", data={"csrf_token": token, "email": "a@example.cn", "password": TOO_LARGE})
    assert page.status_code == 413
    assert page.headers["Content-Type"].startswith("text/html")
    assert title in page.text and 'class="site"' in page.text and "413" in page.text


def test_a_body_too_large_for_the_api_keeps_the_json_shape(browser, actors):
    response = browser.post("/api/v1/orders", data=TOO_LARGE, headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {actors.token(actors.agency)}"})
    _json_error(response, 413)


def _fail_to_sign_in(browser, email: str, times: int):
    for _ in range(times):
        response = browser.submit("/login", "/login", {"email": email, "password": "wrong-password"})
    return response


def test_a_throttled_sign_in_is_429_on_the_login_page_in_both_languages(app, browser, english_browser, actors):
    throttled = _fail_to_sign_in(browser, actors.vendor.email, app.config["LOGIN_MAX_FAILURES"] + 1)
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 0
    assert "登录失败次数过多" in throttled.text and 'id="error-password"' in throttled.text
    assert 'class="site"' in throttled.text
    other = _fail_to_sign_in(english_browser, actors.agency.email, app.config["LOGIN_MAX_FAILURES"] + 1)
    assert other.status_code == 429 and "Too many failed sign-ins" in other.text


def test_a_throttled_api_login_keeps_the_json_shape_even_for_a_browser(app, browser, actors):
    for _ in range(app.config["LOGIN_MAX_FAILURES"] + 1):
        response = browser.post("/api/v1/auth/tokens", data=json.dumps({"email": actors.vendor.email,
                                                                        "password": "wrong"}),
                                headers={"Content-Type": "application/json"})
    _json_error(response, 429)
    assert int(response.headers["Retry-After"]) > 0


@pytest.mark.parametrize("language, title", [("zh-CN", "服务繁忙"), ("en-GB", "The service is busy")])
def test_a_database_that_cannot_serve_gets_the_503_page_with_retry_after(app, connection, monkeypatch,
                                                                         language, title):
    from tests.web.conftest import Browser

    monkeypatch.setattr(orders, "public_figures", _down)
    page = Browser(app, language=language).get("/")
    assert page.status_code == 503 and int(page.headers["Retry-After"]) > 0
    assert page.headers["Content-Type"].startswith("text/html")
    assert title in page.text and 'class="site"' in page.text


def test_the_503_page_of_a_signed_in_user_asks_the_database_nothing_more(browser, actors, monkeypatch):
    browser.sign_in(actors.vendor)
    monkeypatch.setattr(orders, "public_figures", _down)
    monkeypatch.setattr(notifications, "unread_count", _down)  # the header's count: the database is away
    page = browser.get("/")
    assert page.status_code == 503 and "服务繁忙" in page.text


def test_a_database_that_cannot_serve_the_api_keeps_the_json_shape(browser, monkeypatch):
    monkeypatch.setattr(orders, "directory_orders", _down)
    response = browser.get("/api/v1/directory")
    _json_error(response, 503)
    assert int(response.headers["Retry-After"]) > 0
