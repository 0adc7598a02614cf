"""The coordinators' work queues: what waits for verification, decision, matching and delivery."""

from __future__ import annotations

import datetime as dt

import pytest

from market.db import utcnow
from tests.allocations.conftest import evaluating_order
from tests.factories import ChangeRequestFactory, ContractFactory, OrderFactory, VendorFactory


@pytest.mark.parametrize("role", ["agency", "vendor"])
def test_only_coordinators_have_the_work_queues(browser, actors, role):
    assert browser.get("/coordinator/").status_code == 302  # sign in first
    browser.sign_in(getattr(actors, role))
    assert browser.get("/coordinator/").status_code == 403
    assert "/coordinator/" not in browser.get("/").text


def test_the_dashboard_lists_every_queue_with_the_age_of_waiting_firms(browser, actors, factories):
    waiting = VendorFactory(pending=True, name="铜仁新注册标注公司", created_at=utcnow() - dt.timedelta(days=9))
    VendorFactory(name="早已核验的公司")
    changing = VendorFactory(name="申请提升密级的公司")
    ChangeRequestFactory(vendor=changing.vendor_profile)
    closed = evaluating_order(actors.agency.organization, title="截止未撮合的订单")
    OrderFactory(title="仍在投标的订单")
    late = ContractFactory(deadline=utcnow() - dt.timedelta(days=3))
    late.order.title = "逾期合同的订单"
    browser.sign_in(actors.coordinator)
    page = browser.get("/coordinator/")
    assert page.status_code == 200
    text = page.text
    assert waiting.name in text and "9 天" in text and "早已核验的公司" not in text
    assert "申请提升密级的公司" in text and "数据安全等级" in text
    assert closed.title in text and "仍在投标的订单" not in text
    assert "逾期合同的订单" in text and "3 天" in text
    assert 'href="/coordinator/"' in text  # the header's link to the queues


def test_the_dashboard_reads_in_english(english_browser, actors, factories):
    VendorFactory(pending=True, created_at=utcnow() - dt.timedelta(days=2))
    english_browser.sign_in(actors.coordinator)
    english_browser.submit("/", "/language", {"lang": "en", "next": "/"})  # saved for the user
    page = english_browser.get("/coordinator/")
    assert "Firms waiting for verification" in page.text and "2 days" in page.text
    assert "No contract is overdue." in page.text
