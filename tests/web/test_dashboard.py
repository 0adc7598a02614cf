"""The supply–demand dashboard: who may read it, its tables and chart data, its CSV files against
counts made here from the same rows, and both languages."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections import Counter, defaultdict
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from market.contracts.models import Contract
from market.db import utcnow
from market.insights.services import FIGURES
from market.orders.models import ORDER_STATUSES, Order
from market.organizations.models import Organization
from market.web.dashboard import CHARTS, ECHARTS_DIST
from tests.factories import BidFactory, ContractFactory, OrderFactory, VendorFactory, able_to

PAGE = "/coordinator/dashboard"


@pytest.fixture
def programme(factories, actors):
    """A little of everything: open and closed orders, bids, contracts with local and other firms."""
    now = utcnow()
    local = VendorFactory(name="筑数智标", city="贵阳市", county="观山湖区", seats=40)
    other = VendorFactory(name="天府数标", province="四川省", city="成都市", county="武侯区", seats=30)
    able_to(local, "image", "bbox", throughput_per_seat_day=500)
    able_to(other, "video", "tracking", throughput_per_seat_day=60)
    idle = VendorFactory(name="新认证的公司", seats=10)  # never awarded
    idle.vendor_profile.verified_at = now - dt.timedelta(days=30)
    OrderFactory(awarded=True, title="已成交的订单")
    open_order = OrderFactory(title="开放的订单", volume=60000)
    BidFactory(order=open_order, vendor=local)
    closed = OrderFactory(evaluating=True, modality="video", annotation_type="tracking", unit="frame")
    BidFactory(order=closed, vendor=other)
    for vendor, value, days in ((local, "1200.00", 5), (other, "800.00", 40), (local, "300.00", 70)):
        ContractFactory(vendor=vendor, volume=1000, unit_price=Decimal(value) / 1000, value=Decimal(value),
                        created_at=now - dt.timedelta(days=days), starts_at=now - dt.timedelta(days=days),
                        deadline=now + dt.timedelta(days=20))
    return {"local": local, "other": other}


@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_coordinators_and_admins_read_the_dashboard(browser, actors, programme, role):
    browser.sign_in(getattr(actors, role))
    page = browser.get(PAGE)
    assert page.status_code == 200
    for key in FIGURES:
        assert f'<section class="figure" aria-labelledby="{key}-title" id="{key}">' in page.text, key
        assert f'href="/coordinator/dashboard/{key}.csv?months=12' in page.text
    assert 'href="/coordinator/dashboard"' in page.text  # the header's link


@pytest.mark.parametrize("role", ["agency", "vendor"])
def test_agencies_and_vendors_may_not(browser, actors, role):
    assert browser.get(PAGE).status_code == 302  # sign in first
    browser.sign_in(getattr(actors, role))
    assert browser.get(PAGE).status_code == 403
    assert browser.get(PAGE + "/statuses.csv").status_code == 403
    assert "/coordinator/dashboard" not in browser.get("/").text


def test_every_chart_has_its_numbers_in_a_table_with_a_caption_and_headers(browser, actors, programme):
    browser.sign_in(actors.coordinator)
    text = browser.get(PAGE).text
    tables = re.findall(r"<table>(.*?)</table>", text, re.S)
    # Each figure with numbers has its chart and table; here no match was decided yet.
    assert text.count("本统计期内没有数据。") == 1 and 'data-chart="decisions"' not in text
    assert len(tables) == len(re.findall(r'<div class="chart" data-chart="', text)) == len(FIGURES) - 1
    for table in tables:
        assert "<caption" in table and 'scope="col"' in table and 'scope="row"' in table
    # The charts' numbers ride in a JSON block for static/dashboard.js; no inline script runs.
    data = json.loads(re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', text, re.S)[1])
    assert data["locale"] == "ZH" and set(data["charts"]) == set(FIGURES)
    assert re.findall(r"<script(?![^>]*(?:src=|application/json))", text) == []
    assert '<script src="/assets/echarts/echarts.min.js" defer></script>' in text


def _csv(browser, name: str, **query) -> list[dict]:
    response = browser.get(f"{PAGE}/{name}.csv", query_string=query)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.text.removeprefix("\ufeff"))))


def test_the_status_csv_equals_a_count_of_the_orders_by_status(browser, actors, programme, db_session):
    browser.sign_in(actors.coordinator)
    now = utcnow()
    # Every order here was made or published within the last few weeks, so within three months.
    counted = Counter(order.effective_status(now) for order in db_session.scalars(select(Order)))
    rows = _csv(browser, "statuses", months=3)
    assert {row["status"]: int(row["orders"]) for row in rows if row["orders"] != "0"} == dict(counted)
    assert [row["status"] for row in rows] == list(ORDER_STATUSES)


def test_the_places_csv_equals_the_contracts_summed_by_city_and_county(browser, actors, programme, db_session):
    browser.sign_in(actors.coordinator)
    expected = defaultdict(lambda: [0, 0, Decimal(0)])
    for contract in db_session.scalars(select(Contract)):
        vendor = db_session.get(Organization, contract.vendor_id)
        cell = expected[(vendor.city, vendor.county or "")]
        cell[0] += 1
        cell[1] += contract.volume
        cell[2] += contract.value
    rows = _csv(browser, "places")
    assert {(r["city"], r["county"]): [int(r["contracts"]), int(r["volume"]), Decimal(r["value"])]
            for r in rows} == dict(expected)
    assert [r["city"] for r in rows] == ["贵阳市", "成都市"]  # the largest value first


def test_the_weekly_csv_has_a_row_per_week_and_a_column_per_sector(browser, actors, programme):
    browser.sign_in(actors.coordinator)
    rows = _csv(browser, "weekly")
    assert len(rows) == 12 and re.fullmatch(r"\d{4}-W\d{2}", rows[0]["week"])
    assert list(rows[0]) == ["week", "demand_transport", "demand_health", "demand_education", "demand_total",
                             "capacity", "free"]
    # 40 + 30 + 10 verified seats, five working days a week.
    assert {row["capacity"] for row in rows} == {"400.0"}
    assert all(float(r["demand_total"]) == pytest.approx(
        float(r["demand_transport"]) + float(r["demand_health"]) + float(r["demand_education"]), abs=0.11)
        for r in rows)


def test_a_name_that_looks_like_a_formula_stays_text_in_the_csv(browser, actors, programme):
    programme["other"].name = "=HYPERLINK(\"http://example.com\")"
    browser.sign_in(actors.coordinator)
    rows = _csv(browser, "concentration")
    assert "'=HYPERLINK(\"http://example.com\")" in [row["vendor"] for row in rows]


def test_the_weekly_demand_splits_by_area_in_the_page_and_its_csv(browser, actors, programme):
    browser.sign_in(actors.coordinator)
    page = browser.get(PAGE, query_string={"split": "area"}).text
    assert "需求：贵阳 / 贵安" in page and '<option value="area" selected>' in page
    assert 'href="/coordinator/dashboard/weekly.csv?months=12&amp;split=area"' in page
    rows = _csv(browser, "weekly", split="area")
    assert list(rows[0])[1:5] == ["demand_guiyang", "demand_tongren", "demand_qiannan", "demand_elsewhere"]
    assert browser.get(PAGE, query_string={"split": "agency"}).status_code == 422


def test_a_figure_that_does_not_exist_is_not_found_and_a_bad_period_is_refused(browser, actors):
    browser.sign_in(actors.coordinator)
    assert browser.get(PAGE + "/nothing.csv").status_code == 404
    refused = browser.get(PAGE, query_string={"months": "5"})
    assert refused.status_code == 422 and set(re.findall(r"[A-Za-z]{3,}", _own_words(refused.text))) <= {
        "OpenAPI", "API"}
    assert browser.get(PAGE + "/places.csv", query_string={"months": "0"}).status_code == 422
    assert browser.get(PAGE, query_string={"months": "abc"}).status_code == 200  # the default


def test_the_period_filter_changes_the_months_looked_back_over(browser, actors, programme):
    browser.sign_in(actors.coordinator)
    page = browser.get(PAGE, query_string={"months": "3"}).text
    assert "近 3 个月" in page and '<option value="3" selected>' in page
    assert len(_csv(browser, "local_share", months=3)) == 3


def test_echarts_and_the_drawing_script_are_served_by_the_app(browser):
    if not (ECHARTS_DIST / "echarts.min.js").is_file():
        pytest.fail("node_modules/echarts is missing: run scripts/bootstrap (npm ci)")
    echarts = browser.get("/assets/echarts/echarts.min.js")
    assert echarts.status_code == 200 and "javascript" in echarts.headers["Content-Type"]
    assert b'"ZH"' in echarts.data  # the Chinese locale is built in
    script = browser.get("/assets/dashboard.js")
    assert script.status_code == 200 and b"echarts.init" in script.data


class _Words(HTMLParser):
    """The page's own words: headings, captions, headers, texts and links, without the data rows of
    the tables (firms' names and reasons are data, in whatever language they were written), scripts
    or anything marked as another language."""

    def __init__(self):
        super().__init__()
        self.skip, self.words = [], []

    def handle_starttag(self, tag, attrs):
        if tag in ("tbody", "script", "style") or (tag != "html" and dict(attrs).get("lang")):
            self.skip.append(tag)

    def handle_endtag(self, tag):
        if self.skip and self.skip[-1] == tag:
            self.skip.pop()

    def handle_data(self, data):
        if not self.skip:
            self.words.append(data)


def _own_words(html: str) -> str:
    parser = _Words()
    parser.feed(html)
    return " ".join(parser.words)


def test_the_dashboard_has_no_english_left_in_chinese(browser, actors, programme):
    browser.sign_in(actors.coordinator)
    words = _own_words(browser.get(PAGE).text)
    english = set(re.findall(r"[A-Za-z]{3,}", words)) - {"ISO", "HHI", "CSV", "OpenAPI", "API"}
    assert english == set()
    assert "供需看板" in words and "赫芬达尔" in words and "贵阳 / 贵安" in browser.get(PAGE).text


def test_the_dashboard_has_no_chinese_left_in_english(english_browser, actors, programme):
    english_browser.sign_in_in_english(actors.coordinator)
    page = english_browser.get(PAGE).text
    # The header names the reader's organisation, which is data.
    words = _own_words(page).replace(actors.coordinator.organization.name, "")
    assert re.findall(r"[\u4e00-\u9fff]+", words) == []
    assert "Supply and demand" in words and "Herfindahl–Hirschman index" in words
    assert "Guiyang / Gui&#39;an" in page and '"locale": "EN"' in page
    for chart in CHARTS.values():
        assert chart.title in words
