"""The demo plans bids and orders with the engine's own hard rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from market.db import utcnow
from market.demo.catalogue import VENDORS
from market.demo.people import Vendor
from market.demo.rules import Rules, Terms
from market.orders.models import Order
from market.settings import settings_of
from tests.factories import CapabilityFactory, VendorFactory


def firm(**profile) -> Vendor:
    org = VendorFactory(**profile)
    capability = CapabilityFactory(vendor=org.vendor_profile)
    return Vendor(spec=VENDORS[0], org=org, user=None, capabilities={("image", "bbox"): capability})


def unsaved_order(**fields) -> Order:
    now = utcnow()
    values = {"modality": "image", "annotation_type": "bbox", "volume": 10000, "unit": "box",
              "budget_ceiling": Decimal("5000.00"), "bidding_closes_at": now + dt.timedelta(days=7),
              "delivery_deadline": now + dt.timedelta(days=40), "data_classification": "general",
              "onsite_required": False, "required_certifications": [], "splittable": False}
    return Order(**{**values, **fields})


@pytest.fixture
def rules(db_session, factories) -> Rules:
    return Rules(settings_of(db_session))


def test_only_the_firms_the_engine_accepts_could_win_an_order_not_yet_created(rules):
    able = firm(clearance="important", certifications=("ISO 27001",))
    too_low = firm(clearance="general", certifications=("ISO 27001",))
    uncertified = firm(clearance="core", certifications=())
    order = unsaved_order(data_classification="important", required_certifications=["ISO 27001"])
    assert [v.org.id for v in rules.could_win(order, [able, too_low, uncertified])] == [able.org.id]


def test_the_suspended_firm_could_win_only_as_it_stood_when_verified(rules):
    suspended = firm(verification_status="suspended")
    order = unsaved_order()
    assert rules.could_win(order, [suspended]) == []
    assert rules.could_win(order, [suspended], verified_then=True) == [suspended]


def test_a_bid_over_the_budget_is_refused_as_a_run_would_refuse_it(rules):
    vendor = firm()
    order = unsaved_order()
    dear = Terms(order_id=None, vendor_id=vendor.org.id, unit_price=Decimal("0.60"), volume=order.volume)
    cheap = Terms(order_id=None, vendor_id=vendor.org.id, unit_price=Decimal("0.40"), volume=order.volume)
    assert [r.code for r in rules.refusals(order, vendor, dear)] == ["over_budget"]
    assert rules.refusals(order, vendor, cheap) == ()
