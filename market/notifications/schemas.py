"""Schemas for a user's in-app notifications."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from market.api.fields import Function, LocalDateTime, PageQuerySchema, page_schema
from market.auth import reader_language
from market.notifications.models import OUTBOX_STATUSES
from market.notifications.services import displayed


class NotificationSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "what it is about, e.g. order.published"})
    payload = fields.Dict(keys=fields.String())
    title = Function(lambda n: displayed(n, reader_language())[0],
                     metadata={"type": "string", "description": "what it is about, in the reader's language"})
    text = Function(lambda n: displayed(n, reader_language())[1],
                    metadata={"type": "string", "description": "what happened, in the reader's language"})
    created_at = LocalDateTime()
    read_at = LocalDateTime(allow_none=True)


class NotificationQuerySchema(PageQuerySchema):
    unread = fields.Boolean(
        metadata={"description": "true: only unread ones; false: only read ones"}
    )


NotificationPageSchema = page_schema(NotificationSchema, "NotificationPageSchema")


class OutboxEmailSchema(Schema):
    id = fields.Integer()
    to_address = fields.String()
    subject = fields.String()
    status = fields.String(metadata={"description": "pending, sending, sent, failed (given up "
                                                    "after its last attempt, or waiting for its "
                                                    "next) or unknown (its sender stopped while "
                                                    "sending it: it may have gone out, so it is not "
                                                    "sent again)"})
    attempts = fields.Integer()
    created_at = LocalDateTime()
    sent_at = LocalDateTime(allow_none=True)
    next_attempt_at = LocalDateTime(allow_none=True)
    last_error = fields.String(allow_none=True)


class OutboxQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(OUTBOX_STATUSES))


OutboxEmailPageSchema = page_schema(OutboxEmailSchema, "OutboxEmailPageSchema")
