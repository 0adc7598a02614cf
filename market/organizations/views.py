"""API: organisations, vendor verification, vendor capabilities and vendors' change requests."""

from __future__ import annotations

from market import db
from market.api.openapi import Blueprint
from market.auth import current_user
from market.organizations import change_requests, services
from market.organizations.schemas import (
    CapabilityChangeSchema,
    CapabilityListSchema,
    CapabilitySchema,
    ChangeRequestPageSchema,
    ChangeRequestQuerySchema,
    ChangeRequestSchema,
    OrganizationActiveSchema,
    OrganizationPageSchema,
    OrganizationQuerySchema,
    OrganizationSchema,
    OrganizationUpdateSchema,
    StatusReasonSchema,
)

blp = Blueprint("organizations", __name__, url_prefix="/api/v1/organizations",
                description="Agencies, vendors and the operator")
vendors_blp = Blueprint(
    "vendors", __name__, url_prefix="/api/v1/vendors", description="Vendor capabilities"
)
changes_blp = Blueprint(
    "change_requests", __name__, url_prefix="/api/v1/change-requests",
    description="Vendors' changes to what eligibility trusts, and the coordinators' decisions",
)


@blp.get("")
@blp.arguments(OrganizationQuerySchema, location="query")
@blp.paginated(OrganizationPageSchema)
def list_organizations(query):
    """List organisations"""
    return services.list_organizations(actor=current_user(), **query)


@blp.post("")
@blp.arguments(OrganizationSchema)
@blp.response(201, OrganizationSchema)
@blp.commits
def create_organization(body):
    """Register an organisation (administrators)"""
    return services.create_organization(db.session, body, actor=current_user())


@blp.get("/<id:org_id>")
@blp.response(200, OrganizationSchema)
def get_organization(org_id):
    """One organisation with its vendor profile"""
    return services.get_organization(db.session, org_id, actor=current_user())


@blp.patch("/<id:org_id>")
@blp.arguments(OrganizationUpdateSchema)
@blp.response(200, OrganizationSchema)
@blp.commits
def update_organization(body, org_id):
    """Edit an organisation (its own staff for the profile, administrators for everything)

    A verified vendor's own raise of clearance, certifications, on-site work or seats (beyond the
    configured share) becomes its pending change request, shown as vendor_profile.pending_change;
    the rest of the edit is applied at once.
    """
    return services.update_organization(db.session, org_id, body, actor=current_user())


@blp.post("/<id:org_id>/active")
@blp.arguments(OrganizationActiveSchema)
@blp.response(200, OrganizationSchema)
@blp.commits
def set_active(body, org_id):
    """Deactivate or reactivate an organisation; deactivated, its staff cannot sign in (administrators)

    A verified vendor is suspended by a coordinator first (409 otherwise).
    """
    return services.set_organization_active(db.session, org_id, body["active"], actor=current_user())


@blp.post("/<id:org_id>/verify")
@blp.arguments(StatusReasonSchema)
@blp.response(200, OrganizationSchema)
@blp.commits
def verify_vendor(body, org_id):
    """Verify a vendor, so that it may bid (coordinators)"""
    return services.set_vendor_status(db.session, org_id, "verified", actor=current_user(), **body)


@blp.post("/<id:org_id>/suspend")
@blp.arguments(StatusReasonSchema)
@blp.response(200, OrganizationSchema)
@blp.commits
def suspend_vendor(body, org_id):
    """Suspend a vendor with a reason; it can no longer bid (coordinators)"""
    return services.set_vendor_status(db.session, org_id, "suspended", actor=current_user(), **body)


@vendors_blp.get("/<id:org_id>/capabilities")
@vendors_blp.response(200, CapabilityListSchema)
def get_capabilities(org_id):
    """A vendor's capabilities"""
    return {"capabilities": services.capabilities_of(db.session, org_id, actor=current_user())}


@vendors_blp.put("/<id:org_id>/capabilities")
@vendors_blp.arguments(CapabilityListSchema)
@vendors_blp.response(200, CapabilityListSchema)
@vendors_blp.commits
def put_capabilities(body, org_id):
    """Replace a vendor's capabilities (the vendor; coordinators also set assessed proficiency)"""
    return {"capabilities": services.replace_capabilities(db.session, org_id, body["capabilities"],
                                                          actor=current_user())}


@vendors_blp.post("/<id:org_id>/capabilities")
@vendors_blp.arguments(CapabilitySchema)
@vendors_blp.response(201, CapabilitySchema)
@vendors_blp.commits
def add_capability(body, org_id):
    """Add one capability (the vendor, or coordinators)"""
    return services.add_capability(db.session, org_id, body, actor=current_user())


@vendors_blp.put("/<id:org_id>/capabilities/<id:capability_id>")
@vendors_blp.arguments(CapabilityChangeSchema)
@vendors_blp.response(200, CapabilitySchema)
@vendors_blp.commits
def change_capability(body, org_id, capability_id):
    """Change one capability; its kind stays (the vendor, or coordinators)"""
    return services.change_capability(db.session, org_id, capability_id, body, actor=current_user())


@vendors_blp.delete("/<id:org_id>/capabilities/<id:capability_id>")
@vendors_blp.response(204)
@vendors_blp.commits
def remove_capability(org_id, capability_id):
    """Remove one capability (an assessed one only by coordinators)"""
    services.remove_capability(db.session, org_id, capability_id, actor=current_user())


@changes_blp.get("")
@changes_blp.arguments(ChangeRequestQuerySchema, location="query")
@changes_blp.paginated(ChangeRequestPageSchema)
def list_change_requests(query):
    """Change requests with each field before and after, newest first (vendors: their own)"""
    return change_requests.list_change_requests(actor=current_user(), **query)


@changes_blp.get("/<id:change_request_id>")
@changes_blp.response(200, ChangeRequestSchema)
def get_change_request(change_request_id):
    """One change request and its state"""
    return change_requests.get_change_request(db.session, change_request_id, actor=current_user())


@changes_blp.post("/<id:change_request_id>/approve")
@changes_blp.arguments(StatusReasonSchema)
@changes_blp.response(200, ChangeRequestSchema)
@changes_blp.commits
def approve_change_request(body, change_request_id):
    """Approve a change: its values become the vendor's profile, which eligibility reads (coordinators)"""
    return change_requests.approve(db.session, change_request_id, actor=current_user(), **body)


@changes_blp.post("/<id:change_request_id>/reject")
@changes_blp.arguments(StatusReasonSchema)
@changes_blp.response(200, ChangeRequestSchema)
@changes_blp.commits
def reject_change_request(body, change_request_id):
    """Reject a change with a reason; the profile keeps its approved values (coordinators)"""
    return change_requests.reject(db.session, change_request_id, actor=current_user(), **body)


@changes_blp.post("/<id:change_request_id>/withdraw")
@changes_blp.response(200, ChangeRequestSchema)
@changes_blp.commits
def withdraw_change_request(change_request_id):
    """Take back a pending change request (the vendor's own staff)"""
    return change_requests.withdraw(db.session, change_request_id, actor=current_user())


BLUEPRINTS = [blp, vendors_blp, changes_blp]
