"""The engine's objects from database rows, and the hard rules asked of a bid when it is placed.

A bid is judged at placement, at every matching run and again at approval by the same function
(market.matching.eligibility.check_eligibility) on objects built here, so a firm learns at once
that a bid cannot win, and why, in the words of market.bids.reasons.
"""

from __future__ import annotations

import datetime as dt

from market.bids.reasons import describe
from market.errors import BODY
from market.matching import eligibility
from market.orders.models import Order
from market.organizations.models import Organization
from market.organizations.region import is_local
from market.settings import Settings

# The field of the bid each refusal is about; the others are about the firm and the order.
REFUSAL_FIELDS = {
    "over_budget": "unit_price",
    "invalid_price": "unit_price",
    "empty_bid": "volume",
    "partial_bid_not_splittable": "volume",
    "below_min_lot": "volume",
}


def engine_vendor(
    org: Organization, *, award_share: float, settings: Settings
) -> eligibility.Vendor:
    profile = org.vendor_profile
    return eligibility.Vendor(
        id=org.id,
        seats=profile.seats,
        verification=profile.verification_status,
        clearance=profile.clearance,
        certifications=frozenset(profile.certifications or ()),
        onsite_possible=profile.onsite_possible,
        local=is_local(org, settings),
        recent_award_share=min(max(award_share, 0.0), 1.0),
        capabilities={
            (c.modality, c.annotation_type): eligibility.Capability(
                throughput_per_seat_day=c.throughput_per_seat_day,
                proficiency=0.5 if c.assessed_proficiency is None else c.assessed_proficiency,
                unit_price=c.unit_price,
            )
            for c in profile.capabilities
        },
        name=org.name,
    )


def engine_order(order: Order, *, remaining: int, vendors_left: int | None, today: dt.date,
                 settings: Settings) -> eligibility.Order:
    unit_ceiling = order.budget_ceiling / order.volume
    return eligibility.Order(
        id=order.id,
        modality=order.modality,
        annotation_type=order.annotation_type,
        volume=remaining,
        # The ceiling scales with what is left, so the per-unit ceiling stays the order's own.
        budget_ceiling=unit_ceiling * remaining,
        reference_unit_price=unit_ceiling,
        start=max(today, settings.local_date(order.bidding_closes_at)),
        deadline=settings.local_date(order.delivery_deadline),
        data_classification=order.data_classification,
        onsite_required=order.onsite_required,
        required_certifications=frozenset(order.required_certifications or ()),
        splittable=order.splittable,
        max_vendors=vendors_left,
        min_lot=min(order.min_lot, remaining) if order.min_lot else None,
        unit=order.unit,
        weights=order.scoring_weights,
    )


def engine_bid(bid, *, remaining: int, quality: float | None = None) -> eligibility.Bid:
    return eligibility.Bid(
        id=bid.id,
        order_id=bid.order_id,
        vendor_id=bid.vendor_id,
        unit_price=bid.unit_price,
        volume=min(bid.volume, remaining),
        quality=quality,
    )


class _Terms:
    """A bid's terms before (or without) a row: what engine_bid reads."""

    def __init__(self, order: Order, vendor: Organization, terms: dict) -> None:
        self.id, self.order_id, self.vendor_id = None, order.id, vendor.id
        self.unit_price, self.volume = terms["unit_price"], terms["volume"]


def placement_refusals(order: Order, vendor: Organization, terms: dict, *, now: dt.datetime,
                       settings: Settings) -> tuple[eligibility.Refusal, ...]:
    """Every hard rule a bid with `terms` would break on `order`, as a run right after closing
    would judge it (nothing matched yet, no pair rejected yet)."""
    return eligibility.check_eligibility(
        engine_order(order, remaining=order.volume, vendors_left=order.max_vendors,
                     today=settings.local_date(now), settings=settings),
        engine_vendor(vendor, award_share=0.0, settings=settings),
        engine_bid(_Terms(order, vendor, terms), remaining=order.volume),
    )


def firm_refusals(order: Order, vendor: Organization, *, now: dt.datetime,
                  settings: Settings) -> tuple[eligibility.Refusal, ...]:
    """The hard rules that refuse any bid of `vendor` on `order`, whatever its price and volume
    (verification, clearance, certifications, on-site work, capability): what a firm looking for
    work is told before it bids."""
    refusals = placement_refusals(order, vendor, {"unit_price": 0, "volume": order.volume}, now=now,
                                  settings=settings)
    return tuple(r for r in refusals if r.code not in REFUSAL_FIELDS)


def refusal_errors(refusals, errors: dict[str, list[str]], language: str | None = "en") -> dict[str, list[str]]:
    """The refusals as field messages in `language`, beside the `errors` already found (a field the
    bid's own checks flagged keeps their message: the same rule is not said twice)."""
    merged = {field: list(messages) for field, messages in errors.items()}
    for refusal in refusals:
        field = REFUSAL_FIELDS.get(refusal.code, BODY)
        if field != BODY and field in errors:
            continue
        merged.setdefault(field, []).append(describe(refusal.code, refusal.params, language))
    return merged
