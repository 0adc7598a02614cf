"""The vendor's bid in steps (form, check your answers, submit, what happens next), confirming a bid
after an amendment, the debrief on "Your bids", the firm's contracts and its change requests."""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import func, select

from market.bids.models import Bid
from market.db import utcnow
from market.organizations.models import ChangeRequest
from tests.factories import (
    BidFactory,
    ChangeRequestFactory,
    ContractFactory,
    OrderFactory,
    VendorFactory,
    able_to,
)
from tests.web.conftest import bid_terms


def _bids(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(Bid))


def _hidden(page) -> dict:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))


def _in_english(browser):
    browser.submit("/", "/language", {"lang": "en", "next": "/"})  # saved for the signed-in user


def test_the_bid_is_checked_before_it_is_submitted_and_the_confirmation_says_what_happens_next(
        browser, actors, db_session, factories):
    able_to(actors.vendor.organization)
    order = OrderFactory(title="卡口图像标注")
    browser.sign_in(actors.vendor)
    form = browser.get(f"/vendor/orders/{order.id}/bid")
    assert f'action="/vendor/orders/{order.id}/bid/check"' in form.text
    check = browser.submit(f"/vendor/orders/{order.id}/bid", f"/vendor/orders/{order.id}/bid/check", bid_terms(order))
    assert check.status_code == 200, check.text
    assert "提交前请核对您的投标" in check.text and "¥0.35" in check.text and "双人复核" in check.text
    assert check.text.count(f'formaction="/vendor/orders/{order.id}/bid/change#field-') == 5
    assert _bids(db_session) == 0  # nothing stored until the answers are submitted
    hidden = _hidden(check)
    assert hidden["unit_price"] == "0.35" and hidden["volume"] == str(order.volume)
    submitted = browser.post(f"/vendor/orders/{order.id}/bid", data=hidden)
    assert submitted.status_code == 302
    bid = db_session.scalar(select(Bid).where(Bid.order_id == order.id))
    assert submitted.headers["Location"] == f"/vendor/bids/{bid.id}/submitted"
    done = browser.get(submitted.headers["Location"])
    assert done.status_code == 200
    assert "投标已提交" in done.text and "接下来的流程" in done.text and str(bid.id) in done.text
    assert "截止前保密" in done.text
    _in_english(browser)
    english = browser.get(submitted.headers["Location"])
    assert "Your bid is submitted" in english.text and "What happens next" in english.text


def test_a_change_link_goes_back_to_the_form_with_the_answers_kept(browser, actors, factories):
    able_to(actors.vendor.organization)
    order = OrderFactory()
    browser.sign_in(actors.vendor)
    check = browser.submit(f"/vendor/orders/{order.id}/bid", f"/vendor/orders/{order.id}/bid/check",
                           bid_terms(order, unit_price="0.3125"))
    back = browser.post(f"/vendor/orders/{order.id}/bid/change", data=_hidden(check))
    assert back.status_code == 200
    assert 'id="field-unit_price" name="unit_price" type="text"\n    value="0.3125"' in back.text
    assert "双人复核</textarea>" in back.text


def test_a_bid_the_rules_refuse_is_stopped_at_the_check_step_with_its_field_errors(
        browser, english_browser, actors, db_session, factories):
    able_to(actors.vendor.organization)
    order = OrderFactory(volume=1000, splittable=True)
    browser.sign_in(actors.vendor)
    refused = browser.submit(f"/vendor/orders/{order.id}/bid", f"/vendor/orders/{order.id}/bid/check",
                             bid_terms(order, unit_price="999", volume="5000", seats_committed="abc"))
    assert refused.status_code == 422
    assert 'id="error-seats_committed"' in refused.text and "<title>错误：" in refused.text
    over = browser.submit(f"/vendor/orders/{order.id}/bid", f"/vendor/orders/{order.id}/bid/check",
                          bid_terms(order, unit_price="999", volume="5000"))
    assert over.status_code == 422
    assert 'id="error-unit_price"' in over.text and 'id="error-volume"' in over.text
    assert "不能超过订单数量（1000）" in over.text and 'href="#field-volume"' in over.text
    assert _bids(db_session) == 0
    english_browser.sign_in(actors.vendor)
    _in_english(english_browser)
    english = english_browser.submit(f"/vendor/orders/{order.id}/bid", f"/vendor/orders/{order.id}/bid/check",
                                     bid_terms(order, volume="5000"))
    assert english.status_code == 422 and "At most the order&#39;s volume (1000)." in english.text


def test_the_final_submission_is_checked_again_by_the_service(browser, actors, db_session, factories):
    able_to(actors.vendor.organization)
    order = OrderFactory()
    browser.sign_in(actors.vendor)
    check = browser.submit(f"/vendor/orders/{order.id}/bid", f"/vendor/orders/{order.id}/bid/check", bid_terms(order))
    tampered = _hidden(check) | {"unit_price": str(order.budget_ceiling)}  # far over the ceiling per unit
    refused = browser.post(f"/vendor/orders/{order.id}/bid", data=tampered)
    assert refused.status_code == 422 and 'id="error-unit_price"' in refused.text
    assert _bids(db_session) == 0


def test_the_check_step_needs_the_forms_token_and_a_vendor(browser, actors, db_session, factories):
    able_to(actors.vendor.organization)
    order = OrderFactory()
    browser.sign_in(actors.vendor)
    refused = browser.post(f"/vendor/orders/{order.id}/bid/check", data=bid_terms(order))
    assert refused.status_code == 400 and "表单已过期" in refused.text
    browser.submit("/", "/logout", {})
    browser.sign_in(actors.agency)
    token = browser.token(browser.get("/agency/"))
    assert browser.post(f"/vendor/orders/{order.id}/bid/check",
                        data={"csrf_token": token, **bid_terms(order)}).status_code == 403


def test_another_firms_confirmation_page_is_not_found(browser, actors, factories):
    theirs = BidFactory(order=OrderFactory())
    browser.sign_in(actors.vendor)
    assert browser.get(f"/vendor/bids/{theirs.id}/submitted").status_code == 404


def test_a_bid_is_confirmed_after_a_material_amendment(browser, actors, db_session, factories):
    able_to(actors.vendor.organization)
    order = OrderFactory()
    bid = BidFactory(order=order, vendor=actors.vendor.organization, confirmation_requested_at=utcnow())
    browser.sign_in(actors.vendor)
    page = browser.get(f"/vendor/orders/{order.id}/bid")
    assert "按原条件确认投标" in page.text and f'action="/vendor/bids/{bid.id}/confirm"' in page.text
    confirmed = browser.submit(f"/vendor/orders/{order.id}/bid", f"/vendor/bids/{bid.id}/confirm", {})
    assert confirmed.status_code == 302
    db_session.refresh(bid)
    assert bid.confirmation_requested_at is None and bid.confirmed_at is not None
    assert "按原条件确认投标" not in browser.get(f"/vendor/orders/{order.id}/bid").text


def test_a_bid_that_no_longer_fits_the_amended_order_is_not_confirmed(browser, actors, db_session, factories):
    able_to(actors.vendor.organization)
    order = OrderFactory(volume=1000)
    bid = BidFactory(order=order, vendor=actors.vendor.organization, volume=1000,
                     confirmation_requested_at=utcnow())
    order.volume = 800  # as an amendment left it
    db_session.flush()
    browser.sign_in(actors.vendor)
    refused = browser.submit(f"/vendor/orders/{order.id}/bid", f"/vendor/bids/{bid.id}/confirm", {})
    assert refused.status_code == 422 and "不能超过订单数量（800）" in refused.text
    db_session.refresh(bid)
    assert bid.confirmed_at is None and bid.confirmation_requested_at is not None


def test_another_firms_bid_cannot_be_confirmed(browser, actors, factories):
    theirs = BidFactory(order=OrderFactory(), confirmation_requested_at=utcnow())
    browser.sign_in(actors.vendor)
    token = browser.token(browser.get("/vendor/bids"))
    assert browser.post(f"/vendor/bids/{theirs.id}/confirm", data={"csrf_token": token}).status_code == 404


def test_my_bids_show_the_outcome_and_the_reasons_of_a_lost_bid(browser, actors, factories):
    decided = OrderFactory(evaluating=True, status="awarded", awarded_at=utcnow(), title="已授标的订单")
    BidFactory(order=decided, vendor=actors.vendor.organization, status="rejected", rejected_at=utcnow())
    browser.sign_in(actors.vendor)
    page = browser.get("/vendor/bids")
    assert "已授标的订单" in page.text and "未中标" in page.text
    assert "投标未被选中" in page.text or "未被选中" in page.text


def test_the_firms_contracts_are_listed_and_only_its_own(browser, english_browser, actors, factories):
    ours = ContractFactory(vendor=actors.vendor.organization, unit_price=Decimal("0.3300"),
                           order=OrderFactory(status="in_progress", title="我们交付的订单"))
    ContractFactory(order=OrderFactory(status="in_progress", title="别家交付的订单"))
    browser.sign_in(actors.vendor)
    assert "/vendor/contracts" in browser.get("/vendor/").text
    page = browser.get("/vendor/contracts")
    assert page.status_code == 200
    assert "我们交付的订单" in page.text and "别家交付的订单" not in page.text
    assert ours.order.agency.name in page.text and "¥0.33" in page.text
    english_browser.sign_in(actors.vendor)
    _in_english(english_browser)
    assert "Contracts" in english_browser.get("/vendor/contracts").text


def test_only_vendors_read_the_vendor_contracts_list(browser, actors):
    browser.sign_in(actors.agency)
    assert browser.get("/vendor/contracts").status_code == 403


def test_the_profile_shows_each_change_request_and_a_pending_one_is_withdrawn(
        browser, actors, db_session, factories):
    profile = actors.vendor.organization.vendor_profile
    ChangeRequestFactory(vendor=profile, status="rejected", decided_at=utcnow(), reason="测评报告已过期",
                         requested={"certifications": ["ISO 27001"]}, previous={"certifications": []})
    pending = ChangeRequestFactory(vendor=profile)
    browser.sign_in(actors.vendor)
    page = browser.get("/vendor/profile")
    assert "变更申请" in page.text and "已驳回" in page.text and "测评报告已过期" in page.text
    assert "待审核" in page.text and "须先经协调员审核" in page.text
    withdrawn = browser.submit("/vendor/profile", f"/vendor/change-requests/{pending.id}/withdraw", {})
    assert withdrawn.status_code == 302
    db_session.refresh(pending)
    assert pending.status == "withdrawn"


def test_another_firms_change_request_cannot_be_withdrawn(browser, actors, db_session, factories):
    theirs = ChangeRequestFactory(vendor=VendorFactory().vendor_profile)
    browser.sign_in(actors.vendor)
    token = browser.token(browser.get("/vendor/profile"))
    response = browser.post(f"/vendor/change-requests/{theirs.id}/withdraw", data={"csrf_token": token})
    assert response.status_code == 404
    assert db_session.get(ChangeRequest, theirs.id).status == "pending"
