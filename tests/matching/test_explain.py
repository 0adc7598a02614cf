"""Why a bid lost: every eligible bid that got less than it offered hears the reason."""

from __future__ import annotations

from datetime import date

import pytest

from market.matching.calendar import RunningContract
from market.matching.eligibility import Bid
from market.matching.match import match
from tests.matching.helpers import order, vendor


def test_a_losing_bid_hears_which_week_its_vendor_ran_out_of_capacity():
    # Vendor a (one seat) is nearly booked up in week 2026-W50 by a running contract, and 5/9
    # of every unit's work falls in that week; b is free but scores lower.
    orders = [order("o1", splittable=True)]
    vendors = [vendor("a", seats=1), vendor("b", seats=10, local=False)]
    running = [RunningContract("a", 4.5, date(2026, 12, 7), date(2026, 12, 11))]
    bids = [
        Bid("x", "o1", "a", 0.2, 900, quality=0.95),
        Bid("y", "o1", "b", 0.29, 900, quality=0.3),
    ]
    r = match(orders, vendors, bids, running=running)
    x, y = r.outcomes
    assert x.volume == pytest.approx(0.5 / (5 / 9 / 100))
    assert x.reason.code == "vendor_capacity"
    assert x.reason.message == "partly allocated: vendor capacity exhausted in week 2026-W50"
    assert y.volume == pytest.approx(900 - x.volume)


def test_a_losing_bid_on_an_order_at_its_vendor_limit_is_told_so():
    # Bid x offers only 600 of the 900 units, but with a limit of one vendor its high score
    # still beats y taking all 900, and y cannot add the rest.
    orders = [order("o1", splittable=True, max_vendors=1)]
    bids = [
        Bid("x", "o1", "a", 0.2, 600, quality=0.99),
        Bid("y", "o1", "b", 0.29, 900, quality=0.2),
    ]
    r = match(orders, [vendor("a"), vendor("b")], bids)
    x, y = r.outcomes
    assert x.score.total * 600 > y.score.total * 900
    assert x.volume == pytest.approx(600) and x.reason is None
    assert y.volume == 0
    assert y.reason.code == "max_vendors"
    assert y.reason.message == "order already has its maximum of 1 vendor"


def test_a_vendor_too_small_for_a_whole_order_is_told_how_short_it_is():
    # One seat at 50 a day over 9 days covers 450 of the 900 units: b gets the order.
    bids = [
        Bid("x", "o1", "a", 0.2, 900, quality=0.99),
        Bid("y", "o1", "b", 0.29, 900, quality=0.2),
    ]
    r = match([order("o1")], [vendor("a", seats=1, throughput=50), vendor("b")], bids)
    x, y = r.outcomes
    assert x.volume == 0 and y.volume == pytest.approx(900)
    assert x.reason.code == "vendor_capacity"
    # Week 2026-W50 has 5 seat-days and would need 10 (5/9 of 18).
    assert (
        x.reason.message == "not enough vendor capacity in week 2026-W50 (5 of 10 seat-days free)"
    )
