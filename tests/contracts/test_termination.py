"""Termination: a coordinator ends a defaulted contract with a reason; its remainder is open again."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from market.allocations.models import Allocation
from market.allocations.runs import run_matching
from market.allocations.services import approve
from market.bids.services import AWARDED_TO_OTHERS
from market.contracts.services import covered_by_order
from market.db import utcnow
from tests.conftest import assert_error
from tests.contracts.conftest import inspect, submit
from tests.factories import BidFactory, VendorFactory, able_to


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


def test_the_remainder_of_a_terminated_contract_is_matched_again_with_the_bids_that_lost_to_it(
    api, actors, deal, db_session
):
    order = deal.contract.order
    runner_up = VendorFactory()
    able_to(runner_up)
    bid = BidFactory(order=order, vendor=runner_up, status="rejected", rejected_at=utcnow(),
                     status_reason=AWARDED_TO_OTHERS, unit_price=Decimal("0.30"))
    lot = submit(api, actors, deal, volume=400, item_count=400)
    inspect(api, actors, deal, lot["id"], 0)
    response = api.post(url(deal), json={"reason": "供应商违约"}, token=actors.token(deal.coordinator))
    assert response.status_code == 200, response.text
    db_session.expire_all()
    assert order.status == "evaluating" and bid.status == "submitted"
    run = run_matching(db_session, actor=deal.coordinator, order_ids=[order.id])
    proposal = db_session.scalars(select(Allocation).where(Allocation.run_id == run.id)).one()
    assert proposal.vendor_id == runner_up.id and proposal.volume == 600
    contract = approve(db_session, proposal.id, actor=deal.coordinator, reason="候补供应商")
    assert contract.volume == 600 and order.status == "awarded"
