"""Schemas for a user's in-app notifications."""

from __future__ import annotations

from marshmallow import Schema, fields

from market.api.fields import LocalDateTime, PageQuerySchema, page_schema


class NotificationSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "what it is about, e.g. order.published"})
    payload = fields.Dict(keys=fields.String())
    title = fields.String(metadata={"description": "what it is about, in the recipient's language"})
    text = fields.String(metadata={"description": "what happened, in the recipient's language"})
    created_at = LocalDateTime()
    read_at = LocalDateTime(allow_none=True)


class NotificationQuerySchema(PageQuerySchema):
    unread = fields.Boolean(
        metadata={"description": "true: only unread ones; false: only read ones"}
    )


NotificationPageSchema = page_schema(NotificationSchema, "NotificationPageSchema")
