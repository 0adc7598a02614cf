"""Why a bid cannot win, or did not: each reason a stable code, its params and one English message.

The code and params are what a bidder's language is made from; the message is written here and
only here (the i18n layer will translate these templates), for refusals at placement and for the
debrief after a run alike. The engine's own messages stay the coordinators' wording.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The engine's hard rules (market.matching.eligibility), its loss reasons (market.matching.explain)
# and the product's own outcomes, as a bidder reads them.
MESSAGES: dict[str, str] = {
    "no_working_day": "The order's window from {start} to {deadline} has no working day (Mon-Fri).",
    "vendor_not_verified": "Your firm is {verification}, not verified.",
    "clearance_too_low": "Your firm's data-security clearance ({clearance}) is below the order's "
                         "data classification ({required}).",
    "certification_missing": "Your firm does not hold the required certification(s): {missing}.",
    "onsite_not_possible": "The order requires on-site work and your firm's profile says it cannot "
                           "work on site.",
    "no_capability": "Your firm has no capability (with a throughput) for {modality} / "
                     "{annotation_type}; add one to your profile first.",
    "invalid_price": "The unit price {unit_price} is negative.",
    "over_budget": "The unit price {unit_price} is above the order's budget ceiling of "
                   "{ceiling_per_unit} per {unit} ({budget_ceiling} CNY for {volume}).",
    "empty_bid": "The bid offers no volume.",
    "partial_bid_not_splittable": "The order is not splittable but the bid offers only {volume} "
                                  "of {order_volume}.",
    "below_min_lot": "The bid offers {volume}, below the order's minimum lot of {min_lot}.",
    "excluded_by_coordinator": "A coordinator rejected your firm for this order.",
    "outscored": "Other bids scored higher and covered the order.",
    "vendor_capacity": "Your firm had no seat-days left in week {week}, counting its other work.",
    "max_vendors": "The order already went to its maximum of {max_vendors} vendor(s).",
    "min_lot": "What was left of the order ({remaining}) was below its minimum lot ({min_lot}).",
    "better_fit": "Other bids together gave a higher total score within the firms' capacity.",
    "rejected_by_coordinator": "A coordinator rejected the proposed match: {reason}",
    "order_cancelled": "The agency cancelled the order.",
    "order_unsuccessful": "No bid on the order could be matched; the order was unsuccessful.",
    "bid_withdrawn": "Your firm withdrew the bid.",
    "bidding_open": "Bidding is still open; results are given once it has closed.",
    "awaiting_matching": "Bidding has closed; the order has not been matched yet.",
    "awaiting_approval": "The engine proposed this bid for {volume} units; a coordinator has not "
                         "decided yet.",
    "not_decided": "The latest matching run did not select this bid; the order is not decided yet.",
    "awarded": "Awarded for {volume} units at {unit_price} per unit.",
    "not_selected": "The bid was not selected.",
}


def describe(code: str, params: Mapping[str, Any] | None = None) -> str:
    """The English message of a reason, from its code and params (the one place messages are made)."""
    params = dict(params or {})
    template = MESSAGES.get(code, MESSAGES["not_selected"])
    values = {key: ", ".join(map(str, value)) if isinstance(value, list | tuple) else value
              for key, value in params.items()}
    try:
        message = template.format(**values)
    except (KeyError, IndexError, ValueError):
        # A reason stored before its params were kept: say what it is without them.
        message = template.split("{", 1)[0].rstrip(" (:") + "."
    if params.get("partly"):
        message = "Partly allocated: " + message[0].lower() + message[1:]
    return message


def reason(code: str, params: Mapping[str, Any] | None = None) -> dict:
    """A reason as the API gives it: {code, params, message}."""
    params = dict(params or {})
    return {"code": code, "params": params, "message": describe(code, params)}
