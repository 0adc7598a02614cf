"""A coordinator reads the supply–demand dashboard of the demo programme: every chart is drawn, in
Chinese and in English, and the page passes axe.

MARKET_README_SCREENSHOTS=1 also writes the README's screenshot (docs/screenshots/dashboard.png).
"""

from __future__ import annotations

import os

from playwright.sync_api import expect

from market.demo.context import DEMO_PASSWORD
from market.insights.services import FIGURES
from tests.browser.conftest import ROOT

DOCS_SHOT = ROOT / "docs" / "screenshots" / "dashboard.png"


def _sign_in(tab, email: str) -> None:
    tab.go("/login")
    page = tab.page
    page.locator("#field-email").fill(email)
    page.locator("#field-password").fill(DEMO_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def _every_chart_is_drawn(page) -> None:
    charts = page.locator("[data-chart]")
    assert sorted(charts.evaluate_all("(els) => els.map((e) => e.dataset.chart)")) == sorted(FIGURES)
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-chart]')].every((e) => e.querySelector('canvas, svg'))")
    for key in FIGURES:
        box = page.locator(f'[data-chart="{key}"]').bounding_box()
        assert box and box["height"] > 200, key
    assert page.locator("text=本统计期内没有数据。").count() == 0
    assert page.locator("text=Nothing to show for this period.").count() == 0


def test_a_coordinator_reads_every_chart_of_the_demo_programme_in_chinese(visit):
    tab = visit("dashboard-zh")
    _sign_in(tab, "coordinator@demo.market.cn")
    page = tab.page
    page.get_by_role("link", name="供需看板").click()
    assert page.get_by_role("heading", level=1).inner_text() == "供需看板"
    _every_chart_is_drawn(page)
    tab.check("dashboard")
    if os.environ.get("MARKET_README_SCREENSHOTS"):
        top = page.get_by_role("heading", level=1).bounding_box()["y"]
        end = page.locator("#weekly").bounding_box()
        page.screenshot(path=str(DOCS_SHOT), full_page=True,
                        clip={"x": 0, "y": top - 16, "width": 1280, "height": end["y"] + end["height"] - top + 16})
    # The period filter works without JavaScript: a GET of the same page.
    page.get_by_label("统计期").select_option("3")
    page.get_by_role("button", name="查看").click()
    assert "months=3" in page.url
    _every_chart_is_drawn(page)
    expect(page.get_by_role("heading", name="需求流转与成交：近 3 个月")).to_be_visible()


def test_a_coordinator_reads_the_dashboard_in_english(visit):
    tab = visit("dashboard-en", locale="en-GB")
    _sign_in(tab, "coordinator@demo.market.cn")
    page = tab.page
    page.get_by_role("button", name="English").click()  # saved for the coordinator
    page.get_by_role("link", name="Supply and demand").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Supply and demand"
    _every_chart_is_drawn(page)
    tab.check("dashboard-english")
    page.get_by_role("button", name="中文").click()  # as the demo had it
