"""The administrators' pages: organisations (search, create, edit, deactivate), users (filter, create
or invite, change, deactivate, unlock, sign out everywhere) and the API tokens. Every action calls
the service the API calls, with the API's schemas."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from market import db
from market.accounts import invitations
from market.accounts import services as accounts
from market.accounts.models import ROLES, User
from market.accounts.schemas import (
    LOCALES,
    ApiTokenQuerySchema,
    UserCreateSchema,
    UserQuerySchema,
    UserUpdateSchema,
)
from market.api.fields import paginate
from market.db import utcnow
from market.errors import DomainError
from market.organizations import services as organizations
from market.organizations.models import ORG_KINDS, ORG_STATUSES, VERIFICATION_STATUSES, Organization
from market.organizations.schemas import (
    OrganizationQuerySchema,
    OrganizationSchema,
    OrganizationUpdateSchema,
)
from market.web.extensions import csrf
from market.web.forms import load_form, refusal
from market.web.session import safe_next, signed_in

bp = Blueprint("admin", __name__, url_prefix="/admin")
# The fields of the organisation form; `kind` only when it is created.
ORG_FIELDS = ("name", "credit_code", "province", "city", "county", "contact_email", "description")
# The optional ones: emptied on the edit form, they are cleared (a form leaves out an empty field).
CLEARABLE = ("county", "contact_email", "description")


@bp.before_request
def _check_csrf():
    csrf.protect()


def _admin():
    user = signed_in()
    if user.role != "admin":
        abort(403)
    return user


def _fail(error: DomainError) -> dict:
    """The error of a service under the fields it names (a credit code or e-mail taken is a 409 on
    its field), else for the whole form; nothing the request changed is kept."""
    if error.errors and error.status_code == 409:  # taken: beside its field (the catalogue says it)
        db.session.rollback()
        return error.errors
    return refusal(error)


def _page_url(endpoint: str):
    kept = {k: v for k, v in request.args.items() if k != "page" and v.strip()}
    return lambda n: url_for(endpoint) + "?" + urlencode({**kept, "page": n})


def _listed(schema, build, endpoint: str):
    """A filtered page of `build(**filters)`, or the filter errors (422) beside the filters."""
    query, errors = load_form(schema, request.args)
    if errors:
        return None, errors, _page_url(endpoint)
    page_no, per_page = query.pop("page"), query.pop("per_page")
    return paginate(db.session, build(**query), page_no, per_page), {}, _page_url(endpoint)


def _all_organizations(user) -> list[Organization]:
    stmt = organizations.list_organizations(actor=user).order_by(None).order_by(Organization.name)
    return db.session.scalars(stmt).all()


@bp.get("/")
def home():
    _admin()
    return render_template("admin/home.html")


# --- organisations ---------------------------------------------------------------------------

@bp.get("/organizations")
def organization_list():
    user = _admin()
    page, errors, page_url = _listed(OrganizationQuerySchema(),
                                     lambda **q: organizations.list_organizations(actor=user, **q),
                                     "admin.organization_list")
    return render_template("admin/organizations.html", page=page, errors=errors, form=request.args,
                           page_url=page_url, kinds=ORG_KINDS, statuses=ORG_STATUSES,
                           verification_statuses=VERIFICATION_STATUSES), 422 if errors else 200


def _sectors() -> list[str]:
    return current_app.config["VOCABULARY"]["sectors"]


@bp.route("/organizations/new", methods=["GET", "POST"])
def organization_new():
    user = _admin()
    errors, status = {}, 200
    if request.method == "POST":
        data, errors = load_form(OrganizationSchema(only=("kind", "sectors", *ORG_FIELDS)), request.form,
                                 lists=("sectors",))
        status = 422
        if not errors:
            try:
                org = organizations.create_organization(db.session, data, actor=user)
            except DomainError as error:
                errors, status = _fail(error), error.status_code
            else:
                db.session.commit()
                flash(_("The organisation is registered. Add its first user now."))
                return redirect(url_for("admin.organization", org_id=org.id))
    return render_template("admin/organization_form.html", org=None, errors=errors, form=request.form,
                           chosen=request.form.getlist("sectors"), kinds=ORG_KINDS,
                           sectors=_sectors()), status


def _organization_page(user, org_id: int, errors: dict | None = None, status: int = 200, form=None):
    org = organizations.get_organization(db.session, org_id, actor=user)
    staff = db.session.scalars(accounts.list_users(actor=user, organization_id=org.id)).all()
    if form is None:
        form = {name: getattr(org, name) or "" for name in ORG_FIELDS}
        chosen = list(org.sectors or [])
    else:
        chosen = form.getlist("sectors")
    return render_template("admin/organization.html", org=org, staff=staff, errors=errors or {},
                           form=form, chosen=chosen, sectors=_sectors(), own=org.id == user.organization_id), status


@bp.get("/organizations/<int:org_id>")
def organization(org_id: int):
    return _organization_page(_admin(), org_id)


@bp.post("/organizations/<int:org_id>")
def organization_edit(org_id: int):
    user = _admin()
    org = organizations.get_organization(db.session, org_id, actor=user)
    agency = org.kind == "agency"
    data, errors = load_form(OrganizationUpdateSchema(only=(*ORG_FIELDS, *(("sectors",) if agency else ()))),
                             request.form, lists=("sectors",) if agency else ())
    status = 422
    if not errors:
        data |= {name: None for name in CLEARABLE if name in request.form and not request.form[name].strip()}
        try:
            organizations.update_organization(db.session, org_id, data, actor=user)
        except DomainError as error:
            errors, status = _fail(error), error.status_code
        else:
            db.session.commit()
            flash(_("The organisation is saved."))
            return redirect(url_for("admin.organization", org_id=org_id))
    return _organization_page(user, org_id, errors, status, request.form)


@bp.post("/organizations/<int:org_id>/active")
def organization_active(org_id: int):
    user = _admin()
    organizations.get_organization(db.session, org_id, actor=user)  # a missing one is a 404 page
    active = _flag("active")
    try:
        organizations.set_organization_active(db.session, org_id, active, actor=user)
    except DomainError as error:
        return _organization_page(user, org_id, _fail(error), error.status_code)
    db.session.commit()
    flash(_("The organisation is active again; its staff can sign in.") if active else
          _("The organisation is deactivated; its staff are signed out and cannot sign in."))
    return redirect(url_for("admin.organization", org_id=org_id))


def _flag(name: str) -> bool:
    value = request.form.get(name, "")
    if value not in ("true", "false"):
        abort(422)
    return value == "true"


# --- users -----------------------------------------------------------------------------------

@bp.get("/users")
def user_list():
    user = _admin()
    page, errors, page_url = _listed(UserQuerySchema(), lambda **q: accounts.list_users(actor=user, **q),
                                     "admin.user_list")
    return render_template("admin/users.html", page=page, errors=errors, form=request.args, page_url=page_url,
                           roles=ROLES, orgs=_all_organizations(user), now=utcnow()), 422 if errors else 200


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    user = _admin()
    errors, status, form = {}, 200, request.form
    if request.method == "POST":
        data, errors = load_form(UserCreateSchema(), request.form)
        status = 422
        if not errors:
            try:
                created = invitations.create_or_invite(db.session, data, actor=user)
            except DomainError as error:
                errors, status = _fail(error), error.status_code
            else:
                db.session.commit()
                flash(_("The user is created and can sign in with the password you chose.") if data.get("password")
                      else _("The user is created; an e-mail with a link to choose a password is on its way."))
                return redirect(url_for("admin.user", user_id=created.id))
    else:
        form = {"organization_id": request.args.get("organization_id", ""), "locale": "zh"}
    return render_template("admin/user_form.html", errors=errors, form=form, roles=ROLES, locales=LOCALES,
                           orgs=_all_organizations(user)), status


def _user(user_id: int) -> User:
    found = db.session.get(User, user_id)
    if found is None:
        abort(404)
    return found


def _user_page(admin, user_id: int, errors: dict | None = None, status: int = 200, form=None):
    shown = _user(user_id)
    tokens = db.session.scalars(accounts.list_tokens(actor=admin, user_id=shown.id, live=True)).all()
    form = form if form is not None else {"name": shown.name, "role": shown.role, "locale": shown.locale}
    return render_template("admin/user.html", shown=shown, tokens=tokens, errors=errors or {}, form=form,
                           roles=ROLES, locales=LOCALES, now=utcnow()), status


@bp.get("/users/<int:user_id>")
def user(user_id: int):
    return _user_page(_admin(), user_id)


@bp.post("/users/<int:user_id>")
def user_edit(user_id: int):
    admin = _admin()
    _user(user_id)
    data, errors = load_form(UserUpdateSchema(), request.form)
    status = 422
    if not errors:
        try:
            accounts.update_user(db.session, user_id, data, actor=admin)
        except DomainError as error:
            errors, status = _fail(error), error.status_code
        else:
            db.session.commit()
            flash(_("The user is saved."))
            return redirect(url_for("admin.user", user_id=user_id))
    return _user_page(admin, user_id, errors, status, request.form)


def _user_action(user_id: int, act, done: str):
    """One of the buttons of a user's page: `act(admin)` through the service, then back to the page
    with `done`, or the page with the service's reason (nothing kept)."""
    admin = _admin()
    _user(user_id)
    try:
        act(admin)
    except DomainError as error:
        return _user_page(admin, user_id, _fail(error), error.status_code)
    db.session.commit()
    flash(done)
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<int:user_id>/active")
def user_active(user_id: int):
    active = _flag("active")
    return _user_action(
        user_id, lambda admin: accounts.set_user_active(db.session, user_id, active, actor=admin),
        _("The user is active again and can sign in.") if active
        else _("The user is deactivated: signed out everywhere and unable to sign in."))


@bp.post("/users/<int:user_id>/unlock")
def user_unlock(user_id: int):
    return _user_action(user_id, lambda admin: accounts.unlock_user(db.session, user_id, actor=admin),
                        _("The lock is lifted; the user can sign in again."))


@bp.post("/users/<int:user_id>/revoke-tokens")
def user_revoke_tokens(user_id: int):
    return _user_action(user_id, lambda admin: accounts.revoke_user_tokens(db.session, user_id, actor=admin),
                        _("Every token and page session of the user has ended: they are signed out everywhere."))


# --- API tokens ------------------------------------------------------------------------------

@bp.get("/tokens")
def token_list():
    admin = _admin()
    page, errors, page_url = _listed(ApiTokenQuerySchema(), lambda **q: accounts.list_tokens(actor=admin, **q),
                                     "admin.token_list")
    return render_template("admin/tokens.html", page=page, errors=errors, form=request.args,
                           page_url=page_url, now=utcnow()), 422 if errors else 200


@bp.post("/tokens/<int:token_id>/revoke")
def token_revoke(token_id: int):
    admin = _admin()
    accounts.revoke_token_of(db.session, token_id, actor=admin)
    db.session.commit()
    flash(_("The token is revoked; whoever used it is signed out."))
    return redirect(safe_next(request.form.get("next"), url_for("admin.token_list")))

