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

from market.matching.scoring import DEFAULT_WEIGHTS, validate_weights

SESSION_KEY = "market.settings"


@dataclass(frozen=True)
class Settings:
    """Home region (for local preference), time zone, default scoring weights, solver limit,
    how long idempotency keys last."""

    home_province: str = "贵州省"
    home_cities: frozenset[str] = frozenset()  # empty: every city of the province
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    default_weights: Mapping[str, float] = field(
        default_factory=lambda: validate_weights(DEFAULT_WEIGHTS)
    )
    match_time_limit: float = 10.0
    instance_path: str = "instance"
    idempotency_ttl: dt.timedelta = dt.timedelta(hours=24)  # how long a retry finds its first result

    @classmethod
    def from_config(cls, config: Mapping, *, instance_path: str) -> Settings:
        return cls(
            home_province=config["HOME_PROVINCE"],
            home_cities=frozenset(config["HOME_CITIES"]),
            zone=ZoneInfo(config["TIMEZONE"]),
            default_weights=validate_weights(DEFAULT_WEIGHTS),
            match_time_limit=float(config["MATCH_TIME_LIMIT"]),
            instance_path=instance_path,
            idempotency_ttl=dt.timedelta(hours=int(config["IDEMPOTENCY_KEY_HOURS"])),
        )

    def local_date(self, moment: dt.datetime) -> dt.date:
        """The calendar day `moment` falls on in the programme's time zone."""
        return moment.astimezone(self.zone).date()

    def local_isoformat(self, moment: dt.datetime) -> str:
        """`moment` in local time as the API writes times, so a message can be compared with a field."""
        return moment.astimezone(self.zone).isoformat(timespec="seconds")


def settings_of(session: Session) -> Settings:
    """The settings the session was made with (see market.db.Database)."""
    try:
        return session.info[SESSION_KEY]
    except KeyError:
        raise RuntimeError(
            "This session carries no market settings; make it with market.db.Database "
            "or put a Settings under session.info['market.settings']."
        ) from None
