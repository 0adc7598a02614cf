"""Who may do what: small checks that raise 401/403/404 from the API's own rules."""

from __future__ import annotations

from market.errors import Forbidden, NotFound, Unauthorized
from market.i18n import N_

ROLE_NAMES = {
    "agency": "agency staff",
    "vendor": "vendor staff",
    "coordinator": "coordinators",
    "admin": "administrators",
}


def require_user(user):
    if user is None:
        raise Unauthorized()
    return user


def require_role(user, *roles: str):
    require_user(user)
    if user.role not in roles:
        names = " or ".join(ROLE_NAMES[r] for r in roles)
        raise Forbidden(f"Only {names} may do this; you are signed in as {user.role}.")
    return user


# A missing (or another organisation's) object, in the reader's language: one message a kind.
NOT_FOUND = {
    "allocation": N_("No proposed match with id %(id)s."), "bid": N_("No bid with id %(id)s."),
    "capability": N_("No capability with id %(id)s."),
    "change request": N_("No change request with id %(id)s."),
    "contract": N_("No contract with id %(id)s."), "dispute": N_("No dispute with id %(id)s."),
    "lot": N_("No delivery lot with id %(id)s."), "match run": N_("No match run with id %(id)s."),
    "notification": N_("No notification with id %(id)s."), "order": N_("No order with id %(id)s."),
    "organisation": N_("No organisation with id %(id)s."),
    "payable lot on this contract": N_("No payable lot on this contract with id %(id)s."),
    "question": N_("No question with id %(id)s."), "vendor": N_("No vendor with id %(id)s."),
}


def not_found(kind: str, object_id) -> NotFound:
    return NotFound(NOT_FOUND.get(kind, "No %(kind)s with id %(id)s."),
                    params={"kind": kind, "id": object_id})


def require_same_org(user, organization_id: int, kind: str, object_id) -> None:
    """Another organisation's object is reported as missing, so ids leak nothing."""
    if user.organization_id != organization_id:
        raise not_found(kind, object_id)
