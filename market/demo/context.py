"""What every part of the demo seed shares: the session, the moment of seeding, the random streams."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.orm import Session

from market.demo.history import OutcomeModel
from market.settings import Settings, settings_of

DEMO_PASSWORD = "demo-password"
DEMO_DOMAIN = "demo.market.cn"
HISTORY_DAYS = (100, 540)  # past contracts started between 18 months and ~3 months ago
CENT = Decimal("0.01")
PRICE_PLACES = Decimal("0.0001")


@dataclass
class Demo:
    """The seeding session and its clock; everything is placed relative to `now`."""

    session: Session
    seed: int
    now: dt.datetime
    settings: Settings
    # Separate streams, so that adding to one part leaves the others' data unchanged.
    rng: random.Random  # the cast and today's orders
    history_rng: random.Random  # the orders of the past
    outcomes: OutcomeModel  # how contracts turned out
    start: dt.datetime  # the programme's launch

    @classmethod
    def make(cls, session: Session, seed: int, now: dt.datetime) -> Demo:
        return cls(
            session=session, seed=seed, now=now, settings=settings_of(session),
            rng=random.Random(f"market-demo-{seed}"),
            history_rng=random.Random(f"market-demo-{seed}-history"),
            outcomes=OutcomeModel(random.Random(f"market-demo-{seed}-outcomes")),
            start=now - dt.timedelta(days=HISTORY_DAYS[1] + 60),
        )

    def ago(self, days: float) -> dt.datetime:
        return self.now - dt.timedelta(days=days)

    def local_time(self, days: float, hour: int, minute: int = 0) -> dt.datetime:
        """`hour`:`minute` local time on the day `days` from today, as UTC."""
        today = self.settings.local_date(self.now) + dt.timedelta(days=int(days))
        return _utc(dt.datetime(today.year, today.month, today.day, hour, minute, tzinfo=self.settings.zone))

    def evening(self, moment: dt.datetime) -> dt.datetime:
        """18:00 local time on the day of `moment`: deadlines fall at the end of a working day."""
        day = self.settings.local_date(moment)
        return _utc(dt.datetime(day.year, day.month, day.day, 18, 0, tzinfo=self.settings.zone))


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.timezone.utc)


def round_volume(value: float) -> int:
    step = 1000 if value >= 100_000 else 100 if value >= 10_000 else 10
    return max(step, int(round(value / step)) * step)


def money(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def unit_price(value: float) -> Decimal:
    return Decimal(str(value)).quantize(PRICE_PLACES, rounding=ROUND_HALF_UP)


def working_days(start: dt.datetime, end: dt.datetime) -> float:
    return max(5.0, (end - start).total_seconds() / 86400 * 5 / 7)


def sample_size(volume: int) -> int:
    """The sample size of GB/T 2828.1, general inspection level II, for a lot of `volume`."""
    for limit, size in ((3200, 125), (10000, 200), (35000, 315), (150000, 500), (500000, 800)):
        if volume <= limit:
            return size
    return 1250
