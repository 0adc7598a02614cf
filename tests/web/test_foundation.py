"""What every page shares: languages, the session cookie, CSRF, error pages and security headers."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from market.accounts.models import ApiToken
from market.audit.models import AuditEvent
from market.web.security import CONTENT_SECURITY_POLICY
from tests.factories import OrderFactory

PAGES = ("/", "/directory", "/login", "/no-such-page")


@pytest.mark.parametrize("path", PAGES)
def test_every_page_sends_the_security_headers_and_no_inline_script_or_style(browser, path):
    page = browser.get(path)
    assert page.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "default-src 'self'" in CONTENT_SECURITY_POLICY and "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "same-origin"
    # Public pages are the same for every visitor not signed in: a proxy may keep them briefly.
    public = path in ("/", "/directory")
    assert page.headers["Cache-Control"] == (
        "public, max-age=5, stale-while-revalidate=30" if public else "no-store")
    assert "Strict-Transport-Security" not in page.headers  # only in production, behind TLS
    assert not re.search(r"<script(?![^>]*\bsrc=)", page.text)
    assert "<style" not in page.text and " style=" not in page.text
    # Nothing is fetched from outside the app: every src and stylesheet is a path of its own.
    for url in re.findall(r'(?:src|href)="([^"#]+)"', page.text):
        assert url.startswith("/"), url


def test_pages_are_chinese_by_default_and_english_for_an_english_browser(browser, english_browser):
    chinese, english = browser.get("/"), english_browser.get("/")
    assert '<html lang="zh-CN">' in chinese.text and "需求目录" in chinese.text
    assert '<html lang="en">' in english.text and "Demand directory" in english.text
    assert "需求目录" not in english.text


def test_the_language_switch_keeps_the_page_and_is_remembered(browser):
    response = browser.submit("/directory?sector=health", "/language",
                              {"lang": "en", "next": "/directory?sector=health"})
    assert response.status_code == 302 and response.headers["Location"] == "/directory?sector=health"
    assert browser.cookie("lang").value == "en"
    assert "Demand directory" in browser.get("/directory?sector=health").text


def test_the_language_switch_refuses_a_foreign_target(browser):
    response = browser.submit("/", "/language", {"lang": "en", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_a_signed_in_users_language_is_saved_and_follows_them(app, browser, actors, db_session):
    user = actors.vendor
    browser.sign_in(user)
    browser.submit("/", "/language", {"lang": "en", "next": "/"})
    db_session.refresh(user)
    assert user.locale == "en"
    # Another browser of the same user, with a Chinese Accept-Language, reads English too.
    from tests.web.conftest import Browser

    other = Browser(app)
    other.sign_in(user)
    assert "Sign out" in other.get("/").text


def test_a_form_without_its_csrf_token_gets_a_clear_page_not_a_bare_400(browser, actors):
    response = browser.post("/login", data={"email": actors.vendor.email, "password": "x"})
    assert response.status_code == 400
    assert "表单已过期" in response.text and "<h1>" in response.text


def test_signing_in_sets_a_session_cookie_the_api_ignores(browser, actors):
    response = browser.sign_in(actors.agency)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert actors.agency.name in browser.get("/").text or "退出" in browser.get("/").text
    api = browser.get("/api/v1/me", headers={"Accept": "application/json"})
    assert api.status_code == 401


def test_a_wrong_password_is_shown_beside_the_field_and_audited(browser, actors, db_session):
    response = browser.submit("/login", "/login", {"email": actors.vendor.email, "password": "wrong"})
    assert response.status_code == 401
    assert 'id="error-password"' in response.text and "邮箱或密码错误" in response.text
    assert 'href="#field-password"' in response.text  # the summary links to the field
    failures = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.login_failed"))
    assert len(failures.all()) == 1


def test_an_empty_login_form_names_both_fields(browser):
    response = browser.submit("/login", "/login", {"email": "", "password": ""})
    assert response.status_code == 422
    assert 'id="error-email"' in response.text and 'id="error-password"' in response.text


def test_signing_out_revokes_the_session_token(browser, actors, db_session):
    browser.sign_in(actors.vendor)
    response = browser.submit("/", "/logout", {})
    assert response.status_code == 302
    tokens = db_session.scalars(select(ApiToken).where(ApiToken.user_id == actors.vendor.id)).all()
    assert tokens and all(t.revoked_at is not None for t in tokens)
    assert "登录" in browser.get("/").text


def test_a_revoked_token_signs_the_browser_out(browser, actors, db_session):
    browser.sign_in(actors.vendor)
    for token in db_session.scalars(select(ApiToken).where(ApiToken.user_id == actors.vendor.id)):
        token.revoked_at = token.created_at
    db_session.flush()
    assert "退出" not in browser.get("/").text


def test_sign_in_returns_to_the_page_it_came_from_but_never_off_the_site(browser, actors):
    token = browser.token(browser.get("/login"))
    ok = browser.post("/login", data={"csrf_token": token, "email": actors.vendor.email,
                                      "password": "correct horse battery", "next": "/directory"})
    assert ok.headers["Location"] == "/directory"
    browser.submit("/", "/logout", {})
    token = browser.token(browser.get("/login"))
    away = browser.post("/login", data={"csrf_token": token, "email": actors.vendor.email,
                                        "password": "correct horse battery", "next": "//evil.example/"})
    assert away.headers["Location"] == "/vendor/"  # a foreign target is dropped, as if none was asked
    browser.submit("/", "/logout", {})
    token = browser.token(browser.get("/login"))
    home = browser.post("/login", data={"csrf_token": token, "email": actors.vendor.email,
                                        "password": "correct horse battery"})
    assert home.headers["Location"] == "/vendor/"  # no page to go back to: where a vendor's work is
    browser.submit("/", "/logout", {})
    # As a browser sends it: the form's own hidden `next`, which is empty when none was asked for.
    form = browser.get("/login")
    login_form = form.text.split('action="/login"', 1)[1].split("</form>", 1)[0]
    posted_next = re.search(r'name="next" value="([^"]*)"', login_form).group(1)
    assert posted_next == ""
    home = browser.post("/login", data={"csrf_token": browser.token(form), "email": actors.vendor.email,
                                        "password": "correct horse battery", "next": posted_next})
    assert home.headers["Location"] == "/vendor/"


def test_error_pages_use_the_layout_in_both_languages(browser, english_browser):
    chinese, english = browser.get("/no-such-page"), english_browser.get("/no-such-page")
    assert chinese.status_code == english.status_code == 404
    assert "页面不存在" in chinese.text and "Page not found" in english.text
    assert 'class="site"' in chinese.text


def test_the_api_keeps_its_json_errors(browser):
    response = browser.get("/api/v1/no-such-thing")
    assert response.status_code == 404 and response.json["status"] == "Not Found"


@pytest.mark.parametrize("path", ["/", "/directory", "/vendors", "/awards"])
def test_the_signed_in_user_is_settled_before_a_public_page_reads(browser, actors, monkeypatch, path):
    # Resolving the token notes its use in a transaction of its own; on SQLite that write waits
    # behind a read the request's session holds open (a 503 after the lock timeout), so it must
    # come before the page's first read.
    from flask import g

    import market.web.session as web_session

    started_before = []
    resolve = web_session.user_for_token

    def watched(token):
        started_before.append("db_session" in g)
        return resolve(token)

    browser.sign_in(actors.vendor)
    monkeypatch.setattr(web_session, "user_for_token", watched)
    page = browser.get(path)
    assert page.status_code == 200 and actors.vendor.organization.name in page.text
    assert started_before == [False]


def test_a_label_of_a_literal_follows_each_readers_language(app):
    # Jinja folds filters on literals into the compiled template: compiled for a Chinese reader,
    # the label must still be English for an English one.
    from flask_babel import refresh

    with app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        template = app.jinja_env.from_string('{{ "seats"|label("profile_field") }}')
        assert template.render() == "标注工位数"
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        refresh()
        assert template.render() == "Annotation seats"


def test_a_chinese_certification_name_reads_in_english_on_english_pages(app):
    from flask_babel import refresh

    template = app.jinja_env.from_string('{{ ["ISO 9001", "等保三级"]|show_value("certifications") }}')
    with app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        assert template.render() == "ISO 9001、等保三级"  # a Chinese list takes 、
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        refresh()
        assert template.render() == "ISO 9001, MLPS level 3 (classified protection)"


def test_the_icon_is_served_by_the_app_at_the_root_and_linked_from_every_page(browser):
    page = browser.get("/")
    links = re.findall(r'<link rel="(?:icon|apple-touch-icon)" href="([^"]+)"', page.text)
    assert links == ["/favicon.ico", "/assets/favicon.svg", "/apple-touch-icon.png"]
    for path in links:
        icon = browser.get(path)
        assert icon.status_code == 200, path
        assert icon.headers["Content-Type"].startswith(("image/", "application/octet")), path
    assert browser.get("/favicon.ico").data[:4] == b"\x00\x00\x01\x00"  # an ICO file, as browsers ask


def test_a_deeper_page_says_where_it_is_with_breadcrumbs_in_the_readers_language(browser, english_browser, actors):
    order = OrderFactory(agency=actors.agency.organization, title="面包屑测试订单")
    browser.sign_in(actors.agency)
    page = browser.get(f"/agency/orders/{order.id}/amend")
    crumbs = re.search(r'<nav class="breadcrumbs" aria-label="当前位置">(.*?)</nav>', page.text, re.S).group(1)
    assert re.findall(r'<a href="([^"]+)">([^<]+)</a>', crumbs) == [
        ("/", "首页"), ("/agency/", "我的订单"), (f"/agency/orders/{order.id}", "面包屑测试订单")]
    english_browser.sign_in_in_english(actors.vendor)
    assert '<nav class="breadcrumbs" aria-label="You are here">' in english_browser.get("/vendor/profile").text
    assert ">Your firm</a>" in english_browser.get("/vendor/profile").text


@pytest.mark.parametrize("path, role, chinese, english", [
    ("/no-such-page", None, "此地址没有对应的页面", "There is no page at this address"),
    ("/orders/987654", None, "没有编号为 987654 的订单。", "No order with id 987654."),
    ("/agency/", "vendor", "您的账号无权打开此页面", "Your account may not open this page"),
])
def test_error_pages_say_why_in_the_readers_language_not_werkzeugs_english(
        browser, english_browser, actors, path, role, chinese, english):
    if role:
        browser.sign_in(getattr(actors, role))
    assert chinese in browser.get(path).text
    if role:
        english_browser.sign_in_in_english(getattr(actors, role))
    page = english_browser.get(path).text
    assert english in page and "requested URL" not in page and "permission to access" not in page


def test_a_wrong_method_on_a_page_is_said_in_chinese(browser):
    page = browser._open("/directory", method="DELETE")
    assert page.status_code == 405 and "此页面不支持该操作，请返回" in page.text
