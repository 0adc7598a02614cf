"""Today's orders are lived in time order, whatever order their steps were planned in."""

from __future__ import annotations

import datetime as dt

import pytest

from market.demo.timeline import Timeline

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def hours(n: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=n)


def test_steps_run_in_time_order_whatever_order_they_were_added_in():
    timeline, done = Timeline(), []
    for n in (3, 1, 2):
        timeline.at(hours(n), lambda at, n=n: done.append((n, at)))
    timeline.run()
    assert done == [(1, hours(1)), (2, hours(2)), (3, hours(3))]


def test_steps_at_the_same_moment_keep_the_order_they_were_added_in():
    timeline, done = Timeline(), []
    for name in "abc":
        timeline.at(hours(1), lambda at, name=name: done.append(name))
    timeline.run()
    assert done == ["a", "b", "c"]


def test_a_step_may_add_a_later_step_but_not_an_earlier_one():
    timeline, done = Timeline(), []

    def first(at):
        timeline.at(hours(2), lambda at: done.append("follow-up"))
        with pytest.raises(ValueError):
            timeline.at(hours(0), lambda at: done.append("in the past"))

    timeline.at(hours(1), first)
    timeline.at(hours(3), lambda at: done.append("last"))
    timeline.run()
    assert done == ["follow-up", "last"]
