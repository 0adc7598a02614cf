"""Schemas for contracts and their milestones."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from market.api.fields import (
    DateFilter,
    LocalDateTime,
    PageQuerySchema,
    QueryId,
    Vocabulary,
    page_schema,
)
from market.contracts.models import CONTRACT_STATUSES
from market.orders.schemas import AwardedVendorSchema, FirmNameSchema


class MilestoneSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    due_at = LocalDateTime()
    volume = fields.Integer()
    reported_volume = fields.Integer()
    completed_at = LocalDateTime(allow_none=True)


class ContractSchema(Schema):
    id = fields.Integer()
    allocation_id = fields.Integer(allow_none=True)
    order_id = fields.Integer()
    bid_id = fields.Integer(allow_none=True)
    vendor_id = fields.Integer()
    volume = fields.Integer()
    unit_price = fields.Decimal(as_string=True)
    value = fields.Decimal(as_string=True)
    seats = fields.Integer()
    status = fields.String()
    starts_at = LocalDateTime()
    deadline = LocalDateTime()
    created_at = LocalDateTime()
    completed_at = LocalDateTime(allow_none=True)
    delivered_on_time = fields.Boolean(allow_none=True)
    accuracy_achieved = fields.Float(allow_none=True)
    rating = fields.Integer(allow_none=True)
    milestones = fields.List(fields.Nested(MilestoneSchema))


class ContractQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(CONTRACT_STATUSES))
    order_id = QueryId()
    vendor_id = QueryId()


class PublicAwardSchema(AwardedVendorSchema):
    """One winning vendor's award on an awarded order, for anyone to read."""

    order_id = fields.Integer()
    order_title = fields.String()
    sector = fields.String()
    unit = fields.String()
    agency = fields.Nested(FirmNameSchema)


class AwardQuerySchema(PageQuerySchema):
    awarded_after = DateFilter(upper=False)
    awarded_before = DateFilter(upper=True)
    sector = Vocabulary("sectors")
    order_id = QueryId()
    vendor_id = QueryId()

    @validates_schema
    def _range_in_order(self, data, **kwargs):
        if "awarded_after" in data and "awarded_before" in data and data["awarded_after"] > data["awarded_before"]:
            raise ValidationError("Must not be later than awarded_before.", "awarded_after")


ContractPageSchema = page_schema(ContractSchema, "ContractPageSchema")
PublicAwardPageSchema = page_schema(PublicAwardSchema, "PublicAwardPageSchema")
