"""Ratings: the agency rates a completed contract once; the vendor replies once; outcomes and
ratings summarised per vendor."""

from __future__ import annotations

from market.contracts.ratings import vendor_record
from tests.conftest import assert_error
from tests.contracts.conftest import inspect, rejecting, submit
from tests.factories import OrganizationFactory, VendorFactory

SCORES = {"quality": 5, "timeliness": 4, "communication": 3, "comment": "标注质量稳定"}


def complete(api, actors, deal) -> None:
    lot = submit(api, actors, deal, volume=1000, item_count=1000)
    rejected = inspect(api, actors, deal, lot["id"], rejecting(lot))
    again = submit(api, actors, deal, volume=1000, item_count=1000, resubmission_of_id=rejected["id"])
    inspect(api, actors, deal, again["id"], 0)


def rate(api, actors, deal, user, **body):
    return api.post(f"/api/v1/contracts/{deal.contract.id}/rating", json={**SCORES, **body},
                    token=actors.token(user))


def test_the_agency_rates_a_completed_contract_once_and_the_vendor_replies_once(
    api, actors, deal, db_session
):
    complete(api, actors, deal)
    response = rate(api, actors, deal, deal.agency)
    assert response.status_code == 201, response.text
    assert response.json()["quality"] == 5 and response.json()["reply"] is None
    assert_error(rate(api, actors, deal, deal.agency), 409)
    reply_url = f"/api/v1/contracts/{deal.contract.id}/rating/reply"
    replied = api.post(reply_url, json={"reply": "感谢评价"}, token=actors.token(deal.vendor))
    assert replied.status_code == 200 and replied.json()["reply"] == "感谢评价"
    assert_error(api.post(reply_url, json={"reply": "再次"}, token=actors.token(deal.vendor)), 409)
    db_session.expire_all()
    assert deal.contract.rating == 4
    record = vendor_record(db_session, deal.contract.vendor_id)
    assert record["contracts_completed"] == 1 and record["lots_rejected"] == 1
    assert record["mean_quality"] == 5 and record["on_time_share"] == 1


def test_an_active_contract_is_not_rated(api, actors, deal):
    assert_error(rate(api, actors, deal, deal.agency), 409)


def test_scores_outside_one_to_five_are_refused(api, actors, deal):
    complete(api, actors, deal)
    assert_error(rate(api, actors, deal, deal.agency, quality=6), 422, "quality")
    assert_error(rate(api, actors, deal, deal.agency, timeliness=0), 422, "timeliness")
    assert rate(api, actors, deal, deal.agency).status_code == 201  # nothing was stored before


def test_the_vendor_cannot_rate_and_another_agency_cannot_see_the_contract(api, actors, deal):
    complete(api, actors, deal)
    assert_error(rate(api, actors, deal, deal.vendor), 403)
    stranger = actors.user("agency", organization=OrganizationFactory())
    assert_error(rate(api, actors, deal, stranger), 404)


def test_the_completed_contracts_outcome_counts_its_rejected_lot(api, actors, deal):
    complete(api, actors, deal)
    outcome = api.get(f"/api/v1/contracts/{deal.contract.id}",
                      token=actors.token(deal.coordinator)).json()["outcome"]
    assert outcome["lots_rejected"] == 1 and outcome["days_late"] == 0
    assert outcome["accuracy_achieved"] < 1


def test_the_vendors_record_is_read_by_coordinators_and_the_firm_itself(api, actors, deal):
    complete(api, actors, deal)
    assert rate(api, actors, deal, deal.agency).status_code == 201
    url = f"/api/v1/vendors/{deal.contract.vendor_id}/record"
    for reader in (deal.coordinator, deal.vendor, actors.admin):
        response = api.get(url, token=actors.token(reader))
        assert response.status_code == 200, response.text
        record = response.json()
        assert (record["contracts_completed"], record["ratings"], record["mean_quality"]) == (1, 1, 5)
        assert record["lots_rejected"] == 1 and record["on_time_share"] == 1
    assert_error(api.get(url, token=actors.token(deal.agency)), 403)
    stranger = actors.user("vendor", organization=VendorFactory())
    assert_error(api.get(url, token=actors.token(stranger)), 404)
    agency_org = deal.agency.organization_id
    assert_error(api.get(f"/api/v1/vendors/{agency_org}/record", token=actors.token(deal.coordinator)), 404)
