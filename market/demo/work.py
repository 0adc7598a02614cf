"""How agencies write their orders and firms price their bids, drawn from the catalogue.

Shared by the orders of the past (market.demo.past) and today's (market.demo.orders), so both
read alike. Orders come out as the fields create_order takes and bids as the terms submit_bid
takes; a `draft` is an unsaved Order of those fields, for the engine's rules to read.
"""

from __future__ import annotations

import datetime as dt
import math
import random

from market.demo.catalogue import (
    BID_NOTES,
    PHASES,
    PLACE_TAGS,
    SKILLS,
    TEMPLATES,
    TITLE_PREFIXES,
    TITLE_SUFFIXES,
    TaskTemplate,
)
from market.demo.context import Demo, money, round_volume, unit_price, working_days
from market.demo.people import Agency, Cast, Vendor
from market.demo.rules import Rules
from market.orders.models import Order

# Every field is public unless the agency hides it with a reason the directory shows; most hide
# nothing (Chinese procurement notices publish the budget).
HIDDEN_FIELD_SETS = (
    {},
    {},
    {"budget_ceiling": "项目预算尚待财政评审批复，批复后在平台补充公布。"},
    {"description": "需求说明涉及未公开的业务系统细节，仅在平台内向登录企业提供。"},
)
# What a firm commits of its seats to one order, at most, when it plans a bid.
SEAT_SHARE = 0.6


def pick_template(rng: random.Random, sector: str | None = None) -> TaskTemplate:
    return rng.choice([t for t in TEMPLATES if sector is None or t.sector == sector])


def pick_agency(rng: random.Random, cast: Cast, template: TaskTemplate) -> Agency:
    agencies = [a for a in cast.agencies.values() if template.sector in a.spec.sectors]
    # The provincial transport department is the demo agency login: give it the most work.
    weights = [2.0 if a.spec.key == "gz_transport" else 1.0 for a in agencies]
    return rng.choices(agencies, weights=weights)[0]


def draft(data: dict) -> Order:
    """An unsaved order of `data`, for the engine's rules; never added to the session."""
    return Order(**data)


def draw_order(demo: Demo, rules: Rules, cast: Cast, rng: random.Random, template: TaskTemplate, agency: Agency, *,
               closes: dt.datetime, window_days: float, created: dt.datetime, strict: bool = False) -> dict:
    """The fields of an order as `agency`'s staff would write it, with hard rules some firms can meet."""
    skill = SKILLS[template.skill]
    volume = round_volume(rng.uniform(*template.volume))
    reference = (skill.price[0] + skill.price[1]) / 2
    budget = money(max(100.0, round(volume * reference * rng.uniform(1.1, 1.4), -2)))
    splittable = rng.random() < template.splittable_share
    place = rng.choice(PLACE_TAGS[agency.spec.key])
    year = demo.settings.local_date(created).year
    title = (rng.choice(TITLE_PREFIXES).format(year=year) + template.title + place
             + rng.choice(TITLE_SUFFIXES if place else TITLE_SUFFIXES + PHASES))
    data = {
        "title": title, "description": template.description, "sector": template.sector,
        "modality": template.skill[0], "annotation_type": template.skill[1], "label_set": list(template.labels),
        "volume": volume, "unit": skill.unit, "budget_ceiling": budget, "bidding_closes_at": closes,
        "delivery_deadline": demo.evening(closes + dt.timedelta(days=window_days)),
        "accuracy_target": rng.choice(template.accuracy),
        "sampling_level": rng.choice(("II", "II", "II", "I", "III")),
        "data_classification": rng.choice(template.classifications),
        "onsite_required": rng.random() < template.onsite_share,
        "required_certifications": [c for c in template.certifications if rng.random() < 0.6],
        "splittable": splittable,
        "max_vendors": rng.choice((2, 2, 3)) if splittable else None,
        "min_lot": min(volume, round_volume(volume * rng.uniform(0.15, 0.3))) if splittable else None,
        "scoring_weights": _weights(rng, template),
        "hidden_fields": dict(rng.choice(HIDDEN_FIELD_SETS)),
    }
    if strict:
        # Demands few firms can meet: the core data tier, on site, and two rare certificates.
        data.update(data_classification="core", onsite_required=True, required_certifications=["ISO 27701", "等保三级"])
    else:
        _relax(rules, cast, data)
    return data


def _weights(rng: random.Random, template: TaskTemplate) -> dict | None:
    if rng.random() > 0.2:
        return None  # the coordinators' policy applies
    if template.sector == "health":
        return {"quality": 55, "price": 15, "capacity": 15, "local": 10, "fairness": 5}
    return {"quality": 35, "price": 35, "capacity": 10, "local": 10, "fairness": 10}


def _relax(rules: Rules, cast: Cast, data: dict) -> None:
    """Loosen an order's hard rules until at least three verified firms could win it."""
    for loosen in ({"required_certifications": []}, {"onsite_required": False}, {"data_classification": "general"}):
        if len(rules.could_win(draft(data), cast.vendors)) >= 3:
            return
        data.update(loosen)


def room(order: Order, vendor: Vendor) -> float:
    """How many times over the firm's seats could do the whole order in its window (1: just so)."""
    capability = vendor.capabilities[(order.modality, order.annotation_type)]
    days = working_days(order.bidding_closes_at + dt.timedelta(days=3), order.delivery_deadline)
    return vendor.seats * capability.throughput_per_seat_day * days / order.volume


def bid_terms(rng: random.Random, demo: Demo, order: Order, vendor: Vendor, *, volume: int | None = None) -> dict:
    """What `vendor` offers for `order`, as submit_bid takes it.

    Firms read the budget ceiling and bid under it (submit_bid refuses a price above it). A firm
    without the seats for the whole of a splittable order offers the part it can do, unless
    `volume` says what it offered.
    """
    capability = vendor.capabilities[(order.modality, order.annotation_type)]
    ceiling = float(order.budget_ceiling) / order.volume
    price = float(capability.unit_price) * rng.uniform(0.9, 1.08)
    price = min(price, ceiling * rng.uniform(0.82, 0.99))
    finish = order.delivery_deadline - dt.timedelta(days=rng.uniform(1, 7))
    days = working_days(order.bidding_closes_at + dt.timedelta(days=3), finish)
    throughput = capability.throughput_per_seat_day
    if volume is None:
        volume = order.volume
        if order.splittable and volume / (throughput * days) > vendor.seats * SEAT_SHARE:
            volume = round_volume(vendor.seats * SEAT_SHARE * throughput * days)
            volume = min(order.volume, max(order.min_lot or 1, volume))
    # Firms plan to finish with time to spare, so they commit more seats than the bare minimum.
    seats = max(1, min(vendor.seats, math.ceil(volume / (throughput * days * rng.uniform(0.5, 0.9)))))
    return {
        "unit_price": unit_price(max(price, 0.0001)), "volume": volume, "seats_committed": seats,
        "proposed_finish_date": demo.settings.local_date(finish), "technical_note": rng.choice(BID_NOTES),
    }
