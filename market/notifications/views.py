"""API: the signed-in user's notifications, and marking them read."""

from __future__ import annotations

from flask_smorest import Blueprint

from market import db
from market.api import BEARER
from market.api.fields import paginate
from market.auth import current_user
from market.notifications import services
from market.notifications.schemas import NotificationPageSchema, NotificationQuerySchema, NotificationSchema

blp = Blueprint("notifications", __name__, url_prefix="/api/v1/notifications",
                description="The signed-in user's notifications")


@blp.get("")
@blp.arguments(NotificationQuerySchema, location="query")
@blp.response(200, NotificationPageSchema)
@blp.doc(security=BEARER)
def list_notifications(query):
    """My notifications, newest first"""
    stmt = services.notifications_of(actor=current_user(), unread=query.get("unread"))
    return paginate(db.session, stmt, query["page"], query["per_page"])


@blp.post("/<id:notification_id>/read")
@blp.response(200, NotificationSchema)
@blp.doc(security=BEARER)
def mark_read(notification_id):
    """Mark one of my notifications read"""
    notification = services.mark_read(db.session, notification_id, actor=current_user())
    db.session.commit()
    return notification


BLUEPRINTS = [blp]
