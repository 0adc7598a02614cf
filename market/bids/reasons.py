"""Why a bid cannot win, or did not: each reason a stable code, its params and one message.

The message is written here and only here (in English, translated by the catalogue into the
bidder's language), for refusals at placement and for the debrief after a run alike. The engine's
own messages stay the coordinators' wording.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from babel.numbers import format_decimal

from market.i18n import N_, babel_locale, locale_of, translate
from market.labels import label

PARTLY = N_("Partly allocated: %(message)s")

# The engine's hard rules (market.matching.eligibility), its loss reasons (market.matching.explain)
# and the product's own outcomes, as a bidder reads them.
MESSAGES: dict[str, str] = {
    "no_working_day": N_("The order's window from %(start)s to %(deadline)s has no working day (Mon-Fri)."),
    "vendor_not_verified": N_("Your firm is %(verification)s, not verified."),
    "clearance_too_low": N_("Your firm's data-security clearance (%(clearance)s) is below the order's "
                         "data classification (%(required)s)."),
    "certification_missing": N_("Your firm does not hold the required certification(s): %(missing)s."),
    "onsite_not_possible": N_("The order requires on-site work and your firm's profile says it cannot "
                           "work on site."),
    "no_capability": N_("Your firm has no capability (with a throughput) for %(modality)s / "
                     "%(annotation_type)s; add one to your profile first."),
    "invalid_price": N_("The unit price %(unit_price)s is negative."),
    "over_budget": N_("The unit price %(unit_price)s is above the order's budget ceiling of "
                   "%(ceiling_per_unit)s a unit (%(budget_ceiling)s CNY for %(volume)s %(unit)s)."),
    "empty_bid": N_("The bid offers no volume."),
    "partial_bid_not_splittable": N_("The order is not splittable but the bid offers only %(volume)s "
                                  "of %(order_volume)s."),
    "below_min_lot": N_("The bid offers %(volume)s, below the order's minimum lot of %(min_lot)s."),
    "excluded_by_coordinator": N_("A coordinator rejected your firm for this order."),
    "outscored": N_("Other bids scored higher and covered the order."),
    "vendor_capacity": N_("Your firm had no seat-days left in week %(week)s, counting its other work."),
    "max_vendors": N_("The order already went to its maximum of %(max_vendors)s vendor(s)."),
    "min_lot": N_("What was left of the order (%(remaining)s) was below its minimum lot (%(min_lot)s)."),
    "better_fit": N_("Other bids together gave a higher total score within the firms' capacity."),
    "rejected_by_coordinator": N_("A coordinator rejected the proposed match: %(reason)s"),
    "order_cancelled": N_("The agency cancelled the order."),
    "order_unsuccessful": N_("No bid on the order could be matched; the order was unsuccessful."),
    "bid_withdrawn": N_("Your firm withdrew the bid."),
    "bid_lapsed": N_("The bid lapsed: a material amendment changed the order's terms and the bid was "
                     "not confirmed or revised before bidding closed."),
    "awarded_to_others": N_("The order was awarded to other bids."),
    "order_cancelled_because": N_("The agency cancelled the order: %(reason)s"),
    "bid_reinstated": N_("A contract on the order was terminated; the bid competes again for the "
                         "volume left to match."),
    "bidding_open": N_("Bidding is still open; results are given once it has closed."),
    "awaiting_matching": N_("Bidding has closed; the order has not been matched yet."),
    "awaiting_approval": N_("The engine proposed this bid for %(volume)s units; a coordinator has not "
                         "decided yet."),
    "not_decided": N_("The latest matching run did not select this bid; the order is not decided yet."),
    "awarded": N_("Awarded for %(volume)s units at %(unit_price)s per unit."),
    "not_selected": N_("The bid was not selected."),
}


# The same reasons as the programme's staff read them on a bid that is not theirs (a coordinator
# weighing the competing bids): the firm in the third person. Codes not here read the same to both.
STAFF_MESSAGES: dict[str, str] = {
    "vendor_not_verified": N_("The firm is %(verification)s, not verified."),
    "clearance_too_low": N_("The firm's data-security clearance (%(clearance)s) is below the order's "
                         "data classification (%(required)s)."),
    "certification_missing": N_("The firm does not hold the required certification(s): %(missing)s."),
    "onsite_not_possible": N_("The order requires on-site work and the firm's profile says it cannot "
                           "work on site."),
    "no_capability": N_("The firm has no capability (with a throughput) for %(modality)s / "
                     "%(annotation_type)s."),
    "excluded_by_coordinator": N_("A coordinator rejected this firm for this order."),
    "vendor_capacity": N_("The firm had no seat-days left in week %(week)s, counting its other work."),
    "bid_withdrawn": N_("The firm withdrew the bid."),
}
AUDIENCES = {"bidder": MESSAGES, "staff": MESSAGES | STAFF_MESSAGES}


def describe(code: str, params: Mapping[str, Any] | None = None, language: str | None = "en",
             audience: str = "bidder") -> str:
    """The message of a reason in `language`, from its code and params (the one place messages are
    made), worded for the bidder or for the programme's staff (`audience`)."""
    params = dict(params or {})
    messages = AUDIENCES[audience]
    template = translate(language, messages.get(code, MESSAGES["not_selected"]))
    values = {key: _shown(key, value, language) for key, value in params.items()}
    try:
        message = template % values
    except (KeyError, IndexError, ValueError, TypeError):
        # A reason stored before its params were kept: say what it is without them.
        message = re.split(r"%\(", template, maxsplit=1)[0].rstrip(" (:（：") + ("。" if language == "zh" else ".")
    if params.get("partly"):
        message = translate(language, PARTLY, message=message)
    return message


# Params that hold a code of the programme's vocabulary, and the kind of name each is read as.
CODED_PARAMS = {"unit": "unit", "clearance": "classification", "required": "classification",
                "modality": "modality", "annotation_type": "annotation_type",
                "verification": "verification"}


def _shown(key: str, value, language: str | None):
    if isinstance(value, list | tuple):
        return ", ".join(str(_shown(key, item, language)) for item in value)
    if key in CODED_PARAMS and isinstance(value, str):
        return label(value, CODED_PARAMS[key], language)
    if isinstance(value, int) and not isinstance(value, bool):
        return format_decimal(value, locale=babel_locale(language))  # 7,050 units, as pages write it
    return value


# The codes a bid's status_reason is stored as by the services, rendered in the reader's language
# when read; any other value (an older row's words, a demo's) is shown as it is.
STATUS_REASONS = frozenset({"bid_lapsed", "awarded_to_others", "order_unsuccessful",
                            "order_cancelled_because", "bid_reinstated"})


def status_reason_code(bid) -> str | None:
    """The code of `bid`'s status_reason, when the services stored one."""
    return bid.status_reason if bid.status_reason in STATUS_REASONS else None


def status_reason(bid, language: str | None) -> str | None:
    """Why `bid` is in its status, in `language` (the API's status_reason)."""
    code = status_reason_code(bid)
    if code is None:
        return bid.status_reason
    params = {"reason": bid.order.status_reason or ""} if code == "order_cancelled_because" else {}
    return describe(code, params, language)


@dataclass(frozen=True)
class Reasons:
    """Reasons ((code, params) pairs) as one param of a message, each said in the reader's language."""

    found: tuple

    def said(self, language: str | None) -> str:
        return ("" if locale_of(language) == "zh" else " ").join(describe(code, params, language)
                                                      for code, params in self.found)


def reason(code: str, params: Mapping[str, Any] | None = None, language: str | None = "en",
           audience: str = "bidder") -> dict:
    """A reason as the API gives it: {code, params, message}, the message in `language`."""
    params = dict(params or {})
    return {"code": code, "params": params, "message": describe(code, params, language, audience)}
