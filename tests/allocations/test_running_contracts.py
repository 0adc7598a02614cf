"""The engine's calendar counts only the work left on active contracts: finished and terminated
ones take no seat-days, and accepted or reported volume is done."""

from __future__ import annotations

from market.allocations.inputs import running_contracts
from market.contracts.models import DeliveryLot
from market.db import utcnow
from market.settings import Settings
from tests.factories import ContractFactory, VendorFactory, able_to


def test_only_active_contracts_take_seat_days_for_the_volume_neither_reported_nor_accepted(
    db_session, factories
):
    vendor = VendorFactory()
    able_to(vendor, throughput_per_seat_day=100.0)
    active = ContractFactory(vendor=vendor, volume=1000)
    active.lots.append(DeliveryLot(volume=400, status="accepted", decided_at=utcnow()))
    active.milestones[0].reported_volume = 300
    ContractFactory(vendor=vendor, volume=1000, status="terminated", terminated_at=utcnow())
    ContractFactory(vendor=vendor, volume=1000, status="completed", completed_at=utcnow())
    db_session.flush()
    running = running_contracts(db_session, {vendor.id}, today=utcnow().date(), settings=Settings())
    assert [(r.vendor, r.seat_days) for r in running] == [(vendor.id, 6.0)]
