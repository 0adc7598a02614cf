"""Fixtures of the contract tests: an awarded order's running contract, with the agency's, the
vendor's and an independent coordinator's staff, and helpers to deliver and inspect lots."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from market.accounts.models import User
from market.contracts.models import Contract
from tests.factories import ContractFactory, OrderFactory


@dataclass
class Deal:
    contract: Contract
    agency: User
    vendor: User
    coordinator: User


@pytest.fixture
def deal(actors) -> Deal:
    """A running contract of 1,000 boxes at 0.40 CNY on an awarded order of `actors.agency`."""
    order = OrderFactory(awarded=True, agency=actors.agency.organization, volume=1000)
    contract = ContractFactory(order=order, vendor=actors.vendor.organization, volume=1000)
    return Deal(contract, actors.agency, actors.vendor, actors.coordinator)


def lot_body(volume: int = 500, item_count: int = 500, **overrides) -> dict:
    body = {"volume": volume, "item_count": item_count, "checksum": "sha256:" + "ab" * 32,
            "note": "第一批"}
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


def submit(api, actors, deal: Deal, **body) -> dict:
    response = api.post(f"/api/v1/contracts/{deal.contract.id}/lots", json=lot_body(**body),
                        token=actors.token(deal.vendor))
    assert response.status_code == 201, response.text
    return response.json()


def inspect(api, actors, deal: Deal, lot_id: int, nonconforming: int, **body) -> dict:
    response = api.post(f"/api/v1/lots/{lot_id}/inspection",
                        json={"nonconforming": nonconforming, **body},
                        token=actors.token(deal.agency))
    assert response.status_code == 200, response.text
    return response.json()


def rejecting(lot: dict) -> int:
    """A count of nonconforming items that rejects the lot by its plan."""
    return lot["plan"]["reject"]
