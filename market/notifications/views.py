"""API: the signed-in user's notifications, and marking them read."""

from __future__ import annotations

from market import db
from market.api.openapi import Blueprint
from market.auth import current_user
from market.notifications import services
from market.notifications.schemas import (
    NotificationPageSchema,
    NotificationQuerySchema,
    NotificationSchema,
    OutboxEmailPageSchema,
    OutboxQuerySchema,
)

blp = Blueprint("notifications", __name__, url_prefix="/api/v1/notifications",
                description="The signed-in user's notifications")


@blp.get("")
@blp.arguments(NotificationQuerySchema, location="query")
@blp.paginated(NotificationPageSchema)
def list_notifications(query):
    """My notifications, newest first"""
    return services.notifications_of(actor=current_user(), **query)


@blp.post("/<id:notification_id>/read")
@blp.response(200, NotificationSchema)
@blp.commits
def mark_read(notification_id):
    """Mark one of my notifications read"""
    return services.mark_read(db.session, notification_id, actor=current_user())


outbox_blp = Blueprint("outbox_emails", __name__, url_prefix="/api/v1/outbox-emails",
                       description="The e-mail outbox (administrators)")


@outbox_blp.get("")
@outbox_blp.arguments(OutboxQuerySchema, location="query")
@outbox_blp.paginated(OutboxEmailPageSchema)
def list_outbox(query):
    """Queued, sent, failed and unknown e-mails, newest first, with their error (administrators)"""
    return services.outbox_emails(actor=current_user(), **query)


BLUEPRINTS = [blp, outbox_blp]
