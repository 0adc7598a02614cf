"""A small market under evaluation: orders whose bidding has closed, capable vendors, their bids."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from market.db import utcnow
from tests.factories import BidFactory, CapabilityFactory, OrderFactory, VendorFactory


def evaluating_order(agency, **kwargs):
    """An order of `agency` under evaluation (the closing job has run), small enough to match."""
    defaults = dict(agency=agency, delivery_deadline=utcnow() + dt.timedelta(days=40), volume=20000,
                    budget_ceiling=Decimal("10000.00"))
    return OrderFactory(evaluating=True, **defaults | kwargs)


def capable_vendor(seats=50, proficiency=0.8, throughput=800.0, **kwargs):
    vendor = VendorFactory(seats=seats, **kwargs)
    CapabilityFactory(vendor=vendor.vendor_profile, assessed_proficiency=proficiency,
                      throughput_per_seat_day=throughput)
    return vendor


@pytest.fixture
def market(actors, db_session):
    """Two orders under evaluation (one splittable), three vendors, bids from each on each."""
    agency_user = actors.agency
    agency = agency_user.organization
    whole = evaluating_order(agency, title="高速卡口车辆框标注", splittable=False)
    split = evaluating_order(
        agency, title="城市路口行人框标注", splittable=True, max_vendors=2, min_lot=2000
    )
    vendors = [capable_vendor(proficiency=p) for p in (0.9, 0.7, 0.5)]
    for vendor in vendors:
        actors.user("vendor", organization=vendor)  # someone to notify
    bids = {}
    for order in (whole, split):
        for vendor, price in zip(vendors, ("0.30", "0.35", "0.40"), strict=True):
            bids[(order.id, vendor.id)] = BidFactory(
                order=order,
                vendor=vendor,
                unit_price=Decimal(price),
                volume=order.volume,
                seats_committed=20,
            )
    # An ineligible bid: over the budget ceiling per unit (10000 / 20000 = 0.50).
    pricey = capable_vendor()
    bids[(whole.id, pricey.id)] = BidFactory(order=whole, vendor=pricey, unit_price=Decimal("0.80"),
                                             volume=whole.volume)
    db_session.flush()
    return {
        "agency": agency_user,
        "whole": whole,
        "split": split,
        "vendors": vendors + [pricey],
        "bids": bids,
    }
