"""Schemas for reading the audit trail."""

from __future__ import annotations

from flask import g
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from market.api.fields import (
    DateFilter,
    Function,
    LocalDateTime,
    PageQuerySchema,
    QueryId,
    page_schema,
)
from market.audit.services import ALL_EVENTS_ROLES, readable_data


def _ip_address_for_staff(event) -> str | None:
    # An address identifies a person; only the platform's own staff need it to investigate.
    user = g.get("current_user")
    return event.ip_address if user is not None and user.role in ALL_EVENTS_ROLES else None


class AuditEventSchema(Schema):
    id = fields.Integer()
    occurred_at = LocalDateTime()
    action = fields.String(metadata={"description": "what happened, e.g. order.published"})
    object_type = fields.String()
    object_id = fields.Integer(allow_none=True)
    organization_id = fields.Integer(
        allow_none=True, metadata={"description": "the organisation whose object this is"}
    )
    actor_id = fields.Integer(
        allow_none=True, metadata={"description": "null when the system acted"}
    )
    actor_org_id = fields.Integer(allow_none=True)
    data = Function(
        lambda event: readable_data(event, actor=g.get("current_user")),
        metadata={"type": "object", "description": "internal notes for staff only"},
    )
    request_id = fields.String(allow_none=True)
    ip_address = Function(_ip_address_for_staff, allow_none=True, metadata={
        "type": "string", "description": "shown to administrators and coordinators only",
    })


class AuditEventQuerySchema(PageQuerySchema):
    object_type = fields.String(validate=validate.Length(min=1, max=32))
    object_id = QueryId()
    actor_id = QueryId()
    action = fields.String(validate=validate.Length(min=1, max=64), metadata={
        "description": "an exact action (order.published), or a prefix ending in a dot (order.)",
    })
    occurred_after = DateFilter(
        upper=False, metadata={"description": "events at or after this time (or date)"}
    )
    occurred_before = DateFilter(
        upper=True, metadata={"description": "events before this time (or up to this date)"}
    )

    @validates_schema
    def _ordered_window(self, data, **kwargs):
        after, before = data.get("occurred_after"), data.get("occurred_before")
        if after is not None and before is not None and after > before:
            raise ValidationError("Must not be later than occurred_before.", "occurred_after")


AuditEventPageSchema = page_schema(AuditEventSchema, "AuditEventPageSchema")
