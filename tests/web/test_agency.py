"""The agency's pages: drafting, publishing, answering, cancelling, and bids sealed until closing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from market.db import utcnow
from market.orders.models import Order
from tests.factories import BidFactory, OrderFactory, OrganizationFactory, QuestionFactory


def _local(days: float) -> str:
    return (utcnow() + dt.timedelta(days=days)).astimezone(dt.timezone(dt.timedelta(hours=8))).strftime(
        "%Y-%m-%dT%H:%M")


COMPLETE = {
    "title": "城市道路监控视频车辆检测标注", "description": "对交通监控视频抽帧进行车辆检测框标注。",
    "sector": "transport", "modality": "image", "annotation_type": "bbox", "volume": "20000",
    "unit": "box", "label_set": "小汽车\n公交车\n货车", "budget_ceiling": "9000.00",
    "accuracy_target": "0.97", "data_classification": "general", "onsite_required": "false",
    "splittable": "true",
}


def _orders(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(Order))


def test_only_agencies_have_these_pages(browser, actors):
    assert browser.get("/agency/").status_code == 302  # sign in first
    browser.sign_in(actors.vendor)
    assert browser.get("/agency/").status_code == 403
    assert browser.get("/agency/orders/new").status_code == 403


def test_the_dashboard_lists_the_agencys_own_orders_by_status(browser, actors, factories):
    mine = OrderFactory(agency=actors.agency.organization, title="我们的订单")
    OrderFactory(draft=True, agency=actors.agency.organization, title="我们的草稿")
    OrderFactory(agency=OrganizationFactory(), title="别人的订单")
    QuestionFactory(order=mine)
    browser.sign_in(actors.agency)
    page = browser.get("/agency/")
    assert page.status_code == 200
    assert "我们的订单" in page.text and "我们的草稿" in page.text and "别人的订单" not in page.text
    assert "1 个问题等待您答复" in page.text


def test_a_draft_needs_only_a_title_and_publishing_names_every_missing_field(browser, actors, db_session):
    browser.sign_in(actors.agency)
    saved = browser.submit("/agency/orders/new", "/agency/orders/new", {"title": "只有标题的草稿"})
    assert saved.status_code == 302
    order = db_session.scalar(select(Order).where(Order.title == "只有标题的草稿"))
    assert order.status == "draft"
    page = browser.get(saved.headers["Location"])
    assert "缺少：发布前需填写" in page.text
    refused = browser.submit(f"/agency/orders/{order.id}", f"/agency/orders/{order.id}/publish", {})
    assert refused.status_code == 422
    for field in ("sector", "volume", "budget_ceiling", "bidding_closes_at"):
        assert f'href="#field-{field}"' in refused.text
    # Each link names its field by the label the form gives it, then says what is wrong.
    assert '<a href="#field-budget_ceiling">预算上限（元）：发布前必须填写。</a>' in refused.text
    db_session.refresh(order)
    assert order.status == "draft"


def test_the_error_summary_names_each_field_by_its_label_in_the_readers_language(
        browser, english_browser, actors):
    order = OrderFactory(draft=True, agency=actors.agency.organization, volume=None)
    browser.sign_in(actors.agency)
    refused = browser.submit(f"/agency/orders/{order.id}", f"/agency/orders/{order.id}/publish", {})
    assert '<a href="#field-volume">数量：发布前必须填写。</a>' in refused.text
    english_browser.sign_in(actors.agency)
    english_browser.submit("/", "/language", {"lang": "en", "next": "/"})  # saved for the user
    english = english_browser.submit(f"/agency/orders/{order.id}", f"/agency/orders/{order.id}/publish", {})
    assert '<a href="#field-volume">Volume: Required to publish.</a>' in english.text
    assert "<!--error-summary" not in english.text  # every slot filled


def test_bad_input_is_shown_beside_its_field_and_nothing_is_stored(browser, actors, db_session):
    browser.sign_in(actors.agency)
    before = _orders(db_session)
    response = browser.submit("/agency/orders/new", "/agency/orders/new",
                              {**COMPLETE, "volume": "1.5", "budget_ceiling": "9000.009"})
    assert response.status_code == 422
    assert 'id="error-volume"' in response.text and 'id="error-budget_ceiling"' in response.text
    assert 'value="城市道路监控视频车辆检测标注"' in response.text  # what was typed stays
    assert _orders(db_session) == before


def test_a_complete_draft_is_saved_and_published(browser, actors, db_session):
    browser.sign_in(actors.agency)
    data = {**COMPLETE, "bidding_closes_at": _local(10), "delivery_deadline": _local(40),
            "hidden_fields.budget_ceiling": "预算待财政批复后公开"}
    saved = browser.submit("/agency/orders/new", "/agency/orders/new", data)
    assert saved.status_code == 302
    order = db_session.scalar(select(Order).where(Order.title == COMPLETE["title"]))
    assert order.label_set == ["小汽车", "公交车", "货车"] and order.volume == 20000
    assert order.hidden_fields == {"budget_ceiling": "预算待财政批复后公开"}
    published = browser.submit(f"/agency/orders/{order.id}", f"/agency/orders/{order.id}/publish", {})
    assert published.status_code == 302
    db_session.refresh(order)
    assert order.status == "published"
    public = browser.get(f"/orders/{order.id}").text
    assert "预算待财政批复后公开" in public and "¥9,000.00" not in public


def test_a_combination_that_makes_no_sense_is_refused_with_the_allowed_ones(browser, actors, db_session):
    browser.sign_in(actors.agency)
    data = {**COMPLETE, "modality": "audio", "annotation_type": "bbox", "unit": "audio_minute",
            "bidding_closes_at": _local(10), "delivery_deadline": _local(40)}
    browser.submit("/agency/orders/new", "/agency/orders/new", data)
    order = db_session.scalar(select(Order).where(Order.title == COMPLETE["title"]))
    refused = browser.submit(f"/agency/orders/{order.id}", f"/agency/orders/{order.id}/publish", {})
    assert refused.status_code == 422 and "transcription" in refused.text


def test_another_agencys_order_is_not_found(browser, actors, factories):
    theirs = OrderFactory(agency=OrganizationFactory())
    browser.sign_in(actors.agency)
    assert browser.get(f"/agency/orders/{theirs.id}").status_code == 404
    token = browser.token(browser.get("/agency/"))
    assert browser.post(f"/agency/orders/{theirs.id}/cancel",
                        data={"csrf_token": token, "reason": "x"}).status_code == 404


def test_bids_are_sealed_until_closing_on_the_agencys_page(browser, actors, factories):
    order = OrderFactory(agency=actors.agency.organization)
    BidFactory(order=order, unit_price="0.4321")
    browser.sign_in(actors.agency)
    page = browser.get(f"/agency/orders/{order.id}")
    assert "投标在截止前保密" in page.text and "0.4321" not in page.text


def test_bids_are_shown_after_closing(browser, actors, factories):
    order = OrderFactory(closed=True, agency=actors.agency.organization)
    BidFactory(order=order, unit_price="0.4321")
    browser.sign_in(actors.agency)
    page = browser.get(f"/agency/orders/{order.id}")
    assert "¥0.4321" in page.text


def test_questions_are_answered_from_the_inbox_and_a_blank_answer_is_refused(browser, actors, db_session):
    order = OrderFactory(agency=actors.agency.organization)
    question = QuestionFactory(order=order, text="夜间图像需要标注吗？")
    browser.sign_in(actors.agency)
    inbox = browser.get("/agency/questions")
    assert "夜间图像需要标注吗？" in inbox.text
    blank = browser.submit("/agency/questions", f"/agency/questions/{question.id}/answer", {"answer": "\u200b "})
    assert blank.status_code == 422 and f'id="error-answer-{question.id}"' in blank.text
    db_session.refresh(question)
    assert question.answered_at is None
    done = browser.submit("/agency/questions", f"/agency/questions/{question.id}/answer", {"answer": "需要。"})
    assert done.status_code == 302
    db_session.refresh(question)
    assert question.answer == "需要。"


def test_cancelling_needs_a_reason(browser, actors, db_session):
    order = OrderFactory(agency=actors.agency.organization)
    browser.sign_in(actors.agency)
    refused = browser.submit(f"/agency/orders/{order.id}", f"/agency/orders/{order.id}/cancel", {"reason": ""})
    assert refused.status_code == 422 and 'id="error-reason"' in refused.text
    done = browser.submit(f"/agency/orders/{order.id}", f"/agency/orders/{order.id}/cancel", {"reason": "预算调整"})
    assert done.status_code == 302
    db_session.refresh(order)
    assert order.status == "cancelled"


def test_an_order_is_copied_into_a_new_draft(browser, actors, db_session, factories):
    order = OrderFactory(agency=actors.agency.organization, title="原订单")
    browser.sign_in(actors.agency)
    copied = browser.submit(f"/agency/orders/{order.id}", f"/agency/orders/{order.id}/copy", {})
    assert copied.status_code == 302
    draft = db_session.scalar(select(Order).where(Order.title == "原订单的副本"))
    assert draft.status == "draft" and draft.volume == order.volume and draft.bidding_closes_at is None
