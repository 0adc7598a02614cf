"""The disputes page: a firm's dispute of a rejected lot, decided by a coordinator with a reason
(upheld, or inspected again); decided by someone else first; separation of duties."""

from __future__ import annotations

import pytest

from market.contracts import lots
from market.contracts.models import Dispute
from tests.web.conftest import rejected


@pytest.fixture
def dispute(db_session, deal) -> Dispute:
    lot = rejected(db_session, deal)
    found = lots.dispute_lot(db_session, lot.id, {"reason": "夜间图像按规范第 3.2 条不计为漏标"},
                             actor=deal.vendor)
    db_session.flush()
    return found


def _field(dispute, name):
    return f"dispute-{dispute.id}-{name}"


def test_the_page_lists_open_disputes_with_both_reasons(browser, actors, dispute):
    browser.sign_in(actors.coordinator)
    page = browser.get("/coordinator/disputes")
    assert page.status_code == 200
    assert "道路视频标注合同" in page.text and "夜间图像按规范第 3.2 条不计为漏标" in page.text
    assert f'action="/coordinator/disputes/{dispute.id}/decision"' in page.text


def test_upholding_with_a_reason_decides_it(browser, actors, dispute, db_session):
    browser.sign_in(actors.coordinator)
    done = browser.submit("/coordinator/disputes", f"/coordinator/disputes/{dispute.id}/decision",
                          {_field(dispute, "decision"): "upheld", _field(dispute, "reason"): "夜间图像同样适用规范"})
    assert done.status_code == 302
    db_session.refresh(dispute)
    assert dispute.status == "upheld" and dispute.decision_reason == "夜间图像同样适用规范"
    assert "夜间图像同样适用规范" in browser.get("/coordinator/disputes").text  # under decided lately


def test_a_decision_without_a_reason_or_a_choice_is_refused_beside_the_fields(browser, actors, dispute,
                                                                               db_session):
    browser.sign_in(actors.coordinator)
    refused = browser.submit("/coordinator/disputes", f"/coordinator/disputes/{dispute.id}/decision",
                             {_field(dispute, "reason"): " "})
    assert refused.status_code == 422
    assert f'id="error-{_field(dispute, "decision")}"' in refused.text
    assert f'id="error-{_field(dispute, "reason")}"' in refused.text
    db_session.refresh(dispute)
    assert dispute.status == "open"


def test_a_dispute_decided_first_by_someone_else_is_said_plainly(browser, actors, dispute, db_session):
    browser.sign_in(actors.coordinator)
    token = browser.token(browser.get("/coordinator/disputes"))
    form = {"csrf_token": token, _field(dispute, "decision"): "upheld", _field(dispute, "reason"): "维持"}
    assert browser.post(f"/coordinator/disputes/{dispute.id}/decision", data=form).status_code == 302
    late = browser.post(f"/coordinator/disputes/{dispute.id}/decision", data=form)
    assert late.status_code == 409 and 'id="conflict"' in late.text and "此异议已无法裁定" in late.text


def test_a_decision_without_the_forms_token_is_refused(browser, actors, dispute, db_session):
    browser.sign_in(actors.coordinator)
    refused = browser.post(f"/coordinator/disputes/{dispute.id}/decision",
                           data={_field(dispute, "decision"): "upheld", _field(dispute, "reason"): "维持"})
    assert refused.status_code == 400
    db_session.refresh(dispute)
    assert dispute.status == "open"


def test_an_unknown_dispute_is_not_found(browser, actors):
    browser.sign_in(actors.coordinator)
    token = browser.token(browser.get("/coordinator/disputes"))
    assert browser.post("/coordinator/disputes/999999/decision", data={"csrf_token": token}).status_code == 404


def test_a_coordinator_of_the_agencys_organisation_sees_why_they_cannot_decide(browser, actors, deal, dispute,
                                                                               db_session):
    own = actors.user("coordinator", organization=deal.contract.order.agency)
    browser.sign_in(own)
    page = browser.get("/coordinator/disputes")
    assert f'id="own-dispute-{dispute.id}"' in page.text and "职责分离" in page.text
    assert f"/coordinator/disputes/{dispute.id}/decision" not in page.text
    refused = browser.post(f"/coordinator/disputes/{dispute.id}/decision",
                           data={"csrf_token": browser.token(page), _field(dispute, "decision"): "upheld",
                                 _field(dispute, "reason"): "维持"})
    assert refused.status_code == 403
    db_session.refresh(dispute)
    assert dispute.status == "open"


@pytest.mark.parametrize("role", ["agency", "vendor", "admin"])
def test_only_coordinators_use_the_disputes_page(browser, actors, dispute, role):
    browser.sign_in(getattr(actors, role))
    assert browser.get("/coordinator/disputes").status_code == 403


def test_the_page_reads_in_english(english_browser, actors, dispute):
    english_browser.sign_in_in_english(actors.coordinator)
    page = english_browser.get("/coordinator/disputes").text
    assert "Waiting for a decision: 1" in page and "Have the lot inspected again" in page
