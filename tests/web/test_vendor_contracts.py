"""The vendor's pages for a contract's course: the contract, progress, handing in a lot, a lot's
result, disputing a rejection and replying to the rating; odd numbers on both sides' forms."""

from __future__ import annotations

from sqlalchemy import select

from market.contracts import ratings
from market.contracts.models import DeliveryLot, Dispute, ProgressReport
from tests.factories import ContractFactory, OrderFactory, OrganizationFactory
from tests.web.conftest import count, decided, handed_in, rejected


def test_the_contract_page_shows_volumes_milestones_lots_inspection_and_payments(
    browser, english_browser, deal, db_session
):
    lot = handed_in(db_session, deal, volume=300, item_count=300)
    browser.sign_in(deal.vendor)
    listing = browser.get("/vendor/contracts")
    assert f"/vendor/contracts/{deal.contract.id}" in listing.text
    page = browser.get(f"/vendor/contracts/{deal.contract.id}")
    assert page.status_code == 200
    assert "道路视频标注合同" in page.text and "交付中" in page.text
    assert "待检验" in page.text and f"/vendor/lots/{lot.id}" in page.text
    assert "正常检验" in page.text and "转移得分" in page.text and "里程碑" in page.text
    assert "已支付" in page.text and "逾期" in page.text
    assert "首批交付（30%）" in page.text and "全部交付" in page.text  # milestone names, translated
    english_browser.sign_in_in_english(deal.vendor)
    english = english_browser.get(f"/vendor/contracts/{deal.contract.id}")
    assert "Waiting for inspection" in english.text and "Switching score" in english.text
    assert "Still to hand in" in english.text and "Milestones" in english.text
    assert "First batch (30%)" in english.text and "首批交付" not in english.text


def test_the_contract_page_is_the_vendors_own(browser, deal, db_session):
    theirs = ContractFactory(order=OrderFactory(awarded=True, agency=OrganizationFactory()))
    browser.sign_in(deal.vendor)
    assert browser.get(f"/vendor/contracts/{theirs.id}").status_code == 404
    assert browser.get(f"/vendor/contracts/{theirs.id}/lots/new").status_code == 404
    browser.submit("/", "/logout", {})
    browser.sign_in(deal.agency)
    path = f"/vendor/contracts/{deal.contract.id}"
    assert browser.get(path).status_code == 403
    assert browser.get(f"{path}/lots/new").status_code == 403
    assert browser.submit("/agency/", f"{path}/progress", {"volume_done": "10"}).status_code == 403
    assert browser.submit("/agency/", f"{path}/rating/reply", {"reply": "好"}).status_code == 403
    assert count(db_session, ProgressReport) == 0


def test_a_progress_report_is_saved_and_goes_only_forward(browser, english_browser, deal, db_session):
    browser.sign_in(deal.vendor)
    path = f"/vendor/contracts/{deal.contract.id}"
    saved = browser.submit(path, f"{path}/progress", {"volume_done": "400", "note": "第一周"})
    assert saved.status_code == 302
    assert "第一周" in browser.get(path).text
    back = browser.submit(path, f"{path}/progress", {"volume_done": "300"})
    assert back.status_code == 422
    assert 'id="error-volume_done"' in back.text and 'href="#field-volume_done"' in back.text
    assert "须大于 400 且不超过 1000" in back.text
    english_browser.sign_in_in_english(deal.vendor)
    english = english_browser.submit(path, f"{path}/progress", {"volume_done": "abc"})
    assert english.status_code == 422 and "Not a valid integer." in english.text
    assert count(db_session, ProgressReport) == 1


def test_a_form_without_its_token_is_refused(browser, deal, db_session):
    browser.sign_in(deal.vendor)
    response = browser.post(f"/vendor/contracts/{deal.contract.id}/progress", {"volume_done": "400"})
    assert response.status_code == 400
    lot = handed_in(db_session, deal)
    assert browser.post(f"/vendor/contracts/{deal.contract.id}/lots/new",
                        {"volume": "10", "item_count": "10", "checksum": "x"}).status_code == 400
    assert browser.post(f"/vendor/lots/{lot.id}/dispute", {"reason": "x"}).status_code == 400
    assert count(db_session, ProgressReport) == 0 and count(db_session, DeliveryLot) == 1


def test_a_lot_is_handed_in_and_its_sample_stays_hidden_until_decided(browser, deal, db_session):
    browser.sign_in(deal.vendor)
    path = f"/vendor/contracts/{deal.contract.id}/lots/new"
    assert "提交批次" in browser.get(path).text
    saved = browser.submit(path, path, {"volume": "500", "item_count": "500",
                                        "checksum": "sha256:" + "ab" * 32, "note": "第一批"})
    assert saved.status_code == 302
    lot = db_session.scalars(select(DeliveryLot)).one()
    page = browser.get(saved.headers["Location"])
    assert page.status_code == 200 and "抽样方案" in page.text and "待检验" in page.text
    assert "批次判定后显示" in page.text and "抽检项" not in page.text
    decided(db_session, deal, lot, 0)
    page = browser.get(f"/vendor/lots/{lot.id}")
    assert "已接收" in page.text and "抽检项" in page.text


def test_a_bad_lot_shows_each_field_error_and_stores_nothing(browser, english_browser, deal, db_session):
    browser.sign_in(deal.vendor)
    path = f"/vendor/contracts/{deal.contract.id}/lots/new"
    refused = browser.submit(path, path, {"volume": "2000", "item_count": "0", "checksum": ""})
    assert refused.status_code == 422
    assert 'id="error-item_count"' in refused.text
    too_much = browser.submit(path, path, {"volume": "2000", "item_count": "10"})
    assert too_much.status_code == 422
    assert 'id="error-volume"' in too_much.text and 'id="error-checksum"' in too_much.text
    assert "最多 1000" in too_much.text and "请填写清单的校验值" in too_much.text
    english_browser.sign_in_in_english(deal.vendor)
    english = english_browser.submit(path, path, {"volume": "2000", "item_count": "10"})
    assert "checksum or its list of item ids" in english.text
    assert count(db_session, DeliveryLot) == 0


def test_a_rejected_lot_is_disputed_with_a_reason(browser, english_browser, deal, db_session):
    lot = rejected(db_session, deal)
    browser.sign_in(deal.vendor)
    path = f"/vendor/lots/{lot.id}"
    page = browser.get(path)
    assert "已拒收" in page.text and "对拒收提出异议" in page.text
    empty = browser.submit(path, f"{path}/dispute", {"reason": "   "})
    assert empty.status_code == 422 and 'id="error-reason"' in empty.text
    assert count(db_session, Dispute) == 0
    sent = browser.submit(path, f"{path}/dispute", {"reason": "抽样项中有两项判定有误"})
    assert sent.status_code == 302
    assert "等待协调员裁决" in browser.get(path).text and count(db_session, Dispute) == 1
    english_browser.sign_in_in_english(deal.vendor)
    assert "Waiting for a coordinator" in english_browser.get(path).text


def test_another_firms_lot_is_not_found(browser, actors, deal, db_session):
    lot = rejected(db_session, deal)
    browser.sign_in(actors.user("vendor"))
    assert browser.get(f"/vendor/lots/{lot.id}").status_code == 404
    assert browser.get(f"/vendor/contracts/{deal.contract.id}").status_code == 404
    assert browser.submit("/vendor/", f"/vendor/lots/{lot.id}/dispute", {"reason": "不对"}).status_code == 404
    browser.submit("/", "/logout", {})
    browser.sign_in(deal.agency)
    assert browser.get(f"/vendor/lots/{lot.id}").status_code == 403
    assert count(db_session, Dispute) == 0


def test_the_vendor_replies_once_to_the_rating(browser, english_browser, deal, db_session):
    decided(db_session, deal, handed_in(db_session, deal, volume=1000, item_count=1000), 0)
    ratings.rate_contract(db_session, deal.contract.id, {"quality": 4, "timeliness": 5, "communication": 3,
                                                          "comment": "交付稳定"}, actor=deal.agency)
    db_session.flush()
    browser.sign_in(deal.vendor)
    path = f"/vendor/contracts/{deal.contract.id}"
    page = browser.get(path)
    assert "交付稳定" in page.text and "回复评价" in page.text
    empty = browser.submit(path, f"{path}/rating/reply", {"reply": ""})
    assert empty.status_code == 422 and 'id="error-reply"' in empty.text
    assert browser.submit(path, f"{path}/rating/reply", {"reply": "感谢评价"}).status_code == 302
    page = browser.get(path)
    assert "感谢评价" in page.text and "回复评价" not in page.text
    english_browser.sign_in_in_english(deal.vendor)
    assert "The vendor&#39;s reply" in english_browser.get(path).text


ODD = ("99999999999999999999999", "1e3", "１２", "\u200b", "0x10", "12.0", "x" * 3000)


def test_odd_numbers_on_every_delivery_form_are_refused_never_an_error(browser, deal, db_session):
    accepted = decided(db_session, deal, handed_in(db_session, deal, volume=100, item_count=100), 0)
    lot = handed_in(db_session, deal, volume=100, item_count=100)
    contract = f"/vendor/contracts/{deal.contract.id}"
    forms = {
        deal.vendor: [(contract, f"{contract}/progress", ("volume_done", "note")),
                      (f"{contract}/lots/new", f"{contract}/lots/new",
                       ("volume", "item_count", "checksum", "resubmission_of_id"))],
        deal.agency: [(f"/agency/lots/{lot.id}", f"/agency/lots/{lot.id}/inspection", ("nonconforming",)),
                      (f"/agency/contracts/{deal.contract.id}",
                       f"/agency/contracts/{deal.contract.id}/payments/{accepted.id}",
                       ("paid_on", "amount", "reference")),
                      (f"/agency/contracts/{deal.contract.id}", f"/agency/contracts/{deal.contract.id}/rating",
                       ("quality", "timeliness", "communication"))],
    }
    for user, pages in forms.items():
        browser.sign_in(user)
        for page, action, names in pages:
            for value in ODD:
                response = browser.submit(page, action, dict.fromkeys(names, value))
                assert response.status_code in (409, 422), (action, value, response.status_code)
        browser.submit("/", "/logout", {})
