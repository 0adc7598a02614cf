"""The programme's settings that its rules depend on, built once at start-up and carried by each session.

Services read them with `settings_of(session)`: the session they already take carries the
settings of the app (or script, or test) that made it, so no rule reads Flask's config and every
service runs outside an app context too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from config.settings import ANNOTATION_COMBINATIONS
from market.matching.scoring import DEFAULT_WEIGHTS, validate_weights

SESSION_KEY = "market.settings"


@dataclass(frozen=True)
class Settings:
    """Home region (for local preference), time zone, default scoring weights, solver limit, how
    large a raise of a verified vendor's seats waits for a coordinator, accounts, order rules, and
    how long idempotency keys last."""

    home_province: str = "贵州省"
    home_cities: frozenset[str] = frozenset()  # empty: every city of the province
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    default_weights: Mapping[str, float] = field(
        default_factory=lambda: validate_weights(DEFAULT_WEIGHTS)
    )
    match_time_limit: float = 10.0
    instance_path: str = "instance"
    # A verified vendor's seats raised by more than this share of the reviewed count wait for review.
    seat_change_review_share: float = 0.2
    # Accounts: bearer tokens, login throttling, the links sent by e-mail.
    token_ttl_hours: int = 12
    # Failed logins of one account from one address, and from one address for any account, within
    # the window before 429: so that knowing someone's e-mail is not enough to lock them out.
    login_max_failures: int = 5
    login_max_failures_per_address: int = 30
    login_window_minutes: int = 15
    # Failures of one account from every address together before the account itself is locked
    # (and its owner told): much higher, since it takes many addresses to get there.
    login_lock_failures: int = 50
    login_lock_window_minutes: int = 60
    login_lock_minutes: int = 60
    password_reset_ttl: dt.timedelta = dt.timedelta(hours=1)
    email_confirmation_ttl: dt.timedelta = dt.timedelta(hours=48)
    # Password reset requests and registrations from one address within the window before 429.
    public_requests_per_address: int = 20
    public_requests_window_minutes: int = 60
    # Where the links in e-mails point (the site as its users reach it).
    public_url: str = "http://127.0.0.1:5000"
    # A material amendment keeps bidding open at least this long after it.
    amendment_min_open_days: int = 5
    # {modality: {annotation type: (units, ...)}}: the combinations an order may be published with.
    annotation_combinations: Mapping[str, Mapping[str, tuple[str, ...]]] = field(
        default_factory=lambda: _combinations(ANNOTATION_COMBINATIONS)
    )
    idempotency_ttl: dt.timedelta = dt.timedelta(hours=24)  # how long a retry finds its first result
    # Days from a lot's acceptance to its payment being due (at most 60 by law for SMEs).
    payment_term_days: int = 30

    @classmethod
    def from_config(cls, config: Mapping, *, instance_path: str) -> Settings:
        return cls(
            home_province=config["HOME_PROVINCE"],
            home_cities=frozenset(config["HOME_CITIES"]),
            zone=ZoneInfo(config["TIMEZONE"]),
            default_weights=validate_weights(DEFAULT_WEIGHTS),
            match_time_limit=float(config["MATCH_TIME_LIMIT"]),
            instance_path=instance_path,
            seat_change_review_share=float(config["SEAT_CHANGE_REVIEW_SHARE"]),
            token_ttl_hours=int(config["TOKEN_TTL_HOURS"]),
            login_max_failures=int(config["LOGIN_MAX_FAILURES"]),
            login_max_failures_per_address=int(config["LOGIN_MAX_FAILURES_PER_ADDRESS"]),
            login_window_minutes=int(config["LOGIN_WINDOW_MINUTES"]),
            login_lock_failures=int(config["LOGIN_LOCK_FAILURES"]),
            login_lock_window_minutes=int(config["LOGIN_LOCK_WINDOW_MINUTES"]),
            login_lock_minutes=int(config["LOGIN_LOCK_MINUTES"]),
            password_reset_ttl=dt.timedelta(minutes=int(config["PASSWORD_RESET_TTL_MINUTES"])),
            email_confirmation_ttl=dt.timedelta(hours=int(config["EMAIL_CONFIRMATION_TTL_HOURS"])),
            public_requests_per_address=int(config["PUBLIC_REQUESTS_PER_ADDRESS"]),
            public_requests_window_minutes=int(config["PUBLIC_REQUESTS_WINDOW_MINUTES"]),
            public_url=str(config["PUBLIC_URL"]).rstrip("/"),
            amendment_min_open_days=int(config["AMENDMENT_MIN_OPEN_DAYS"]),
            annotation_combinations=_combinations(config["ANNOTATION_COMBINATIONS"]),
            idempotency_ttl=dt.timedelta(hours=int(config["IDEMPOTENCY_KEY_HOURS"])),
            payment_term_days=_payment_term(config.get("PAYMENT_TERM_DAYS", 30)),
        )

    def local_date(self, moment: dt.datetime) -> dt.date:
        """The calendar day `moment` falls on in the programme's time zone."""
        return moment.astimezone(self.zone).date()

    def local_isoformat(self, moment: dt.datetime) -> str:
        """`moment` in local time as the API writes times, so a message can be compared with a field."""
        return moment.astimezone(self.zone).isoformat(timespec="seconds")


def _payment_term(days) -> int:
    days = int(days)
    if not 1 <= days <= 60:
        raise ValueError("MARKET_PAYMENT_TERM_DAYS must be 1 to 60: SMEs are paid within 60 days.")
    return days


def _combinations(table: Mapping) -> dict[str, dict[str, tuple[str, ...]]]:
    try:
        return {str(modality): {str(kind): tuple(str(unit) for unit in units)
                                for kind, units in kinds.items()}
                for modality, kinds in table.items()}
    except (AttributeError, TypeError) as exc:
        raise ValueError(
            "The annotation combinations must map each modality to {annotation type: [units]}."
        ) from exc


def settings_of(session: Session) -> Settings:
    """The settings the session was made with (see market.db.Database)."""
    try:
        return session.info[SESSION_KEY]
    except KeyError:
        raise RuntimeError(
            "This session carries no market settings; make it with market.db.Database "
            "or put a Settings under session.info['market.settings']."
        ) from None
