"""Organisations: registering them, editing profiles, verifying and suspending vendors, capabilities.

A verified vendor's own raise of what eligibility trusts waits for a coordinator: see
market.organizations.change_requests.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from market.accounts.models import User
from market.accounts.services import revoke_all_tokens
from market.allocations.proposals import close_vendor_proposals
from market.audit import services as audit
from market.db import utcnow
from market.errors import Conflict, Forbidden, InvalidInput
from market.i18n import N_
from market.labels import Label
from market.notifications.services import notify, users_of
from market.organizations.change_requests import accept_seats, hold_for_review
from market.organizations.lifecycle import ORGANIZATION_LIFECYCLE, VENDOR_LIFECYCLE
from market.organizations.models import Capability, Organization, VendorProfile
from market.permissions import not_found, require_role, require_user
from market.text import optional_note, require_reason


def get_organization(session: Session, org_id: int, *, actor) -> Organization:
    org = session.get(Organization, org_id)
    if org is None:
        raise not_found("organisation", org_id)
    return org


def list_organizations(*, actor, kind=None, city=None, verification_status=None, status=None, q=None):
    """Organisations, filtered (anyone signed in); `status` active or deactivated."""
    require_user(actor)
    stmt = (
        select(Organization)
        .options(selectinload(Organization.vendor_profile).selectinload(VendorProfile.pending_change))
        .order_by(Organization.id)
    )
    if kind:
        stmt = stmt.where(Organization.kind == kind)
    if city:
        stmt = stmt.where(Organization.city == city)
    if status:
        stmt = stmt.where(Organization.status == status)
    if verification_status:
        stmt = stmt.join(VendorProfile).where(
            VendorProfile.verification_status == verification_status
        )
    if q:
        # autoescape: a % or _ typed in the search box is a character to find, not a wildcard.
        stmt = stmt.where(or_(func.lower(Organization.name).contains(q.lower(), autoescape=True),
                              Organization.credit_code.contains(q.upper(), autoescape=True)))
    return stmt


def _credit_code_taken(session: Session, code: str, except_id: int | None = None) -> bool:
    stmt = select(Organization.id).where(Organization.credit_code == code)
    if except_id:
        stmt = stmt.where(Organization.id != except_id)
    return session.scalar(stmt) is not None


def _credit_code_conflict() -> Conflict:
    return Conflict(N_("An organisation with this credit code is already registered."),
                    errors={"credit_code": ["already registered"]})


@contextmanager
def _unique_credit_code(session: Session):
    """Write and flush in a savepoint: a request racing past the check hits the unique index, a 409.

    The changes are made inside the block because opening a savepoint first flushes what is pending.
    """
    try:
        with session.begin_nested():
            yield
            session.flush()
    except IntegrityError as exc:
        if "credit_code" in str(exc.orig):
            raise _credit_code_conflict() from exc
        raise


def create_organization(
    session: Session, data: dict, *, actor, now: dt.datetime | None = None
) -> Organization:
    """Register an organisation (administrators; `actor` None is the command line setting up)."""
    if actor is not None:
        require_role(actor, "admin")
    data = dict(data)
    data["credit_code"] = data["credit_code"].upper()
    if _credit_code_taken(session, data["credit_code"]):
        raise _credit_code_conflict()
    profile_data = data.pop("vendor_profile", None) or {}
    org = Organization(**data)
    if now is not None:
        org.created_at = org.updated_at = now
    if org.kind == "vendor":
        org.vendor_profile = VendorProfile(**profile_data)
    with _unique_credit_code(session):  # flushed: the audit event needs the id
        session.add(org)
    audit.record(
        session,
        "organization.created",
        actor=actor,
        object_type="organization",
        object_id=org.id,
        organization_id=org.id,
        data={"kind": org.kind, "name": org.name, "credit_code": org.credit_code},
        occurred_at=now,
    )
    return org


# Fields an organisation's own staff may change; the rest (identity, region) is the admin's.
SELF_SERVICE_FIELDS = {"contact_email", "description", "sectors", "vendor_profile"}


def update_organization(session: Session, org_id: int, data: dict, *, actor,
                        now: dt.datetime | None = None) -> Organization:
    """Edit an organisation: its own staff the self-service fields, administrators everything.

    A verified vendor's own raise of what eligibility trusts goes to its pending change request
    instead (market.organizations.change_requests); the rest is applied at once.
    """
    org = get_organization(session, org_id, actor=actor)
    if actor.role != "admin":
        if actor.organization_id != org.id or actor.role not in ("agency", "vendor"):
            raise Forbidden("Only administrators or the organisation's own staff may edit it.")
        locked = sorted(set(data) - SELF_SERVICE_FIELDS)
        if locked:
            raise Forbidden(f"Only administrators may change: {', '.join(locked)}.")
    if "sectors" in data and org.kind != "agency":
        raise InvalidInput("Only agencies have sectors.", errors={"sectors": ["only for agencies"]})
    if "vendor_profile" in data and org.kind != "vendor":
        raise InvalidInput(
            "Only vendors have a vendor profile.", errors={"vendor_profile": ["only for vendors"]}
        )
    if "credit_code" in data:
        data["credit_code"] = data["credit_code"].upper()
        if _credit_code_taken(session, data["credit_code"], except_id=org.id):
            raise _credit_code_conflict()
    if "vendor_profile" in data:
        data = {**data, "vendor_profile": hold_for_review(session, org, data["vendor_profile"],
                                                          actor=actor, now=now)}
    changes = {}
    with _unique_credit_code(session):
        for key, value in data.items():
            if key == "vendor_profile":
                for pkey, pvalue in value.items():
                    if getattr(org.vendor_profile, pkey) != pvalue:
                        changes[f"vendor_profile.{pkey}"] = pvalue
                        setattr(org.vendor_profile, pkey, pvalue)
                if actor.role == "admin" and "vendor_profile.seats" in changes:
                    accept_seats(org.vendor_profile)
            elif getattr(org, key) != value:
                changes[key] = value
                setattr(org, key, value)
    if changes:
        org.updated_at = now or utcnow()
        audit.record(session, "organization.updated", actor=actor, object_type="organization",
                     object_id=org.id, organization_id=org.id, data=changes, occurred_at=now)
    return org


VERIFIED_FIRST = N_("A verified firm is suspended by a coordinator first: that closes its proposals and keeps "
                    "it out of matching.")


def set_organization_active(session: Session, org_id: int, active: bool, *, actor,
                            now: dt.datetime | None = None) -> Organization:
    """Deactivate an organisation (administrators): its staff can no longer sign in and every token
    they hold is revoked, so reactivating it brings back no old session. A verified vendor is
    suspended by a coordinator first, which closes its proposals and keeps it out of matching."""
    require_role(actor, "admin")
    org = get_organization(session, org_id, actor=actor)
    session.refresh(org, with_for_update=True)  # two administrators may act on it at once
    target = "active" if active else "deactivated"
    if org.status == target:
        return org
    if not active and org.id == actor.organization_id:
        raise Conflict(N_("You cannot deactivate your own organisation; ask another administrator."))
    if (not active and org.vendor_profile is not None
            and org.vendor_profile.verification_status == "verified"):
        raise Conflict(VERIFIED_FIRST, errors={"status": [VERIFIED_FIRST]})
    ORGANIZATION_LIFECYCLE.transition(session, org, target, actor=actor, organization_id=org.id, now=now)
    if not active:
        for user in session.scalars(select(User).where(User.organization_id == org.id)):
            revoke_all_tokens(session, user, actor=actor)
    return org


def _vendor_profile(org: Organization) -> VendorProfile:
    if org.kind != "vendor" or org.vendor_profile is None:
        raise Conflict(N_("%(name)s is not a vendor; only vendors are verified or suspended."),
                       params={"name": org.name})
    return org.vendor_profile


def set_vendor_status(session: Session, org_id: int, target: str, *, actor, reason: str,
                      note: str | None = None, now: dt.datetime | None = None) -> Organization:
    """Verify, suspend or reinstate a vendor (coordinators), through the vendor lifecycle, with a reason
    told to the vendor and an optional internal note; the vendor's staff are told."""
    require_role(actor, "coordinator")
    org = get_organization(session, org_id, actor=actor)
    profile = _vendor_profile(org)
    reason, note = require_reason(reason), optional_note(note)
    session.flush()  # the refresh below would drop changes still pending on the profile
    session.refresh(profile, with_for_update=True)  # two coordinators may act on one vendor at once
    was = profile.verification_status
    VENDOR_LIFECYCLE.transition(
        session,
        profile,
        target,
        actor=actor,
        organization_id=org.id,
        reason=reason,
        data={"note": note},
        now=now,
    )
    profile.status_note = note
    if target == "verified":
        accept_seats(profile)  # verifying reviews the whole profile
    if target == "suspended":
        close_vendor_proposals(
            session, org.id, actor=actor, why=f"vendor suspended: {reason}", now=now
        )
    kind = "vendor.reinstated" if (was, target) == ("suspended", "verified") else f"vendor.{target}"
    notify(
        session,
        users_of(session, org.id, roles=["vendor"]),
        kind,
        {"vendor_id": org.id, "reason": reason},
        now=now,
    )
    return org


# What a vendor's profile needs for agencies and coordinators to judge the firm and the engine to
# match it, in the order the profile page asks for them.
PROFILE_PARTS = ("vendor_profile.seats", "vendor_profile.headcount", "contact_email", "description",
                 "capabilities")


def profile_gaps(org: Organization) -> list[str]:
    """The parts of a vendor's profile still empty (of PROFILE_PARTS): no seats or headcount, no
    contact address or description, no capability (then it cannot bid at all)."""
    profile = org.vendor_profile
    filled = {
        "vendor_profile.seats": profile.seats > 0,
        "vendor_profile.headcount": profile.headcount > 0,
        "contact_email": bool(org.contact_email),
        "description": bool((org.description or "").strip()),
        "capabilities": bool(profile.capabilities),
    }
    return [part for part in PROFILE_PARTS if not filled[part]]


def capabilities_of(session: Session, org_id: int, *, actor) -> list[Capability]:
    """A vendor's capabilities, for anyone signed in."""
    org = get_organization(session, org_id, actor=actor)
    _require_vendor(org)
    return list(org.vendor_profile.capabilities)


def _require_vendor(org: Organization) -> None:
    if org.kind != "vendor" or org.vendor_profile is None:
        raise not_found("vendor", org.id)


def _refuse_dropping_assessed(current: list[Capability], items: list[dict]) -> None:
    # Dropped and listed again, a capability would come back unassessed, and the engine scores an
    # unassessed one as average: a firm rated poorly could launder its rating that way.
    kept = {(item["modality"], item["annotation_type"]) for item in items}
    assessed = sorted(
        f"{c.modality}/{c.annotation_type}"
        for c in current
        if (c.modality, c.annotation_type) not in kept and c.assessed_proficiency is not None
    )
    if assessed:
        raise Forbidden(
            f"A coordinator has assessed {', '.join(assessed)}; only a coordinator may remove "
            "an assessed capability: ask one.",
            errors={"capabilities": [f"keep {name}" for name in assessed]},
        )


def _read_only_unchanged(current: list[Capability], items: list[dict], actor) -> list[dict]:
    """The items without the read-only fields sent back as they were read; 422 for a changed one.

    So a PUT of what a GET returned is accepted. Assessed proficiency is read-only for vendors.
    """
    by_kind = {(c.modality, c.annotation_type): c for c in current}
    errors: dict[str, list[str]] = {}
    clean = []
    for n, item in enumerate(items):
        item = dict(item)
        cap = by_kind.get((item["modality"], item["annotation_type"]))
        for name in ("id", "assessed_at") + (("assessed_proficiency",) if actor.role == "vendor" else ()):
            if name not in item:
                continue
            sent, held = item.pop(name), getattr(cap, name, None)
            if name == "assessed_at" and held is not None:
                held = held.replace(microsecond=0)  # the API shows times to the second
            if sent != held:
                if name == "assessed_proficiency":
                    raise Forbidden("Assessed proficiency is set by coordinators, not by the vendor.")
                errors[f"capabilities[{n}].{name}"] = ["Read-only: send it as it was read, or leave it out."]
        clean.append(item)
    if errors:
        raise InvalidInput("Read-only fields were changed; see 'errors'.", errors=errors)
    return clean


def _items_of(capabilities: list[Capability]) -> list[dict]:
    return [{"modality": c.modality, "annotation_type": c.annotation_type,
             "throughput_per_seat_day": c.throughput_per_seat_day, "unit_price": c.unit_price,
             "evidence": c.evidence} for c in capabilities]


def _editable_vendor(session: Session, org_id: int, actor) -> Organization:
    """The vendor whose capabilities `actor` may change: its own staff, or coordinators."""
    org = get_organization(session, org_id, actor=actor)
    _require_vendor(org)
    if actor.role not in ("vendor", "coordinator"):
        raise Forbidden("Only the vendor's own staff or coordinators may change its capabilities.")
    if actor.role == "vendor" and actor.organization_id != org.id:
        raise not_found("vendor", org.id)
    return org


def _vendor_capability(org: Organization, capability_id: int) -> Capability:
    for cap in org.vendor_profile.capabilities:
        if cap.id == capability_id:
            return cap
    raise not_found("capability", capability_id)


def add_capability(session: Session, org_id: int, item: dict, *, actor,
                   now: dt.datetime | None = None) -> Capability:
    """Add one capability to a vendor's (409 if it has one of that kind already)."""
    org = _editable_vendor(session, org_id, actor)
    current = org.vendor_profile.capabilities
    if any((c.modality, c.annotation_type) == (item["modality"], item["annotation_type"]) for c in current):
        raise Conflict(N_("The vendor already has a capability for %(modality)s / %(annotation_type)s; "
                          "change that one instead."), errors={"annotation_type": ["already listed"]},
                       params={"modality": Label(item["modality"], "modality"),
                               "annotation_type": Label(item["annotation_type"], "annotation_type")})
    kept = replace_capabilities(session, org_id, [*_items_of(current), item], actor=actor, now=now)
    return kept[-1]


def change_capability(session: Session, org_id: int, capability_id: int, item: dict, *, actor,
                      now: dt.datetime | None = None) -> Capability:
    """Change one of a vendor's capabilities (its kind stays)."""
    org = _editable_vendor(session, org_id, actor)
    cap = _vendor_capability(org, capability_id)
    if (item.get("modality", cap.modality), item.get("annotation_type", cap.annotation_type)) != (
            cap.modality, cap.annotation_type):
        raise InvalidInput("A capability's kind cannot change; add one of the new kind and remove this one.",
                           errors={"modality": ["cannot change"]})
    items = [({**entry, **item, "modality": cap.modality, "annotation_type": cap.annotation_type}
              if c is cap else entry) for c, entry in zip(org.vendor_profile.capabilities,
                                                          _items_of(org.vendor_profile.capabilities), strict=True)]
    replace_capabilities(session, org_id, items, actor=actor, now=now)
    return cap


def remove_capability(session: Session, org_id: int, capability_id: int, *, actor,
                      now: dt.datetime | None = None) -> None:
    """Remove one of a vendor's capabilities (an assessed one only by a coordinator)."""
    org = _editable_vendor(session, org_id, actor)
    cap = _vendor_capability(org, capability_id)
    items = [entry for c, entry in zip(org.vendor_profile.capabilities, _items_of(org.vendor_profile.capabilities),
                                       strict=True) if c is not cap]
    replace_capabilities(session, org_id, items, actor=actor, now=now)


def replace_capabilities(session: Session, org_id: int, items: list[dict], *, actor,
                         now: dt.datetime | None = None) -> list[Capability]:
    """Replace a vendor's capabilities; vendors edit their own, only coordinators assess proficiency."""
    org = _editable_vendor(session, org_id, actor)
    items = _read_only_unchanged(org.vendor_profile.capabilities, items, actor)
    if actor.role == "vendor":
        _refuse_dropping_assessed(org.vendor_profile.capabilities, items)
    profile = org.vendor_profile
    existing = {(c.modality, c.annotation_type): c for c in profile.capabilities}
    now = now or utcnow()
    kept = []
    for item in items:
        key = (item["modality"], item["annotation_type"])
        cap = existing.pop(key, None) or Capability(modality=key[0], annotation_type=key[1])
        cap.throughput_per_seat_day = item["throughput_per_seat_day"]
        cap.unit_price = item["unit_price"]
        cap.evidence = item.get("evidence", cap.evidence)
        if (
            "assessed_proficiency" in item
            and item["assessed_proficiency"] != cap.assessed_proficiency
        ):
            cap.assessed_proficiency = item["assessed_proficiency"]
            cap.assessed_at = now
        kept.append(cap)
    for cap in existing.values():
        profile.capabilities.remove(cap)
    profile.capabilities[:] = kept
    audit.record(
        session,
        "vendor.capabilities_replaced",
        actor=actor,
        object_type="organization",
        object_id=org.id,
        organization_id=org.id,
        data={"capabilities": [f"{c.modality}/{c.annotation_type}" for c in kept]},
        occurred_at=now,
    )
    return kept


def verified_vendors():
    """The public register of verified annotation firms (the programme's transparency): each with
    its place, capabilities, seats, clearance and whether it is an SME, by name."""
    return (select(Organization).join(VendorProfile, VendorProfile.organization_id == Organization.id)
            .where(VendorProfile.verification_status == "verified")
            .options(selectinload(Organization.vendor_profile).selectinload(VendorProfile.capabilities))
            .order_by(Organization.name, Organization.id))
