"""Joining and getting back in: a firm registers itself and confirms its e-mail; a forgotten
password is reset through the link sent by e-mail. The links in those e-mails open these pages;
each calls the service the API calls (market.accounts.registration, .password_reset)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from market import db
from market.accounts import password_reset, registration
from market.accounts.schemas import (
    EmailRequestSchema,
    PasswordResetSchema,
    RegistrationConfirmSchema,
    RegistrationSchema,
)
from market.errors import DomainError
from market.web.extensions import csrf
from market.web.forms import load_form, refusal

bp = Blueprint("join", __name__)


@bp.before_request
def _check_csrf():
    csrf.protect()


@bp.route("/register", methods=["GET", "POST"])
def register():
    if request.method == "GET":
        return render_template("join/register.html", errors={}, form={})
    # The first user reads the pages, notifications and e-mails in the language they registered in.
    form = MultiDict(request.form.to_dict() | {"user.locale": get_locale().language})
    data, errors = load_form(RegistrationSchema(), form)
    status = 422
    if not errors:
        try:
            _org, user, expires_at = registration.register_vendor(db.session, data)
        except DomainError as error:
            errors, status = refusal(error), error.status_code
        else:
            db.session.commit()
            return render_template("join/registered.html", email=user.email, expires_at=expires_at)
    return render_template("join/register.html", errors=errors, form=request.form), status


@bp.route("/registrations/confirm", methods=["GET", "POST"])
def confirm():
    """The e-mail's link: a button that confirms (a GET changes nothing, so a mail scanner
    following the link does not use it up)."""
    if request.method == "GET":
        return render_template("join/confirm.html", token=request.args.get("token", ""), errors={})
    data, errors = load_form(RegistrationConfirmSchema(), request.form)
    status = 422
    if not errors:
        try:
            registration.confirm_registration(db.session, data["token"])
        except DomainError as error:
            errors, status = refusal(error), error.status_code
        else:
            db.session.commit()
            flash(_("Your e-mail address is confirmed. Sign in and complete your firm's profile; a "
                    "coordinator verifies the firm before it can bid."))
            return redirect(url_for("session.login"))
    return render_template("join/confirm.html", token=request.form.get("token", ""), errors=errors), status


@bp.route("/password-reset", methods=["GET", "POST"])
def reset():
    token = request.values.get("token", "")
    if request.method == "GET":
        return render_template("join/reset.html", token=token, errors={}, form={})
    if not token:
        data, errors = load_form(EmailRequestSchema(), request.form)
        status = 422
        if not errors:
            try:
                password_reset.request_reset(db.session, data["email"])
            except DomainError as error:
                errors, status = refusal(error), error.status_code
            else:
                db.session.commit()
                return render_template("join/reset_sent.html")
        return render_template("join/reset.html", token="", errors=errors, form=request.form), status
    data, errors = load_form(PasswordResetSchema(), request.form)
    status = 422
    if not errors:
        try:
            password_reset.confirm_reset(db.session, data)
        except DomainError as error:
            errors, status = refusal(error), error.status_code
        else:
            db.session.commit()
            flash(_("Your new password is set; every earlier session was signed out. Sign in with it."))
            return redirect(url_for("session.login"))
    return render_template("join/reset.html", token=token, errors=errors, form={}), status
