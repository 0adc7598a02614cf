"""Who may see an order, and who oversees it: the one visibility rule every domain asks."""

from __future__ import annotations

from sqlalchemy.orm import Session

from market.orders.models import Order
from market.permissions import not_found, require_same_org


def can_see(actor, order: Order) -> bool:
    """Drafts are seen only by their agency; every signed-in user sees published orders."""
    if not order.was_published:
        return actor is not None and actor.organization_id == order.agency_id
    return actor is not None


def get_visible_order(session: Session, order_id: int, *, actor, for_update: bool = False) -> Order:
    """The order if `actor` may see it, else 404 (a foreign draft is reported as missing)."""
    if for_update:
        order = session.get(Order, order_id, with_for_update=True)
    else:
        order = session.get(Order, order_id)
    if order is None or not can_see(actor, order):
        raise not_found("order", order_id)
    return order


def get_own_order(session: Session, order_id: int, *, actor, for_update: bool = False) -> Order:
    """The order if it belongs to `actor`'s agency; another agency's order is reported as missing."""
    order = get_visible_order(session, order_id, actor=actor, for_update=for_update)
    require_same_org(actor, order.agency_id, "order", order_id)
    return order


def oversees(actor, order: Order) -> bool:
    """The owning agency and coordinators oversee an order: they see every question and who asked it,
    and every bid once bidding has closed."""
    return actor.role == "coordinator" or (
        actor.role == "agency" and actor.organization_id == order.agency_id
    )
