"""API: organisations, vendor verification and vendor capabilities."""

from __future__ import annotations

from flask_smorest import Blueprint

from market import db
from market.api import BEARER
from market.api.fields import paginate
from market.auth import current_user
from market.organizations import services
from market.organizations.schemas import (
    CapabilityListSchema, OrganizationPageSchema, OrganizationQuerySchema, OrganizationSchema,
    OrganizationUpdateSchema, RequiredReasonSchema, StatusReasonSchema,
)

blp = Blueprint("organizations", __name__, url_prefix="/api/v1/organizations",
                description="Agencies, vendors and the operator")
vendors_blp = Blueprint("vendors", __name__, url_prefix="/api/v1/vendors", description="Vendor capabilities")


@blp.get("")
@blp.arguments(OrganizationQuerySchema, location="query")
@blp.response(200, OrganizationPageSchema)
@blp.doc(security=BEARER)
def list_organizations(query):
    """List organisations"""
    current_user()
    stmt = services.list_organizations(kind=query.get("kind"), city=query.get("city"),
                                       verification_status=query.get("verification_status"), q=query.get("q"))
    return paginate(db.session, stmt, query["page"], query["per_page"])


@blp.post("")
@blp.arguments(OrganizationSchema)
@blp.response(201, OrganizationSchema)
@blp.doc(security=BEARER)
def create_organization(body):
    """Register an organisation (administrators)"""
    org = services.create_organization(db.session, body, actor=current_user())
    db.session.commit()
    return org


@blp.get("/<id:org_id>")
@blp.response(200, OrganizationSchema)
@blp.doc(security=BEARER)
def get_organization(org_id):
    """One organisation with its vendor profile"""
    return services.get_organization(db.session, org_id, actor=current_user())


@blp.patch("/<id:org_id>")
@blp.arguments(OrganizationUpdateSchema)
@blp.response(200, OrganizationSchema)
@blp.doc(security=BEARER)
def update_organization(body, org_id):
    """Edit an organisation (its own staff for the profile, administrators for everything)"""
    org = services.update_organization(db.session, org_id, body, actor=current_user())
    db.session.commit()
    return org


@blp.post("/<id:org_id>/verify")
@blp.arguments(StatusReasonSchema)
@blp.response(200, OrganizationSchema)
@blp.doc(security=BEARER)
def verify_vendor(body, org_id):
    """Verify a vendor, so that it may bid (coordinators)"""
    org = services.set_vendor_status(db.session, org_id, "verified", actor=current_user(),
                                     reason=body.get("reason"))
    db.session.commit()
    return org


@blp.post("/<id:org_id>/suspend")
@blp.arguments(RequiredReasonSchema)
@blp.response(200, OrganizationSchema)
@blp.doc(security=BEARER)
def suspend_vendor(body, org_id):
    """Suspend a vendor with a reason; it can no longer bid (coordinators)"""
    org = services.set_vendor_status(db.session, org_id, "suspended", actor=current_user(), reason=body["reason"])
    db.session.commit()
    return org


@vendors_blp.get("/<id:org_id>/capabilities")
@vendors_blp.response(200, CapabilityListSchema)
@vendors_blp.doc(security=BEARER)
def get_capabilities(org_id):
    """A vendor's capabilities"""
    return {"capabilities": services.capabilities_of(db.session, org_id, actor=current_user())}


@vendors_blp.put("/<id:org_id>/capabilities")
@vendors_blp.arguments(CapabilityListSchema)
@vendors_blp.response(200, CapabilityListSchema)
@vendors_blp.doc(security=BEARER)
def put_capabilities(body, org_id):
    """Replace a vendor's capabilities (the vendor; coordinators also set assessed proficiency)"""
    caps = services.replace_capabilities(db.session, org_id, body["capabilities"], actor=current_user())
    db.session.commit()
    return {"capabilities": caps}


BLUEPRINTS = [blp, vendors_blp]
