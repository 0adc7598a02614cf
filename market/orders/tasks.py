"""Scheduled jobs of the orders domain: closing bidding once its time has come."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy.orm import Session

from market.db import utcnow
from market.orders import services
from market.orders.models import Order

log = logging.getLogger(__name__)


def close_due_bidding(session: Session, now: dt.datetime | None = None) -> int:
    """Move published orders past their closing time to evaluating and say how many; the job commits."""
    return len(close_due_orders(session, now=now))


def close_due_orders(session: Session, now: dt.datetime | None = None) -> list[Order]:
    """Move published orders past their closing time to evaluating; the orders it closed.

    Safe to run twice or in two processes at once: only orders still published are picked,
    and on PostgreSQL rows another run holds are skipped rather than waited for.
    """
    now = now or utcnow()
    orders = session.scalars(services.due_for_closing(now)).all()
    for order in orders:
        services.close_bidding(session, order, now=now)
    if orders:
        log.info(
            "bidding closed on %d order(s): %s", len(orders), ", ".join(str(o.id) for o in orders)
        )
    return orders
