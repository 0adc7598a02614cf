"""Disputes: the vendor disputes a rejection; a coordinator not of the agency upholds it or orders
the lot inspected again."""

from __future__ import annotations

from tests.conftest import assert_error
from tests.contracts.conftest import inspect, lot_body, rejecting, submit


def rejected_lot(api, actors, deal) -> dict:
    lot = submit(api, actors, deal)
    return inspect(api, actors, deal, lot["id"], rejecting(lot))


def dispute(api, actors, deal, lot, user=None):
    return api.post(f"/api/v1/lots/{lot['id']}/dispute", json={"reason": "抽检口径与约定不一致"},
                    token=actors.token(user or deal.vendor))


def decide(api, actors, dispute_id, user, decision="reinspection"):
    return api.post(f"/api/v1/disputes/{dispute_id}/decision",
                    json={"decision": decision, "reason": "复核抽样记录"}, token=actors.token(user))


def test_a_reinspection_puts_the_lot_back_and_undoes_its_rejection_for_switching(
    api, actors, deal, db_session
):
    lot = rejected_lot(api, actors, deal)
    opened = dispute(api, actors, deal, lot)
    assert opened.status_code == 201, opened.text
    # While disputed, its volume is not free to hand in again.
    response = api.post(f"/api/v1/contracts/{deal.contract.id}/lots", json=lot_body(volume=501),
                        token=actors.token(deal.vendor))
    assert_error(response, 422, "volume")
    decided = decide(api, actors, opened.json()["id"], deal.coordinator)
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "reinspection"
    again = api.get(f"/api/v1/lots/{lot['id']}", token=actors.token(deal.agency)).json()
    assert again["status"] == "submitted" and again["nonconforming"] is None
    db_session.expire_all()
    assert deal.contract.recent_results == []
    assert inspect(api, actors, deal, lot["id"], 0)["status"] == "accepted"


def test_an_upheld_rejection_stays_and_the_lot_can_be_resubmitted(api, actors, deal):
    lot = rejected_lot(api, actors, deal)
    opened = dispute(api, actors, deal, lot).json()
    assert decide(api, actors, opened["id"], deal.coordinator, "upheld").json()["status"] == "upheld"
    assert_error(decide(api, actors, opened["id"], deal.coordinator, "upheld"), 409)
    assert submit(api, actors, deal, resubmission_of_id=lot["id"])["resubmission_of_id"] == lot["id"]


def test_only_a_rejected_lot_is_disputed_and_only_once(api, actors, deal):
    lot = submit(api, actors, deal)
    assert_error(dispute(api, actors, deal, lot), 409)
    rejected = inspect(api, actors, deal, lot["id"], rejecting(lot))
    assert dispute(api, actors, deal, rejected).status_code == 201
    assert_error(dispute(api, actors, deal, rejected), 409)


def test_the_agency_cannot_dispute_nor_decide(api, actors, deal):
    lot = rejected_lot(api, actors, deal)
    assert_error(dispute(api, actors, deal, lot, deal.agency), 403)
    opened = dispute(api, actors, deal, lot).json()
    assert_error(decide(api, actors, opened["id"], deal.agency), 403)


def test_a_coordinator_of_the_agencys_organisation_cannot_decide(api, actors, deal):
    lot = rejected_lot(api, actors, deal)
    opened = dispute(api, actors, deal, lot).json()
    colleague = actors.user("coordinator", organization=deal.agency.organization)
    assert_error(decide(api, actors, opened["id"], colleague), 403)


def test_a_decision_without_a_reason_or_with_an_unknown_decision_is_refused(api, actors, deal):
    lot = rejected_lot(api, actors, deal)
    opened = dispute(api, actors, deal, lot).json()
    url = f"/api/v1/disputes/{opened['id']}/decision"
    token = actors.token(deal.coordinator)
    assert_error(api.post(url, json={"decision": "upheld", "reason": ""}, token=token), 422, "reason")
    assert_error(api.post(url, json={"decision": "maybe", "reason": "x"}, token=token), 422, "decision")
    assert api.get(f"/api/v1/disputes/{opened['id']}", token=token).json()["status"] == "open"


def test_another_vendor_cannot_see_the_dispute(api, actors, deal):
    lot = rejected_lot(api, actors, deal)
    opened = dispute(api, actors, deal, lot).json()
    stranger = actors.user("vendor")
    assert_error(api.get(f"/api/v1/disputes/{opened['id']}", token=actors.token(stranger)), 404)
    assert_error(dispute(api, actors, deal, lot, stranger), 404)


def test_the_list_of_disputes_shows_coordinators_all_and_others_their_own(api, actors, deal):
    lot = rejected_lot(api, actors, deal)
    opened = dispute(api, actors, deal, lot).json()
    listed = api.get("/api/v1/disputes?status=open", token=actors.token(deal.coordinator)).json()
    assert [d["id"] for d in listed["items"]] == [opened["id"]]
    assert [d["id"] for d in api.get("/api/v1/disputes", token=actors.token(deal.vendor)).json()["items"]] \
        == [opened["id"]]
    stranger = actors.user("vendor")
    assert api.get("/api/v1/disputes", token=actors.token(stranger)).json()["items"] == []
    decide(api, actors, opened["id"], deal.coordinator, decision="upheld")
    assert api.get("/api/v1/disputes?status=open", token=actors.token(deal.coordinator)).json()["items"] == []
    assert_error(api.get("/api/v1/disputes?status=closed", token=actors.token(deal.coordinator)), 422, "status")
