"""The award notice: once an order is awarded, the public directory, its CSV and the list of awards show it."""

from __future__ import annotations

import csv
import datetime as dt
import io

from market.db import utcnow
from tests.allocations.test_approval import _proposals
from tests.conftest import assert_error
from tests.factories import ContractFactory


def _approve(api, actors, proposal):
    response = api.post(f"/api/v1/allocations/{proposal['id']}/approve", json={"reason": "综合评分最高"},
                        token=actors.token(actors.coordinator))
    assert response.status_code == 200, response.text
    return response.json()["contract"]


def _csv_rows(api, **params):
    response = api.get("/api/v1/directory.csv", params=params)
    assert response.status_code == 200, response.text
    return {int(r["id"]): r for r in csv.DictReader(io.StringIO(response.text.lstrip("\ufeff")))}


def test_an_awarded_order_shows_its_winner_publicly(api, actors, market):
    whole = market["whole"]
    _run, (proposal,) = _proposals(api, actors, whole.id)
    assert api.get(f"/api/v1/directory/{whole.id}").json()["award"] is None  # proposed, not yet decided
    contract = _approve(api, actors, proposal)
    award = api.get(f"/api/v1/directory/{whole.id}").json()["award"]  # no login
    winner = next(v for v in market["vendors"] if v.id == proposal["vendor_id"])
    assert award["volume"] == whole.volume and award["value"] == contract["value"]
    assert award["awarded_at"].endswith("+08:00")
    assert award["vendors"] == [{
        "vendor": {"id": winner.id, "name": winner.name}, "volume": whole.volume,
        "unit_price": contract["unit_price"], "value": contract["value"], "awarded_at": contract["created_at"],
    }]
    listed = {item["id"]: item for item in api.get("/api/v1/directory").json()["items"]}
    assert listed[whole.id]["award"] == award

    awards = api.get("/api/v1/directory/awards").json()
    assert awards["meta"]["total"] == 1
    (item,) = awards["items"]
    assert item == {
        "order_id": whole.id, "order_title": whole.title, "sector": whole.sector, "unit": whole.unit,
        "agency": {"id": whole.agency_id, "name": whole.agency.name}, **award["vendors"][0],
    }

    row = _csv_rows(api)[whole.id]
    assert row["award_value"] == contract["value"] and row["award_volume"] == str(whole.volume)
    assert row["award_vendors"] == f"{winner.name}: {whole.volume} × {contract['unit_price']} = {contract['value']}"
    assert row["awarded_at"] == award["awarded_at"]


def test_an_order_only_partly_approved_announces_nothing_yet(api, actors, market):
    split = market["split"]
    # One vendor's match approved, the rest of the order still under evaluation.
    ContractFactory(order=split, vendor=market["vendors"][0], volume=split.volume // 2)
    assert split.status == "evaluating"
    assert api.get(f"/api/v1/directory/{split.id}").json()["award"] is None
    assert api.get("/api/v1/directory/awards").json()["items"] == []
    row = _csv_rows(api)[split.id]
    assert row["awarded_at"] == row["award_vendors"] == row["award_value"] == ""


def test_the_list_of_awards_filters_by_date_and_refuses_a_bad_range(api, actors, market):
    _run, (proposal,) = _proposals(api, actors, market["whole"].id)
    _approve(api, actors, proposal)
    today = utcnow().date()
    tomorrow = (today + dt.timedelta(days=2)).isoformat()
    yesterday = (today - dt.timedelta(days=2)).isoformat()
    assert api.get("/api/v1/directory/awards", params={"awarded_after": tomorrow}).json()["items"] == []
    assert len(api.get("/api/v1/directory/awards", params={"awarded_after": yesterday,
                                                            "awarded_before": tomorrow}).json()["items"]) == 1
    assert api.get("/api/v1/directory/awards", params={"sector": "health"}).json()["items"] == []
    assert_error(api.get("/api/v1/directory/awards", params={"awarded_after": tomorrow, "awarded_before": yesterday}),
                 422, "awarded_after")
    assert_error(api.get("/api/v1/directory/awards", params={"sector": "mining"}), 422, "sector")
