"""Schemas for contracts and their milestones."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from market.api.fields import LocalDateTime, PageQuerySchema, QueryId, page_schema
from market.contracts.models import CONTRACT_STATUSES


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


ContractPageSchema = page_schema(ContractSchema, "ContractPageSchema")
