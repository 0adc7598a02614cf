"""Capacity calendar: vendors' seat-days per ISO week and the weekly load of a piece of work."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

__all__ = [
    "RunningContract",
    "WeekCalendar",
    "WeekSpread",
    "free_in_window",
    "iso_week_label",
    "load_per_unit",
    "running_load",
    "seat_days_needed",
    "subtract_running",
    "vendor_week_capacity",
]

_WEEK = np.timedelta64(7, "D")


def iso_week_label(day: date) -> str:
    """The ISO week of ``day`` as coordinators read it, e.g. ``"2026-W49"``."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _busdays(start: np.ndarray | np.datetime64, stop: np.ndarray | np.datetime64) -> np.ndarray:
    # Working days are Monday to Friday; numpy's busday_count counts [start, stop) in C.
    return np.busday_count(start, stop)


@dataclass(frozen=True)
class WeekSpread:
    """How a piece of work spreads over the calendar's weeks.

    ``weeks`` are calendar week indices, ``days`` the working days of the window in each of
    them, ``fraction`` the share of the work done in each (sums to 1 when the window lies
    inside the calendar).
    """

    weeks: np.ndarray  # int64 week indices, ascending
    days: np.ndarray  # int64 working days of the window in each week
    fraction: np.ndarray  # float64, sums to 1

    @property
    def working_days(self) -> int:
        return int(self.days.sum())


@dataclass(frozen=True)
class WeekCalendar:
    """A run of consecutive ISO weeks, the horizon over which capacity is counted.

    Week 0 starts on ``first_monday``. A vendor's seat-days in a week are its seats times the
    working days (Monday to Friday) of that week; public holidays are not modelled.
    """

    first_monday: date
    n_weeks: int

    def __post_init__(self) -> None:
        if self.first_monday.weekday() != 0:
            raise ValueError(f"first_monday {self.first_monday} is not a Monday")
        if self.n_weeks < 1:
            raise ValueError(f"a calendar needs at least one week, got {self.n_weeks}")

    @classmethod
    def covering(cls, first_day: date, last_day: date) -> WeekCalendar:
        """The shortest calendar whose weeks hold every day from ``first_day`` to ``last_day``."""
        if last_day < first_day:
            last_day = first_day
        start = _monday(first_day)
        n_weeks = (_monday(last_day) - start).days // 7 + 1
        return cls(start, n_weeks)

    @property
    def last_day(self) -> date:
        """The Sunday that ends the last week."""
        return self.first_monday + timedelta(days=7 * self.n_weeks - 1)

    @property
    def labels(self) -> tuple[str, ...]:
        """ISO week labels, one per week, e.g. ``("2026-W49", "2026-W50")``."""
        return tuple(
            iso_week_label(self.first_monday + timedelta(days=7 * w)) for w in range(self.n_weeks)
        )

    @property
    def working_days(self) -> np.ndarray:
        """Working days in each week (5 each, since holidays are not modelled)."""
        return np.full(self.n_weeks, 5, dtype=np.int64)

    def week_index(self, day: date) -> int:
        """Index of the week containing ``day``; ValueError if it lies outside the calendar."""
        offset = (day - self.first_monday).days
        if offset < 0 or offset >= 7 * self.n_weeks:
            raise ValueError(
                f"{day} ({iso_week_label(day)}) is outside the calendar "
                f"{self.labels[0]}..{self.labels[-1]}"
            )
        return offset // 7

    def spread(self, start: date, end: date) -> WeekSpread:
        """Spread work evenly over the working days from ``start`` to ``end`` (both included).

        ``fraction`` is the share of the whole window's working days that falls in each week,
        so it sums to 1 when the window lies inside the calendar and to less when part of it
        lies outside (that part is simply not counted). ValueError when the window has no
        working day at all: such work could not be scheduled.
        """
        total = 0
        if end >= start:
            total = int(_busdays(np.datetime64(start, "D"), np.datetime64(end, "D") + 1))
        if total <= 0:
            raise ValueError(f"the window {start}..{end} has no working day (Monday to Friday)")
        lo = max(start, self.first_monday)
        hi = min(end, self.last_day)
        if hi < lo:
            empty = np.zeros(0, dtype=np.int64)
            return WeekSpread(empty, empty, np.zeros(0))
        first = (lo - self.first_monday).days // 7
        last = (hi - self.first_monday).days // 7
        weeks = np.arange(first, last + 1, dtype=np.int64)
        mondays = np.datetime64(self.first_monday, "D") + weeks * _WEEK
        seg_start = np.maximum(mondays, np.datetime64(lo, "D"))
        seg_stop = np.minimum(mondays + _WEEK, np.datetime64(hi, "D") + np.timedelta64(1, "D"))
        days = _busdays(seg_start, seg_stop).astype(np.int64)
        keep = days > 0
        weeks, days = weeks[keep], days[keep]
        return WeekSpread(weeks, days, days / total)


def seat_days_needed(volume: float, throughput_per_seat_day: float) -> float:
    """Seat-days to produce ``volume`` units at ``throughput_per_seat_day`` units per seat-day."""
    if throughput_per_seat_day <= 0:
        raise ValueError(f"throughput per seat-day must be positive, got {throughput_per_seat_day}")
    return float(volume) / float(throughput_per_seat_day)


def load_per_unit(spread: WeekSpread, throughput_per_seat_day: float) -> np.ndarray:
    """Seat-days that one unit of volume takes in each week of ``spread``.

    This is the per-candidate week-load vector of the allocation model: allocating ``x`` units
    consumes ``x * load_per_unit(...)[k]`` seat-days in week ``spread.weeks[k]``.
    """
    if throughput_per_seat_day <= 0:
        raise ValueError(f"throughput per seat-day must be positive, got {throughput_per_seat_day}")
    return spread.fraction / float(throughput_per_seat_day)


def free_in_window(free: np.ndarray, spread: WeekSpread, calendar: WeekCalendar) -> np.ndarray:
    """Free seat-days inside a window, for one vendor (``free`` of shape (weeks,)) or many.

    A week only partly inside the window counts pro rata of its working days, because the
    capacity of a week is spread over its working days just as the work is.
    """
    share = spread.days / calendar.working_days[spread.weeks]
    return np.asarray(free)[..., spread.weeks] @ share


def vendor_week_capacity(seats: Sequence[float] | np.ndarray, calendar: WeekCalendar) -> np.ndarray:
    """Seat-days per vendor and week, shape (vendors, weeks): seats times working days."""
    seats_arr = np.asarray(seats, dtype=np.float64).reshape(-1)
    if (seats_arr < 0).any():
        raise ValueError("seats must not be negative")
    return seats_arr[:, None] * calendar.working_days[None, :].astype(np.float64)


@dataclass(frozen=True)
class RunningContract:
    """Work a vendor has already committed to, which takes seats away from new orders.

    ``seat_days`` is the work still to do, spread evenly over the working days from ``start``
    (normally today) to ``end`` (its deadline). Work that is overdue (no working day left in
    the window) is charged to the first working day on or after ``start``, because the seats
    are busy with it now.
    """

    vendor: int | str  # row of the capacity matrix, or a vendor id with ``vendor_index``
    seat_days: float
    start: date
    end: date


def running_load(
    vendors: int,
    contracts: Iterable[RunningContract],
    calendar: WeekCalendar,
    vendor_index: Mapping[int | str, int] | None = None,
) -> np.ndarray:
    """Seat-days per vendor and week that running contracts take, shape (vendors, weeks).

    ``contract.vendor`` is a row (below ``vendors``), or, when ``vendor_index`` is given, a vendor
    id looked up in it (contracts of vendors not in it are ignored: they bid on nothing). Not
    clipped: an overbooked vendor's load is above its capacity. The parts of contracts that fall
    outside the calendar do not count.
    """
    load = np.zeros((vendors, calendar.n_weeks), dtype=np.float64)
    for contract in contracts:
        if contract.seat_days <= 0:
            continue
        if vendor_index is not None:
            if contract.vendor not in vendor_index:
                continue
            row = vendor_index[contract.vendor]
        elif isinstance(contract.vendor, int) and 0 <= contract.vendor < vendors:
            row = contract.vendor
        else:
            raise ValueError(f"running contract for unknown vendor index {contract.vendor!r}")
        end = contract.end
        if end < contract.start or _busdays(
            np.datetime64(contract.start, "D"), np.datetime64(end, "D") + 1
        ) == 0:
            # Overdue: the seats are busy with it on the next working day.
            start = np.busday_offset(np.datetime64(contract.start, "D"), 0, roll="forward")
            spread = calendar.spread(start.astype(date), start.astype(date))
        else:
            spread = calendar.spread(contract.start, end)
        load[row, spread.weeks] += contract.seat_days * spread.fraction
    return load


def subtract_running(
    capacity: np.ndarray,
    contracts: Iterable[RunningContract],
    calendar: WeekCalendar,
    vendor_index: Mapping[int | str, int] | None = None,
) -> np.ndarray:
    """Free seat-days per vendor and week once running contracts have taken their share
    (``running_load``).

    Returns a new array, clipped at zero: a vendor that is overbooked has no free capacity,
    not a negative one.
    """
    free = np.array(capacity, dtype=np.float64, copy=True)
    if free.ndim != 2 or free.shape[1] != calendar.n_weeks:
        raise ValueError(
            f"capacity must have shape (vendors, {calendar.n_weeks}), got {free.shape}"
        )
    free -= running_load(free.shape[0], contracts, calendar, vendor_index)
    np.maximum(free, 0.0, out=free)
    return free
