"""What every signed-in user has: their notifications and their account (language, password)."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from market import db
from market.accounts import services as accounts
from market.accounts.schemas import PasswordChangeSchema, PreferencesSchema
from market.api.fields import PageQuerySchema, paginate
from market.errors import InvalidInput
from market.notifications import services as notifications
from market.web.extensions import csrf
from market.web.forms import load_form
from market.web.session import signed_in

bp = Blueprint("account", __name__)


@bp.before_request
def _check_csrf():
    csrf.protect()


@bp.get("/notifications")
def notification_list():
    user = signed_in()
    query, errors = load_form(PageQuerySchema(), request.args)
    page = paginate(db.session, notifications.notifications_of(actor=user),
                    query.get("page", 1), query.get("per_page", 20))
    language = get_locale().language
    shown = {n.id: notifications.displayed(n, language) for n in page["items"]}
    return render_template("notifications.html", page=page, shown=shown)


@bp.post("/notifications/<int:notification_id>/read")
def notification_read(notification_id: int):
    user = signed_in()
    notifications.mark_read(db.session, notification_id, actor=user)
    db.session.commit()
    return redirect(url_for("account.notification_list", page=request.form.get("page", 1)))


@bp.get("/account")
def account():
    return render_template("account.html", user=signed_in(), errors={})


@bp.post("/account/preferences")
def preferences():
    """The daily e-mail of new orders the firm can bid on, on or off (the API's PATCH /me)."""
    user = signed_in()
    form = {"digest_enabled": "true" if request.form.get("digest_enabled") == "on" else "false"}
    data, errors = load_form(PreferencesSchema(only=("digest_enabled",)), form)
    if errors:  # nothing a browser can send: the box is ticked or not
        return render_template("account.html", user=user, errors=errors), 422
    accounts.update_preferences(db.session, data, actor=user)
    db.session.commit()
    flash(_("The daily e-mail of new orders is on.") if user.digest_enabled
          else _("The daily e-mail of new orders is off."))
    return redirect(url_for("account.account") + "#digest-title")


@bp.post("/account/password")
def change_password():
    user = signed_in()
    data, errors = load_form(PasswordChangeSchema(), request.form)
    if not errors:
        try:
            accounts.change_password(db.session, data, actor=user, keep_token=g.web_token)
        except InvalidInput as error:
            db.session.rollback()
            errors = error.errors
        else:
            db.session.commit()
            flash(_("Your password has been changed; your other sessions were signed out."))
            return redirect(url_for("account.account"))
    return render_template("account.html", user=user, errors=errors), 422
