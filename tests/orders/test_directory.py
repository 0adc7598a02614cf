"""The public demand directory: what anyone may see, its filters, and the CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest

from market.db import utcnow
from market.orders.models import PUBLIC_FIELD_CHOICES
from tests.conftest import assert_error
from tests.factories import OrderFactory, OrganizationFactory

BASE_FIELDS = {"id", "title", "agency", "sector", "modality", "annotation_type", "volume", "unit",
               "bidding_closes_at", "delivery_deadline", "status", "published_at", "award",
               "hidden_fields"}


def ids(response) -> list[int]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def published_days_ago(days: float, **kwargs):
    return OrderFactory(published_at=utcnow() - dt.timedelta(days=days), **kwargs)


def test_anyone_browses_published_demand_newest_first_without_logging_in(api, factories):
    older = published_days_ago(3)
    newer = published_days_ago(1)
    OrderFactory(draft=True)
    OrderFactory(cancelled=True, published_at=None)  # never published
    response = api.get("/api/v1/directory")
    assert ids(response) == [newer.id, older.id]
    assert response.json()["meta"]["total"] == 2


def test_cancelled_and_unsuccessful_orders_stay_listed_with_their_status(api, factories):
    cancelled = published_days_ago(2, cancelled=True)
    failed = published_days_ago(
        1, status="unsuccessful", evaluating_at=utcnow(), unsuccessful_at=utcnow()
    )
    items = api.get("/api/v1/directory").json()["items"]
    assert [(i["id"], i["status"]) for i in items] == [
        (failed.id, "unsuccessful"),
        (cancelled.id, "cancelled"),
    ]


def test_every_field_is_shown_unless_the_agency_hid_it_with_a_reason(api, factories):
    agency = OrganizationFactory(name="铜仁市卫生健康局", city="铜仁市", county="碧江区")
    plain = OrderFactory(
        agency=agency,
        budget_ceiling=Decimal("88000.50"),
        scoring_weights={"quality": 40, "price": 30, "capacity": 10, "local": 10, "fairness": 10},
    )
    guarded = OrderFactory(agency=agency, hidden_fields={
        "budget_ceiling": "预算待财政评审后公布", "description": "涉及患者隐私的说明仅向合格企业提供"})
    shown = api.get(f"/api/v1/directory/{plain.id}").json()
    assert set(shown) == BASE_FIELDS | set(PUBLIC_FIELD_CHOICES) | {"amendments"}
    assert shown["agency"] == {
        "id": agency.id,
        "name": "铜仁市卫生健康局",
        "province": "贵州省",
        "city": "铜仁市",
        "county": "碧江区",
    }
    assert shown["budget_ceiling"] == "88000.50"
    assert shown["description"] == plain.description and shown["label_set"] == plain.label_set
    assert shown["hidden_fields"] == {} and shown["amendments"] == []
    hidden = api.get(f"/api/v1/directory/{guarded.id}").json()
    assert "budget_ceiling" not in hidden and "description" not in hidden
    assert hidden["hidden_fields"]["budget_ceiling"] == "预算待财政评审后公布"
    assert "accuracy_target" in hidden and "required_certifications" in hidden
    listed = {item["id"]: item for item in api.get("/api/v1/directory").json()["items"]}
    assert "budget_ceiling" not in listed[guarded.id] and "amendments" not in listed[plain.id]


def test_a_draft_is_not_in_the_directory(api, factories):
    draft = OrderFactory(draft=True)
    assert_error(api.get(f"/api/v1/directory/{draft.id}"), 404)
    assert_error(api.get("/api/v1/directory/999999"), 404)


def test_an_order_past_its_closing_time_is_found_as_evaluating_though_no_job_ran(api, factories):
    closed = published_days_ago(2, closed=True)
    stored_evaluating = published_days_ago(3, evaluating=True)
    open_ = published_days_ago(1)
    assert ids(api.get("/api/v1/directory?status=evaluating")) == [closed.id, stored_evaluating.id]
    assert ids(api.get("/api/v1/directory?status=published")) == [open_.id]
    assert api.get(f"/api/v1/directory/{closed.id}").json()["status"] == "evaluating"


def test_directory_filters_by_sector_modality_and_annotation_type(api, factories):
    road = published_days_ago(1, sector="transport", modality="image", annotation_type="bbox")
    scan = published_days_ago(
        2, sector="health", modality="medical_image", annotation_type="segmentation"
    )
    assert ids(api.get("/api/v1/directory?sector=health")) == [scan.id]
    assert ids(api.get("/api/v1/directory?modality=image")) == [road.id]
    assert ids(api.get("/api/v1/directory?annotation_type=segmentation")) == [scan.id]
    assert ids(api.get("/api/v1/directory?sector=health&modality=image")) == []


def test_directory_filters_by_any_part_of_the_agencys_region(api, factories):
    guiyang = published_days_ago(1, agency=OrganizationFactory(city="贵阳市", county="观山湖区"))
    tongren = published_days_ago(2, agency=OrganizationFactory(city="铜仁市", county="碧江区"))
    assert ids(api.get("/api/v1/directory?region=铜仁")) == [tongren.id]
    assert ids(api.get("/api/v1/directory?region=观山湖区")) == [guiyang.id]
    assert ids(api.get("/api/v1/directory?region=贵州省")) == [guiyang.id, tongren.id]


def test_words_are_searched_in_titles_and_only_in_public_descriptions(api, factories):
    titled = published_days_ago(1, title="黔南州 OCR 票据文本标注", description="无")
    public_text = published_days_ago(2, title="教育", description="课堂录音转写")
    published_days_ago(3, title="医疗", description="课堂录音转写（内部）",
                       hidden_fields={"description": "内部资料"})
    assert ids(api.get("/api/v1/directory?q=ocr")) == [titled.id]
    assert ids(api.get("/api/v1/directory?q=黔南")) == [titled.id]
    assert ids(api.get("/api/v1/directory?q=录音")) == [public_text.id]
    assert ids(api.get("/api/v1/directory?q=%25")) == []


def test_directory_filters_by_closing_and_deadline_ranges(api, factories):
    now = utcnow()
    soon = published_days_ago(1, bidding_closes_at=now + dt.timedelta(days=2),
                              delivery_deadline=now + dt.timedelta(days=20))
    later = published_days_ago(2, bidding_closes_at=now + dt.timedelta(days=10),
                               delivery_deadline=now + dt.timedelta(days=90))

    def at(days):
        return (now + dt.timedelta(days=days)).isoformat()

    assert ids(api.get("/api/v1/directory", params={"closes_before": at(5)})) == [soon.id]
    assert ids(api.get("/api/v1/directory", params={"closes_after": at(5)})) == [later.id]
    assert ids(
        api.get("/api/v1/directory", params={"deadline_after": at(10), "deadline_before": at(30)})
    ) == [soon.id]
    assert ids(api.get("/api/v1/directory", params={"deadline_before": at(5)})) == []


def test_directory_filters_by_a_band_of_budget_ceilings(api, factories):
    small = published_days_ago(1, budget_ceiling=Decimal("20000.00"))
    middle = published_days_ago(2, budget_ceiling=Decimal("80000.00"))
    large = published_days_ago(3, budget_ceiling=Decimal("500000.00"))
    assert ids(api.get("/api/v1/directory?budget_min=80000")) == [middle.id, large.id]
    assert ids(api.get("/api/v1/directory?budget_max=80000.00")) == [small.id, middle.id]
    assert ids(api.get("/api/v1/directory?budget_min=50000&budget_max=100000")) == [middle.id]


def test_a_hidden_budget_is_never_matched_by_a_budget_band(api, factories):
    published_days_ago(1, budget_ceiling=Decimal("80000.00"), hidden_fields={"budget_ceiling": "待批复"})
    assert ids(api.get("/api/v1/directory?budget_min=1")) == []
    assert ids(api.get("/api/v1/directory?budget_max=999999999")) == []
    assert len(ids(api.get("/api/v1/directory"))) == 1


def test_directory_sorts_by_closing_time_deadline_budget_and_volume(api, factories):
    now = utcnow()
    first = published_days_ago(1, bidding_closes_at=now + dt.timedelta(days=9), volume=500,
                               delivery_deadline=now + dt.timedelta(days=40),
                               budget_ceiling=Decimal("30000.00"))
    second = published_days_ago(2, bidding_closes_at=now + dt.timedelta(days=3), volume=90000,
                                delivery_deadline=now + dt.timedelta(days=60),
                                budget_ceiling=Decimal("90000.00"))
    third = published_days_ago(3, bidding_closes_at=now + dt.timedelta(days=6), volume=7000,
                               delivery_deadline=now + dt.timedelta(days=20),
                               budget_ceiling=Decimal("60000.00"))

    def by(sort):
        return ids(api.get(f"/api/v1/directory?sort={sort}"))

    assert by("-published_at") == ids(api.get("/api/v1/directory")) == [first.id, second.id, third.id]
    assert by("published_at") == [third.id, second.id, first.id]
    assert by("bidding_closes_at") == [second.id, third.id, first.id]
    assert by("-bidding_closes_at") == [first.id, third.id, second.id]
    assert by("delivery_deadline") == [third.id, first.id, second.id]
    assert by("-budget_ceiling") == [second.id, third.id, first.id]
    assert by("budget_ceiling") == [first.id, third.id, second.id]
    assert by("-volume") == [second.id, third.id, first.id]
    assert by("volume") == [first.id, third.id, second.id]


def test_a_hidden_budget_sorts_last_whichever_way_budgets_are_sorted(api, factories):
    hidden = published_days_ago(1, budget_ceiling=Decimal("999999.00"), hidden_fields={"budget_ceiling": "待批复"})
    cheap = published_days_ago(2, budget_ceiling=Decimal("10000.00"))
    dear = published_days_ago(3, budget_ceiling=Decimal("90000.00"))
    assert ids(api.get("/api/v1/directory?sort=-budget_ceiling")) == [dear.id, cheap.id, hidden.id]
    assert ids(api.get("/api/v1/directory?sort=budget_ceiling")) == [cheap.id, dear.id, hidden.id]


def test_the_csv_export_takes_the_same_sort_and_budget_band(api, factories):
    cheap = published_days_ago(1, budget_ceiling=Decimal("10000.00"))
    dear = published_days_ago(2, budget_ceiling=Decimal("90000.00"))
    published_days_ago(3, budget_ceiling=Decimal("900000.00"))
    rows = read_csv(api.get("/api/v1/directory.csv?sort=-budget_ceiling&budget_max=100000"))
    assert [int(r["id"]) for r in rows] == [dear.id, cheap.id]


@pytest.mark.parametrize("query, field", [
    ("sector=mining", "sector"),
    ("sort=price", "sort"),
    ("budget_min=abc", "budget_min"),
    ("budget_max=1e5", "budget_max"),
    ("budget_min=0", "budget_min"),
    ("budget_min=90000&budget_max=1000", "budget_min"),
    ("annotation_type=vibes", "annotation_type"),
    ("status=draft", "status"),
    ("closes_after=yesterday", "closes_after"),
    ("closes_after=0001-01-01", "closes_after"),  # its first moment in UTC is before year 1
    ("closes_after=2030-01-02T00:00:00&closes_before=2030-01-01T00:00:00", "closes_after"),
    ("per_page=101", "per_page"),
    ("region=" + "省" * 51, "region"),
])
def test_bad_directory_filters_are_422(api, query, field):
    assert_error(api.get(f"/api/v1/directory?{query}"), 422, field)
    if "per_page" not in query:
        assert_error(api.get(f"/api/v1/directory.csv?{query}"), 422, field)


def read_csv(response) -> list[dict]:
    assert response.status_code == 200, response.text
    raw = response.content
    assert raw.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def test_csv_export_opens_in_excel_with_chinese_intact(api, factories):
    agency = OrganizationFactory(name="贵州省交通运输厅", city="贵阳市")
    order = published_days_ago(
        1,
        agency=agency,
        title="全省高速公路视频事件标注",
        label_set=["拥堵", "事故"],
    )
    private = published_days_ago(2, agency=agency, hidden_fields={
        "budget_ceiling": "预算待批复", "description": "仅向报名企业提供"})
    response = api.get("/api/v1/directory.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert 'attachment; filename="annotation-demand.csv"' == response.headers["Content-Disposition"]
    assert response.headers["X-Total-Count"] == "2"
    rows = read_csv(response)
    assert list(rows[0])[:6] == [
        "id",
        "title",
        "agency_name",
        "agency_province",
        "agency_city",
        "agency_county",
    ]
    assert [int(r["id"]) for r in rows] == [order.id, private.id]
    first = rows[0]
    assert first["title"] == "全省高速公路视频事件标注"
    assert first["agency_name"] == "贵州省交通运输厅"
    assert first["budget_ceiling"] == "50000.00"
    assert first["label_set"] == "拥堵; 事故"
    assert first["status"] == "published"
    assert first["description"] == order.description and first["hidden_fields"] == ""
    assert rows[1]["budget_ceiling"] == "" and rows[1]["description"] == ""
    assert rows[1]["hidden_fields"] == "budget_ceiling=预算待批复; description=仅向报名企业提供"


def test_csv_export_applies_the_same_filters(api, factories):
    scan = published_days_ago(1, sector="health")
    published_days_ago(2, sector="transport")
    closed = published_days_ago(3, sector="health", closed=True)
    health = read_csv(api.get("/api/v1/directory.csv?sector=health"))
    assert [int(r["id"]) for r in health] == [scan.id, closed.id]
    evaluating = read_csv(api.get("/api/v1/directory.csv?status=evaluating"))
    assert [(int(r["id"]), r["status"]) for r in evaluating] == [(closed.id, "evaluating")]


def test_an_empty_csv_export_still_has_its_header(api):
    rows = api.get("/api/v1/directory.csv?sector=education")
    assert rows.status_code == 200
    text = rows.content.decode("utf-8-sig")
    assert text.splitlines() == [text.splitlines()[0]] and text.startswith("id,title,")


def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_are_defused(api, factories):
    published_days_ago(1, title='=HYPERLINK("http://evil.example","点我")')
    rows = read_csv(api.get("/api/v1/directory.csv"))
    assert rows[0]["title"] == '\'=HYPERLINK("http://evil.example","点我")'
