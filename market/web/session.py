"""Signing in and out of the pages, and the language switch.

A signed-in browser keeps an API token in the session cookie (signed, HttpOnly, SameSite=Lax,
Secure in production), so logging in, expiry and revocation work exactly as for the API: the same
password check, throttle and audit (`market.auth.log_in`), and revoking a user's tokens signs their
browsers out too. The JSON API never reads this cookie.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _

from market import db, i18n
from market.accounts import services as accounts
from market.accounts.schemas import LoginSchema
from market.auth import user_for_token
from market.errors import DomainError
from market.web.extensions import csrf
from market.web.forms import load_form

bp = Blueprint("session", __name__)
LANGUAGE_COOKIE_DAYS = 365


HOMES = {"vendor": "vendor.dashboard", "agency": "agency.dashboard",
         "coordinator": "coordinator.dashboard", "admin": "admin.home"}


def web_user():
    """The user signed in to the pages, or None (the API's paths never see one)."""
    if "web_user" not in g:
        g.web_user = None
        token = session.get("token")
        if token and not request.path.startswith("/api/"):
            found = user_for_token(token)
            if found is None:
                session.pop("token", None)  # expired or revoked: signed out
            else:
                g.web_user, g.web_token = found
    return g.web_user


def signed_in():
    """The signed-in user, or a redirect to the login page that comes back here."""
    user = web_user()
    if user is None:
        abort(redirect(url_for("session.login", next=request.full_path.rstrip("?"))))
    return user


def safe_next(target: str | None, fallback: str) -> str:
    """`target` when it is a path on this site, else `fallback`: no open redirect."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return fallback


@bp.before_request
def _check_csrf():
    if request.endpoint != "session.language":  # checked there, for a signed-in user only
        csrf.protect()


@bp.route("/login", methods=["GET", "POST"])
def login():
    # The page to go back to, when one was asked for and is on this site ("" otherwise: the login
    # form posts it back, and an empty one sends each role to where its work is).
    target = safe_next(request.values.get("next"), "")
    errors: dict = {}
    status, headers = 200, {}
    if request.method == "POST":
        data, errors = load_form(LoginSchema(only=("email", "password")), request.form)
        if not errors:
            try:
                user, token, _row = accounts.login(db.session, email=data["email"],
                                                    password=data["password"], token_name="web")
            except DomainError as error:
                db.session.commit()  # the audited failure feeds the throttle
                status, headers = error.status_code, error.headers or {}
                errors = {"password": [
                    _("Too many failed sign-ins; try again later.") if error.status_code == 429
                    else error.message  # wrong, or right but the address not confirmed yet
                ]}
            else:
                db.session.commit()
                session.clear()
                session["token"] = token
                session.permanent = True
                # Without a page to go back to, each role starts where its work is.
                home = HOMES.get(user.role)
                return redirect(target or url_for(home or "public.home"))
        status = status if status != 200 else 422
    return render_template("login.html", errors=errors, form=request.form, next=target), status, headers


@bp.post("/logout")
def logout():
    user = web_user()
    if user is not None:
        accounts.revoke_token(db.session, g.web_token, actor=user)
        db.session.commit()
    session.clear()
    return redirect(url_for("public.home"))


@bp.post("/language")
def language():
    """Switch the language and come back to the page; a signed-in user's choice is saved.

    A visitor who is not signed in only gets a cookie, so the form of the public pages carries
    no CSRF token: those pages are then the same for every visitor in a language and can be
    cached (see public.anonymous_page). Saving a signed-in user's choice checks the token.
    """
    code = request.form.get("lang", "")
    if code not in i18n.LOCALES:
        abort(422)
    user = web_user()
    if user is not None:
        csrf.protect()
        accounts.set_language(db.session, code, actor=user)
        db.session.commit()
    response = make_response(redirect(safe_next(request.form.get("next"), url_for("public.home"))))
    response.set_cookie("lang", code, max_age=int(dt.timedelta(days=LANGUAGE_COOKIE_DAYS).total_seconds()),
                        httponly=True, samesite="Lax", secure=request.is_secure)
    return response
