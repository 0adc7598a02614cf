"""The public browses and filters the directory, in Chinese and in English, in a real browser."""

from __future__ import annotations

import re

from playwright.sync_api import expect


def test_the_public_browses_and_filters_the_directory_in_chinese(visit):
    tab = visit("public-zh")
    tab.go("/")
    page = tab.page
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.get_by_role("heading", level=1).inner_text() == "数据标注需求对接平台"
    tab.check("home")

    page.get_by_role("link", name="需求目录").first.click()
    assert page.get_by_role("heading", level=1).inner_text() == "需求目录"
    tab.check("directory")
    total = int(re.search(r"共找到 ([\d,]+) 个订单", page.content()).group(1).replace(",", ""))
    assert total > 0

    page.get_by_label("行业").select_option("health")
    page.get_by_role("button", name="筛选").click()
    assert "sector=health" in page.url
    page.wait_for_load_state()
    cards = page.locator("article.card")
    assert cards.count() > 0
    for text in cards.all_inner_texts():
        assert "医疗卫生" in text
    tab.check("directory-health")

    first = cards.first.get_by_role("link")
    title = first.inner_text()
    first.click()
    assert page.get_by_role("heading", level=1).inner_text() == title
    expect(page.get_by_role("heading", name="时间节点")).to_be_visible()
    tab.check("order")


def test_a_bad_filter_is_explained_beside_its_field_and_the_summary_links_to_it(visit):
    tab = visit("public-error")
    tab.go("/directory?closes_after=2026-12-31&closes_before=2026-01-01")
    page = tab.page
    summary = page.get_by_role("alert")
    expect(summary).to_be_visible()
    tab.check("directory-error")
    summary.get_by_role("link").first.click()
    assert page.evaluate("() => document.activeElement.id") == "field-closes_after"


def test_the_public_switches_to_english_and_stays_on_the_page(visit):
    tab = visit("public-en")
    tab.go("/directory?sector=transport")
    page = tab.page
    page.get_by_role("button", name="English").click()
    assert page.url.endswith("/directory?sector=transport")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == "Demand directory"
    tab.check("directory-english")
    # Keyboard only: the skip link is the first stop and leads to the content.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent") == "Skip to the content"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
