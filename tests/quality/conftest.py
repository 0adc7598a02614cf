"""Helpers for building contract histories with factories."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from tests.factories import (
    CapabilityFactory,
    ContractFactory,
    OrderFactory,
    OrganizationFactory,
    VendorFactory,
)

T0 = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)


def day(n: float) -> dt.datetime:
    return T0 + dt.timedelta(days=n)


def completed(vendor, *, start: float, end: float, on_time: bool = True, accuracy: float = 0.97,
              order=None, deadline: float | None = None, **kwargs):
    """A contract of `vendor` that ran from day `start` and was completed on day `end`."""
    return ContractFactory(
        vendor=vendor,
        order=order or OrderFactory(status="completed", completed_at=day(end)),
        starts_at=day(start),
        deadline=day(deadline if deadline is not None else end + 5),
        status="completed",
        completed_at=day(end),
        delivered_on_time=on_time,
        accuracy_achieved=accuracy,
        **kwargs,
    )


@pytest.fixture
def build_history(factories):
    """A history with a signal: firms of higher assessed proficiency succeed more often."""

    def build(contracts: int = 48, vendors: int = 6, seed: int = 0):
        rng = random.Random(seed)
        agency = OrganizationFactory()
        firms = []
        for i in range(vendors):
            firm = VendorFactory(seats=50)
            proficiency = 0.3 + 0.6 * i / max(vendors - 1, 1)
            CapabilityFactory(vendor=firm.vendor_profile, assessed_proficiency=proficiency)
            firms.append((firm, proficiency))
        made = []
        for k in range(contracts):
            firm, proficiency = firms[k % vendors]
            success = rng.random() < 0.1 + 0.8 * proficiency
            order = OrderFactory(agency=agency, status="completed", completed_at=day(3 * k + 20),
                                 accuracy_target=0.95)
            made.append(completed(firm, order=order, start=3 * k, end=3 * k + 20, seats=10,
                                  on_time=success, accuracy=0.97 if success else 0.93))
        return made

    return build
