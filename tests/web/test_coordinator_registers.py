"""The coordinators' registers: orders and contracts with the API's filters, paginated; the audit
trail by object, actor, action and time, and the same selection as a streamed CSV."""

from __future__ import annotations

import contextvars
import csv
import datetime as dt
import io

import pytest

from market.audit import services as audit
from market.db import utcnow
from tests.factories import ContractFactory, OrderFactory, OrganizationFactory, VendorFactory


@pytest.fixture
def register(actors, db_session):
    """Orders of two agencies in several states, and contracts of two firms."""
    roads, clinics = actors.agency.organization, OrganizationFactory(name="遵义市卫生健康委员会")
    firm, other = VendorFactory(name="贵阳优标科技有限公司"), VendorFactory(name="铜仁慧眼数据有限公司")
    open_order = OrderFactory(published=True, agency=roads, title="路口行人框标注", modality="image")
    awarded = OrderFactory(awarded=True, agency=clinics, title="病历文本实体标注", modality="text")
    OrderFactory(draft=True, agency=roads, title="尚未发布的草稿")  # a draft is nobody's business but its agency's
    contract = ContractFactory(order=awarded, vendor=firm, volume=1000)
    older = ContractFactory(order=OrderFactory(awarded=True, agency=roads, title="卡口车辆框标注"),
                            vendor=other, volume=500)
    older.created_at = utcnow() - dt.timedelta(days=40)
    db_session.flush()
    return {"roads": roads, "clinics": clinics, "firm": firm, "other": other, "open": open_order,
            "awarded": awarded, "contract": contract, "older": older}


def test_the_orders_register_lists_every_published_order_and_no_draft(browser, actors, register):
    browser.sign_in(actors.coordinator)
    page = browser.get("/coordinator/orders")
    assert page.status_code == 200
    assert "路口行人框标注" in page.text and "病历文本实体标注" in page.text
    assert "尚未发布的草稿" not in page.text


def test_the_orders_register_filters_by_agency_status_firm_data_and_date(browser, actors, register):
    browser.sign_in(actors.coordinator)
    by_agency = browser.get(f"/coordinator/orders?agency_id={register['clinics'].id}").text
    assert "病历文本实体标注" in by_agency and "路口行人框标注" not in by_agency
    assert "路口行人框标注" in browser.get("/coordinator/orders?status=published").text
    assert "病历文本实体标注" not in browser.get("/coordinator/orders?status=published").text
    assert "路口行人框标注" not in browser.get("/coordinator/orders?modality=text").text
    tomorrow = (utcnow() + dt.timedelta(days=2)).date().isoformat()
    assert "路口行人框标注" not in browser.get(f"/coordinator/orders?published_after={tomorrow}").text


def test_the_orders_register_pages_with_the_filters_kept(browser, actors, register):
    for n in range(3):
        OrderFactory(published=True, agency=register["roads"], title=f"分页订单{n}")
    browser.sign_in(actors.coordinator)
    first = browser.get(f"/coordinator/orders?agency_id={register['roads'].id}&per_page=2").text
    assert 'rel="next"' in first and f"agency_id={register['roads'].id}" in first
    assert "per_page=2" in first and "page=2" in first


def test_a_bad_filter_is_said_beside_it_with_no_rows(browser, actors, register):
    browser.sign_in(actors.coordinator)
    refused = browser.get("/coordinator/orders?published_after=2026-13-40&status=nonsense")
    assert refused.status_code == 422
    assert 'id="error-published_after"' in refused.text and 'id="error-status"' in refused.text
    assert "路口行人框标注" not in refused.text


def test_the_contracts_register_filters_by_firm_agency_data_status_and_date(browser, actors, register):
    browser.sign_in(actors.coordinator)
    every = browser.get("/coordinator/contracts").text
    assert "贵阳优标科技有限公司" in every and "铜仁慧眼数据有限公司" in every
    by_firm = browser.get(f"/coordinator/contracts?vendor_id={register['firm'].id}").text
    assert "病历文本实体标注" in by_firm and "卡口车辆框标注" not in by_firm
    by_agency = browser.get(f"/coordinator/contracts?agency_id={register['roads'].id}").text
    assert "卡口车辆框标注" in by_agency and "病历文本实体标注" not in by_agency
    assert "卡口车辆框标注" not in browser.get("/coordinator/contracts?modality=text").text
    recent = (utcnow() - dt.timedelta(days=10)).date().isoformat()
    assert "卡口车辆框标注" not in browser.get(f"/coordinator/contracts?created_after={recent}").text
    assert "病历文本实体标注" not in browser.get("/coordinator/contracts?status=completed").text
    assert browser.get("/coordinator/contracts?created_after=2026-12-10&created_before=2026-12-01"
                       ).status_code == 422


def _event(db_session, action, **kwargs):
    event = audit.record(db_session, action, **kwargs)
    db_session.flush()
    return event


def test_the_audit_trail_filters_by_object_actor_action_and_time(browser, actors, register, db_session):
    coordinator = actors.coordinator
    _event(db_session, "order.published", actor=actors.agency, object_type="order",
           object_id=register["open"].id, data={"title": "路口行人框标注"})
    _event(db_session, "match_run.queued", actor=coordinator, object_type="match_run", object_id=7,
           data={"note": "内部说明"})
    browser.sign_in(coordinator)
    page = browser.get("/coordinator/audit")
    assert page.status_code == 200 and ">order.published<" in page.text and ">match_run.queued<" in page.text
    assert "路口行人框标注" in page.text  # the data as written, not \\u escapes
    by_object = browser.get(f"/coordinator/audit?object_type=order&object_id={register['open'].id}").text
    assert ">order.published<" in by_object and ">match_run.queued<" not in by_object
    by_actor = browser.get(f"/coordinator/audit?actor_id={coordinator.id}").text
    assert ">match_run.queued<" in by_actor and ">order.published<" not in by_actor
    by_prefix = browser.get("/coordinator/audit?action=match_run.").text
    assert ">match_run.queued<" in by_prefix and ">order.published<" not in by_prefix
    tomorrow = (utcnow() + dt.timedelta(days=2)).date().isoformat()
    assert ">match_run.queued<" not in browser.get(f"/coordinator/audit?occurred_after={tomorrow}").text
    assert browser.get("/coordinator/audit?object_id=abc").status_code == 422


def test_the_audit_csv_holds_the_filtered_selection_with_its_chinese(browser, actors, register, db_session):
    for n in range(3):
        _event(db_session, "order.published", actor=actors.agency, object_type="order", object_id=n + 1,
               data={"title": f"=订单{n}"})
    _event(db_session, "match_run.queued", actor=actors.coordinator, object_type="match_run", object_id=9)
    browser.sign_in(actors.coordinator)
    page = browser.get("/coordinator/audit?action=order.published&per_page=1").text
    assert 'href="/coordinator/audit.csv?action=order.published"' in page  # every page, not one
    context = contextvars.Context()
    response = context.run(browser.client.get, "/coordinator/audit.csv?action=order.published")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.is_streamed  # written while it is read, not held whole in memory
    text = context.run(response.get_data, as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["id", "occurred_at", "action"]
    assert len(rows) == 4 and {r[2] for r in rows[1:]} == {"order.published"}
    assert all(r[7] == actors.agency.email for r in rows[1:])
    assert "订单" in rows[1][9]


def test_a_bad_audit_filter_on_the_csv_shows_the_page_with_the_error(browser, actors):
    browser.sign_in(actors.coordinator)
    refused = browser.get("/coordinator/audit.csv?occurred_after=yesterday")
    assert refused.status_code == 422 and 'id="error-occurred_after"' in refused.text


@pytest.mark.parametrize("path", ["/coordinator/orders", "/coordinator/contracts", "/coordinator/audit",
                                  "/coordinator/audit.csv"])
@pytest.mark.parametrize("role", ["agency", "vendor", "admin"])
def test_only_coordinators_read_the_registers(browser, actors, role, path):
    browser.sign_in(getattr(actors, role))
    assert browser.get(path).status_code == 403


def test_the_registers_read_in_english(english_browser, actors, register):
    english_browser.sign_in_in_english(actors.coordinator)
    assert "Orders register" in english_browser.get("/coordinator/orders").text
    assert "Contracts register" in english_browser.get("/coordinator/contracts").text
    assert "Download these events as CSV" in english_browser.get("/coordinator/audit").text
