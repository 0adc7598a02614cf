"""The records from before the platform: a few hundred contracts with outcomes, a history worth learning."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import replace
from decimal import Decimal

from sqlalchemy import select

from market.allocations import inputs
from market.audit.models import AuditEvent
from market.contracts.models import Contract
from market.db import utcnow
from market.matching import eligibility
from market.orders.models import Order
from market.organizations.models import Capability, VendorProfile
from market.settings import settings_of


def _history(session):
    rows = session.execute(
        select(Contract, Order.accuracy_target, Capability.assessed_proficiency, VendorProfile.seats)
        .join(Order, Order.id == Contract.order_id)
        .join(VendorProfile, VendorProfile.organization_id == Contract.vendor_id)
        .join(Capability, (Capability.vendor_id == Contract.vendor_id) & (Capability.modality == Order.modality)
              & (Capability.annotation_type == Order.annotation_type))
        .where(Contract.status == "completed")
        .order_by(Contract.starts_at)
    ).all()
    return rows


def test_the_history_is_a_few_hundred_contracts_of_the_past_18_months_with_outcomes(session):
    rows = _history(session)
    assert 250 <= len(rows) <= 600
    now = utcnow()
    assert min(c.starts_at for c, *_ in rows) > now - dt.timedelta(days=560)
    assert max(c.completed_at for c, *_ in rows) < now
    for contract, *_ in rows:
        assert contract.delivered_on_time is not None and 0.7 <= contract.accuracy_achieved <= 0.995
        assert 1 <= contract.rating <= 5 and contract.completed_at > contract.starts_at
    on_time = Counter(c.delivered_on_time for c, *_ in rows)
    assert on_time[True] > on_time[False] > 10


def test_success_in_the_history_rises_with_proficiency_and_falls_with_load(session):
    rows = _history(session)
    by_vendor = defaultdict(list)
    success_by_skill = defaultdict(list)
    success_by_load = defaultdict(list)
    for contract, target, proficiency, seats in rows:
        # The load as the hidden model defines it: seats of the firm's running contracts plus this one's.
        busy = sum(c.seats for c in by_vendor[contract.vendor_id] if c.starts_at <= contract.starts_at < c.completed_at)
        load = (busy + contract.seats) / seats
        by_vendor[contract.vendor_id].append(contract)
        success = contract.delivered_on_time and contract.accuracy_achieved >= target
        if proficiency < 0.75 or proficiency >= 0.85:
            success_by_skill[proficiency >= 0.85].append(success)
        success_by_load[load >= 0.5].append(success)
    rate = {key: sum(values) / len(values) for key, values in success_by_skill.items()}
    # Assessed proficiency is a noisy view of true skill (by design, so history adds information),
    # so the difference is real but modest.
    assert rate[True] > rate[False]
    loaded = {key: sum(values) / len(values) for key, values in success_by_load.items()}
    assert loaded[False] > loaded[True]


def test_past_work_went_to_firms_the_engine_would_have_let_win_then(session):
    settings = settings_of(session)
    for contract in session.scalars(select(Contract).where(Contract.allocation_id.is_(None))):
        order = contract.order
        engine_order = inputs.engine_order(order, remaining=order.volume, vendors_left=order.max_vendors,
                                           today=settings.local_date(order.bidding_closes_at), settings=settings)
        # As the firm stood then: the one suspended today was verified when it won this work.
        vendor = replace(inputs.engine_vendor(contract.vendor, award_share=0.0, settings=settings),
                         verification="verified")
        # The rules about the firm and the work, whatever was paid.
        probe = eligibility.Bid(id=None, order_id=order.id, vendor_id=contract.vendor_id, unit_price=Decimal(0),
                                volume=order.volume)
        assert not eligibility.check_eligibility(engine_order, vendor, probe), order.title


def test_the_past_stands_for_records_no_service_of_the_platform_wrote(session):
    past = select(Contract.order_id).where(Contract.allocation_id.is_(None))
    audited = select(AuditEvent.object_id).where(AuditEvent.object_type == "order")
    assert session.scalars(select(Order.id).where(Order.id.in_(past), Order.id.in_(audited))).all() == []
