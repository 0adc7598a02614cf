"""Hard eligibility rules for a bid, with every refusal as a machine code and a readable reason."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

__all__ = [
    "CLEARANCE_LEVELS",
    "Bid",
    "Capability",
    "Order",
    "Refusal",
    "Vendor",
    "check_eligibility",
]

Id = int | str
Money = Decimal | int | float

# Tiers after GB/T 43697: a vendor cleared for a tier may handle data of that tier and below.
CLEARANCE_LEVELS: tuple[str, ...] = ("general", "important", "core")
_RANK = {level: rank for rank, level in enumerate(CLEARANCE_LEVELS)}


@dataclass(frozen=True)
class Capability:
    """What a vendor can do for one (modality, annotation type)."""

    throughput_per_seat_day: float  # units one seat produces per working day
    proficiency: float = 0.5  # assessed by coordinators, 0-1
    unit_price: Money | None = None  # the vendor's list quote, informative only


@dataclass(frozen=True)
class Vendor:
    """An annotation firm as the matching engine sees it."""

    id: Id
    seats: int
    verification: str = "verified"  # pending | verified | suspended
    clearance: str = "general"  # general | important | core
    certifications: frozenset[str] = frozenset()
    onsite_possible: bool = False
    local: bool = False  # in the programme's home region (derived by the product layer)
    recent_award_share: float = 0.0  # share of recent awards, 0-1, for the fairness score
    capabilities: Mapping[tuple[str, str], Capability] = field(default_factory=dict)
    name: str = ""


@dataclass(frozen=True)
class Order:
    """A public annotation order under evaluation.

    The work of an allocation is spread evenly over the working days from ``start`` (the first
    day work may begin, e.g. the day after bidding closes) to ``deadline`` (delivery).
    ``max_vendors`` 0 or None means unlimited; ``min_lot`` 0 or None means no minimum.
    ``weights`` overrides the policy's scoring weights for this order.
    """

    id: Id
    modality: str
    annotation_type: str
    volume: float
    budget_ceiling: Money
    start: date
    deadline: date
    data_classification: str = "general"
    onsite_required: bool = False
    required_certifications: frozenset[str] = frozenset()
    splittable: bool = False
    max_vendors: int | None = None
    min_lot: float | None = None
    unit: str = "item"
    reference_unit_price: Money | None = None  # defaults to budget_ceiling / volume
    weights: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Bid:
    """A vendor's sealed offer for an order.

    ``quality`` is the calibrated probability (0-1) from the quality model that this vendor
    delivers this order on time at the accuracy target; None falls back to the vendor's
    assessed proficiency for the order's capability (the model's prior for vendors with no
    history).
    """

    id: Id
    order_id: Id
    vendor_id: Id
    unit_price: Money
    volume: float
    quality: float | None = None


@dataclass(frozen=True)
class Refusal:
    """Why a bid is not eligible: a stable machine ``code``, a ``message`` for coordinators and the
    ``params`` the message is made of, so the product can say it again in the user's language."""

    code: str
    message: str
    params: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)


def _decimal(value: Money) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        # repr gives the shortest decimal that round-trips, i.e. what the user typed.
        return Decimal(repr(value))
    return Decimal(value)


def _over_budget(unit_price: Money, volume: float, ceiling: Money) -> bool:
    product = float(unit_price) * float(volume)
    limit = float(ceiling)
    if abs(product - limit) > 1e-9 * max(abs(limit), 1.0):
        return product > limit  # far from the limit, floats decide safely
    return _decimal(unit_price) * _decimal(volume) > _decimal(ceiling)


def _fmt(value: Money, places: int = 4) -> str:
    """A number as a coordinator would write it: no exponent, no trailing zeros."""
    number = _decimal(value)
    if number == number.to_integral_value():
        return str(number.quantize(Decimal(1)))
    return f"{round(number, places).normalize():f}"


def _clearance_rank(level: str, what: str) -> int:
    try:
        return _RANK[level]
    except KeyError:
        raise ValueError(
            f"unknown {what} {level!r}; expected one of {', '.join(CLEARANCE_LEVELS)}"
        ) from None


@lru_cache(maxsize=4096)  # one window per order, checked for each of its bids
def _has_working_day(start: date, end: date) -> bool:
    # Any three consecutive days include a weekday; shorter windows are checked day by day.
    days = (end - start).days + 1
    if days >= 3:
        return True
    return any((start + timedelta(days=i)).weekday() < 5 for i in range(max(days, 0)))


@lru_cache(maxsize=4096)
def _norm(cert: str) -> str:
    return " ".join(cert.split()).casefold()


@lru_cache(maxsize=4096)
def _held_cached(certifications: frozenset[str]) -> frozenset[str]:
    return frozenset(_norm(c) for c in certifications)


def _held(certifications: Collection[str]) -> frozenset[str]:
    """A vendor's certifications, normalised; computed once per vendor, not once per bid."""
    if isinstance(certifications, frozenset):
        return _held_cached(certifications)
    return frozenset(_norm(c) for c in certifications)


def check_eligibility(
    order: Order,
    vendor: Vendor,
    bid: Bid,
    excluded_pairs: Collection[tuple[Id, Id]] = frozenset(),
) -> tuple[Refusal, ...]:
    """Every hard rule the bid breaks, in a fixed order; an empty tuple means eligible.

    Rules (codes): the order window has a working day (no_working_day); vendor verified
    (vendor_not_verified); clearance at least the data classification (clearance_too_low);
    required certifications held (certification_missing); on-site possible where required
    (onsite_not_possible); a capability with throughput for the order's modality and
    annotation type (no_capability); unit price x order volume within the budget ceiling
    (over_budget, invalid_price); a positive volume (empty_bid); the full volume for an
    unsplittable order (partial_bid_not_splittable); at least the minimum lot for a
    splittable one (below_min_lot); the pair not rejected earlier (excluded_by_coordinator).

    ``excluded_pairs`` holds (order id, vendor id) pairs a coordinator rejected earlier.
    Raises ValueError when the bid does not belong to the order and vendor given, or when a
    clearance level is not one of general / important / core (bad data, not a refusal).
    """
    if bid.order_id != order.id or bid.vendor_id != vendor.id:
        raise ValueError(
            f"bid {bid.id!r} is for order {bid.order_id!r} and vendor {bid.vendor_id!r}, "
            f"not order {order.id!r} and vendor {vendor.id!r}"
        )
    refusals: list[Refusal] = []
    unit = order.unit

    if not _has_working_day(order.start, order.deadline):
        refusals.append(
            Refusal(
                "no_working_day",
                f"the order window {order.start}..{order.deadline} has no working day (Mon-Fri)",
                {"start": order.start.isoformat(), "deadline": order.deadline.isoformat()},
            )
        )

    if vendor.verification != "verified":
        refusals.append(
            Refusal("vendor_not_verified", f"vendor is {vendor.verification}, not verified",
                    {"verification": vendor.verification})
        )

    have = _clearance_rank(vendor.clearance, "clearance")
    need = _clearance_rank(order.data_classification, "data classification")
    if have < need:
        refusals.append(
            Refusal(
                "clearance_too_low",
                f"clearance {vendor.clearance!r} is below the order's data classification "
                f"{order.data_classification!r}",
                {"clearance": vendor.clearance, "required": order.data_classification},
            )
        )

    missing: list[str] = []
    if order.required_certifications:
        held = _held(vendor.certifications)
        missing = sorted(c for c in order.required_certifications if _norm(c) not in held)
    if missing:
        refusals.append(
            Refusal(
                "certification_missing",
                f"missing required certification{'s' if len(missing) > 1 else ''}: "
                + ", ".join(missing),
                {"missing": missing},
            )
        )

    if order.onsite_required and not vendor.onsite_possible:
        refusals.append(
            Refusal(
                "onsite_not_possible",
                "the order requires on-site work; the vendor cannot work on site",
                {},
            )
        )

    key = (order.modality, order.annotation_type)
    capability = vendor.capabilities.get(key)
    if capability is None:
        refusals.append(
            Refusal("no_capability", f"no capability for {order.modality}/{order.annotation_type}",
                    {"modality": order.modality, "annotation_type": order.annotation_type})
        )
    elif not capability.throughput_per_seat_day > 0:
        refusals.append(
            Refusal(
                "no_capability",
                f"capability for {order.modality}/{order.annotation_type} has no throughput",
                {"modality": order.modality, "annotation_type": order.annotation_type},
            )
        )

    # Pro rata budget: price * volume offered <= ceiling * volume offered / order volume,
    # i.e. unit price * order volume <= ceiling, compared exactly in decimals when close.
    if bid.unit_price < 0:
        refusals.append(Refusal("invalid_price", f"unit price {_fmt(bid.unit_price)} is negative",
                                {"unit_price": _fmt(bid.unit_price)}))
    elif order.volume > 0 and _over_budget(bid.unit_price, order.volume, order.budget_ceiling):
        price = _decimal(bid.unit_price)
        ceiling = _decimal(order.budget_ceiling)
        order_volume = _decimal(order.volume)
        refusals.append(
            Refusal(
                "over_budget",
                f"unit price {_fmt(price)} is above the budget ceiling per {unit} of "
                f"{_fmt(ceiling / order_volume)} ({_fmt(ceiling)} / {_fmt(order.volume)})",
                {"unit_price": _fmt(price), "ceiling_per_unit": _fmt(ceiling / order_volume),
                 "unit": unit, "budget_ceiling": _fmt(ceiling), "volume": _fmt(order.volume)},
            )
        )

    if bid.volume <= 0:
        refusals.append(Refusal("empty_bid", "the bid offers no volume", {"volume": _fmt(bid.volume)}))
    elif not order.splittable:
        if bid.volume < order.volume:
            refusals.append(
                Refusal(
                    "partial_bid_not_splittable",
                    f"the order is not splittable but the bid offers only "
                    f"{_fmt(bid.volume)} of {_fmt(order.volume)}",
                    {"volume": _fmt(bid.volume), "order_volume": _fmt(order.volume)},
                )
            )
    elif order.min_lot and bid.volume < order.min_lot:
        refusals.append(
            Refusal(
                "below_min_lot",
                f"the bid offers {_fmt(bid.volume)}, "
                f"below the minimum lot of {_fmt(order.min_lot)}",
                {"volume": _fmt(bid.volume), "min_lot": _fmt(order.min_lot)},
            )
        )

    if (order.id, vendor.id) in excluded_pairs:
        refusals.append(
            Refusal("excluded_by_coordinator", "a coordinator rejected this vendor for this order", {})
        )
    return tuple(refusals)
