"""A contract's milestones: 30/70/100 % of the volume, the earlier ones at the end of a working day."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from market.contracts.models import Contract
from market.contracts.services import plan_milestones
from market.settings import Settings

ZONE = ZoneInfo("Asia/Shanghai")


def _contract(starts: dt.datetime, deadline: dt.datetime) -> Contract:
    return Contract(volume=1000, starts_at=starts.astimezone(dt.UTC), deadline=deadline.astimezone(dt.UTC))


def test_milestones_fall_due_at_the_end_of_a_working_day_and_the_last_at_the_deadline():
    # Monday 2027-03-01 09:13 to Wednesday 2027-03-31 15:47: 30 % of the span lands on Tuesday 10th
    # (local), 70 % on Monday 22nd.
    starts = dt.datetime(2027, 3, 1, 9, 13, tzinfo=ZONE)
    deadline = dt.datetime(2027, 3, 31, 15, 47, tzinfo=ZONE)
    first, second, last = plan_milestones(_contract(starts, deadline), Settings())
    assert [m.volume for m in (first, second, last)] == [300, 700, 1000]
    assert first.due_at.astimezone(ZONE) == dt.datetime(2027, 3, 10, 18, 0, tzinfo=ZONE)
    assert second.due_at.astimezone(ZONE) == dt.datetime(2027, 3, 22, 18, 0, tzinfo=ZONE)
    assert last.due_at == deadline


def test_a_milestone_landing_on_a_weekend_is_due_the_friday_before():
    # 30 % of ten days from Thursday 2027-03-04 00:00 is Sunday 7th, 00:00.
    starts = dt.datetime(2027, 3, 4, 0, 0, tzinfo=ZONE)
    deadline = dt.datetime(2027, 3, 14, 0, 0, tzinfo=ZONE)
    first, *_ = plan_milestones(_contract(starts, deadline), Settings())
    assert first.due_at.astimezone(ZONE) == dt.datetime(2027, 3, 5, 18, 0, tzinfo=ZONE)
    assert first.due_at.astimezone(ZONE).weekday() == 4


def test_a_milestone_never_falls_before_the_start_or_after_the_deadline():
    starts = dt.datetime(2027, 3, 6, 10, 0, tzinfo=ZONE)  # a Saturday
    deadline = dt.datetime(2027, 3, 7, 12, 0, tzinfo=ZONE)
    for milestone in plan_milestones(_contract(starts, deadline), Settings()):
        assert starts <= milestone.due_at <= deadline
