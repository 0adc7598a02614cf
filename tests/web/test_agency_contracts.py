"""The agency's pages for its contracts: the contract, a lot's sampling plan and inspection, recording
a payment, rating a completed contract."""

from __future__ import annotations

import datetime as dt

from market.contracts.models import DeliveryLot, Payment, Rating
from market.db import utcnow
from market.timezone import local_date
from tests.factories import ContractFactory, OrderFactory, OrganizationFactory
from tests.web.conftest import count, decided, handed_in


def _today() -> str:
    return local_date(utcnow()).isoformat()


def test_the_contract_page_shows_the_course_and_links_each_lot(browser, english_browser, deal, db_session):
    lot = handed_in(db_session, deal, volume=300, item_count=300)
    browser.sign_in(deal.agency)
    assert f"/agency/contracts/{deal.contract.id}" in browser.get("/agency/contracts").text
    page = browser.get(f"/agency/contracts/{deal.contract.id}")
    assert page.status_code == 200
    assert "道路视频标注合同" in page.text and deal.contract.vendor.name in page.text
    assert f"/agency/lots/{lot.id}" in page.text and "待检验" in page.text and "转移得分" in page.text
    english_browser.sign_in_in_english(deal.agency)
    english = english_browser.get(f"/agency/contracts/{deal.contract.id}")
    assert "Waiting for inspection" in english.text and "Payments" in english.text


def test_the_agency_sees_only_its_own_contracts_and_lots(browser, actors, deal, db_session):
    theirs = ContractFactory(order=OrderFactory(awarded=True, agency=OrganizationFactory()))
    lot = handed_in(db_session, deal)
    browser.sign_in(actors.user("agency"))
    assert browser.get(f"/agency/contracts/{deal.contract.id}").status_code == 404
    assert browser.get(f"/agency/lots/{lot.id}").status_code == 404
    assert browser.submit("/agency/", f"/agency/lots/{lot.id}/inspection",
                          {"nonconforming": "0"}).status_code == 404
    browser.submit("/", "/logout", {})
    browser.sign_in(deal.agency)
    assert browser.get(f"/agency/contracts/{theirs.id}").status_code == 404
    browser.submit("/", "/logout", {})
    browser.sign_in(deal.vendor)
    assert browser.get(f"/agency/contracts/{deal.contract.id}").status_code == 403
    assert browser.get(f"/agency/lots/{lot.id}").status_code == 403
    db_session.refresh(lot)
    assert lot.status == "submitted"


def test_the_lot_page_shows_the_plan_and_the_items_to_inspect(browser, english_browser, deal, db_session):
    lot = handed_in(db_session, deal, volume=500, item_count=500)
    browser.sign_in(deal.agency)
    page = browser.get(f"/agency/lots/{lot.id}")
    assert page.status_code == 200
    assert "抽样方案" in page.text and "样本量字码" in page.text and lot.code_letter in page.text
    assert f"不合格品数不超过 {lot.accept_number} 即接收" in page.text
    assert f"不合格品数达到 {lot.reject_number} 即拒收" in page.text and "正常检验" in page.text
    assert all(f"第 {position} 项" in page.text for position in lot.sample_positions)
    english_browser.sign_in_in_english(deal.agency)
    english = english_browser.get(f"/agency/lots/{lot.id}")
    assert f"Position {lot.sample_positions[0]}" in english.text and "Code letter" in english.text


def test_recording_the_nonconforming_count_accepts_or_rejects_by_the_plan(browser, deal, db_session):
    first, second = handed_in(db_session, deal, volume=400), handed_in(db_session, deal, volume=400)
    browser.sign_in(deal.agency)
    path = f"/agency/lots/{first.id}"
    accepted = browser.submit(path, f"{path}/inspection", {"nonconforming": str(first.accept_number)})
    assert accepted.status_code == 302
    page = browser.get(path)
    assert "已接收" in page.text and f"批次 {first.id} 已接收" in page.text
    path = f"/agency/lots/{second.id}"
    browser.submit(path, f"{path}/inspection", {"nonconforming": str(second.reject_number), "note": "框不准"})
    page = browser.get(path)
    assert "已拒收" in page.text and "框不准" in page.text
    db_session.refresh(first)
    db_session.refresh(second)
    assert (first.status, second.status) == ("accepted", "rejected")


def test_a_bad_inspection_shows_its_field_error_and_stores_nothing(browser, english_browser, deal, db_session):
    lot = handed_in(db_session, deal)
    browser.sign_in(deal.agency)
    path = f"/agency/lots/{lot.id}"
    too_many = browser.submit(path, f"{path}/inspection", {"nonconforming": str(lot.sample_size + 1)})
    assert too_many.status_code == 422
    assert 'id="error-nonconforming"' in too_many.text and f"不得超过样本量 {lot.sample_size}" in too_many.text
    english_browser.sign_in_in_english(deal.agency)
    english = english_browser.submit(path, f"{path}/inspection", {"nonconforming": "-1"})
    assert english.status_code == 422 and "Must be between 0 and" in english.text
    assert browser.post(f"{path}/inspection", {"nonconforming": "0"}).status_code == 400  # no token
    db_session.refresh(lot)
    assert lot.status == "submitted" and lot.sample_defects is None


def test_the_agency_records_a_payment_of_an_accepted_lot(browser, english_browser, deal, db_session):
    lot = decided(db_session, deal, handed_in(db_session, deal, volume=500, item_count=500), 0)
    browser.sign_in(deal.agency)
    contract_path = f"/agency/contracts/{deal.contract.id}"
    path = f"{contract_path}/payments/{lot.id}"
    assert path in browser.get(contract_path).text
    wrong = browser.submit(path, path, {"paid_on": "2020-13-01", "amount": "二百", "reference": ""})
    assert wrong.status_code == 422
    for field in ("paid_on", "amount", "reference"):
        assert f'id="error-{field}"' in wrong.text
    wrong = browser.submit(path, path, {"paid_on": "2020-01-01", "amount": "199.99", "reference": "GZ-1"})
    assert wrong.status_code == 422
    assert 'id="error-paid_on"' in wrong.text and 'id="error-amount"' in wrong.text
    assert "须为该批次金额 200.00 元" in wrong.text and "（接收日期）" in wrong.text
    english_browser.sign_in_in_english(deal.agency)
    english = english_browser.submit(path, path, {"paid_on": "not a day", "amount": "200.00", "reference": "GZ-1"})
    assert english.status_code == 422 and "Not a valid date." in english.text
    assert browser.post(path, {"paid_on": _today(), "amount": "200.00", "reference": "GZ-1"}).status_code == 400
    assert db_session.query(Payment).one().paid_on is None
    paid = browser.submit(path, path, {"paid_on": _today(), "amount": "200.00", "reference": "GZ-2026-0001"})
    assert paid.status_code == 302
    page = browser.get(contract_path)  # in English now: the agency chose it above
    assert "GZ-2026-0001" in page.text and "<td>Paid</td>" in page.text


def test_a_payment_page_for_a_lot_with_nothing_payable_is_not_found(browser, deal, db_session):
    lot = handed_in(db_session, deal)
    browser.sign_in(deal.agency)
    assert browser.get(f"/agency/contracts/{deal.contract.id}/payments/{lot.id}").status_code == 404
    browser.submit("/", "/logout", {})
    browser.sign_in(deal.vendor)
    assert browser.get(f"/agency/contracts/{deal.contract.id}/payments/{lot.id}").status_code == 403


def test_the_agency_rates_a_completed_contract_once(browser, english_browser, deal, db_session):
    decided(db_session, deal, handed_in(db_session, deal, volume=1000, item_count=1000), 0)
    browser.sign_in(deal.agency)
    contract_path = f"/agency/contracts/{deal.contract.id}"
    path = f"{contract_path}/rating"
    assert path in browser.get(contract_path).text
    form = browser.get(path)
    assert form.status_code == 200 and "沟通配合" in form.text
    bad = browser.submit(path, path, {"quality": "6", "timeliness": "", "communication": "3"})
    assert bad.status_code == 422
    assert 'id="error-quality"' in bad.text and 'id="error-timeliness"' in bad.text
    english_browser.sign_in_in_english(deal.agency)
    assert "Timeliness" in english_browser.get(path).text
    assert browser.post(path, {"quality": "4", "timeliness": "4", "communication": "4"}).status_code == 400
    assert count(db_session, Rating) == 0
    rated = browser.submit(path, path, {"quality": "5", "timeliness": "4", "communication": "3",
                                        "comment": "标注质量稳定"})
    assert rated.status_code == 302
    page = browser.get(contract_path)
    assert "标注质量稳定" in page.text and f'href="{path}"' not in page.text
    again = browser.submit(path, path, {"quality": "1", "timeliness": "1", "communication": "1"})
    assert again.status_code == 409 and count(db_session, Rating) == 1
    assert "This contract is rated already." in again.text


def test_an_active_contract_cannot_be_rated_and_other_agencies_cannot_rate(browser, actors, deal, db_session):
    browser.sign_in(deal.agency)
    path = f"/agency/contracts/{deal.contract.id}/rating"
    refused = browser.submit(path, path, {"quality": "5", "timeliness": "5", "communication": "5"})
    assert refused.status_code == 409 and "合同完成后，由采购单位对供应商进行评价" in refused.text
    browser.submit("/", "/logout", {})
    browser.sign_in(actors.user("agency"))
    assert browser.get(path).status_code == 404
    assert count(db_session, Rating) == 0 and count(db_session, DeliveryLot) == 0


def test_the_payment_date_must_not_be_before_acceptance(browser, deal, db_session):
    lot = decided(db_session, deal, handed_in(db_session, deal, volume=500, item_count=500), 0)
    browser.sign_in(deal.agency)
    path = f"/agency/contracts/{deal.contract.id}/payments/{lot.id}"
    yesterday = (local_date(utcnow()) - dt.timedelta(days=1)).isoformat()
    refused = browser.submit(path, path, {"paid_on": yesterday, "amount": "200.00", "reference": "GZ-1"})
    assert refused.status_code == 422 and 'id="error-paid_on"' in refused.text


def test_the_agency_may_agree_to_reduced_inspection_with_an_inspection(browser, deal, db_session):
    lot = handed_in(db_session, deal, volume=1000)
    browser.sign_in(deal.agency)
    path = f"/agency/lots/{lot.id}"
    assert 'name="agree_reduced"' in browser.get(path).text
    browser.submit(path, f"{path}/inspection", {"nonconforming": "0", "agree_reduced": "true"})
    db_session.refresh(deal.contract)
    assert deal.contract.reduced_agreed_at is not None
    page = browser.get(f"/agency/contracts/{deal.contract.id}")
    assert "同意放宽检验" in page.text
    assert "按时交付" in page.text and "检验所得准确率" in page.text  # the whole volume is accepted
