"""What every figure of the dashboard is made of, and the time window it covers.

A figure is a small matrix: categories (weeks, months, modalities, places...) down the side and one
column per series. The page draws it as a chart, shows it as a table and offers it as CSV, all from
the same numbers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from market.settings import Settings

WEEKS_AHEAD = 12
MONTH_CHOICES = (3, 6, 12)


@dataclass(frozen=True)
class Series:
    """One column of a figure. `group` names the code it is for when a series is one of several of
    the same kind (the demand of one sector, say)."""

    key: str
    values: tuple
    group: str | None = None


@dataclass(frozen=True)
class Figure:
    key: str
    categories: tuple  # codes, labels, or tuples of them (e.g. (modality, annotation type))
    series: tuple[Series, ...]
    facts: dict[str, Any] = field(default_factory=dict)  # figures of the whole (e.g. the HHI)

    @property
    def empty(self) -> bool:
        return not self.categories or not any(
            value for series in self.series for value in series.values if isinstance(value, int | float))

    def rows(self) -> list[tuple]:
        """One row per category: the category, then each series' value."""
        return [(category, *(s.values[i] for s in self.series))
                for i, category in enumerate(self.categories)]


@dataclass(frozen=True)
class Window:
    """The dashboard's time: now, today in the programme's zone, the months looked back over (the
    current one and those before it, local calendar months) and the weeks looked ahead."""

    now: dt.datetime
    today: dt.date
    months: tuple[str, ...]  # "2026-01", oldest first
    month_starts: tuple[dt.datetime, ...]  # each month's first moment, in UTC

    @classmethod
    def make(cls, now: dt.datetime, settings: Settings, months: int) -> Window:
        local = now.astimezone(settings.zone)
        year, month = local.year, local.month
        firsts = []
        for _ in range(months):
            firsts.append(dt.datetime(year, month, 1, tzinfo=settings.zone))
            year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        firsts.reverse()
        return cls(now=now, today=local.date(), months=tuple(f"{d:%Y-%m}" for d in firsts),
                   month_starts=tuple(d.astimezone(dt.UTC) for d in firsts))

    @property
    def since(self) -> dt.datetime:
        return self.month_starts[0]
