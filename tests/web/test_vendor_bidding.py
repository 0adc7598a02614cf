"""The vendor's dashboard, open orders with every rule that refuses it, bidding, questions, results."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from market.bids.models import Bid
from market.db import utcnow
from market.notifications.services import notify
from market.orders.models import Question
from tests.factories import BidFactory, ContractFactory, OrderFactory, able_to
from tests.web.conftest import bid_terms


def _bids(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(Bid))


def test_open_orders_are_marked_eligible_or_not_with_every_rule_that_fails(browser, actors, factories):
    able_to(actors.vendor.organization)
    OrderFactory(title="可以投标的订单")
    OrderFactory(title="核心数据订单", data_classification="core", required_certifications=["DSMM 3"])
    OrderFactory(title="文本订单", modality="text", annotation_type="ner", unit="kchar")
    browser.sign_in(actors.vendor)
    page = browser.get("/vendor/opportunities")
    assert page.status_code == 200
    assert "可以投标的订单" in page.text and "核心数据订单" in page.text
    assert "文本订单" not in page.text  # not one of the firm's kinds, unless asked for
    assert "低于订单的数据分级（核心数据）" in page.text and "DSMM 3" in page.text
    assert "文本订单" in browser.get("/vendor/opportunities?all=1").text


def test_a_bid_is_placed_sealed_revised_and_withdrawn(browser, actors, db_session, factories):
    able_to(actors.vendor.organization)
    order = OrderFactory()
    browser.sign_in(actors.vendor)
    placed = browser.submit(f"/vendor/orders/{order.id}/bid", f"/vendor/orders/{order.id}/bid", bid_terms(order))
    assert placed.status_code == 302, placed.text
    bid = db_session.scalar(select(Bid).where(Bid.order_id == order.id))
    assert str(bid.unit_price) == "0.3500"
    page = browser.get(f"/vendor/orders/{order.id}/bid")
    assert "截止前保密" in page.text or "保密至" in page.text
    # Revising comes first; withdrawing is a section of its own after it.
    assert page.text.index(f'action="/vendor/orders/{order.id}/bid/check"') < page.text.index(
        f'action="/vendor/bids/{bid.id}/withdraw"')
    assert "撤回投标" in page.text
    revised = browser.submit(f"/vendor/orders/{order.id}/bid", f"/vendor/orders/{order.id}/bid",
                             {"unit_price": "0.33"})
    assert revised.status_code == 302
    db_session.refresh(bid)
    assert str(bid.unit_price) == "0.3300"
    withdrawn = browser.submit(f"/vendor/orders/{order.id}/bid", f"/vendor/bids/{bid.id}/withdraw", {})
    assert withdrawn.status_code == 302
    db_session.refresh(bid)
    assert bid.status == "withdrawn"


def test_a_bid_over_the_budget_is_refused_beside_the_price_and_not_stored(browser, actors, db_session, factories):
    able_to(actors.vendor.organization)
    order = OrderFactory()
    ceiling = order.budget_ceiling / order.volume
    browser.sign_in(actors.vendor)
    refused = browser.submit(f"/vendor/orders/{order.id}/bid", f"/vendor/orders/{order.id}/bid",
                             bid_terms(order, unit_price=str(ceiling * 2)))
    assert refused.status_code == 422
    assert 'id="error-unit_price"' in refused.text and "高于订单的预算上限" in refused.text
    assert _bids(db_session) == 0


def test_a_firm_the_rules_refuse_sees_why_and_gets_no_form(browser, actors, factories):
    order = OrderFactory(title="没有能力的订单")
    browser.sign_in(actors.vendor)  # no capability at all
    page = browser.get(f"/vendor/orders/{order.id}/bid")
    assert "贵企业不能投标此订单" in page.text and 'name="unit_price"' not in page.text


def test_a_question_is_asked_and_a_blank_one_refused(browser, actors, db_session, factories):
    order = OrderFactory()
    browser.sign_in(actors.vendor)
    blank = browser.submit(f"/vendor/orders/{order.id}/bid", f"/vendor/orders/{order.id}/questions",
                           {"text": "\u200b"})
    assert blank.status_code == 422 and 'id="error-text"' in blank.text
    asked = browser.submit(f"/vendor/orders/{order.id}/bid", f"/vendor/orders/{order.id}/questions",
                           {"text": "夜间图像是否需要标注？"})
    assert asked.status_code == 302
    assert db_session.scalar(select(Question.text).where(Question.order_id == order.id)) == "夜间图像是否需要标注？"


def test_my_bids_show_each_bids_result(browser, actors, factories):
    able_to(actors.vendor.organization)
    open_order = OrderFactory(title="进行中的订单")
    BidFactory(order=open_order, vendor=actors.vendor.organization)
    browser.sign_in(actors.vendor)
    page = browser.get("/vendor/bids")
    assert "进行中的订单" in page.text and "投标仍在进行中" in page.text


def test_only_vendors_have_these_pages(browser, actors, factories):
    order = OrderFactory()
    browser.sign_in(actors.agency)
    for path in ("/vendor/", "/vendor/opportunities", f"/vendor/orders/{order.id}/bid", "/vendor/bids"):
        assert browser.get(path).status_code == 403, path


def test_another_firms_bid_is_not_found_to_withdraw(browser, actors, db_session, factories):
    theirs = BidFactory(order=OrderFactory())
    browser.sign_in(actors.vendor)
    token = browser.token(browser.get("/vendor/bids"))
    assert browser.post(f"/vendor/bids/{theirs.id}/withdraw", data={"csrf_token": token}).status_code == 404


def test_the_dashboard_lists_what_the_firm_can_bid_on_what_its_profile_lacks_and_whats_unread(
        browser, english_browser, actors, db_session, factories):
    firm = actors.vendor.organization
    able_to(firm)
    fits = OrderFactory(title="可以投标的订单")
    OrderFactory(title="数据分级过高的订单", data_classification="core")
    firm.contact_email, firm.description, firm.vendor_profile.headcount = "bid@firm.example.cn", None, 0
    notify(db_session, [actors.vendor], "order.cancelled",
           {"order_id": 1, "title": "已取消的订单", "reason": "预算调整"})
    contract = ContractFactory(vendor=firm)
    db_session.flush()
    browser.sign_in(actors.vendor)
    page = browser.get("/vendor/")
    assert page.status_code == 200 and firm.name in page.text
    assert f'href="/vendor/orders/{fits.id}/bid">可以投标的订单</a>' in page.text
    assert "数据分级过高的订单" not in page.text
    assert "资料完整度" in page.text and "<dd>3 / 5</dd>" in page.text
    assert 'href="/vendor/profile#field-description">企业简介</a>' in page.text
    assert 'href="/vendor/profile#field-vendor_profile.headcount">' in page.text
    assert "未读通知" in page.text and "已取消的订单" in page.text
    assert f'href="/vendor/contracts/{contract.id}"' in page.text  # the firm's own contract page
    english_browser.sign_in_in_english(actors.vendor)
    english = english_browser.get("/vendor/").text
    assert "Complete your profile" in english and "Unread notifications" in english


def test_a_bid_withdrawn_too_late_says_why_in_the_readers_language(browser, english_browser, actors, db_session):
    able_to(actors.vendor.organization)
    order = OrderFactory()
    bid = BidFactory(order=order, vendor=actors.vendor.organization)
    browser.sign_in(actors.vendor)
    token = browser.token(browser.get(f"/vendor/orders/{order.id}/bid"))
    order.bidding_closes_at = utcnow() - dt.timedelta(minutes=1)  # closed while the page was open
    db_session.flush()
    late = browser.post(f"/vendor/bids/{bid.id}/withdraw", data={"csrf_token": token})
    assert late.status_code == 409
    assert f"订单 {order.id} 已于" in late.text and "截止投标" in late.text
    assert "A conflict happened" not in late.text and "<code>status</code>" not in late.text
    english_browser.sign_in_in_english(actors.vendor)
    token = english_browser.token(english_browser.get("/vendor/bids"))
    english = english_browser.post(f"/vendor/bids/{bid.id}/withdraw", data={"csrf_token": token})
    assert english.status_code == 409 and f"Bidding on order {order.id} closed at" in english.text
    db_session.refresh(bid)
    assert bid.status == "submitted"

