"""Text search of the directory: indexed for Chinese of any length, the same answers as a scan."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import or_, select

from market.db import utcnow
from market.orders import search
from market.orders.models import Order
from market.orders.services import _shows, directory_orders
from tests.factories import OrderFactory


def published_days_ago(days: float, **kwargs):
    return OrderFactory(published_at=utcnow() - dt.timedelta(days=days), **kwargs)


def ids(response) -> list[int]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_terms_are_the_characters_and_pairs_of_the_title_and_public_description():
    assert search.terms("车辆 OCR", "卡口", {}).split() == sorted(
        {"车", "辆", "车辆", "o", "c", "r", "oc", "cr", "卡", "口", "卡口"})
    assert search.terms("车辆", "卡口", {"description": "内部"}).split() == ["车", "车辆", "辆"]
    assert search.query_grams("车辆检测") == ["检测", "车辆", "辆检"]
    assert search.query_grams("车") == ["车"]
    assert search.query_grams("交通, 卡") == ["交通", "卡"]
    assert search.query_grams("%_") == []


def test_one_and_two_character_chinese_queries_find_titles_first_then_descriptions_newest_first(api, factories):
    in_title_old = published_days_ago(5, title="交通卡口图像车辆检测框标注", description="无")
    in_description_new = published_days_ago(1, title="道路巡检", description="对车辆进行标注")
    in_title_new = published_days_ago(2, title="车辆轨迹跟踪", description="无")
    published_days_ago(3, title="医学影像分割", description="肺结节")
    assert ids(api.get("/api/v1/directory", params={"q": "车辆"})) == [
        in_title_new.id, in_title_old.id, in_description_new.id]
    assert ids(api.get("/api/v1/directory", params={"q": "车"})) == [
        in_title_new.id, in_title_old.id, in_description_new.id]
    assert ids(api.get("/api/v1/directory", params={"q": "辆检"})) == [in_title_old.id]
    # An explicit sort still wins over relevance.
    assert ids(api.get("/api/v1/directory", params={"q": "车辆", "sort": "-published_at"})) == [
        in_description_new.id, in_title_new.id, in_title_old.id]


def test_a_query_matches_a_substring_not_its_characters_scattered(api, factories):
    published_days_ago(1, title="车载设备与辆检", description="无")  # 车 and 辆 apart; 辆检 present
    assert ids(api.get("/api/v1/directory", params={"q": "车辆检"})) == []


def test_search_finds_what_a_scan_of_titles_and_public_descriptions_finds(db_session, factories):
    rng = random.Random(14)
    words = ["车辆", "检测", "卡口", "医学", "影像", "课堂", "语音", "OCR", "ocr", "标注", "点云", "50%", "a_b"]
    for i in range(40):
        published_days_ago(i / 10, title="".join(rng.sample(words, 3)), description="".join(rng.sample(words, 4)),
                           hidden_fields=rng.choice([{}, {"description": "内部"}]))
    now = utcnow()
    for q in ("车", "车辆", "辆检", "影像课", "ocr", "OCR", "c", "%", "50%", "a_b", "_", "标注点云", "无此"):
        found = set(db_session.scalars(directory_orders(now=now, q=q)))
        scan = set(db_session.scalars(select(Order).where(Order.was_published, or_(
            Order.title.icontains(q, autoescape=True),
            _shows("description") & Order.description.icontains(q, autoescape=True)))))
        assert found == scan, q


def test_search_terms_follow_the_title_and_what_the_agency_hides(db_session, factories):
    order = published_days_ago(1, title="课堂语音转写", description="方言录音")
    db_session.flush()
    assert "方言" in order.search_terms.split()
    order.hidden_fields = {"description": "内部"}
    order.title = "门诊语音"
    db_session.flush()
    assert "方言" not in order.search_terms.split() and "门诊" in order.search_terms.split()
    hits = db_session.scalars(directory_orders(now=utcnow(), q="门诊")).all()
    assert hits == [order]
    assert db_session.scalars(directory_orders(now=utcnow(), q="课堂")).all() == []
