"""The web pages: server-rendered, Chinese by default and English, working without JavaScript.

The pages call the same services and validate with the same schemas as the JSON API, so a rule
lives in one place. This package adds what only a browser needs: the language (Flask-Babel), a
signed-in session in a cookie (`market.web.session`), CSRF protection on every form (Flask-WTF),
and the security headers of every response (`market.web.security`).
"""

from __future__ import annotations

import datetime as dt

from flask import Flask, request
from flask_babel import Babel

from market import i18n
from market.web import (
    account,
    admin,
    agency,
    agency_contracts,
    coordinator,
    dashboard,
    disputes,
    errors,
    filters,
    join,
    matching,
    public,
    registers,
    security,
    session,
    status,
    summaries,
    vendor,
    vendor_contracts,
)
from market.web.extensions import csrf
from market.web.session import web_user


def _locale() -> str:
    chosen = request.cookies.get("lang")
    user = web_user()
    if user is not None:
        chosen = user.locale
    if chosen not in i18n.LOCALES:
        chosen = request.accept_languages.best_match(list(i18n.LOCALES)) or i18n.DEFAULT_LOCALE
    return i18n.LOCALES[chosen]


def _settle_web_user() -> None:
    web_user()  # returns nothing: a before_request that returns a value would be the response


def init_app(app: Flask) -> None:
    # The signed-in session: a signed cookie that scripts cannot read, not sent by cross-site
    # requests, only over TLS in production, and ending with the token it holds.
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=app.config.get("ENV_NAME") == "production",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=app.config["TOKEN_TTL_HOURS"]),
    )
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(i18n.TRANSLATIONS))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", i18n.LOCALES[i18n.DEFAULT_LOCALE])
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", app.config["TIMEZONE"])
    Babel(app, locale_selector=_locale)
    # Forms are checked by the web blueprints themselves (web_blueprint below): the JSON API
    # authenticates with bearer tokens, which a cross-site form cannot send.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 8 * 3600)
    csrf.init_app(app)
    security.init_app(app)
    filters.init_app(app)
    summaries.init_app(app)
    errors.init_app(app)
    # Who is signed in is settled first, before any view reads: resolving the token may commit
    # its last use in the request's session, which must happen before the view has read or
    # written anything of its own.
    app.before_request(_settle_web_user)
    for blueprint in (public.bp, session.bp, account.bp, vendor.bp, vendor_contracts.bp, agency.bp,
                      agency_contracts.bp, coordinator.bp, matching.bp, registers.bp,
                      disputes.bp, dashboard.bp, admin.bp, status.bp, join.bp):
        app.register_blueprint(blueprint)
