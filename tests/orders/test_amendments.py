"""Amending a published order: a note, versions in the directory, bidders and askers told, and
bids confirmed again after a material change or lapsed at closing."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from market.allocations.runs import run_matching
from market.audit.models import AuditEvent
from market.bids.models import Bid
from market.db import utcnow
from market.errors import Forbidden, InvalidInput, NotFound
from market.orders import services
from market.orders.models import Order, OrderAmendment
from market.orders.tasks import close_due_bidding
from tests.conftest import assert_error
from tests.factories import (
    BidFactory,
    OrderFactory,
    OrganizationFactory,
    QuestionFactory,
    VendorFactory,
    able_to,
)
from tests.orders.conftest import in_days

NOTE = "根据试点路段调整，补充夜间图像。"


def amend(api, actors, order, user=None, **body):
    body.setdefault("note", NOTE)
    return api.post(f"/api/v1/orders/{order.id}/amendments",
                    token=actors.token(user or actors.agency), json=body)


def amendment_count(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(OrderAmendment))


@pytest.fixture
def order(actors):
    return OrderFactory(agency=actors.agency.organization)


def bidder(actors, order):
    user = actors.user("vendor", VendorFactory())
    able_to(user.organization, order.modality, order.annotation_type)  # the hard rules let it bid
    return user, BidFactory(order=order, vendor=user.organization)


def test_the_agency_corrects_the_description_and_the_directory_shows_what_when_and_why(
    api, actors, order, audit_actions
):
    before = order.description
    response = amend(api, actors, order, description="对卡口图像中的车辆及行人进行二维框标注。")
    assert response.status_code == 201, response.text
    amendment = response.json()
    assert amendment["version"] == 1 and amendment["material"] is False
    assert amendment["changes"] == {"description": {
        "before": before, "after": "对卡口图像中的车辆及行人进行二维框标注。"}}
    assert amendment["note"] == NOTE and amendment["amended_by_id"] == actors.agency.id
    assert audit_actions("order", order.id)[-1] == "order.amended"
    shown = api.get(f"/api/v1/directory/{order.id}").json()
    assert shown["description"] == "对卡口图像中的车辆及行人进行二维框标注。"
    assert shown["amendments"] == [{
        "version": 1, "amended_at": amendment["amended_at"], "note": NOTE, "material": False,
        "changes": [{"field": "description", "before": before,
                     "after": "对卡口图像中的车辆及行人进行二维框标注。"}],
    }]
    listed = api.get(f"/api/v1/orders/{order.id}/amendments", token=actors.token(actors.vendor))
    assert [a["version"] for a in listed.json()["items"]] == [1]


def test_versions_count_up(api, actors, order):
    amend(api, actors, order, label_set=["car", "truck", "bus", "van"])
    second = amend(api, actors, order, bidding_closes_at=in_days(9).isoformat())
    assert second.json()["version"] == 2


def test_a_hidden_fields_change_is_named_but_its_values_stay_hidden(api, actors):
    order = OrderFactory(agency=actors.agency.organization,
                         hidden_fields={"budget_ceiling": "预算待财政评审"})
    assert amend(api, actors, order, budget_ceiling="60000.00").status_code == 201
    change = api.get(f"/api/v1/directory/{order.id}").json()["amendments"][0]["changes"]
    assert change == [{"field": "budget_ceiling", "hidden": True}]
    full = api.get(f"/api/v1/orders/{order.id}/amendments", token=actors.token(actors.vendor))
    assert full.json()["items"][0]["changes"]["budget_ceiling"] == {
        "before": "50000.00", "after": "60000.00"}


def test_bidders_and_askers_are_told_and_nobody_else(api, actors, order, notifications):
    bidding, _bid = bidder(actors, order)
    asking = actors.user("vendor", VendorFactory())
    QuestionFactory(order=order, asker=asking)
    withdrawn = actors.user("vendor", VendorFactory())
    BidFactory(order=order, vendor=withdrawn.organization, status="withdrawn",
               withdrawn_at=utcnow())
    bystander = actors.user("vendor", VendorFactory())
    assert amend(api, actors, order, label_set=["car", "truck"]).status_code == 201
    told = notifications(bidding, "order.amended")
    assert len(told) == 1 and told[0].payload["fields"] == ["label_set"]
    assert told[0].payload["confirmation_required"] is False
    assert len(notifications(asking, "order.amended")) == 1
    assert notifications(withdrawn, "order.amended") == []
    assert notifications(bystander, "order.amended") == []


def test_a_material_change_keeps_bidding_open_and_asks_every_live_bid_to_be_confirmed(
    api, actors, app, order, db_session, notifications
):
    order.bidding_closes_at = utcnow() + dt.timedelta(days=1)
    db_session.flush()
    vendor, bid = bidder(actors, order)
    response = amend(api, actors, order, volume=90000)
    assert response.status_code == 201, response.text
    assert response.json()["material"] is True
    days = app.extensions["market.db"].settings.amendment_min_open_days
    db_session.expire_all()
    amended = db_session.get(Order, order.id)
    assert amended.volume == 90000
    assert amended.bidding_closes_at >= utcnow() + dt.timedelta(days=days) - dt.timedelta(minutes=1)
    assert set(response.json()["changes"]) == {"volume", "bidding_closes_at"}
    assert db_session.get(Bid, bid.id).confirmation_requested_at is not None
    assert notifications(vendor, "order.amended")[0].payload["confirmation_required"] is True
    shown = api.get(f"/api/v1/bids/{bid.id}", token=actors.token(vendor)).json()
    assert shown["status"] == "submitted" and shown["confirmation_requested_at"] is not None


def test_bidding_already_open_long_enough_is_not_moved(api, actors, order, db_session):
    closes = order.bidding_closes_at = utcnow() + dt.timedelta(days=30)
    db_session.flush()
    response = amend(api, actors, order, accuracy_target=0.97)
    assert set(response.json()["changes"]) == {"accuracy_target"}
    db_session.expire_all()
    assert db_session.get(Order, order.id).bidding_closes_at == closes


def test_an_extension_that_would_pass_the_deadline_asks_for_a_later_deadline(api, actors, db_session):
    order = OrderFactory(agency=actors.agency.organization, bidding_closes_at=in_days(1),
                         delivery_deadline=in_days(3))
    body = assert_error(amend(api, actors, order, budget_ceiling="60000.00"), 422,
                        "bidding_closes_at")
    assert any("delivery deadline" in m for m in body["errors"]["bidding_closes_at"])
    assert amendment_count(db_session) == 0
    response = amend(api, actors, order, budget_ceiling="60000.00",
                     delivery_deadline=in_days(40).isoformat())
    assert response.status_code == 201, response.text


def test_unconfirmed_bids_lapse_at_closing_with_the_reason_and_the_vendor_is_told(
    api, actors, order, db_session, notifications, audit_actions
):
    lapsing, unconfirmed = bidder(actors, order)
    confirming, confirmed = bidder(actors, order)
    amend(api, actors, order, onsite_required=True)
    assert api.post(f"/api/v1/bids/{confirmed.id}/confirm",
                    token=actors.token(confirming)).status_code == 200
    later = db_session.get(Order, order.id).bidding_closes_at + dt.timedelta(minutes=1)
    assert close_due_bidding(db_session, now=later) == 1
    assert unconfirmed.status == "lapsed" and unconfirmed.lapsed_at == later
    assert unconfirmed.status_reason == "bid_lapsed"  # a code, said in the reader's language
    assert confirmed.status == "submitted"
    assert audit_actions("bid", unconfirmed.id)[-1] == "bid.lapsed"
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "bid.lapsed"))
    assert event.data["code"] == services.LAPSE_CODE
    assert event.data["params"] == {"order_id": order.id, "amendment_version": 1}
    told = notifications(lapsing, "bid.lapsed")
    assert len(told) == 1 and told[0].payload["code"] == services.LAPSE_CODE
    assert notifications(confirming, "bid.lapsed") == []


def test_a_lapsed_bid_says_why_in_each_readers_language(
    api, actors, order, db_session, notifications
):
    chinese, bid = bidder(actors, order)
    amend(api, actors, order, onsite_required=True)
    later = db_session.get(Order, order.id).bidding_closes_at + dt.timedelta(minutes=1)
    close_due_bidding(db_session, now=later)
    told = notifications(chinese, "bid.lapsed")[0]
    assert told.payload["reason"] == "投标已失效：订单经重大变更后，该投标未在投标截止前确认或修改。"
    shown = api.get(f"/api/v1/bids/{bid.id}", token=actors.token(chinese)).json()
    assert (shown["status_reason"], shown["status_reason_code"]) == (told.payload["reason"], "bid_lapsed")
    chinese.locale = "en"
    db_session.flush()
    shown = api.get(f"/api/v1/bids/{bid.id}", token=actors.token(chinese)).json()
    assert shown["status_reason"].startswith("The bid lapsed: a material amendment changed")


def test_the_amendment_notice_names_the_fields_and_the_time_as_people_read_them(
    api, actors, order, db_session, notifications
):
    vendor, _bid = bidder(actors, order)
    amend(api, actors, order, volume=order.volume + 100, budget_ceiling="90000.00",
          note="新增点位")
    closes = db_session.get(Order, order.id).bidding_closes_at
    text = notifications(vendor, "order.amended")[0].text
    assert "变更事项：预算上限、数量。变更说明：“新增点位”。" in text
    assert f"投标截止时间为 {closes.astimezone(ZoneInfo('Asia/Shanghai')):%Y年%-m月%-d日 %H:%M:%S}。" in text
    assert "budget_ceiling" not in text and "T" not in text.split("投标截止时间为")[1]


def test_a_match_run_before_the_job_lapses_unconfirmed_bids_and_leaves_them_out(
    api, actors, order, db_session
):
    _vendor, unconfirmed = bidder(actors, order)
    amend(api, actors, order, required_certifications=["ISO 27001"])
    db_session.expire_all()
    db_session.get(Order, order.id).bidding_closes_at = utcnow() - dt.timedelta(minutes=1)
    db_session.flush()
    run = run_matching(db_session, actor=actors.coordinator, time_limit=2)
    assert db_session.get(Bid, unconfirmed.id).status == "lapsed"
    assert run.stats["bids"] == 0


# Who may amend, and when --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["vendor", "coordinator", "admin"])
def test_only_agency_staff_amend(api, actors, order, db_session, role):
    assert_error(amend(api, actors, order, actors.user(role), volume=90000), 403)
    assert amendment_count(db_session) == 0


def test_another_agencys_order_is_not_found(api, actors, db_session):
    foreign = OrderFactory(agency=OrganizationFactory())
    assert_error(amend(api, actors, foreign, volume=90000), 404)
    assert amendment_count(db_session) == 0


@pytest.mark.parametrize("state", ["closed", "evaluating", "cancelled", "draft"])
def test_an_order_not_open_for_bidding_cannot_be_amended(api, actors, db_session, state):
    order = OrderFactory(agency=actors.agency.organization, **{state: True})
    assert_error(amend(api, actors, order, volume=90000), 409)
    assert amendment_count(db_session) == 0


@pytest.mark.parametrize("body, field", [
    ({"note": "   ", "volume": 90000}, "note"),
    ({"note": "\u200b", "volume": 90000}, "note"),
    ({"volume": 90000, "note": None}, "note"),
    ({"note": NOTE}, "_body"),
    ({"note": NOTE, "volume": 0}, "volume"),
    ({"note": NOTE, "volume": None}, "volume"),
    ({"note": NOTE, "delivery_deadline": None}, "delivery_deadline"),
    ({"note": NOTE, "description": "  "}, "description"),
    ({"note": NOTE, "label_set": []}, "label_set"),
    ({"note": NOTE, "title": "新标题"}, "title"),
    ({"note": NOTE, "bidding_closes_at": "2020-01-01T00:00:00"}, "bidding_closes_at"),
])
def test_bad_amendments_are_422_and_store_nothing(api, actors, order, db_session, body, field):
    response = api.post(f"/api/v1/orders/{order.id}/amendments",
                        token=actors.token(actors.agency), json=body)
    assert_error(response, 422, field)
    assert amendment_count(db_session) == 0


def test_a_note_is_required(api, actors, order, db_session):
    response = api.post(f"/api/v1/orders/{order.id}/amendments",
                        token=actors.token(actors.agency), json={"volume": 90000})
    assert_error(response, 422, "note")
    assert amendment_count(db_session) == 0


def test_nothing_changing_and_shortening_are_refused_storing_nothing(api, actors, order, db_session):
    volume, closes = order.volume, order.bidding_closes_at
    assert_error(amend(api, actors, order, volume=order.volume), 422, "_body")
    assert_error(amend(api, actors, order, volume=90000,
                       bidding_closes_at=(closes - dt.timedelta(days=1)).isoformat()),
                 422, "bidding_closes_at")
    db_session.expire_all()
    stored = db_session.get(Order, order.id)
    assert (stored.volume, stored.bidding_closes_at) == (volume, closes)
    assert amendment_count(db_session) == 0


def test_checking_an_amendment_says_what_would_change_and_stores_nothing(actors, order, db_session):
    bid = BidFactory(order=order)
    order.bidding_closes_at = utcnow() + dt.timedelta(days=1)
    db_session.flush()
    closes = order.bidding_closes_at
    changes, material = services.check_amendment(db_session, order.id, {"volume": order.volume + 500, "note": NOTE},
                                                 actor=actors.agency)
    assert material and changes["volume"] == {"before": order.volume, "after": order.volume + 500}
    assert changes["bidding_closes_at"]["after"] > changes["bidding_closes_at"]["before"]  # kept open longer
    db_session.refresh(order)
    db_session.refresh(bid)
    assert order.bidding_closes_at == closes and amendment_count(db_session) == 0
    assert bid.confirmation_requested_at is None
    # The same rules as amend_order: another agency's order is not found, a vendor may not.
    with pytest.raises(NotFound):
        services.check_amendment(db_session, OrderFactory().id, {"volume": 5, "note": NOTE}, actor=actors.agency)
    with pytest.raises(Forbidden):
        services.check_amendment(db_session, order.id, {"volume": 5, "note": NOTE}, actor=actors.vendor)
    with pytest.raises(InvalidInput):
        services.check_amendment(db_session, order.id, {"note": NOTE}, actor=actors.agency)
