"""The public's pages: home, the demand directory with its filters, and a published order."""

from __future__ import annotations

import re

from market.db import utcnow
from tests.factories import OrderFactory, QuestionFactory


def test_home_shows_the_programmes_figures_and_latest_orders(browser, factories):
    OrderFactory(title="高速公路卡口图像车辆标注", sector="transport", volume=12000)
    OrderFactory(draft=True, title="草稿订单")
    page = browser.get("/")
    assert page.status_code == 200
    assert "高速公路卡口图像车辆标注" in page.text and "草稿订单" not in page.text
    assert "12,000" in page.text  # the open volume, grouped


def test_the_directory_lists_published_orders_with_filters_in_the_url(browser, factories):
    OrderFactory(title="卡口车辆标注", sector="transport")
    OrderFactory(title="医学影像分割", sector="health", modality="medical_image")
    page = browser.get("/directory?sector=health")
    assert page.status_code == 200
    assert "医学影像分割" in page.text and "卡口车辆标注" not in page.text
    assert '<option value="health" selected>' in page.text
    assert "/api/v1/directory.csv?sector=health" in page.text


def test_a_bad_filter_is_shown_beside_its_field(browser):
    page = browser.get("/directory?closes_after=2026-13-45")
    assert page.status_code == 422
    assert 'id="error-closes_after"' in page.text and 'aria-invalid="true"' in page.text


def test_the_directory_sorts_and_filters_by_budget_band_keeping_both_in_the_url_and_csv_link(
        browser, english_browser, factories):
    OrderFactory(title="小额订单", budget_ceiling="20000.00")
    OrderFactory(title="中等订单", budget_ceiling="80000.00")
    OrderFactory(title="大额订单", budget_ceiling="900000.00")
    OrderFactory(title="预算保密订单", budget_ceiling="50000.00", hidden_fields={"budget_ceiling": "待批复"})
    page = browser.get("/directory?budget_min=10000&budget_max=100000&sort=-budget_ceiling")
    assert page.status_code == 200
    assert page.text.index("中等订单") < page.text.index("小额订单")
    assert "大额订单" not in page.text and "预算保密订单" not in page.text
    assert '<option value="-budget_ceiling" selected>预算从高到低</option>' in page.text
    assert 'value="10000"' in page.text and 'value="100000"' in page.text
    csv_link = "/api/v1/directory.csv?budget_min=10000&amp;budget_max=100000&amp;sort=-budget_ceiling"
    assert csv_link in page.text
    english = english_browser.get("/directory?sort=bidding_closes_at")
    assert '<option value="bidding_closes_at" selected>Closing soonest</option>' in english.text
    assert "Budget ceiling at least (CNY)" in english.text


def test_a_bad_budget_band_is_shown_beside_its_field_in_both_languages(browser, english_browser):
    page = browser.get("/directory?budget_min=90000&budget_max=100")
    assert page.status_code == 422
    assert 'id="error-budget_min"' in page.text and "不能大于 budget_max。" in page.text
    english = english_browser.get("/directory?budget_max=12.345")
    assert english.status_code == 422 and 'id="error-budget_max"' in english.text
    assert "at most 2 decimal places" in english.text
    assert "最多 2 位小数" in browser.get("/directory?budget_max=12.345").text


def test_the_directory_pages_through_the_orders_keeping_the_filters(browser, factories):
    for i in range(23):
        OrderFactory(title=f"文本标注 {i}", sector="education")
    first = browser.get("/directory?sector=education")
    assert "第 1 页，共 2 页" in first.text.replace("\xa0", " ") or "共 2 页" in first.text
    links = re.findall(r'href="(/directory\?[^"]+)"', first.text)
    assert "/directory?sector=education&amp;page=2" in links
    second = browser.get("/directory?sector=education&page=2")
    assert second.text.count('class="card"') == 3


def test_an_order_page_shows_only_what_is_public(browser, factories):
    order = OrderFactory(title="公交客流视频标注", description="只有机构知道",
                         hidden_fields={"description": "涉及未公开的线路规划"}, budget_ceiling="83456.00")
    QuestionFactory(order=order, text="遮挡的乘客要标吗？", answered=True)
    QuestionFactory(order=order, text="还没有回答的问题")
    page = browser.get(f"/orders/{order.id}")
    assert page.status_code == 200
    assert "公交客流视频标注" in page.text and "¥83,456.00" in page.text
    assert "只有机构知道" not in page.text and "涉及未公开的线路规划" in page.text
    assert "遮挡的乘客要标吗？" in page.text and "还没有回答的问题" not in page.text


def test_a_draft_order_is_not_found(browser, factories):
    draft = OrderFactory(draft=True)
    assert browser.get(f"/orders/{draft.id}").status_code == 404


def test_money_and_dates_are_formatted_for_english_readers(english_browser, factories):
    order = OrderFactory(budget_ceiling="1234567.5")
    page = english_browser.get(f"/orders/{order.id}")
    assert "¥1,234,567.50" in page.text


def test_the_register_of_verified_firms_lists_only_verified_ones(browser, factories):
    from tests.factories import VendorFactory

    VendorFactory(name="黔东数据标注有限公司")
    VendorFactory(pending=True, name="待审核的标注公司")
    page = browser.get("/vendors")
    assert page.status_code == 200
    assert "黔东数据标注有限公司" in page.text and "待审核的标注公司" not in page.text


def test_the_register_of_awards_lists_awarded_orders_with_their_terms(browser, factories):
    from tests.factories import ContractFactory

    contract = ContractFactory(order__status="awarded", order__awarded_at=utcnow())
    page = browser.get("/awards")
    assert page.status_code == 200 and contract.order.title in page.text
    assert browser.get("/awards?awarded_after=2026-13-01").status_code == 422


def test_an_orders_page_punctuates_as_its_language_does(browser, english_browser, factories):
    order = OrderFactory(label_set=["轿车", "货车"])
    chinese = browser.get(f"/orders/{order.id}").text
    assert "轿车、货车" in chinese and "发布：" in chinese
    english = english_browser.get(f"/orders/{order.id}").text
    assert "轿车, 货车" in english and "Published: " in english
