"""The list of contracts with its filters: status, order, vendor, the order's agency and data, and
the date each was made."""

from __future__ import annotations

import datetime as dt

from market.db import utcnow
from tests.conftest import assert_error
from tests.factories import ContractFactory, OrderFactory, OrganizationFactory


def test_contracts_filter_by_agency_modality_and_the_date_they_were_made(api, actors, db_session):
    clinics = OrganizationFactory()
    scan = ContractFactory(order=OrderFactory(awarded=True, agency=clinics, modality="medical_image"))
    road = ContractFactory(order=OrderFactory(awarded=True, modality="image"))
    road.created_at = utcnow() - dt.timedelta(days=40)
    db_session.flush()
    token = actors.token(actors.coordinator)

    def found(query: str) -> list[int]:
        return [c["id"] for c in api.get(f"/api/v1/contracts?{query}", token=token).json()["items"]]

    assert found(f"agency_id={clinics.id}") == [scan.id]
    assert found("modality=image") == [road.id]
    recent = (utcnow() - dt.timedelta(days=10)).date().isoformat()
    assert found(f"created_after={recent}") == [scan.id]
    assert found(f"created_before={recent}") == [road.id]
    assert_error(api.get("/api/v1/contracts?modality=smell", token=token), 422, "modality")
    assert_error(api.get("/api/v1/contracts?created_after=2026-12-10&created_before=2026-12-01",
                         token=token), 422, "created_after")


def test_an_agency_filtering_by_another_agency_finds_nothing(api, actors):
    other = ContractFactory(order=OrderFactory(awarded=True))
    token = actors.token(actors.agency)
    listed = api.get(f"/api/v1/contracts?agency_id={other.order.agency_id}", token=token).json()
    assert listed["items"] == []
