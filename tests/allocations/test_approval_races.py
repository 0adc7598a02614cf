"""Two coordinators approving one proposal at once, or one approving twice: exactly one contract."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import requests
from sqlalchemy import func, select

from market.bids.models import Bid
from market.contracts.models import Contract
from market.db import utcnow
from market.jobs.runner import run_job
from tests.factories import (
    BidFactory,
    CapabilityFactory,
    OperatorFactory,
    OrderFactory,
    OrganizationFactory,
    VendorFactory,
)
from tests.racing import RACERS, Committed, all_at_once


@pytest.mark.postgres_only
def test_concurrent_approvals_of_one_proposal_make_exactly_one_contract(race_app, race_server):
    now = utcnow()
    with Committed(race_app) as data:
        operator = OperatorFactory()
        coordinators = [data.user_token("coordinator", operator) for _ in range(2)]
        order = OrderFactory(
            evaluating=True,
            agency=OrganizationFactory(),
            volume=10000,
            budget_ceiling=Decimal("5000.00"),
            delivery_deadline=now + dt.timedelta(days=30),
        )
        vendor = VendorFactory(seats=80)
        CapabilityFactory(vendor=vendor.vendor_profile)
        BidFactory(order=order, vendor=vendor, unit_price=Decimal("0.30"), volume=10000)
    headers = {"Authorization": f"Bearer {coordinators[0]}"}
    run = requests.post(
        f"{race_server}/api/v1/match-runs", json={}, headers=headers, timeout=60
    ).json()
    assert run_job(race_app, "match-runs").counts["completed"] >= 1
    items = requests.get(f"{race_server}/api/v1/allocations", headers=headers, timeout=60,
                         params={"run_id": run["id"], "order_id": order.id}).json()["items"]
    (proposal,) = items
    url = f"{race_server}/api/v1/allocations/{proposal['id']}/approve"
    calls = [
        (
            lambda token=coordinators[i % 2]: requests.post(
                url,
                json={"reason": "综合评分最高"},
                timeout=60,
                headers={"Authorization": f"Bearer {token}"},
            )
        )
        for i in range(RACERS)
    ]
    codes = all_at_once(calls)
    assert sorted(codes) == [200] + [409] * (RACERS - 1), codes
    with race_app.app_context():
        with race_app.extensions["market.db"].sessionmaker() as session:
            assert (
                session.scalar(select(func.count(Contract.id)).where(Contract.order_id == order.id))
                == 1
            )
            assert session.scalar(select(Bid.status).where(Bid.order_id == order.id)) == "awarded"
