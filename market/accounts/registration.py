"""Annotation firms join by themselves: the firm and its first user register, the user confirms
the e-mail address, and the firm waits as a pending vendor for a coordinator's verification.

Agencies are still created by administrators. Registering creates the organisation (through
create_organization, credit code checked) and an inactive user (through create_user) and sends a
one-time confirmation link; confirming activates the user, who may then log in and complete the
profile, and tells the coordinators.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from market.accounts import email_tokens, throttle
from market.accounts.models import EMAIL_CONFIRMATION, User
from market.accounts.services import create_user, email_taken, never_used
from market.audit import services as audit
from market.db import utcnow
from market.errors import Conflict, InvalidInput
from market.notifications.services import notify, send_email, users_with_role
from market.organizations.models import Organization
from market.organizations.services import create_organization
from market.settings import settings_of

PURPOSE = EMAIL_CONFIRMATION
SUBMITTED = "registration.submitted"
RESENT = "registration.link_resent"
# Said of a taken code or address, and no more: not which firm holds it, nor since when.
CODE_TAKEN = "already registered; ask your firm's users or the programme's administrators"
EMAIL_TAKEN = "cannot be used for a new registration"

def _taken(code: bool, email: bool) -> InvalidInput:
    errors: dict = {}
    if code:
        errors["organization"] = {"credit_code": [CODE_TAKEN]}
    if email:
        errors["user"] = {"email": [EMAIL_TAKEN]}
    return InvalidInput("The request has invalid fields; see 'errors' for each one.", errors=errors)


def register_vendor(session: Session, data: dict, *, now: dt.datetime | None = None
                    ) -> tuple[Organization, User, dt.datetime]:
    """Register a firm as a pending vendor with its first (inactive) user and send the confirmation
    link; the organisation, the user and when the link expires. Anyone may, without a login."""
    now = now or utcnow()
    throttle.limit_public_requests(session, SUBMITTED, now=now)
    org_data = {**data["organization"], "kind": "vendor"}
    code = org_data["credit_code"].upper()
    email = data["user"]["email"].strip().lower()
    code_taken = session.scalar(select(Organization.id).where(Organization.credit_code == code)) is not None
    address_taken = email_taken(session, email)
    if code_taken or address_taken:
        raise _taken(code_taken, address_taken)
    try:
        org = create_organization(session, org_data, actor=None, now=now)
        user = create_user(session, {**data["user"], "role": "vendor", "organization_id": org.id},
                           actor=None, now=now)
    except Conflict as exc:  # a registration racing this one past the checks above
        raise _taken("credit_code" in exc.errors, "email" in exc.errors) from exc
    user.active = False  # until the address is confirmed
    expires_at = _send_link(session, user, now=now)
    audit.record(session, SUBMITTED, object_type="organization", object_id=org.id,
                 organization_id=org.id, data={"email": user.email, "credit_code": org.credit_code},
                 occurred_at=now)
    return org, user, expires_at


def _send_link(session: Session, user: User, *, now: dt.datetime) -> dt.datetime:
    ttl = settings_of(session).email_confirmation_ttl
    token = email_tokens.issue(session, user, PURPOSE, ttl=ttl, now=now)
    org = user.organization
    params = {"firm": org.name, "code": org.credit_code, "hours": int(ttl.total_seconds() // 3600),
              "token": token, "link": email_tokens.link(session, "/registrations/confirm", token)}
    send_email(session, user, "registration.confirm_email", params, private=True, now=now)
    return now + ttl


def resend_confirmation(session: Session, email: str, *, now: dt.datetime | None = None) -> None:
    """A new confirmation link for a registration never confirmed (the old one lost or expired);
    for any other address nothing, silently, so the answer tells nobody what is registered."""
    now = now or utcnow()
    user = throttle.public_request(session, RESENT, email, now=now)
    if user is None or user.active or not never_used(session, user, PURPOSE):
        return
    if email_tokens.enough_live(session, user, PURPOSE, now=now):
        return
    _send_link(session, user, now=now)


def confirm_registration(session: Session, token: str, *, now: dt.datetime | None = None) -> User:
    """Confirm the address with the link's token: the user becomes active (the firm stays pending)
    and the coordinators are told that a firm waits for verification."""
    now = now or utcnow()
    user = email_tokens.consume(session, token, PURPOSE, now=now)
    user.active = True
    org = user.organization
    audit.record(session, "user.email_confirmed", actor=user, object_type="user", object_id=user.id,
                 organization_id=org.id, occurred_at=now)
    notify(session, users_with_role(session, "coordinator"), "vendor.registered",
           {"vendor_id": org.id, "name": org.name, "credit_code": org.credit_code}, now=now)
    return user
