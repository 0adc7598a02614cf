"""The award notice of an order: who won it, for how much, and when, as the public directory shows it.

Read through Order.contracts (a read-only relationship), so the directory needs nothing above orders.
An order shows its award only once it is awarded; partial approvals before that stay unannounced.
"""

from __future__ import annotations

from decimal import Decimal

from market.orders.models import Order

# The statuses of an order that was awarded: its award notice is public from then on.
AWARDED_STATUSES = ("awarded", "in_progress", "completed")


def award_entry(contract) -> dict:
    """One winning vendor's award: its firm, volume, unit price, value and the date of approval."""
    return {
        "vendor": {"id": contract.vendor.id, "name": contract.vendor.name},
        "volume": contract.volume,
        "unit_price": contract.unit_price,
        "value": contract.value,
        "awarded_at": contract.created_at,
    }


def award_notice(order: Order) -> dict | None:
    """The order's award (None until it is awarded): every winning vendor, and the totals."""
    if order.status not in AWARDED_STATUSES or not order.contracts:
        return None
    vendors = [award_entry(contract) for contract in order.contracts]
    return {
        "awarded_at": order.awarded_at,
        "volume": sum(v["volume"] for v in vendors),
        "value": sum((v["value"] for v in vendors), Decimal("0.00")),
        "vendors": vendors,
    }
