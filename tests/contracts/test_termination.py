"""Termination: a coordinator ends a defaulted contract with a reason; its remainder is open again."""

from __future__ import annotations

from market.contracts.services import covered_by_order
from tests.conftest import assert_error
from tests.contracts.conftest import inspect, submit


def url(deal) -> str:
    return f"/api/v1/contracts/{deal.contract.id}/terminate"


def test_a_coordinator_terminates_with_a_reason_and_the_unaccepted_volume_is_open_again(
    api, actors, deal, db_session
):
    lot = submit(api, actors, deal, volume=400, item_count=400)
    inspect(api, actors, deal, lot["id"], 0)
    response = api.post(url(deal), json={"reason": "供应商连续两周未交付"},
                        token=actors.token(deal.coordinator))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "terminated" and body["status_reason"] == "供应商连续两周未交付"
    assert body["terminated_at"] is not None
    order = deal.contract.order
    assert covered_by_order(db_session, [order.id])[order.id] == (400, 0)


def test_the_agency_and_the_vendor_cannot_terminate(api, actors, deal):
    for user in (deal.agency, deal.vendor):
        assert_error(api.post(url(deal), json={"reason": "x"}, token=actors.token(user)), 403)


def test_a_coordinator_of_the_orders_own_organisation_cannot_terminate(api, actors, deal):
    colleague = actors.user("coordinator", organization=deal.agency.organization)
    assert_error(api.post(url(deal), json={"reason": "违约"}, token=actors.token(colleague)), 403)
    assert deal.contract.status == "active"


def test_a_termination_without_a_reason_is_refused(api, actors, deal, db_session):
    response = api.post(url(deal), json={"reason": "   "}, token=actors.token(deal.coordinator))
    assert_error(response, 422, "reason")
    db_session.expire_all()
    assert deal.contract.status == "active"


def test_a_terminated_contract_cannot_be_terminated_again(api, actors, deal):
    token = actors.token(deal.coordinator)
    assert api.post(url(deal), json={"reason": "违约"}, token=token).status_code == 200
    assert_error(api.post(url(deal), json={"reason": "违约"}, token=token), 409)


def test_a_contract_with_a_lot_waiting_for_inspection_is_not_terminated(api, actors, deal):
    submit(api, actors, deal)
    response = api.post(url(deal), json={"reason": "违约"}, token=actors.token(deal.coordinator))
    assert_error(response, 409, "lots")
