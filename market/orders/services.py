"""Orders: who may see them, and their lifecycle."""

from __future__ import annotations

from sqlalchemy.orm import Session

from market.lifecycle import Lifecycle
from market.orders.models import Order
from market.permissions import not_found

ORDER_LIFECYCLE = Lifecycle(
    object_type="order",
    allowed={
        "draft": frozenset({"published", "cancelled"}),
        "published": frozenset({"evaluating", "cancelled"}),
        "evaluating": frozenset({"awarded", "cancelled", "unsuccessful"}),
        "awarded": frozenset({"in_progress"}),
        "in_progress": frozenset({"completed"}),
    },
    stamps={
        "published": "published_at", "evaluating": "evaluating_at", "awarded": "awarded_at",
        "in_progress": "in_progress_at", "completed": "completed_at", "cancelled": "cancelled_at",
        "unsuccessful": "unsuccessful_at",
    },
)


def can_see(actor, order: Order) -> bool:
    """Drafts are seen only by their agency; every signed-in user sees published orders."""
    if order.status == "draft" or (order.status == "cancelled" and order.published_at is None):
        return actor is not None and actor.organization_id == order.agency_id
    return actor is not None


def get_visible_order(session: Session, order_id: int, actor, *, for_update: bool = False) -> Order:
    """The order if `actor` may see it, else 404 (a foreign draft is reported as missing)."""
    if for_update:
        order = session.get(Order, order_id, with_for_update=True)
    else:
        order = session.get(Order, order_id)
    if order is None or not can_see(actor, order):
        raise not_found("order", order_id)
    return order
