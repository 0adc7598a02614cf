"""The vendor's pages: its profile and capabilities (more to come: opportunities, bids, contracts)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from market import db
from market.errors import DomainError
from market.organizations import services as organizations
from market.organizations.models import CLEARANCES
from market.organizations.schemas import (
    CapabilityChangeSchema,
    CapabilitySchema,
    OrganizationUpdateSchema,
)
from market.web.extensions import csrf
from market.web.forms import load_form
from market.web.session import signed_in

bp = Blueprint("vendor", __name__, url_prefix="/vendor")


def _values(org) -> dict:
    """The form's values as the profile stands (a form sent back with errors shows what was sent)."""
    profile = org.vendor_profile
    return {
        "contact_email": org.contact_email or "",
        "description": org.description or "",
        "vendor_profile.seats": str(profile.seats),
        "vendor_profile.headcount": str(profile.headcount),
        "vendor_profile.clearance": profile.clearance,
        "vendor_profile.onsite_possible": "true" if profile.onsite_possible else "false",
        "vendor_profile.sme": "true" if profile.sme else "false",
        "vendor_profile.certifications": list(profile.certifications or ()),
    }


@bp.before_request
def _check_csrf():
    csrf.protect()


def _vendor_user():
    user = signed_in()
    if user.role != "vendor":
        abort(403)
    return user


def _render_profile(user, *, errors=None, form=None, capability_errors=None, status=200):
    org = organizations.get_organization(db.session, user.organization_id, actor=user)
    return render_template(
        "vendor/profile.html",
        org=org,
        profile=org.vendor_profile,
        capabilities=organizations.capabilities_of(db.session, org.id, actor=user),
        errors=errors or {},
        values=_values(org) if form is None or capability_errors else {
            **form.to_dict(), "vendor_profile.certifications": form.getlist("vendor_profile.certifications")},
        form=form or {},
        capability_errors=capability_errors or {},
        vocabulary=current_app.config["VOCABULARY"],
        clearances=CLEARANCES,
    ), status


@bp.get("/profile")
def profile():
    return _render_profile(_vendor_user())


def _apply(call, user, form, *, errors_for: str = "profile"):
    """Run a service call; on a domain error nothing is stored and the page shows why."""
    try:
        call()
    except DomainError as error:
        db.session.rollback()
        errors = error.errors or {"_body": [error.message]}
        if errors_for == "profile":
            return _render_profile(user, errors=errors, form=form, status=error.status_code)
        return _render_profile(user, capability_errors=errors, form=form, status=error.status_code)
    db.session.commit()
    return None


@bp.post("/profile")
def update_profile():
    user = _vendor_user()
    data, errors = load_form(OrganizationUpdateSchema(), request.form, lists=("vendor_profile.certifications",))
    if errors:
        return _render_profile(user, errors=errors, form=request.form, status=422)
    failed = _apply(lambda: organizations.update_organization(db.session, user.organization_id, data, actor=user),
                    user, request.form)
    if failed:
        return failed
    org = organizations.get_organization(db.session, user.organization_id, actor=user)
    if org.vendor_profile.pending_change is not None:
        flash(_("Saved. The raise of clearance, certifications, on-site work or seats waits for a "
                "coordinator's review; until then bids are checked against the approved values."))
    else:
        flash(_("Your profile is saved."))
    return redirect(url_for("vendor.profile"))


@bp.post("/capabilities")
def add_capability():
    user = _vendor_user()
    data, errors = load_form(CapabilitySchema(), request.form)
    if errors:
        return _render_profile(user, capability_errors=errors, form=request.form, status=422)
    failed = _apply(lambda: organizations.add_capability(db.session, user.organization_id, data, actor=user),
                    user, request.form, errors_for="capability")
    if failed:
        return failed
    flash(_("The capability is added."))
    return redirect(url_for("vendor.profile") + "#capabilities")


@bp.post("/capabilities/<int:capability_id>")
def change_capability(capability_id: int):
    user = _vendor_user()
    data, errors = load_form(CapabilityChangeSchema(), request.form)
    if errors:
        errors = {f"{capability_id}.{k}": v for k, v in errors.items()}
        return _render_profile(user, capability_errors=errors, form=request.form, status=422)
    failed = _apply(lambda: organizations.change_capability(db.session, user.organization_id, capability_id, data,
                                                            actor=user),
                    user, request.form, errors_for="capability")
    if failed:
        return failed
    flash(_("The capability is changed."))
    return redirect(url_for("vendor.profile") + "#capabilities")


@bp.post("/capabilities/<int:capability_id>/remove")
def remove_capability(capability_id: int):
    user = _vendor_user()
    failed = _apply(lambda: organizations.remove_capability(db.session, user.organization_id, capability_id,
                                                            actor=user),
                    user, request.form, errors_for="capability")
    if failed:
        return failed
    flash(_("The capability is removed."))
    return redirect(url_for("vendor.profile") + "#capabilities")
