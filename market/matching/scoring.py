"""Explainable 0-100 score of a bid: five components, each 0-100, weighted by a policy."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any, NamedTuple

__all__ = [
    "COMPONENTS",
    "DEFAULT_PARAMS",
    "DEFAULT_WEIGHTS",
    "ComponentScore",
    "ScoreBreakdown",
    "ScoreParams",
    "capacity_score",
    "fairness_score",
    "local_score",
    "price_score",
    "quality_score",
    "score_bid",
    "validate_weights",
]

COMPONENTS: tuple[str, ...] = ("quality", "price", "capacity", "local", "fairness")

DEFAULT_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {"quality": 40.0, "price": 25.0, "capacity": 15.0, "local": 10.0, "fairness": 10.0}
)

_WEIGHT_TOLERANCE = 1e-6


def validate_weights(weights: Mapping[str, Any]) -> dict[str, float]:
    """Check a weighting policy and return it as ``{component: float}`` in canonical order.

    The keys must be exactly the five components (quality, price, capacity, local, fairness),
    each weight a finite number >= 0, and the weights must sum to 100. Raises ValueError
    saying what is wrong, in words a coordinator setting the policy can act on.
    """
    if not isinstance(weights, Mapping):
        raise ValueError("weights must be a mapping of component name to number")
    unknown = sorted(str(k) for k in weights if k not in COMPONENTS)
    missing = [c for c in COMPONENTS if c not in weights]
    if unknown or missing:
        parts = []
        if missing:
            parts.append("missing " + ", ".join(missing))
        if unknown:
            parts.append("unknown " + ", ".join(unknown))
        raise ValueError(
            f"weights must name exactly {', '.join(COMPONENTS)} ({'; '.join(parts)})"
        )
    clean: dict[str, float] = {}
    for name in COMPONENTS:
        raw = weights[name]
        if isinstance(raw, bool) or not isinstance(raw, (int, float, Decimal)):
            raise ValueError(f"weight of {name} must be a number, got {raw!r}")
        value = float(raw)
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"weight of {name} must be a finite number >= 0, got {raw}")
        clean[name] = value
    total = math.fsum(clean.values())
    if abs(total - 100.0) > _WEIGHT_TOLERANCE:
        raise ValueError(f"weights must sum to 100, they sum to {total:g}")
    return _Weights(clean)


class _Weights(dict):  # type: ignore[type-arg]
    """A policy that passed validate_weights, so scoring need not check it again per bid.

    Read-only, so that it cannot become invalid after the check.
    """

    def _read_only(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("validated weights are read-only; validate a new mapping instead")

    __setitem__ = __delitem__ = __ior__ = _read_only  # type: ignore[assignment]
    clear = pop = popitem = setdefault = update = _read_only  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:  # copy and pickle without __setitem__
        return (_Weights, (dict(self),))


@dataclass(frozen=True)
class ScoreParams:
    """Where each component reaches full marks; policy knobs with sensible defaults.

    - price: 0 at the reference unit price (the budget ceiling per unit), 100 at
      ``price_full_marks_ratio`` of it or below, linear in between. The floor keeps a dumping
      bid from buying an order with price alone.
    - capacity: from the share of the vendor's free seat-days in the order window that the
      bid would use; 100 up to ``capacity_comfortable_share``, 0 at 100 % or more, linear in
      between.
    - fairness: 100 for a vendor with no recent awards, 0 at ``fairness_zero_share`` of
      recent awards or more, linear in between.
    """

    price_full_marks_ratio: float = 0.5
    capacity_comfortable_share: float = 0.7
    fairness_zero_share: float = 0.25

    def __post_init__(self) -> None:
        if not 0 <= self.price_full_marks_ratio < 1:
            raise ValueError("price_full_marks_ratio must be in [0, 1)")
        if not 0 <= self.capacity_comfortable_share < 1:
            raise ValueError("capacity_comfortable_share must be in [0, 1)")
        if not 0 < self.fairness_zero_share <= 1:
            raise ValueError("fairness_zero_share must be in (0, 1]")


DEFAULT_PARAMS = ScoreParams()


class ComponentScore(NamedTuple):
    """One line of the breakdown: what was measured, what it scored, and what it added."""

    # A NamedTuple rather than a dataclass: five per bid whose breakdown is read, tens of thousands
    # when a run is stored.
    name: str
    raw: float  # the measured fact (probability, price ratio, utilisation, local 0/1, share)
    score: float  # 0-100
    weight: float  # from the policy; weights sum to 100
    contribution: float  # weight * score / 100; contributions sum to the total
    explanation: str

    def as_dict(self) -> dict[str, Any]:
        return {
            # JSON has no infinity: "no free seat-days at all" is stored as null.
            "raw": self.raw if math.isfinite(self.raw) else None,
            "score": self.score,
            "weight": self.weight,
            "contribution": self.contribution,
            "explanation": self.explanation,
        }


class _Facts(NamedTuple):
    """What a bid was scored on and the five component scores, in COMPONENTS order."""

    quality_probability: float
    unit_price: float
    reference_unit_price: float
    price_ratio: float
    seat_days_needed: float
    free_seat_days: float
    capacity_share: float
    local: bool
    recent_award_share: float
    scores: tuple[float, float, float, float, float]
    weights: tuple[float, float, float, float, float]


class ScoreBreakdown:
    """The score of one (order, bid) pair, 0-100, with one line per component.

    The lines (with their explanations) are written out when first read: a run scores tens of
    thousands of bids and the solver needs only the totals.
    """

    __slots__ = ("total", "_facts", "_components")

    def __init__(self, total: float, facts: _Facts):
        self.total = total
        self._facts = facts
        self._components: tuple[ComponentScore, ...] | None = None

    @property
    def components(self) -> tuple[ComponentScore, ...]:
        if self._components is None:
            f = self._facts
            raws = (f.quality_probability, f.price_ratio, f.capacity_share,
                    1.0 if f.local else 0.0, f.recent_award_share)
            texts = (
                _quality_text(f.quality_probability),
                _price_text(f.unit_price, f.reference_unit_price, f.price_ratio),
                _capacity_text(f.seat_days_needed, f.free_seat_days, f.capacity_share),
                _local_text(f.local),
                _fairness_text(f.recent_award_share),
            )
            self._components = tuple(
                ComponentScore(name, raw, score, weight, weight * score / 100.0, text)
                for name, raw, score, weight, text in zip(
                    COMPONENTS, raws, f.scores, f.weights, texts, strict=True
                )
            )
        return self._components

    def __getitem__(self, name: str) -> ComponentScore:
        for component in self.components:
            if component.name == name:
                return component
        raise KeyError(name)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ScoreBreakdown):
            return NotImplemented
        return self.total == other.total and self._facts == other._facts

    def __hash__(self) -> int:
        return hash((self.total, self._facts))

    def __repr__(self) -> str:
        return f"ScoreBreakdown(total={self.total!r}, components={self.components!r})"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form for storing with the allocation: total plus one entry per component."""
        return {"total": self.total, "components": {c.name: c.as_dict() for c in self.components}}


def _clip01(value: float) -> float:
    return 0.0 if value <= 0 else 1.0 if value >= 1 else value


def _quality(probability: float) -> float:
    p = float(probability)
    if not (0.0 <= p <= 1.0):
        raise ValueError(f"quality probability must be in [0, 1], got {probability}")
    return 100.0 * p


def _quality_text(p: float) -> str:
    return f"{p:.0%} predicted chance of on-time delivery at the accuracy target"


def quality_score(probability: float) -> tuple[float, str]:
    """100 times the calibrated probability of on-time delivery at the accuracy target."""
    score = _quality(probability)
    return score, _quality_text(float(probability))


def _price(
    unit_price: float | Decimal, reference_unit_price: float | Decimal, params: ScoreParams
) -> tuple[float, float]:
    reference = float(reference_unit_price)
    price = float(unit_price)
    if reference <= 0:
        raise ValueError(f"reference unit price must be positive, got {reference_unit_price}")
    if price < 0:
        raise ValueError(f"unit price must not be negative, got {unit_price}")
    ratio = price / reference
    return 100.0 * _clip01((1.0 - ratio) / (1.0 - params.price_full_marks_ratio)), ratio


def _price_text(price: float, reference: float, ratio: float) -> str:
    return f"unit price {price:g} is {ratio:.0%} of the reference {reference:g}"


def price_score(
    unit_price: float | Decimal,
    reference_unit_price: float | Decimal,
    params: ScoreParams = DEFAULT_PARAMS,
) -> tuple[float, float, str]:
    """Score a unit price against a fixed reference, never against other bids.

    Returns (score, price ratio, explanation). Scoring against the order's reference (its
    budget ceiling per unit) keeps a bid's score unchanged when another bid arrives.
    """
    score, ratio = _price(unit_price, reference_unit_price, params)
    return score, ratio, _price_text(float(unit_price), float(reference_unit_price), ratio)


def _capacity(
    seat_days_needed: float, free_seat_days: float, params: ScoreParams
) -> tuple[float, float]:
    need = float(seat_days_needed)
    free = float(free_seat_days)
    if need < 0:
        raise ValueError(f"seat-days needed must not be negative, got {seat_days_needed}")
    if free <= 0:
        share = math.inf if need > 0 else 0.0
    else:
        share = need / free
    comfortable = params.capacity_comfortable_share
    score = 100.0 * _clip01((1.0 - share) / (1.0 - comfortable)) if math.isfinite(share) else 0.0
    return score, share


def _capacity_text(need: float, free: float, share: float) -> str:
    if math.isfinite(share):
        return f"needs {need:.1f} of {free:.1f} free seat-days in the window ({share:.0%})"
    return f"needs {need:.1f} seat-days but has none free in the window"


def capacity_score(
    seat_days_needed: float, free_seat_days: float, params: ScoreParams = DEFAULT_PARAMS
) -> tuple[float, float, str]:
    """Score how comfortably the vendor's free seat-days in the order window cover the bid.

    Returns (score, share of free seat-days used, explanation); the share is infinite when
    the vendor has no free seat-days in the window.
    """
    score, share = _capacity(seat_days_needed, free_seat_days, params)
    return score, share, _capacity_text(float(seat_days_needed), float(free_seat_days), share)


def _local_text(local: bool) -> str:
    return "local vendor" if local else "not a local vendor"


def local_score(local: bool) -> tuple[float, str]:
    """100 for a vendor in the programme's home region, 0 otherwise."""
    return (100.0 if local else 0.0), _local_text(local)


def _fairness(recent_award_share: float, params: ScoreParams) -> float:
    share = float(recent_award_share)
    if not (0.0 <= share <= 1.0):
        raise ValueError(f"recent award share must be in [0, 1], got {recent_award_share}")
    return 100.0 * _clip01(1.0 - share / params.fairness_zero_share)


def _fairness_text(share: float) -> str:
    return f"holds {share:.1%} of recent awards"


def fairness_score(
    recent_award_share: float, params: ScoreParams = DEFAULT_PARAMS
) -> tuple[float, str]:
    """Fewer recent awards, more points, so the same firms do not take everything."""
    return _fairness(recent_award_share, params), _fairness_text(float(recent_award_share))


def score_bid(
    *,
    quality_probability: float,
    unit_price: float | Decimal,
    reference_unit_price: float | Decimal,
    seat_days_needed: float,
    free_seat_days: float,
    local: bool,
    recent_award_share: float,
    weights: Mapping[str, Any] = DEFAULT_WEIGHTS,
    params: ScoreParams = DEFAULT_PARAMS,
) -> ScoreBreakdown:
    """Score one bid for one order from plain facts.

    - ``quality_probability``: calibrated probability (0-1) that this vendor delivers this
      order on time at its accuracy target, produced by the quality model.
    - ``reference_unit_price``: the order's budget ceiling divided by its volume, or a
      reference price the coordinator set.
    - ``seat_days_needed``: the bid's volume over the vendor's throughput per seat-day.
    - ``free_seat_days``: the vendor's free seat-days inside the order window.
    - ``recent_award_share``: the vendor's share (0-1) of recent awards.

    Everything depends on this bid and its order only; other bids never change its score.
    """
    w = weights if type(weights) is _Weights else validate_weights(weights)
    quality = float(quality_probability)
    q = _quality(quality)
    p, ratio = _price(unit_price, reference_unit_price, params)
    need, free = float(seat_days_needed), float(free_seat_days)
    c, share = _capacity(need, free, params)
    loc = 100.0 if local else 0.0
    fairness = float(recent_award_share)
    f = _fairness(fairness, params)
    weight = (w["quality"], w["price"], w["capacity"], w["local"], w["fairness"])
    total = math.fsum((weight[0] * q / 100.0, weight[1] * p / 100.0, weight[2] * c / 100.0,
                       weight[3] * loc / 100.0, weight[4] * f / 100.0))
    facts = _Facts(quality, float(unit_price), float(reference_unit_price), ratio, need, free, share,
                   bool(local), fairness, (q, p, c, loc, f), weight)
    return ScoreBreakdown(min(100.0, max(0.0, total)), facts)
