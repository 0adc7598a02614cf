"""Public pages for visitors not signed in: one page per URL and language, cached with the
directory's answers (ETag, 304, a Cache-Control for proxies) until the directory changes; never
a signed-in user's page, never a CSRF token or a session cookie of someone else."""

from __future__ import annotations

import contextvars

from sqlalchemy import select

from market.orders.models import DirectoryState
from tests.factories import OrderFactory
from tests.web.conftest import Browser


def test_a_visitor_gets_a_page_with_no_token_no_cookie_and_a_304_when_nothing_changed(browser, factories):
    OrderFactory(title="卡口车辆标注")
    page = browser.get("/directory")
    assert page.status_code == 200 and "卡口车辆标注" in page.text
    assert "csrf_token" not in page.text and "Set-Cookie" not in page.headers
    assert page.headers["Cache-Control"].startswith("public, max-age=")
    assert {"Accept-Language", "Cookie"} <= {v.strip() for v in ",".join(page.headers.get_all("Vary")).split(",")}
    again = browser.get("/directory", headers={"If-None-Match": page.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_each_language_has_its_own_cached_page(app, connection, factories, cached):
    OrderFactory(title="卡口车辆标注")
    chinese, english = Browser(app), Browser(app, language="en-GB,en;q=0.9")
    assert "需求目录" in chinese.get("/directory").text
    assert "Demand directory" in english.get("/directory").text
    assert "需求目录" in chinese.get("/directory").text  # from the cache, still Chinese
    assert chinese.get("/directory").headers["ETag"] != english.get("/directory").headers["ETag"]


def test_a_signed_in_users_page_is_never_kept_nor_given_to_a_visitor(app, connection, actors, cached):
    OrderFactory(title="卡口车辆标注")
    visitor = Browser(app)
    assert "退出" not in visitor.get("/directory").text  # cached for visitors
    member = Browser(app)
    member.sign_in(actors.vendor)
    page = member.get("/directory")
    assert "退出" in page.text and "csrf_token" in page.text  # built for them, with their token
    assert page.headers["Cache-Control"] == "no-store"
    assert "退出" not in Browser(app).get("/directory").text
    assert "退出" in member.get("/directory").text


def test_a_committed_change_shows_on_the_cached_page(app, connection, actors, db_session, cached):
    order = OrderFactory(agency=actors.agency.organization, published=True, title="课堂语音转写")
    db_session.commit()
    visitor = Browser(app)
    first = visitor.get(f"/orders/{order.id}")
    assert "课堂语音转写" in first.text
    before = db_session.scalar(select(DirectoryState.version))
    order.title = "课堂语音转写（第二批）"
    db_session.commit()
    assert db_session.scalar(select(DirectoryState.version)) == before + 1
    assert "课堂语音转写（第二批）" in visitor.get(f"/orders/{order.id}").text
    assert visitor.get(f"/orders/{order.id}", headers={"If-None-Match": first.headers["ETag"]}).status_code == 200


def test_a_visitor_switches_language_without_a_token_a_signed_in_user_needs_one(browser, actors):
    switched = browser.post("/language", data={"lang": "en", "next": "/directory"})
    assert switched.status_code == 302 and browser.cookie("lang").value == "en"
    browser.sign_in(actors.vendor)
    refused = browser.post("/language", data={"lang": "zh", "next": "/"})
    assert refused.status_code == 400  # the form-expired page: a saved choice needs the token
    assert browser.submit("/", "/language", {"lang": "zh", "next": "/"}).status_code == 302


def test_a_held_page_is_sent_before_the_app_only_to_the_headers_it_was_negotiated_for(
        app, connection, factories, monkeypatch):
    monkeypatch.setitem(app.config, "DIRECTORY_CACHE_ENTRIES", 16)
    monkeypatch.setitem(app.config, "DIRECTORY_VERSION_RECHECK_SECONDS", 60)
    app.extensions.pop("market.directory_cache", None)
    try:
        OrderFactory(title="卡口车辆标注")
        test_client = app.test_client(use_cookies=False)

        class client:  # each request in a context of its own, as Browser sends them
            @staticmethod
            def get(path, headers):
                return contextvars.Context().run(test_client.get, path, headers=headers, buffered=True)

        chinese_headers = {"Accept-Language": "zh-CN", "Accept": "text/html"}
        english_headers = {"Accept-Language": "en-GB,en;q=0.9", "Accept": "text/html"}
        first = client.get("/directory", headers=chinese_headers)
        dispatched = []
        original = app.full_dispatch_request
        monkeypatch.setattr(app, "full_dispatch_request", lambda: dispatched.append(1) or original())
        again = client.get("/directory", headers=chinese_headers)
        assert dispatched == [] and again.data == first.data and "需求目录" in again.text
        assert again.headers["Cache-Control"].startswith("public")
        english = client.get("/directory", headers=english_headers)
        assert dispatched == [1] and "Demand directory" in english.text  # other headers: the app
        assert "Demand directory" in client.get("/directory", headers=english_headers).text
        assert dispatched == [1]  # now held for those headers too
        client.get("/directory", headers={**chinese_headers, "Cookie": "lang=en"})
        assert dispatched == [1, 1]  # a cookie may name a language: the app decides
    finally:
        app.extensions.pop("market.directory_cache", None)


def test_a_browser_with_a_session_gets_its_own_page_never_a_public_one(browser, factories, cached):
    OrderFactory(title="卡口车辆标注")
    browser.get("/login")  # the sign-in form puts a CSRF token in the session: a cookie now
    assert browser.cookie("session") is not None
    page = browser.get("/directory")
    assert page.status_code == 200 and "卡口车辆标注" in page.text
    # Flask renews a session cookie on every answer; such an answer is for this browser alone.
    assert page.headers["Cache-Control"] == "no-store"
