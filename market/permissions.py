"""Who may do what: small checks that raise 401/403/404 from the API's own rules."""

from __future__ import annotations

from market.errors import Forbidden, NotFound, Unauthorized

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


def not_found(kind: str, object_id) -> NotFound:
    return NotFound(f"No {kind} with id {object_id}.")


def require_same_org(user, organization_id: int, kind: str, object_id) -> None:
    """Another organisation's object is reported as missing, so ids leak nothing."""
    if user.organization_id != organization_id:
        raise not_found(kind, object_id)
