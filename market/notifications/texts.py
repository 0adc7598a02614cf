"""What each kind of notification says, in the recipient's language.

A notification is stored with its kind and payload (for programs) and with its title and text
rendered in the recipient's language when it is made (for people, and for its e-mail). Each text
names only payload keys that every notification of its kind carries.
"""

from __future__ import annotations

from market.i18n import N_, translate

TEXTS: dict[str, tuple[str, str]] = {
    "question.asked": (
        N_("New clarification question"),
        N_("A vendor asked a question on your order “%(title)s”: %(question)s"),
    ),
    "question.answered": (
        N_("Your question was answered"),
        N_("The agency answered your question on the order “%(title)s”."),
    ),
    "order.cancelled": (
        N_("Order cancelled"),
        N_("The order “%(title)s” was cancelled. Reason: %(reason)s"),
    ),
    "order.evaluating": (
        N_("Bidding closed"),
        N_("Bidding on your order “%(title)s” has closed; the bids are being evaluated."),
    ),
    "vendor.verified": (
        N_("Your firm is verified"),
        N_("Your firm was verified and can now bid on orders. Reason: %(reason)s"),
    ),
    "vendor.suspended": (
        N_("Your firm is suspended"),
        N_("Your firm was suspended and cannot bid until it is reinstated. Reason: %(reason)s"),
    ),
    "vendor.reinstated": (
        N_("Your firm is reinstated"),
        N_("Your firm was reinstated and can bid again. Reason: %(reason)s"),
    ),
    "change_request.requested": (
        N_("A vendor's profile change to review"),
        N_("%(vendor_name)s asks to change %(fields)s; the change waits for a coordinator's "
           "decision (change request %(change_request_id)s)."),
    ),
    "change_request.approved": (
        N_("Your profile change was approved"),
        N_("Your change of %(fields)s was approved and now counts for bidding. Reason: %(reason)s"),
    ),
    "change_request.rejected": (
        N_("Your profile change was rejected"),
        N_("Your change of %(fields)s was rejected; the approved values stay. Reason: %(reason)s"),
    ),
    "allocation.proposed": (
        N_("New match proposals to review"),
        N_("Matching run %(match_run_id)s proposed matches that wait for your decision."),
    ),
    "allocation.approved": (
        N_("Your bid was awarded"),
        N_("Your bid on the order “%(order_title)s” was awarded: %(volume)s units at %(unit_price)s "
           "CNY per unit (contract %(contract_id)s). Reason: %(reason)s"),
    ),
    "allocation.rejected": (
        N_("Match proposal rejected"),
        N_("The proposed match of your bid on the order “%(order_title)s” was rejected. "
           "Reason: %(reason)s"),
    ),
    "allocation.approved_on_order": (
        N_("A match on your order was approved"),
        N_("A proposed match on your order “%(order_title)s” was approved. Reason: %(reason)s"),
    ),
    "allocation.rejected_on_order": (
        N_("A match on your order was rejected"),
        N_("A proposed match on your order “%(order_title)s” was rejected. Reason: %(reason)s"),
    ),
    "bid.rejected": (
        N_("Your bid was not successful"),
        N_("Your bid on the order “%(order_title)s” was not successful; the order has been awarded."),
    ),
    "order.awarded": (
        N_("Order awarded"),
        N_("Your order “%(order_title)s” has been awarded; its contracts are in place."),
    ),
}


def render(kind: str, payload: dict, locale: str | None) -> tuple[str, str]:
    """The title and text of a `kind` notification with `payload`, in the language `locale`."""
    title, text = TEXTS[kind]
    params = {key: ", ".join(map(str, value)) if isinstance(value, list) else value
              for key, value in payload.items()}
    return translate(locale, title), translate(locale, text, **params)
