"""Each bidder's debrief: awarded or not, its score and rank, and why it lost; nothing while sealed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from market.bids.reasons import MESSAGES, STAFF_MESSAGES, describe
from market.notifications.models import Notification
from tests.allocations.conftest import capable_vendor, evaluating_order
from tests.allocations.test_approval import _proposals
from tests.conftest import assert_error, match
from tests.factories import BidFactory, OrderFactory


def _result(api, actors, user, bid):
    return api.get(f"/api/v1/bids/{bid.id}/result", token=actors.token(user))


def _ok(api, actors, user, bid) -> dict:
    response = _result(api, actors, user, bid)
    assert response.status_code == 200, response.text
    return response.json()


def _staff(actors, vendor):
    return actors.user("vendor", organization=vendor)


def _codes(result) -> list[str]:
    return [r["code"] for r in result["reasons"]]


def test_a_sealed_bid_has_no_result_nor_rank_and_only_its_vendor_may_ask(api, actors):
    order = OrderFactory(agency=actors.agency.organization)  # bidding open
    vendor = capable_vendor()
    bid = BidFactory(order=order, vendor=vendor)
    result = _ok(api, actors, _staff(actors, vendor), bid)
    assert result["status"] == "pending" and result["final"] is False
    assert result["rank"] is None and result["score"] is None and result["breakdown"] is None
    assert _codes(result) == ["bidding_open"]
    assert_error(_result(api, actors, actors.agency, bid), 404)
    assert_error(_result(api, actors, actors.coordinator, bid), 404)


def test_before_any_run_a_closed_bid_waits_for_matching(api, actors, market):
    bid = market["bids"][(market["whole"].id, market["vendors"][0].id)]
    result = _ok(api, actors, _staff(actors, market["vendors"][0]), bid)
    assert (result["status"], _codes(result), result["match_run_id"]) == ("pending", ["awaiting_matching"], None)


def test_after_a_run_each_bidder_sees_its_own_standing_provisionally(api, actors, market):
    whole = market["whole"]
    run, (proposal,) = _proposals(api, actors, whole.id)
    best, second, third, pricey = market["vendors"]
    assert proposal["vendor_id"] == best.id

    winner = _ok(api, actors, _staff(actors, best), market["bids"][(whole.id, best.id)])
    assert (winner["status"], winner["final"], winner["rank"], winner["ranked_bids"]) == ("pending", False, 1, 3)
    assert winner["match_run_id"] == run["id"] and _codes(winner) == ["awaiting_approval"]
    assert set(winner["breakdown"]["components"]) == {"quality", "price", "capacity", "local", "fairness"}
    assert "quality_model" not in winner["breakdown"]

    loser = _ok(api, actors, _staff(actors, third), market["bids"][(whole.id, third.id)])
    assert loser["status"] == "pending" and loser["rank"] == 3 and loser["score"] < winner["score"]
    assert _codes(loser) == ["not_decided", "outscored"]

    refused = _ok(api, actors, _staff(actors, pricey), market["bids"][(whole.id, pricey.id)])
    assert refused["eligible"] is False and refused["rank"] is None and refused["score"] is None
    (over,) = refused["reasons"]
    assert over["code"] == "over_budget" and over["params"]["unit_price"] == "0.8"
    assert over["message"] == describe("over_budget", over["params"], "zh")  # in the reader's language


def test_once_awarded_the_winner_is_told_its_terms_and_the_others_why_they_lost(api, actors, market):
    whole = market["whole"]
    _run, (proposal,) = _proposals(api, actors, whole.id)
    approved = api.post(f"/api/v1/allocations/{proposal['id']}/approve", json={"reason": "综合评分最高"},
                        token=actors.token(actors.coordinator))
    assert approved.status_code == 200, approved.text
    best, second, _third, pricey = market["vendors"]
    winner = _ok(api, actors, _staff(actors, best), market["bids"][(whole.id, best.id)])
    assert (winner["status"], winner["final"], winner["volume"], winner["unit_price"]) == (
        "awarded", True, whole.volume, "0.3000")
    assert _codes(winner) == ["awarded"]
    loser = _ok(api, actors, _staff(actors, second), market["bids"][(whole.id, second.id)])
    assert (loser["status"], loser["final"], loser["rank"], _codes(loser)) == ("not_awarded", True, 2, ["outscored"])
    refused = _ok(api, actors, _staff(actors, pricey), market["bids"][(whole.id, pricey.id)])
    assert (refused["status"], _codes(refused)) == ("not_awarded", ["over_budget"])


def test_a_proposal_a_coordinator_rejected_is_explained_with_the_reason(api, actors, market):
    whole = market["whole"]
    _run, (proposal,) = _proposals(api, actors, whole.id)
    api.post(f"/api/v1/allocations/{proposal['id']}/reject", json={"reason": "近期质检不合格", "note": "内部"},
             token=actors.token(actors.coordinator))
    result = _ok(api, actors, _staff(actors, market["vendors"][0]), market["bids"][(whole.id, market["vendors"][0].id)])
    (rejected,) = result["reasons"]
    assert rejected["code"] == "rejected_by_coordinator" and rejected["params"] == {"reason": "近期质检不合格"}
    assert "内部" not in rejected["message"]


def test_a_bid_on_an_order_a_run_made_unsuccessful_is_rejected_and_told_its_rule(api, actors, db_session):
    order = evaluating_order(actors.agency.organization, data_classification="core")
    vendor = capable_vendor(clearance="important")
    bid = BidFactory(order=order, vendor=vendor, unit_price=Decimal("0.30"))
    staff = _staff(actors, vendor)
    run = match(api, actors.token(actors.coordinator), {"order_ids": [order.id]})
    assert run["status"] == "completed", run
    db_session.expire_all()
    assert (bid.status, bid.status_reason) == ("rejected", "order_unsuccessful")
    told = db_session.scalars(select(Notification.payload).where(Notification.kind == "bid.rejected",
                                                                Notification.recipient_id == staff.id)).all()
    assert told == [{"order_id": order.id, "order_title": order.title, "bid_id": bid.id}]
    result = _ok(api, actors, staff, bid)
    assert (result["status"], result["final"]) == ("not_awarded", True)
    assert _codes(result) == ["clearance_too_low", "order_unsuccessful"]
    assert result["reasons"][0]["params"] == {"clearance": "important", "required": "core"}


def test_only_the_bidder_the_orders_agency_and_coordinators_read_a_result(api, actors, market):
    whole = market["whole"]
    _proposals(api, actors, whole.id)
    bid = market["bids"][(whole.id, market["vendors"][1].id)]
    assert _ok(api, actors, market["agency"], bid)["rank"] == 2
    assert _ok(api, actors, actors.coordinator, bid)["rank"] == 2
    assert_error(_result(api, actors, _staff(actors, market["vendors"][0]), bid), 404)  # a rival firm
    assert_error(_result(api, actors, actors.user("agency"), bid), 404)  # another agency
    assert_error(api.get("/api/v1/bids/999999/result", token=actors.token(actors.coordinator)), 404)
    assert_error(api.get(f"/api/v1/bids/{bid.id}/result"), 401)


def test_a_reasons_numbers_are_grouped_as_the_reader_writes_them():
    params = {"volume": 7050, "unit_price": "13.2199"}
    assert describe("awarded", params, "zh") == "已中标：7,050 个单位，单价 13.2199。"
    assert describe("awarded", params, "en").startswith("Awarded for 7,050 units")


@pytest.mark.parametrize("language", ["en", "zh"])
def test_staff_read_every_reason_about_a_firm_in_the_third_person(language):
    params = {"verification": "pending", "clearance": "public", "required": "confidential",
              "missing": ["ISO 27001"], "modality": "image", "annotation_type": "bbox", "week": "2026-W50"}
    for code in MESSAGES:
        staff = describe(code, params, language, audience="staff")
        assert "your" not in staff.lower() and "贵企业" not in staff, (code, staff)
    for code in STAFF_MESSAGES:  # the bidder's own wording is unchanged
        assert describe(code, params, language) != describe(code, params, language, audience="staff")
