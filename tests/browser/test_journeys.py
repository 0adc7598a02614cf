"""An agency drafts and publishes; a vendor learns why it cannot bid on one order, asks on another,
the agency answers, the vendor bids, and the agency cannot read the bid before closing."""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import expect

from tests.browser.conftest import sign_in


def _local(days: int) -> str:
    moment = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))) + dt.timedelta(days=days)
    return moment.strftime("%Y-%m-%dT10:00")


def test_an_agency_fixes_a_mistake_previews_and_publishes(visit):
    tab = visit("agency")
    page = tab.page
    sign_in(tab, "agency@demo.market.cn")
    page.get_by_role("link", name="我的订单").first.click()
    tab.check("dashboard")
    page.get_by_role("link", name="新建订单草稿").click()
    page.get_by_label("标题", exact=True).fill("高速公路收费站车牌识别图像标注")
    page.get_by_label("需求说明", exact=True).fill("对收费站抓拍图像中的车牌进行矩形框标注并转写车牌号。")
    page.get_by_label("行业", exact=True).select_option("transport")
    page.get_by_label("数据类型", exact=True).select_option("image")
    page.get_by_label("标注类型", exact=True).select_option("bbox")
    page.get_by_label("数量", exact=True).fill("1.5")  # the mistake
    page.get_by_label("计量单位", exact=True).select_option("box")
    page.get_by_label("标签体系", exact=True).fill("蓝牌\n黄牌\n绿牌")
    page.get_by_label("预算上限（元）", exact=True).fill("24000")
    page.get_by_label("投标截止", exact=True).fill(_local(12))
    page.get_by_label("交付期限", exact=True).fill(_local(45))
    page.get_by_label("准确率要求", exact=True).fill("0.98")
    page.get_by_role("button", name="保存草稿").click()
    summary = page.get_by_role("alert")
    expect(summary).to_be_visible()
    tab.check("draft-error")
    summary.get_by_role("link").first.click()
    assert page.evaluate("() => document.activeElement.id") == "field-volume"
    page.keyboard.press("Control+A")
    page.keyboard.type("30000")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_role("heading", name="核对填写内容")).to_be_visible()
    tab.check("preview")
    page.get_by_role("link", name="预览企业看到的页面").click()
    assert page.get_by_role("note").inner_text().startswith("预览")
    tab.check("vendor-preview")
    crumbs = page.get_by_role("navigation", name="当前位置")
    assert crumbs.get_by_role("link").all_inner_texts() == ["首页", "我的订单", "高速公路收费站车牌识别图像标注"]
    crumbs.get_by_role("link", name="高速公路收费站车牌识别图像标注").click()
    page.get_by_role("button", name="发布", exact=True).click()
    assert page.get_by_role("status").inner_text().startswith("订单已发布")
    tab.check("published")
    # Amend it with a note: the history shows on the order's page.
    page.get_by_role("link", name="修改订单").click()
    tab.check("amend-form")
    page.get_by_label("修改原因", exact=True).fill("增加夜间抓拍图像")
    page.get_by_label("数量", exact=True).fill("36000")
    page.get_by_label("需求说明", exact=True).fill("对收费站抓拍图像中的车牌进行矩形框标注。\n夜间图像同样标注。")
    page.get_by_role("button", name="继续").click()
    # Check your answers: each change old → new, nothing published yet; back to the form and again.
    assert page.get_by_role("heading", level=1).inner_text() == "发布前请核对修改内容"
    expect(page.locator("del", has_text="30,000")).to_be_visible()
    expect(page.locator("ins", has_text="36,000")).to_be_visible()
    tab.check("amend-check")
    page.get_by_role("button", name=re.compile("^修改 数量")).click()
    assert page.evaluate("() => location.hash") == "#field-volume"
    assert page.get_by_label("需求说明", exact=True).input_value().splitlines() == [
        "对收费站抓拍图像中的车牌进行矩形框标注。", "夜间图像同样标注。"]  # the lines survive the round trip
    page.get_by_label("数量", exact=True).fill("35000")
    page.get_by_role("button", name="继续").click()
    expect(page.locator("ins", has_text="35,000")).to_be_visible()
    page.get_by_role("button", name="发布修改").click()
    assert page.get_by_role("status").inner_text().startswith("订单已修改")
    expect(page.get_by_text("30,000 → 35,000")).to_be_visible()
    expect(page.get_by_text("增加夜间抓拍图像")).to_be_visible()
    tab.check("amended")
    page.get_by_role("navigation", name="当前位置").get_by_role("link", name="我的订单").click()
    page.get_by_role("link", name="本单位订单的合同").click()
    tab.check("contracts")
    page.go_back()
    page.go_back()
    page.get_by_role("link", name="以企业和公众视角查看").click()
    assert page.get_by_role("heading", level=1).inner_text() == "高速公路收费站车牌识别图像标注"
    tab.check("public-view")


def test_a_vendor_is_told_why_asks_bids_and_the_agency_cannot_read_the_bid(visit, site_app):
    vendor = visit("vendor")
    page = vendor.page
    sign_in(vendor, "vendor@demo.market.cn")
    page.get_by_role("link", name="适合贵企业的开放订单").first.click()
    page.get_by_role("link", name="全部开放订单").click()
    vendor.check("opportunities")
    refused = page.locator("li", has=page.get_by_text("不符合投标条件")).first
    assert refused.locator("ul li").count() >= 1  # every failing rule, in plain words
    eligible = page.locator("li", has=page.get_by_text("可投标", exact=True)).first
    title = eligible.get_by_role("heading").inner_text()
    eligible.get_by_role("link", name="投标此订单").click()
    vendor.check("bid-form")
    page.get_by_label("向需求方提问", exact=True).fill("车辆遮挡超过一半时是否仍需标注？")
    page.get_by_role("button", name="发送问题").click()
    assert "问题已发送给需求方" in page.get_by_role("status").inner_text()
    order_url = page.url

    agency = visit("agency-answers")
    apage = agency.page
    owner = _owner_email(site_app, order_url)
    sign_in(agency, owner)
    apage.get_by_role("link", name="我的订单").first.click()
    apage.get_by_role("link", name="待答复的问题").first.click()
    agency.check("questions")
    item = apage.locator("li", has=apage.get_by_text("车辆遮挡超过一半时是否仍需标注？"))
    item.get_by_label("您的答复", exact=True).fill("需要，按可见部分标注。")
    item.get_by_role("button", name="发布答复").click()
    assert "答复已在订单页面向所有企业公开" in apage.get_by_role("status").inner_text()

    page.goto(order_url)
    expect(page.get_by_text("需要，按可见部分标注。")).to_be_visible()
    order_id = int(order_url.split("/orders/")[1].split("/")[0])
    price = _under_ceiling(site_app, order_id)
    page.get_by_label("单价（元）", exact=True).fill(price)
    page.get_by_label("投入工位数", exact=True).fill("10")
    page.get_by_label("完成日期", exact=True).fill(_finish(page))
    page.get_by_role("button", name="继续").click()
    # Check your answers: each with a link back to its field, nothing stored yet.
    assert page.get_by_role("heading", level=1).inner_text() == "提交前请核对您的投标"
    vendor.check("bid-check")
    page.get_by_role("button", name=re.compile("^修改 投入工位数")).click()
    assert page.get_by_label("投入工位数", exact=True).input_value() == "10"
    page.get_by_label("投入工位数", exact=True).fill("12")
    page.get_by_role("button", name="继续").click()
    # The demo firm may have bid on it already: then the same steps revise the bid.
    page.get_by_role("button", name=re.compile("^(提交投标|保存修改)$")).click()
    assert page.get_by_role("heading", level=1).inner_text() == "投标已提交", page.content()
    expect(page.get_by_role("heading", name="接下来的流程")).to_be_visible()
    vendor.check("bid-placed")

    agency.go(f"/agency/orders/{order_id}")
    assert apage.get_by_role("heading", level=1).inner_text() == title
    expect(apage.get_by_text("投标在截止前保密")).to_be_visible()
    assert price not in apage.locator("main").inner_text()
    agency.check("bids-sealed")


def _finish(page) -> str:
    deadline = page.locator("dt", has_text="交付期限").locator("xpath=following-sibling::dd").inner_text()
    year, rest = deadline.split("年", 1)
    month, rest = rest.split("月", 1)
    day = rest.split("日", 1)[0]
    when = dt.date(int(year), int(month), int(day)) - dt.timedelta(days=3)
    return when.isoformat()


def _under_ceiling(app, order_id: int) -> str:
    """A unit price within the order's budget ceiling (which its agency may not publish)."""
    from decimal import Decimal

    from market.orders.models import Order

    session = app.extensions["market.db"].sessionmaker()
    try:
        order = session.get(Order, order_id)
        return str((order.budget_ceiling / order.volume * Decimal("0.9")).quantize(Decimal("0.0001")))
    finally:
        session.close()


def _owner_email(app, order_url: str) -> str:
    """A staff member of the demo agency that owns the order (who answers its questions)."""
    from sqlalchemy import select

    from market.accounts.models import User
    from market.orders.models import Order

    order_id = int(order_url.split("/orders/")[1].split("/")[0])
    session = app.extensions["market.db"].sessionmaker()
    try:
        agency_id = session.get(Order, order_id).agency_id
        return session.scalars(select(User.email).where(User.organization_id == agency_id,
                                                        User.role == "agency").order_by(User.id)).first()
    finally:
        session.close()
