"""The matching engine's hard rules, asked on the demo's behalf while it plans who bids for what.

The demo writes bids that can win (submit_bid refuses the others) and orders some firms can take on:
it asks market.matching.eligibility.check_eligibility, with the engine's objects built by
market.allocations.inputs as a matching run builds them, and never judges by itself.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from market.allocations import inputs
from market.demo.people import Vendor
from market.matching import eligibility
from market.orders.models import Order
from market.settings import Settings


@dataclass(frozen=True)
class Terms:
    """What a bid offers, as engine_bid reads it; also for a bid not (yet) made."""

    order_id: int | None
    vendor_id: int
    unit_price: Decimal
    volume: int
    id: int | None = None


class Rules:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._vendors: dict[tuple[int, bool], eligibility.Vendor] = {}

    def _engine_vendor(self, vendor: Vendor, verified_then: bool) -> eligibility.Vendor:
        # Built once per firm: the cast does not change once seeded.
        key = (vendor.org.id, verified_then)
        if key not in self._vendors:
            engine_vendor = inputs.engine_vendor(vendor.org, award_share=0.0, settings=self.settings)
            if verified_then:
                engine_vendor = replace(engine_vendor, verification="verified")
            self._vendors[key] = engine_vendor
        return self._vendors[key]

    def _engine_order(self, order: Order) -> eligibility.Order:
        # As a run right after closing would see it: nothing matched yet.
        return inputs.engine_order(order, remaining=order.volume, vendors_left=order.max_vendors,
                                   today=self.settings.local_date(order.bidding_closes_at), settings=self.settings)

    def could_win(self, order: Order, vendors: list[Vendor], *, verified_then: bool = False) -> list[Vendor]:
        """The firms whose bid for the whole order, at a price within budget, the engine would not refuse.

        `order` may be one not yet created (no id). `verified_then`: the firms as they stood when
        verified (the firm suspended today won work before its suspension).
        """
        engine_order = self._engine_order(order)
        able = []
        for vendor in vendors:
            # A probe at no price: only the rules about the firm and the work speak.
            probe = Terms(order_id=order.id, vendor_id=vendor.org.id, unit_price=Decimal(0), volume=order.volume)
            if not self.refusals(order, vendor, probe, engine_order=engine_order, verified_then=verified_then):
                able.append(vendor)
        return able

    def refusals(self, order: Order, vendor: Vendor, terms, *, engine_order: eligibility.Order | None = None,
                 verified_then: bool = False) -> tuple[eligibility.Refusal, ...]:
        """Every hard rule a bid with these terms (a Bid or Terms) breaks; empty when it can win."""
        return eligibility.check_eligibility(
            engine_order or self._engine_order(order), self._engine_vendor(vendor, verified_then),
            inputs.engine_bid(terms, remaining=order.volume),
        )
