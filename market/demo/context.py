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
    """The seeding session and its clock.

    Everything is placed relative to `today`, the start of the local day of seeding, not to the
    moment itself: times drawn relative to that moment and times on the calendar (bidding closes
    at 17:00) would come in another order at another hour, and the steps with them. So seeding
    at any hour of a day writes the same data, in the same order, with the same ids; nothing is
    dated later than the day began.
    """

    session: Session
    seed: int
    today: dt.datetime
    settings: Settings
    # Separate streams, so that adding to one part leaves the others' data unchanged.
    rng: random.Random  # the cast and today's orders
    history_rng: random.Random  # the orders of the past
    outcomes: OutcomeModel  # how contracts turned out
    start: dt.datetime  # the programme's launch

    @classmethod
    def make(cls, session: Session, seed: int, now: dt.datetime) -> Demo:
        settings = settings_of(session)
        day = settings.local_date(now)
        today = _utc(dt.datetime(day.year, day.month, day.day, tzinfo=settings.zone))
        return cls(
            session=session, seed=seed, today=today, settings=settings,
            rng=random.Random(f"market-demo-{seed}"),
            history_rng=random.Random(f"market-demo-{seed}-history"),
            outcomes=OutcomeModel(random.Random(f"market-demo-{seed}-outcomes")),
            start=today - dt.timedelta(days=HISTORY_DAYS[1] + 60),
        )

    def ago(self, days: float) -> dt.datetime:
        return self.today - dt.timedelta(days=days)

    def local_time(self, days: float, hour: int, minute: int = 0) -> dt.datetime:
        """`hour`:`minute` local time on the day `days` from today, as UTC."""
        day = self.settings.local_date(self.today) + dt.timedelta(days=int(days))
        return _utc(dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.settings.zone))

    def evening(self, moment: dt.datetime) -> dt.datetime:
        """18:00 local time on the day of `moment`: deadlines fall at the end of a working day."""
        day = self.settings.local_date(moment)
        return _utc(dt.datetime(day.year, day.month, day.day, 18, 0, tzinfo=self.settings.zone))


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC)


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
