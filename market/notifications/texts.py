"""What each kind of notification says, in the recipient's language.

A notification is stored with its kind and payload (for programs) and with its title and text
rendered in the recipient's language when it is made (for people, and for its e-mail). Each text
names only payload keys that every notification of its kind carries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from babel.numbers import format_decimal

from market.i18n import N_, babel_locale, day, locale_of, moment, translate
from market.labels import label


@dataclass(frozen=True)
class PerReader:
    """A payload value the service writes in each recipient's language (a reason from its code):
    `said(language)` gives it; the notification stores it, and its texts show it, as said."""

    said: Callable[[str | None], str]

# (title, text) per kind, or (title, text, {payload key: a sentence added when it is true}).
TEXTS: dict[str, tuple] = {
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
    "order.amended": (
        N_("Order amended"),
        N_("The order “%(title)s” was amended (version %(version)s): %(fields)s changed. Why: "
           "%(note)s Bidding closes at %(bidding_closes_at)s."),
        {"confirmation_required": N_("Confirm or revise your bid before bidding closes, or it "
                                     "lapses.")},
    ),
    "bid.lapsed": (
        N_("Your bid lapsed"),
        N_("Your bid %(bid_id)s on the order “%(title)s” lapsed: it was neither confirmed nor "
           "revised after a material amendment of the order."),
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
    "vendor.registered": (
        N_("A new firm waits for verification"),
        N_("%(name)s (%(credit_code)s) registered and confirmed its e-mail address; it waits for "
           "a coordinator's verification."),
    ),
    "account.locked": (
        N_("Your account is locked"),
        N_("Your account is locked until %(locked_until)s after %(failures)s failed logins from "
           "%(addresses)s addresses."),
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
        N_("Your bid on the order “%(order_title)s” was not successful; its result (bid %(bid_id)s) "
           "says why."),
    ),
    "bid.reinstated": (
        N_("Your bid competes again"),
        N_("A contract on the order “%(order_title)s” was terminated; your bid %(bid_id)s competes "
           "again for the volume left to match."),
    ),
    "order.available": (
        N_("A new order your firm can bid on"),
        N_("%(agency)s published the order “%(title)s”, which your firm can bid on; bidding "
           "closes at %(bidding_closes_at)s."),
    ),
    "reminder.proposals": (
        N_("Match proposals still wait for a decision"),
        N_("%(count)s proposed match(es) have waited more than %(hours)s hours for a coordinator's "
           "decision (allocations %(allocation_ids)s)."),
    ),
    "reminder.questions": (
        N_("Questions wait for your answer"),
        N_("%(count)s question(s) on your order “%(title)s” are still unanswered; vendors need the "
           "answers to bid."),
    ),
    "reminder.closing": (
        N_("Bidding closes soon with unanswered questions"),
        N_("Bidding on your order “%(title)s” closes at %(bidding_closes_at)s and questions on it "
           "are still unanswered."),
    ),
    "reminder.verification": (
        N_("Firms wait for verification"),
        N_("%(count)s firm(s) have waited more than %(days)s days for verification: %(vendors)s."),
    ),
    "reminder.lots": (
        N_("Delivered lots wait for inspection"),
        N_("%(count)s delivered lot(s) on your order “%(title)s” have waited more than %(hours)s "
           "hours for inspection (lots %(lot_ids)s); the vendor waits for your decision."),
    ),
    "order.awarded": (
        N_("Order awarded"),
        N_("Your order “%(order_title)s” has been awarded; its contracts are in place."),
    ),
    "lot.submitted": (
        N_("A delivery lot to inspect"),
        N_("Lot %(lot_id)s of %(volume)s units was delivered on contract %(contract_id)s of your "
           "order “%(order_title)s”; inspect the %(sample_size)s items its sampling plan draws."),
    ),
    "lot.accepted": (
        N_("Your delivery lot was accepted"),
        N_("Lot %(lot_id)s on contract %(contract_id)s (“%(order_title)s”) was accepted: "
           "%(defects)s nonconforming in a sample of %(sample_size)s."),
        {"tightened": N_("Inspection of this contract's lots is now tightened."),
         "reduced": N_("Inspection of this contract's lots is now reduced."),
         "normal": N_("Inspection of this contract's lots is back to normal.")},
    ),
    "lot.rejected": (
        N_("Your delivery lot was rejected"),
        N_("Lot %(lot_id)s on contract %(contract_id)s (“%(order_title)s”) was rejected: "
           "%(defects)s nonconforming in a sample of %(sample_size)s (rejected at %(reject)s). "
           "Correct and resubmit its volume, or dispute the rejection."),
        {"tightened": N_("Inspection of this contract's lots is now tightened."),
         "reduced": N_("Inspection of this contract's lots is now reduced."),
         "normal": N_("Inspection of this contract's lots is back to normal.")},
    ),
    "lot.disputed": (
        N_("A rejected lot is disputed"),
        N_("The vendor disputes the rejection of lot %(lot_id)s on contract %(contract_id)s "
           "(dispute %(dispute_id)s): %(reason)s"),
    ),
    "dispute.upheld": (
        N_("The rejection was upheld"),
        N_("A coordinator upheld the rejection of lot %(lot_id)s on contract %(contract_id)s. "
           "Reason: %(reason)s"),
    ),
    "dispute.reinspection": (
        N_("The lot is to be inspected again"),
        N_("A coordinator ordered lot %(lot_id)s on contract %(contract_id)s inspected again. "
           "Reason: %(reason)s"),
    ),
    "contract.discontinued": (
        N_("Acceptance discontinued on a contract"),
        N_("Acceptance under contract %(contract_id)s (“%(order_title)s”) is discontinued: "
           "%(rejections)s lots were rejected under tightened inspection. No lot is taken until "
           "a coordinator decides."),
    ),
    "contract.completed": (
        N_("Contract completed"),
        N_("Contract %(contract_id)s on the order “%(order_title)s” is complete: its whole volume "
           "was accepted."),
    ),
    "contract.terminated": (
        N_("Contract terminated"),
        N_("Contract %(contract_id)s on the order “%(order_title)s” was terminated with "
           "%(remainder)s units left undelivered. Reason: %(reason)s"),
    ),
    "contract.overdue": (
        N_("Contract overdue"),
        N_("Contract %(contract_id)s on the order “%(order_title)s” is past its deadline "
           "%(deadline)s with %(remainder)s units not yet accepted."),
    ),
    "payment.recorded": (
        N_("Payment recorded"),
        N_("The agency recorded the payment of %(amount)s CNY for lot %(lot_id)s on contract "
           "%(contract_id)s (reference %(reference)s)."),
    ),
    "payment.overdue": (
        N_("Payment overdue"),
        N_("The payment of %(amount)s CNY for lot %(lot_id)s on contract %(contract_id)s was due "
           "on %(due_on)s and has not been recorded."),
    ),
    "contract.rated": (
        N_("Your work was rated"),
        N_("The agency rated contract %(contract_id)s (“%(order_title)s”): quality %(quality)s, "
           "timeliness %(timeliness)s, communication %(communication)s. You may reply once."),
    ),
    "rating.replied": (
        N_("The vendor replied to your rating"),
        N_("The vendor replied to your rating of contract %(contract_id)s: %(reply)s"),
    ),
}


# E-mails that are not notifications: the links of account recovery and registration, the lock,
# the daily digest of new orders.
MAILS: dict[str, tuple[str, str]] = {
    "account.password_reset": (
        N_("Reset your password"),
        N_("Someone asked to reset the password of your market account (%(email)s).\n"
           "If it was you, open this link within %(minutes)s minutes and choose a new password:\n\n"
           "%(link)s\n\n"
           "(or send the token %(token)s with your new password to POST /api/v1/password-reset/confirm).\n"
           "The link works once. If you did not ask, ignore this e-mail: your password stays as it is.\n"),
    ),
    "account.invitation": (
        N_("You have an account on market"),
        N_("An administrator of the programme opened a market account for you (%(email)s) at "
           "%(organization)s.\n"
           "Choose your password within %(hours)s hours by opening this link:\n\n"
           "%(link)s\n\n"
           "(or send the token %(token)s with your new password to POST /api/v1/password-reset/confirm).\n"
           "The link works once; then sign in with your e-mail address and that password. If it has "
           "expired, ask for a new one on the sign-in page (\"Forgot your password?\").\n"),
    ),
    "registration.confirm_email": (
        N_("Confirm your e-mail address"),
        N_("Welcome to market. You registered %(firm)s (%(code)s) with this address.\n"
           "Confirm it within %(hours)s hours by opening this link:\n\n"
           "%(link)s\n\n"
           "(or send the token %(token)s to POST /api/v1/registrations/confirm).\n"
           "Then log in and complete your firm's profile; a coordinator of the programme verifies "
           "the firm before it can bid. If you did not register, ignore this e-mail.\n"),
    ),
    "account.locked": (
        N_("Your account is locked"),
        N_("Your market account %(email)s has been locked until %(until)s: there were %(failures)s "
           "failed logins for it in the last %(window)s minutes, from %(addresses)s different "
           "addresses.\n\n"
           "If these were not you, someone is guessing your password; nobody got in. You can log in "
           "again after %(until)s, choose a new password now on the password-reset page "
           "(%(link)s), which also lifts the lock, or ask the programme's administrators to "
           "unlock the account.\n"),
    ),
    "demand.digest": (
        N_("New orders your firm can bid on"),
        N_("%(count)s order(s) published since yesterday's digest are open for bids and fit your "
           "firm's capabilities and qualifications (%(day)s):\n\n"
           "%(orders)s\n\n"
           "You receive this digest once a day when there is something new. To stop it, turn the "
           "daily digest off in your account settings (PATCH /api/v1/me with digest_enabled "
           "set to false).\n"),
    ),
}


# Payload keys that hold a moment (an ISO time, local) or a day, shown as people read them.
MOMENTS = frozenset({"bidding_closes_at", "locked_until", "until", "deadline"})
DAYS = frozenset({"due_on", "paid_on", "day"})
# The kind of name (market.labels) the field names in a kind's `fields` are read as.
FIELD_LABELS = {
    "order.amended": "order_field",
    "change_request.requested": "profile_field",
    "change_request.approved": "profile_field",
    "change_request.rejected": "profile_field",
}


def _shown(kind: str, key: str, value, locale: str | None):
    """A payload value as the recipient reads it: field names by their labels, times and days in
    the recipient's format, lists joined."""
    if key == "fields" and kind in FIELD_LABELS and isinstance(value, list):
        value = [label(name, FIELD_LABELS[kind], locale) for name in value]
    elif key in MOMENTS and isinstance(value, str):
        return moment(value, locale)
    elif key in DAYS and isinstance(value, str):
        return day(value, locale)
    if isinstance(value, list):
        return ("、" if locale_of(locale) == "zh" else ", ").join(map(str, value))
    if key == "volume" and isinstance(value, int):
        return format_decimal(value, locale=babel_locale(locale))  # 57,100 units, as pages write it
    return value


def render_mail(kind: str, params: dict, locale: str | None) -> tuple[str, str]:
    """The subject and body of the `kind` e-mail with `params`, in the language `locale`."""
    subject, body = MAILS[kind]
    shown = {key: _shown(kind, key, value, locale) for key, value in params.items()}
    return translate(locale, subject), translate(locale, body, **shown)


def render(kind: str, payload: dict, locale: str | None) -> tuple[str, str]:
    """The title and text of a `kind` notification with `payload`, in the language `locale`."""
    title, text, *extras = TEXTS[kind]
    params = {key: _shown(kind, key, value, locale) for key, value in payload.items()}
    said = translate(locale, text, **params)
    for key, sentence in (extras[0] if extras else {}).items():
        if payload.get(key):
            said += ("" if locale_of(locale) == "zh" else " ") + translate(locale, sentence)
    return translate(locale, title), said
