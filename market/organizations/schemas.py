"""Schemas for organisations, vendor profiles, capabilities and change requests."""

from __future__ import annotations

from flask import current_app, g
from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_dump,
    validate,
    validates,
    validates_schema,
)

from market.api.fields import (
    Amount,
    Function,
    LocalDateTime,
    Note,
    PageQuerySchema,
    QueryId,
    Reason,
    Text,
    Vocabulary,
    page_schema,
)
from market.i18n import N_
from market.organizations.change_requests import before_of, may_see, note_for
from market.organizations.credit_code import credit_code_problem
from market.organizations.models import (
    CHANGE_REQUEST_STATUSES,
    CLEARANCES,
    ORG_KINDS,
    ORG_STATUSES,
    VERIFICATION_STATUSES,
)
from market.organizations.region import is_local

_PLACE = validate.Length(min=1, max=50)


class Certification(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        allowed = current_app.config["VOCABULARY"]["certifications"]
        if value not in allowed:
            raise ValidationError(f"Unknown certification; known ones: {', '.join(allowed)}.")
        return value


class ChangeRequestSchema(Schema):
    id = fields.Integer()
    vendor_id = fields.Integer()
    vendor_name = Function(lambda change: change.vendor.organization.name)
    status = fields.String(metadata={
        "description": "pending, approved, rejected, withdrawn (by the vendor) or superseded (the "
                       "vendor asked again while it was pending)"})
    before = Function(before_of, metadata={
        "type": "object", "description": "the approved values of the fields asked for: as they "
                                         "stand while pending, as they were when decided (or, "
                                         "withdrawn or superseded, when asked)"})
    after = fields.Dict(attribute="requested", metadata={"description": "the values asked for"})
    supersedes_id = fields.Integer(allow_none=True)
    requested_by_id = fields.Integer(allow_none=True)
    requested_at = LocalDateTime()
    decided_by_id = fields.Integer(allow_none=True)
    decided_at = LocalDateTime(allow_none=True)
    withdrawn_at = LocalDateTime(allow_none=True)
    superseded_at = LocalDateTime(allow_none=True)
    reason = fields.String(allow_none=True, metadata={"description": "the decision's reason"})
    note = Function(
        lambda change: note_for(change, actor=g.get("current_user")),
        allow_none=True,
        metadata={"type": "string", "description": "internal note (coordinators and admins only)"},
    )


class ChangeRequestQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(CHANGE_REQUEST_STATUSES))
    vendor_id = QueryId()


class VendorProfileSchema(Schema):
    seats = fields.Integer(strict=True, validate=validate.Range(min=0, max=100000))
    headcount = fields.Integer(strict=True, validate=validate.Range(min=0, max=1000000))
    certifications = fields.List(Certification(), validate=validate.Length(max=20))
    clearance = fields.String(validate=validate.OneOf(CLEARANCES))
    onsite_possible = fields.Boolean()
    sme = fields.Boolean()
    verification_status = fields.String(dump_only=True)
    verified_at = LocalDateTime(dump_only=True, allow_none=True)
    suspended_at = LocalDateTime(dump_only=True, allow_none=True)
    status_reason = fields.String(dump_only=True, allow_none=True)
    local = fields.Method("_local", dump_only=True)
    pending_change = fields.Nested(ChangeRequestSchema, dump_only=True, allow_none=True, metadata={
        "description": "the raise of clearance, certifications, on-site work or seats waiting for "
                       "a coordinator (the vendor's own staff and the platform's only)"})

    def _local(self, profile) -> bool:
        return is_local(profile.organization, current_app.extensions["market.settings"])

    @post_dump(pass_original=True)
    def _pending_change_for_those_who_may_see_it(self, data, profile, **kwargs):
        if "pending_change" in data and not may_see(profile, actor=g.get("current_user")):
            data["pending_change"] = None
        return data


class OrganizationSchema(Schema):
    id = fields.Integer(dump_only=True)
    kind = fields.String(required=True, validate=validate.OneOf(ORG_KINDS))
    name = Text(required=True, max_length=200)
    credit_code = fields.String(
        required=True, metadata={"description": "unified social credit code, GB 32100-2015"}
    )
    province = fields.String(required=True, validate=_PLACE)
    city = fields.String(required=True, validate=_PLACE)
    county = fields.String(allow_none=True, validate=_PLACE)
    contact_email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    description = fields.String(allow_none=True, validate=validate.Length(max=5000))
    sectors = fields.List(Vocabulary("sectors"), validate=validate.Length(max=10))
    vendor_profile = fields.Nested(VendorProfileSchema, allow_none=True)
    status = fields.String(dump_only=True, metadata={
        "description": "active, or deactivated by an administrator (its staff cannot sign in)"})
    deactivated_at = LocalDateTime(dump_only=True, allow_none=True)
    created_at = LocalDateTime(dump_only=True)

    @validates("credit_code")
    def _check_credit_code(self, value, **kwargs):
        problem = credit_code_problem(value)
        if problem:
            raise ValidationError(f"Not a valid unified social credit code: {problem}.")

    @validates_schema
    def _profile_only_for_vendors(self, data, **kwargs):
        if data.get("vendor_profile") and data.get("kind", "vendor") != "vendor":
            raise ValidationError("Only vendors have a vendor profile.", "vendor_profile")
        if data.get("sectors") and data.get("kind", "agency") != "agency":
            raise ValidationError(N_("Only agencies have sectors."), "sectors")


class OrganizationUpdateSchema(Schema):
    name = Text(max_length=200)
    credit_code = fields.String()
    province = fields.String(validate=_PLACE)
    city = fields.String(validate=_PLACE)
    county = fields.String(allow_none=True, validate=_PLACE)
    contact_email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    description = fields.String(allow_none=True, validate=validate.Length(max=5000))
    sectors = fields.List(Vocabulary("sectors"), validate=validate.Length(max=10))
    vendor_profile = fields.Nested(VendorProfileSchema)

    @validates("credit_code")
    def _check_credit_code(self, value, **kwargs):
        problem = credit_code_problem(value)
        if problem:
            raise ValidationError(f"Not a valid unified social credit code: {problem}.")


class OrganizationQuerySchema(PageQuerySchema):
    kind = fields.String(validate=validate.OneOf(ORG_KINDS))
    city = fields.String(validate=_PLACE)
    verification_status = fields.String(validate=validate.OneOf(VERIFICATION_STATUSES))
    status = fields.String(validate=validate.OneOf(ORG_STATUSES))
    q = fields.String(validate=validate.Length(max=100))


class OrganizationActiveSchema(Schema):
    active = fields.Boolean(required=True, metadata={
        "description": "false: its staff cannot sign in and their tokens are revoked"})


class StatusReasonSchema(Schema):
    """Every decision on a vendor has a reason (told to the vendor) and may have an internal note."""

    reason = Reason(required=True, metadata={"description": "why, told to the vendor"})
    note = Note(
        metadata={"description": "an internal note for coordinators, never shown to the vendor"}
    )


class CapabilitySchema(Schema):
    # Read-only fields may be sent back as they were read (a PUT of what a GET returned).
    id = fields.Integer(strict=True, allow_none=True, metadata={"description": "read-only"})
    modality = Vocabulary("modalities", required=True)
    annotation_type = Vocabulary("annotation_types", required=True)
    throughput_per_seat_day = fields.Float(
        required=True, validate=validate.Range(min=0, min_inclusive=False, max=1e7),
        metadata={"description": "units one seat finishes in a working day"},
    )
    unit_price = Amount(
        required=True, places=4, validate=validate.Range(min=0, min_inclusive=False, max=1e6)
    )
    assessed_proficiency = fields.Float(allow_none=True, validate=validate.Range(min=0, max=1),
                                        metadata={"description": "set by coordinators only"})
    evidence = fields.String(allow_none=True, validate=validate.Length(max=2000))
    assessed_at = LocalDateTime(allow_none=True, metadata={"description": "read-only"})


class CapabilityChangeSchema(CapabilitySchema):
    """One capability changed on its own: its kind (modality, annotation type) stays."""

    modality = Vocabulary("modalities")
    annotation_type = Vocabulary("annotation_types")
    throughput_per_seat_day = fields.Float(validate=validate.Range(min=0, min_inclusive=False, max=1e7))
    unit_price = Amount(places=4, validate=validate.Range(min=0, min_inclusive=False, max=1e6))


class CapabilityListSchema(Schema):
    capabilities = fields.List(fields.Nested(CapabilitySchema), required=True,
                               validate=validate.Length(max=200))

    @validates_schema
    def _unique_kinds(self, data, **kwargs):
        seen = set()
        for item in data.get("capabilities", []):
            key = (item["modality"], item["annotation_type"])
            if key in seen:
                raise ValidationError(f"{key[0]}/{key[1]} is listed twice.", "capabilities")
            seen.add(key)


OrganizationPageSchema = page_schema(OrganizationSchema, "OrganizationPageSchema")
ChangeRequestPageSchema = page_schema(ChangeRequestSchema, "ChangeRequestPageSchema")
