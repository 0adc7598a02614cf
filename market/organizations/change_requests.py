"""Change requests: a verified vendor's raise of what eligibility trusts waits for a coordinator.

Clearance, certifications, on-site work and seats are what the hard rules and the capacity limits
believe. Once a vendor is verified, its own staff lowering them is applied at once (a firm that lost
a certificate must not win on it meanwhile); raising them (a higher clearance, a certification
added, on-site work, seats up by more than `Settings.seat_change_review_share` of the count a
coordinator last accepted) becomes the vendor's one pending change request. The profile keeps the
approved values, which are all the engine and the bid checks read, until a coordinator approves.
A pending vendor edits freely: verifying it reviews the whole profile.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from market.audit import services as audit
from market.db import utcnow
from market.notifications.services import notify, users_of, users_with_role
from market.organizations.lifecycle import CHANGE_REQUEST_LIFECYCLE
from market.organizations.models import (
    CLEARANCES,
    REVIEWED_FIELDS,
    ChangeRequest,
    Organization,
    VendorProfile,
)
from market.permissions import not_found, require_role
from market.settings import settings_of
from market.text import optional_note, require_reason

# Staff of the platform read every request (and its internal note); vendors their own firm's.
ALL_CHANGE_REQUESTS_ROLES = ("coordinator", "admin")


def note_for(change: ChangeRequest, *, actor) -> str | None:
    """The internal note of a decision, for the platform's staff only (never the vendor)."""
    return change.note if actor is not None and actor.role in ALL_CHANGE_REQUESTS_ROLES else None


def may_see(profile: VendorProfile, *, actor) -> bool:
    """Whether `actor` may see the vendor's change requests: its own staff and the platform's."""
    return actor is not None and (
        actor.role in ALL_CHANGE_REQUESTS_ROLES
        or (actor.role == "vendor" and actor.organization_id == profile.organization_id)
    )


def before_of(change: ChangeRequest) -> dict:
    """The approved values of the fields asked for: as they stand while pending, else as recorded
    (when decided; when asked, for a request withdrawn or superseded)."""
    if change.status == "pending":
        return {field: getattr(change.vendor, field) for field in change.requested}
    return change.previous


def _visible(stmt: Select, actor) -> Select:
    require_role(actor, "vendor", *ALL_CHANGE_REQUESTS_ROLES)
    if actor.role == "vendor":
        return stmt.where(ChangeRequest.vendor_id == actor.organization_id)
    return stmt


def list_change_requests(*, actor, status=None, vendor_id=None) -> Select:
    """Change requests, newest first: coordinators and admins all, vendor staff their own firm's."""
    stmt = _visible(
        select(ChangeRequest)
        .options(selectinload(ChangeRequest.vendor).selectinload(VendorProfile.organization))
        .order_by(ChangeRequest.id.desc()),
        actor,
    )
    if status:
        stmt = stmt.where(ChangeRequest.status == status)
    if vendor_id:
        stmt = stmt.where(ChangeRequest.vendor_id == vendor_id)
    return stmt


def get_change_request(session: Session, change_request_id: int, *, actor) -> ChangeRequest:
    change = session.scalar(
        _visible(select(ChangeRequest).where(ChangeRequest.id == change_request_id), actor)
    )
    if change is None:
        raise not_found("change request", change_request_id)
    return change


def _raises(field: str, profile: VendorProfile, value, share: float) -> bool:
    """Whether `value` asks the hard rules (or the capacity limits) to trust more than they do."""
    current = getattr(profile, field)
    if field == "clearance":
        return CLEARANCES.index(value) > CLEARANCES.index(current)
    if field == "certifications":
        return bool(set(value) - set(current or ()))
    if field == "onsite_possible":
        return bool(value) and not current
    reviewed = current if profile.seats_reviewed is None else profile.seats_reviewed
    return value > current and value - reviewed > share * reviewed  # seats


def _split(profile: VendorProfile, data: dict, share: float) -> tuple[dict, dict]:
    """The profile changes to apply at once, and the raises that wait for review.

    A list of certifications that adds some and drops others drops them at once.
    """
    at_once, raised = {}, {}
    for field, value in data.items():
        if field in REVIEWED_FIELDS and _raises(field, profile, value, share):
            raised[field] = value
            if field == "certifications":
                kept = [c for c in profile.certifications if c in value]
                if kept != profile.certifications:
                    at_once[field] = kept
        else:
            at_once[field] = value
    return at_once, raised


def _pending(session: Session, vendor_id: int) -> ChangeRequest | None:
    return session.scalar(
        select(ChangeRequest)
        .where(ChangeRequest.vendor_id == vendor_id, ChangeRequest.status == "pending")
        .with_for_update()
    )


def hold_for_review(session: Session, org: Organization, data: dict, *, actor,
                    now: dt.datetime | None = None) -> dict:
    """A vendor's own profile edit: returns the changes to apply at once; the raises go to the vendor's
    pending change request, which a new one with the other pending values supersedes.

    A field sent as it stands changes nothing, so a profile sent back as it was read keeps the request;
    a reviewed field lowered at once drops out of it (withdrawn when nothing is left).
    """
    profile = org.vendor_profile
    if actor.role != "vendor" or profile.verification_status == "pending":
        return data
    session.flush()  # the refresh below would drop changes still pending on the profile
    # Two of the firm's staff may edit at once; the lock order (profile, then request) is the
    # coordinators' too.
    session.refresh(profile, with_for_update=True)
    if profile.seats_reviewed is None:
        accept_seats(profile)  # verified before seats were reviewed: the seats it had are the base
    share = settings_of(session).seat_change_review_share
    at_once, raised = _split(profile, data, share)
    pending = _pending(session, org.id)
    held = dict(pending.requested) if pending else {}
    for field, value in at_once.items():
        if field in REVIEWED_FIELDS and value != getattr(profile, field):
            held.pop(field, None)
    held.update(raised)
    held = {field: value for field, value in held.items() if _raises(field, profile, value, share)}
    if held == (pending.requested if pending else {}):
        return at_once
    now = now or utcnow()
    if pending is not None:
        CHANGE_REQUEST_LIFECYCLE.transition(
            session, pending, "superseded" if held else "withdrawn", actor=actor,
            organization_id=org.id, now=now,
        )
        session.flush()  # the new request may be the vendor's pending one only once this is not
    if held:
        _ask(session, org, held, supersedes=pending, actor=actor, now=now)
    session.expire(profile, ["pending_change"])
    return at_once


def _ask(session: Session, org: Organization, held: dict, *, supersedes: ChangeRequest | None,
         actor, now: dt.datetime) -> ChangeRequest:
    """A new pending request, recorded and told to the coordinators."""
    profile = org.vendor_profile
    previous = {field: getattr(profile, field) for field in held}
    change = ChangeRequest(
        vendor_id=org.id, requested=held, previous=previous, requested_by_id=actor.id,
        requested_at=now, supersedes_id=supersedes.id if supersedes else None,
    )
    session.add(change)
    session.flush()  # the audit event and the notification need the id
    audit.record(
        session, "change_request.requested", actor=actor, object_type="change_request",
        object_id=change.id, organization_id=org.id,
        data={"before": previous, "after": held, "supersedes": change.supersedes_id},
        occurred_at=now,
    )
    notify(
        session, users_with_role(session, "coordinator"), "change_request.requested",
        {"change_request_id": change.id, "vendor_id": org.id, "vendor_name": org.name,
         "fields": sorted(held), "before": previous, "after": held},
        now=now,
    )
    return change


def _lock_for_decision(session: Session, change_request_id: int, actor) -> ChangeRequest:
    """The request and its vendor's profile, locked in the order every writer uses: profile first."""
    change = get_change_request(session, change_request_id, actor=actor)
    session.flush()  # the refresh below would drop changes still pending on the profile
    session.refresh(change.vendor, with_for_update=True)
    return session.get(
        ChangeRequest, change_request_id, with_for_update=True, populate_existing=True
    )


def _decide(session: Session, change_request_id: int, target: str, *, actor, reason: str,
            note: str | None, now: dt.datetime | None) -> ChangeRequest:
    """A coordinator's decision, with a reason told to the vendor and an optional internal note."""
    require_role(actor, "coordinator")
    change = _lock_for_decision(session, change_request_id, actor)
    reason, note = require_reason(reason), optional_note(note)
    now = now or utcnow()
    profile = change.vendor
    CHANGE_REQUEST_LIFECYCLE.transition(
        session, change, target, actor=actor, organization_id=change.vendor_id, reason=reason,
        data={"note": note}, now=now,
    )
    change.previous = {field: getattr(profile, field) for field in change.requested}
    change.decided_by_id = actor.id
    change.reason, change.note = reason, note
    if target == "approved":
        _apply(session, change, actor=actor, now=now)
    notify(
        session, users_of(session, change.vendor_id, roles=["vendor"]), f"change_request.{target}",
        {"change_request_id": change.id, "vendor_id": change.vendor_id,
         "fields": sorted(change.requested), "reason": reason},
        now=now,
    )
    return change


def _apply(session: Session, change: ChangeRequest, *, actor, now: dt.datetime) -> None:
    """The approved values become the profile's, which the engine reads from now on."""
    profile = change.vendor
    for field, value in change.requested.items():
        setattr(profile, field, value)
    if "seats" in change.requested:
        profile.seats_reviewed = profile.seats
    profile.organization.updated_at = now
    audit.record(
        session, "organization.updated", actor=actor, object_type="organization",
        object_id=change.vendor_id, organization_id=change.vendor_id,
        data={**{f"vendor_profile.{field}": value for field, value in change.requested.items()},
              "change_request_id": change.id},
        occurred_at=now,
    )


def approve(session: Session, change_request_id: int, *, actor, reason: str,
            note: str | None = None, now: dt.datetime | None = None) -> ChangeRequest:
    """Approve a vendor's change (coordinators): its values become the profile's in this transaction."""
    return _decide(session, change_request_id, "approved", actor=actor, reason=reason, note=note,
                   now=now)


def reject(session: Session, change_request_id: int, *, actor, reason: str,
           note: str | None = None, now: dt.datetime | None = None) -> ChangeRequest:
    """Reject a vendor's change (coordinators): the profile keeps its approved values."""
    return _decide(session, change_request_id, "rejected", actor=actor, reason=reason, note=note,
                   now=now)


def withdraw(session: Session, change_request_id: int, *, actor,
             now: dt.datetime | None = None) -> ChangeRequest:
    """The vendor takes back its pending request (its own staff; another firm's is not found)."""
    require_role(actor, "vendor")
    change = _lock_for_decision(session, change_request_id, actor)
    CHANGE_REQUEST_LIFECYCLE.transition(
        session, change, "withdrawn", actor=actor, organization_id=change.vendor_id, now=now
    )
    return change


def accept_seats(profile: VendorProfile) -> None:
    """The seats as they stand are reviewed (a coordinator verified the vendor, or an admin set them)."""
    profile.seats_reviewed = profile.seats
