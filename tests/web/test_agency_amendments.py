"""The agency's amendments of a published order, the preview of a draft, and its contracts list."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from market.db import utcnow
from market.orders.models import OrderAmendment
from tests.factories import BidFactory, ContractFactory, OrderFactory, OrganizationFactory


def _amendments(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(OrderAmendment))


def test_an_amendment_is_checked_old_against_new_then_published_and_shown_in_the_history(
        browser, actors, db_session):
    order = OrderFactory(agency=actors.agency.organization, volume=100000,
                         bidding_closes_at=utcnow() + dt.timedelta(days=1))
    bid = BidFactory(order=order)
    browser.sign_in(actors.agency)
    form = browser.get(f"/agency/orders/{order.id}/amend")
    assert form.status_code == 200 and 'name="note"' in form.text and 'value="100000"' in form.text
    assert f'action="/agency/orders/{order.id}/amend/check"' in form.text
    check = browser.submit(f"/agency/orders/{order.id}/amend", f"/agency/orders/{order.id}/amend/check",
                           {**_as_shown(browser, order), "volume": "120000", "note": "新增两个卡口点位"})
    assert check.status_code == 200, check.text
    assert "发布前请核对修改内容" in check.text and "新增两个卡口点位" in check.text
    assert "<del>100,000</del>" in check.text and "<ins>120,000</ins>" in check.text
    assert "此修改属于实质性修改" in check.text and "按规则顺延" in check.text  # bidding kept open longer
    assert _amendments(db_session) == 0  # nothing stored until the agency publishes it
    db_session.refresh(bid)
    assert bid.confirmation_requested_at is None
    hidden = _hidden(check)
    assert hidden.getlist("changed") == ["volume"] and "description" not in hidden  # only what changes
    done = browser.post(f"/agency/orders/{order.id}/amend", data=hidden)
    assert done.status_code == 302, done.text
    amendment = db_session.scalar(select(OrderAmendment).where(OrderAmendment.order_id == order.id))
    assert set(amendment.changes) == {"volume", "bidding_closes_at"} and amendment.material
    db_session.refresh(bid)
    assert bid.confirmation_requested_at is not None
    page = browser.get(done.headers["Location"])
    assert "版本 1" in page.text and "新增两个卡口点位" in page.text
    assert "100,000 → 120,000" in page.text and "须确认或修改其投标" in page.text


def test_the_check_page_goes_back_to_the_form_with_the_answers_kept(browser, english_browser, actors, db_session):
    order = OrderFactory(agency=actors.agency.organization, volume=100000, description="原说明")
    browser.sign_in(actors.agency)
    check = browser.submit(f"/agency/orders/{order.id}/amend", f"/agency/orders/{order.id}/amend/check",
                           {**_as_shown(browser, order), "description": "第一行\n第二行", "note": "补充说明"})
    assert check.status_code == 200 and "不属于实质性修改" in check.text
    assert f'formaction="/agency/orders/{order.id}/amend/change#field-description"' in check.text
    back = browser.post(f"/agency/orders/{order.id}/amend/change", data=_hidden(check))
    assert back.status_code == 200
    assert "第一行\n第二行</textarea>" in back.text and "补充说明</textarea>" in back.text
    assert 'value="100000"' in back.text  # the fields not changed as the order stands
    assert _amendments(db_session) == 0
    english_browser.sign_in(actors.agency)
    english_browser.submit("/", "/language", {"lang": "en", "next": "/"})  # saved for the user
    english = english_browser.submit(f"/agency/orders/{order.id}/amend", f"/agency/orders/{order.id}/amend/check",
                                     {**_as_shown(english_browser, order), "volume": "90000", "note": "fewer"})
    assert "Check the amendment before publishing it" in english.text
    assert "<del>100,000</del>" in english.text and "<ins>90,000</ins>" in english.text
    assert "This change is material" in english.text


def test_an_amendment_published_by_someone_else_meanwhile_is_not_undone(browser, actors, db_session):
    order = OrderFactory(agency=actors.agency.organization, volume=100000, description="原说明")
    browser.sign_in(actors.agency)
    check = browser.submit(f"/agency/orders/{order.id}/amend", f"/agency/orders/{order.id}/amend/check",
                           {**_as_shown(browser, order), "description": "新说明", "note": "改说明"})
    colleague = browser.submit(f"/agency/orders/{order.id}/amend", f"/agency/orders/{order.id}/amend/check",
                               {**_as_shown(browser, order), "volume": "120000", "note": "同事先改了数量"})
    assert browser.post(f"/agency/orders/{order.id}/amend", data=_hidden(colleague)).status_code == 302
    again = browser.post(f"/agency/orders/{order.id}/amend", data=_hidden(check))
    assert again.status_code == 409 and "订单已被他人修改" in again.text
    assert "<ins>新说明</ins>" in again.text and "120,000" not in again.text  # measured against version 1
    assert _amendments(db_session) == 1
    done = browser.post(f"/agency/orders/{order.id}/amend", data=_hidden(again))
    assert done.status_code == 302
    db_session.refresh(order)
    assert order.volume == 120000 and order.description == "新说明"  # the colleague's change kept


def _hidden(page) -> MultiDict:
    return MultiDict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))


def _as_shown(browser, order) -> dict:
    """The amendment form's fields as the page shows them (a browser sends every one back)."""
    page = browser.get(f"/agency/orders/{order.id}/amend").text
    values = dict(re.findall(r'<input id="field-[^"]+" name="([^"]+)" type="[^"]+"\s*value="([^"]*)"', page))
    for name in ("description", "label_set"):
        found = re.search(rf'name="{name}"[^>]*>([^<]*)</textarea>', page)
        values[name] = found.group(1) if found else ""
    for name in ("sampling_level", "data_classification", "onsite_required"):
        values[name] = re.search(rf'name="{name}".*?<option value="([^"]*)" selected>', page, re.S).group(1)
    return values


def test_an_amendment_without_a_note_or_a_change_is_refused_and_nothing_is_stored(
        browser, english_browser, actors, db_session):
    order = OrderFactory(agency=actors.agency.organization)
    browser.sign_in(actors.agency)
    no_note = browser.submit(f"/agency/orders/{order.id}/amend", f"/agency/orders/{order.id}/amend/check",
                             {**_as_shown(browser, order), "volume": "120000", "note": " "})
    assert no_note.status_code == 422 and 'id="error-note"' in no_note.text
    assert "<title>错误：" in no_note.text and 'href="#field-note"' in no_note.text
    unchanged = browser.submit(f"/agency/orders/{order.id}/amend", f"/agency/orders/{order.id}/amend/check",
                               {**_as_shown(browser, order), "note": "没有改动"})
    assert unchanged.status_code == 422 and "至少修改一个字段" in unchanged.text
    shorter = browser.submit(f"/agency/orders/{order.id}/amend", f"/agency/orders/{order.id}/amend/check",
                             {**_as_shown(browser, order), "delivery_deadline": "2020-01-01T10:00",
                              "note": "提前交付"})
    assert shorter.status_code == 422 and 'id="error-delivery_deadline"' in shorter.text
    emptied = browser.submit(f"/agency/orders/{order.id}/amend", f"/agency/orders/{order.id}/amend/check",
                             {**_as_shown(browser, order), "budget_ceiling": "", "note": "预算待定"})
    assert emptied.status_code == 422 and 'id="error-budget_ceiling"' in emptied.text
    assert _amendments(db_session) == 0
    english_browser.sign_in(actors.agency)
    english_browser.submit("/", "/language", {"lang": "en", "next": "/"})  # saved for the user
    english = english_browser.submit(f"/agency/orders/{order.id}/amend", f"/agency/orders/{order.id}/amend/check",
                                     {**_as_shown(english_browser, order), "note": "nothing"})
    assert english.status_code == 422 and "Give at least one field to change." in english.text


def test_a_closed_order_cannot_be_amended(browser, actors, db_session):
    order = OrderFactory(closed=True, agency=actors.agency.organization)
    browser.sign_in(actors.agency)
    refused = browser.get(f"/agency/orders/{order.id}/amend")
    assert refused.status_code == 409 and "只有已发布且仍在投标期内的订单才能修改" in refused.text
    token = browser.token(browser.get("/agency/"))
    late = browser.post(f"/agency/orders/{order.id}/amend/check", data={"csrf_token": token, "note": "x"})
    assert late.status_code == 409 and "评审中" in late.text
    assert "修改订单" not in browser.get(f"/agency/orders/{order.id}").text


def test_amending_is_the_agencys_own_and_needs_the_forms_token(browser, actors, db_session):
    theirs = OrderFactory(agency=OrganizationFactory())
    mine = OrderFactory(agency=actors.agency.organization)
    browser.sign_in(actors.vendor)
    assert browser.get(f"/agency/orders/{mine.id}/amend").status_code == 403
    browser.submit("/", "/logout", {})
    browser.sign_in(actors.agency)
    assert browser.get(f"/agency/orders/{theirs.id}/amend").status_code == 404
    token = browser.token(browser.get("/agency/"))
    assert browser.post(f"/agency/orders/{theirs.id}/amend",
                        data={"csrf_token": token, "volume": "5", "note": "x"}).status_code == 404
    refused = browser.post(f"/agency/orders/{mine.id}/amend", data={"volume": "5", "note": "没有令牌"})
    assert refused.status_code == 400 and "表单已过期" in refused.text
    for step in ("check", "change"):
        assert browser.post(f"/agency/orders/{theirs.id}/amend/{step}",
                            data={"csrf_token": token, "volume": "5", "note": "x"}).status_code == 404
        assert browser.post(f"/agency/orders/{mine.id}/amend/{step}", data={"volume": "5"}).status_code == 400
    browser.submit("/", "/logout", {})
    browser.sign_in(actors.vendor)
    token = browser.token(browser.get("/vendor/"))
    assert browser.post(f"/agency/orders/{mine.id}/amend/check",
                        data={"csrf_token": token, "volume": "5", "note": "x"}).status_code == 403
    assert _amendments(db_session) == 0


def test_a_draft_is_previewed_as_vendors_will_see_it_without_what_it_hides(browser, english_browser, actors):
    draft = OrderFactory(draft=True, agency=actors.agency.organization, title="待发布的订单",
                         description="内部说明", hidden_fields={"description": "仅向合格企业提供"},
                         bidding_closes_at=None)
    browser.sign_in(actors.agency)
    assert f"/agency/orders/{draft.id}/preview" in browser.get(f"/agency/orders/{draft.id}").text
    page = browser.get(f"/agency/orders/{draft.id}/preview")
    assert page.status_code == 200
    assert "待发布的订单" in page.text and "预览" in page.text
    assert "内部说明" not in page.text and "仅向合格企业提供" in page.text
    english_browser.sign_in(actors.agency)
    english_browser.submit("/", "/language", {"lang": "en", "next": "/"})  # saved for the user
    assert "Preview: this is how vendors" in english_browser.get(f"/agency/orders/{draft.id}/preview").text


def test_only_the_agency_previews_its_draft(browser, actors):
    theirs = OrderFactory(draft=True, agency=OrganizationFactory())
    mine = OrderFactory(draft=True, agency=actors.agency.organization)
    browser.sign_in(actors.agency)
    assert browser.get(f"/agency/orders/{theirs.id}/preview").status_code == 404
    browser.submit("/", "/logout", {})
    browser.sign_in(actors.vendor)
    assert browser.get(f"/agency/orders/{mine.id}/preview").status_code == 403


def test_the_contracts_of_the_agencys_orders_are_listed_from_the_dashboard(browser, english_browser, actors):
    ours = ContractFactory(order=OrderFactory(agency=actors.agency.organization, status="in_progress",
                                              title="我们的合同订单"), unit_price=Decimal("0.3800"))
    ContractFactory(order=OrderFactory(agency=OrganizationFactory(), status="in_progress", title="别人的合同订单"))
    browser.sign_in(actors.agency)
    assert "/agency/contracts" in browser.get("/agency/").text
    page = browser.get("/agency/contracts")
    assert page.status_code == 200
    assert "我们的合同订单" in page.text and "别人的合同订单" not in page.text
    assert ours.vendor.name in page.text and "¥0.38" in page.text and "交付中" in page.text
    english_browser.sign_in(actors.agency)
    english_browser.submit("/", "/language", {"lang": "en", "next": "/"})  # saved for the user
    assert "In delivery" in english_browser.get("/agency/contracts").text


def test_only_agencies_read_the_agency_contracts_list(browser, actors):
    browser.sign_in(actors.vendor)
    assert browser.get("/agency/contracts").status_code == 403
