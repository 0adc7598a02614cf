"""The capacity calendar: ISO weeks, working days, and work spread evenly over its window."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from market.matching.calendar import (
    RunningContract,
    WeekCalendar,
    free_in_window,
    iso_week_label,
    load_per_unit,
    seat_days_needed,
    subtract_running,
    vendor_week_capacity,
)

# 2026-11-30 is the Monday of ISO week 2026-W49; 2026 has 53 ISO weeks.
CAL = WeekCalendar(date(2026, 11, 30), 6)


def test_weeks_are_labelled_the_iso_way():
    assert iso_week_label(date(2026, 12, 2)) == "2026-W49"
    assert iso_week_label(date(2027, 1, 1)) == "2026-W53"
    assert iso_week_label(date(2027, 1, 4)) == "2027-W01"
    assert CAL.labels == ("2026-W49", "2026-W50", "2026-W51", "2026-W52", "2026-W53", "2027-W01")


def test_a_covering_calendar_starts_on_the_monday_and_ends_on_the_sunday():
    cal = WeekCalendar.covering(date(2026, 12, 3), date(2026, 12, 14))
    assert cal.first_monday == date(2026, 11, 30)
    assert cal.n_weeks == 3
    assert cal.last_day == date(2026, 12, 20)


def test_a_calendar_must_start_on_a_monday():
    with pytest.raises(ValueError, match="not a Monday"):
        WeekCalendar(date(2026, 12, 1), 2)


def test_a_vendors_seat_days_per_week_are_seats_times_working_days():
    cap = vendor_week_capacity([10, 3], CAL)
    assert cap.shape == (2, 6)
    assert (cap[0] == 50).all() and (cap[1] == 15).all()


def test_work_is_spread_evenly_over_the_working_days_of_its_window():
    # Wednesday 2 Dec to Tuesday 8 Dec: Wed-Fri in W49 (3 days), Mon-Tue in W50 (2 days).
    spread = CAL.spread(date(2026, 12, 2), date(2026, 12, 8))
    assert spread.weeks.tolist() == [0, 1]
    assert spread.days.tolist() == [3, 2]
    assert spread.fraction.tolist() == pytest.approx([0.6, 0.4])
    assert spread.working_days == 5


def test_weekends_carry_no_work():
    # Friday to Monday: two working days, one in each week.
    spread = CAL.spread(date(2026, 12, 4), date(2026, 12, 7))
    assert spread.days.tolist() == [1, 1]
    assert spread.fraction.tolist() == pytest.approx([0.5, 0.5])


def test_a_window_of_weekend_days_only_cannot_be_scheduled():
    with pytest.raises(ValueError, match="no working day"):
        CAL.spread(date(2026, 12, 5), date(2026, 12, 6))


def test_the_part_of_a_window_outside_the_calendar_is_not_counted():
    cal = WeekCalendar(date(2026, 11, 30), 1)
    spread = cal.spread(date(2026, 12, 3), date(2026, 12, 8))  # Thu, Fri | Mon, Tue
    assert spread.weeks.tolist() == [0]
    assert spread.fraction.tolist() == pytest.approx([0.5])


def test_the_week_load_of_a_candidate_is_its_share_of_the_work_over_throughput():
    spread = CAL.spread(date(2026, 12, 2), date(2026, 12, 8))
    # 1000 units at 50 units per seat-day: 20 seat-days, 12 in W49 and 8 in W50.
    assert (1000 * load_per_unit(spread, 50)).tolist() == pytest.approx([12.0, 8.0])
    assert seat_days_needed(1000, 50) == 20.0
    with pytest.raises(ValueError):
        load_per_unit(spread, 0)


def test_free_seat_days_in_a_window_count_partial_weeks_pro_rata():
    free = vendor_week_capacity([10], CAL)
    spread = CAL.spread(date(2026, 12, 2), date(2026, 12, 8))
    assert free_in_window(free[0], spread, CAL) == pytest.approx(50.0)  # 3/5 and 2/5 of 50 each
    assert free_in_window(free, spread, CAL).tolist() == pytest.approx([50.0])


def test_running_contracts_take_their_seat_days_week_by_week():
    cap = vendor_week_capacity([10, 10], CAL)
    contract = RunningContract(
        vendor=0, seat_days=25, start=date(2026, 12, 2), end=date(2026, 12, 8)
    )
    free = subtract_running(cap, [contract], CAL)
    assert free[0, :3].tolist() == pytest.approx([35.0, 40.0, 50.0])
    assert (free[1] == 50).all()
    assert (cap == 50).all()  # the input is left alone


def test_an_overbooked_vendor_has_no_free_capacity_rather_than_a_negative_one():
    cap = vendor_week_capacity([1], CAL)
    contract = RunningContract(0, 100, date(2026, 11, 30), date(2026, 12, 4))
    assert subtract_running(cap, [contract], CAL)[0, 0] == 0.0


def test_overdue_work_is_charged_to_the_next_working_day():
    cap = vendor_week_capacity([10], CAL)
    overdue = RunningContract(0, 7, start=date(2026, 12, 5), end=date(2026, 12, 1))  # Saturday
    free = subtract_running(cap, [overdue], CAL)
    assert free[0, :2].tolist() == pytest.approx([50.0, 43.0])


def test_running_contracts_may_name_vendors_by_id():
    cap = vendor_week_capacity([10, 10], CAL)
    contracts = [
        RunningContract("acme", 5, date(2026, 11, 30), date(2026, 12, 4)),
        RunningContract("nobody", 5, date(2026, 11, 30), date(2026, 12, 4)),
    ]
    free = subtract_running(cap, contracts, CAL, vendor_index={"zeta": 0, "acme": 1})
    assert free[:, 0].tolist() == [50.0, 45.0]
    with pytest.raises(ValueError, match="unknown vendor index"):
        subtract_running(cap, contracts, CAL)


def test_contracts_outside_the_horizon_do_not_count():
    cap = vendor_week_capacity([10], CAL)
    before = RunningContract(0, 50, date(2026, 11, 2), date(2026, 11, 6))
    assert np.array_equal(subtract_running(cap, [before], CAL), cap)
