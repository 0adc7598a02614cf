"""Delivery lots: handed in with a manifest, inspected on the sample the service draws, accepted or
rejected by the plan's Ac/Re; resubmission; switching to tightened inspection and discontinuation."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from market.contracts import sampling
from market.contracts.models import DeliveryLot, Payment
from market.notifications.models import Notification
from tests.conftest import assert_error
from tests.contracts.conftest import inspect, lot_body, rejecting, submit
from tests.factories import ContractFactory, OrganizationFactory, VendorFactory


def lots_url(contract_id: int) -> str:
    return f"/api/v1/contracts/{contract_id}/lots"


def count(db_session, model) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


def test_a_lot_gets_the_plan_of_the_orders_aql_and_level_and_a_sample_drawn_from_a_recorded_seed(
    api, actors, deal
):
    lot = submit(api, actors, deal, volume=500, item_count=500)
    # 500 items at general level II: code letter H, 50 items; AQL 4.0 from the 95 % target.
    assert lot["plan"] == {"lot_size": 500, "aql": "4.0", "level": "II", "severity": "normal",
                           "size_code": "H", "code_letter": "H", "sample_size": 50, "accept": 5,
                           "reject": 6, "inspect_all": False}
    assert lot["status"] == "submitted" and lot["items_to_inspect"] is None  # not for the vendor
    agency_view = api.get(f"/api/v1/lots/{lot['id']}", token=actors.token(deal.agency)).json()
    positions = [item["position"] for item in agency_view["items_to_inspect"]]
    assert positions == sampling.draw_sample(500, 50, agency_view["sample_seed"])


def test_a_manifest_with_item_ids_names_the_items_to_inspect(api, actors, deal):
    ids = [f"img-{n:04d}" for n in range(1, 101)]
    lot = submit(api, actors, deal, volume=100, item_count=100, item_ids=ids, checksum=None)
    shown = api.get(f"/api/v1/lots/{lot['id']}", token=actors.token(deal.coordinator)).json()
    assert all(item["item_id"] == ids[item["position"] - 1] for item in shown["items_to_inspect"])
    assert len(shown["items_to_inspect"]) == shown["plan"]["sample_size"]


def test_the_orders_own_aql_applies_and_a_lot_smaller_than_its_plans_sample_is_inspected_in_full(
    api, actors, deal, db_session
):
    deal.contract.order.aql = Decimal("0.65")
    db_session.flush()
    lot = submit(api, actors, deal, volume=3, item_count=3)
    # Code letter A; at AQL 0.65 the arrow leads to F's 20 items, more than the lot: inspect all.
    assert lot["plan"]["code_letter"] == "F" and lot["plan"]["aql"] == "0.65"
    assert lot["plan"]["inspect_all"] is True and lot["plan"]["sample_size"] == 3


def test_bad_lots_are_refused_with_their_fields_and_store_nothing(api, actors, deal, db_session):
    token = actors.token(deal.vendor)
    url = lots_url(deal.contract.id)
    for body, field in (
        (lot_body(volume=1001), "volume"),
        (lot_body(checksum=None), "checksum"),
        (lot_body(item_count=3, item_ids=["a", "b"], checksum=None), "item_ids"),
        (lot_body(item_count=2, item_ids=["a", "a"], checksum=None), "item_ids"),
        (lot_body(item_count=0), "item_count"),
    ):
        assert_error(api.post(url, json=body, token=token), 422, field)
    assert count(db_session, DeliveryLot) == 0


def test_a_lot_is_at_most_what_is_neither_accepted_nor_pending(api, actors, deal):
    submit(api, actors, deal, volume=700, item_count=700)
    response = api.post(lots_url(deal.contract.id), json=lot_body(volume=301),
                        token=actors.token(deal.vendor))
    assert_error(response, 422, "volume")


def test_only_the_contracts_vendor_hands_in_lots(api, actors, deal, db_session):
    assert_error(api.post(lots_url(deal.contract.id), json=lot_body(),
                          token=actors.token(deal.agency)), 403)
    other = ContractFactory(vendor=VendorFactory())
    assert_error(api.post(lots_url(other.id), json=lot_body(), token=actors.token(deal.vendor)), 404)
    assert count(db_session, DeliveryLot) == 0


def test_another_organisations_lot_is_not_found(api, actors, deal):
    lot = submit(api, actors, deal)
    stranger = actors.user("agency", organization=OrganizationFactory())
    assert_error(api.get(f"/api/v1/lots/{lot['id']}", token=actors.token(stranger)), 404)
    assert_error(api.get(lots_url(deal.contract.id), token=actors.token(stranger)), 404)
    response = api.post(f"/api/v1/lots/{lot['id']}/inspection", json={"nonconforming": 0},
                        token=actors.token(stranger))
    assert_error(response, 404)


def test_an_accepted_lot_is_payable_and_the_whole_volume_accepted_completes_contract_and_order(
    api, actors, deal, db_session
):
    first = submit(api, actors, deal, volume=600, item_count=600)
    accepted = inspect(api, actors, deal, first["id"], 1, findings=[
        {"position": api.get(f"/api/v1/lots/{first['id']}", token=actors.token(deal.agency))
         .json()["items_to_inspect"][0]["position"], "note": "框偏移"}])
    assert accepted["status"] == "accepted" and accepted["nonconforming"] == 1
    assert accepted["items_to_inspect"] is not None  # decided: the vendor may see the sample now
    payment = db_session.scalars(select(Payment)).one()
    assert payment.amount == Decimal("240.00")
    assert (payment.due_on - payment.accepted_on).days == 30
    second = submit(api, actors, deal, volume=400, item_count=400)
    inspect(api, actors, deal, second["id"], 0)
    contract = api.get(f"/api/v1/contracts/{deal.contract.id}", token=actors.token(deal.vendor)).json()
    assert contract["status"] == "completed" and contract["accepted_volume"] == 1000
    assert contract["outcome"]["delivered_on_time"] is True
    assert contract["outcome"]["lots_rejected"] == 0
    assert contract["payments"]["due"] == "400.00"
    db_session.expire_all()
    assert deal.contract.order.status == "completed"


def test_a_rejected_lot_is_resubmitted_once_and_the_resubmission_does_not_count_for_switching(
    api, actors, deal, db_session
):
    lot = submit(api, actors, deal)
    rejected = inspect(api, actors, deal, lot["id"], rejecting(lot))
    assert rejected["status"] == "rejected"
    kinds = db_session.scalars(select(Notification.kind).where(
        Notification.recipient_id == deal.vendor.id)).all()
    assert "lot.rejected" in kinds
    again = submit(api, actors, deal, resubmission_of_id=lot["id"])
    assert again["resubmission_of_id"] == lot["id"]
    response = api.post(lots_url(deal.contract.id), json=lot_body(resubmission_of_id=lot["id"]),
                        token=actors.token(deal.vendor))
    assert_error(response, 409, "resubmission_of_id")
    inspect(api, actors, deal, again["id"], 0)
    db_session.expire_all()
    assert deal.contract.recent_results == [False]


def test_a_lot_already_decided_is_not_inspected_again(api, actors, deal):
    lot = submit(api, actors, deal)
    inspect(api, actors, deal, lot["id"], 0)
    response = api.post(f"/api/v1/lots/{lot['id']}/inspection", json={"nonconforming": 0},
                        token=actors.token(deal.agency))
    assert_error(response, 409)


def test_an_inspection_that_does_not_fit_the_sample_is_refused_and_stores_nothing(
    api, actors, deal, db_session
):
    lot = submit(api, actors, deal)
    url = f"/api/v1/lots/{lot['id']}/inspection"
    token = actors.token(deal.agency)
    assert_error(api.post(url, json={"nonconforming": 51}, token=token), 422, "nonconforming")
    outside = next(p for p in range(1, 501) if p not in set(
        i["position"] for i in api.get(f"/api/v1/lots/{lot['id']}", token=token).json()["items_to_inspect"]))
    assert_error(api.post(url, json={"nonconforming": 1,
                                     "findings": [{"position": outside, "note": "错标"}]},
                          token=token), 422, "findings")
    db_session.expire_all()
    assert db_session.get(DeliveryLot, lot["id"]).status == "submitted"


def test_the_vendor_cannot_inspect_its_own_lot(api, actors, deal):
    lot = submit(api, actors, deal)
    response = api.post(f"/api/v1/lots/{lot['id']}/inspection", json={"nonconforming": 0},
                        token=actors.token(deal.vendor))
    assert_error(response, 403)


def test_two_rejections_tighten_inspection_and_five_under_tightened_discontinue_acceptance(
    api, actors, deal, db_session
):
    for _ in range(2):
        lot = submit(api, actors, deal, volume=10, item_count=500)
        inspect(api, actors, deal, lot["id"], rejecting(lot))
    contract = api.get(f"/api/v1/contracts/{deal.contract.id}", token=actors.token(deal.agency)).json()
    assert contract["severity"] == "tightened"
    tightened = submit(api, actors, deal, volume=10, item_count=500)
    assert tightened["plan"]["severity"] == "tightened"
    assert tightened["plan"]["accept"] < 5  # tighter than normal's Ac 5 at H, 4.0
    inspect(api, actors, deal, tightened["id"], rejecting(tightened))
    for _ in range(4):
        lot = submit(api, actors, deal, volume=10, item_count=500)
        inspect(api, actors, deal, lot["id"], rejecting(lot))
    contract = api.get(f"/api/v1/contracts/{deal.contract.id}", token=actors.token(deal.agency)).json()
    assert contract["discontinued"] is True
    told = db_session.scalars(select(Notification.kind).where(
        Notification.recipient_id == deal.coordinator.id)).all()
    assert "contract.discontinued" in told
    response = api.post(lots_url(deal.contract.id), json=lot_body(volume=10),
                        token=actors.token(deal.vendor))
    assert_error(response, 409, "severity")
