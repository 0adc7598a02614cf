"""The approval queue: each proposal with its score breakdown and the bids it beat; approving and
rejecting with a reason; a proposal superseded or decided already; separation of duties."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from market.allocations import runs
from market.allocations.models import Allocation
from market.audit.models import AuditEvent
from market.contracts.models import Contract
from tests.allocations.conftest import capable_vendor, evaluating_order
from tests.factories import BidFactory


@pytest.fixture
def proposed(actors, db_session, factories):
    """An unsplittable order under evaluation, two eligible bids and one over budget, matched once."""
    order = evaluating_order(actors.agency.organization, title="高速卡口车辆框标注", splittable=False)
    winner, runner_up, pricey = (capable_vendor(proficiency=p, name=n) for p, n in (
        (0.9, "贵阳优标科技有限公司"), (0.6, "铜仁慧眼数据有限公司"), (0.8, "黔南高价标注有限公司")))
    for vendor, price in ((winner, "0.30"), (runner_up, "0.45"), (pricey, "0.80")):
        actors.user("vendor", organization=vendor)
        BidFactory(order=order, vendor=vendor, unit_price=Decimal(price), volume=order.volume)
    db_session.flush()
    runs.run_matching(db_session, actor=actors.coordinator, time_limit=5)
    allocation = db_session.scalar(select(Allocation).where(Allocation.order_id == order.id,
                                                            Allocation.status == "proposed"))
    assert allocation is not None and allocation.vendor_id == winner.id
    return {"order": order, "allocation": allocation, "runner_up": runner_up, "pricey": pricey}


def _events(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(AuditEvent))


@pytest.mark.parametrize("role", ["agency", "vendor"])
def test_only_coordinators_read_and_decide_proposals(browser, actors, proposed, role):
    browser.sign_in(getattr(actors, role))
    order_id, allocation_id = proposed["order"].id, proposed["allocation"].id
    assert browser.get("/coordinator/proposals").status_code == 403
    assert browser.get(f"/coordinator/orders/{order_id}/proposals").status_code == 403
    token = browser.token(browser.get("/"))
    assert browser.post(f"/coordinator/allocations/{allocation_id}/approve",
                        data={"csrf_token": token, f"approve-{allocation_id}-reason": "评分最高"}).status_code == 403


def test_the_queue_lists_the_order_and_its_page_explains_the_scores(browser, actors, proposed):
    browser.sign_in(actors.coordinator)
    order = proposed["order"]
    queue = browser.get("/coordinator/proposals")
    assert queue.status_code == 200 and order.title in queue.text
    page = browser.get(f"/coordinator/orders/{order.id}/proposals")
    assert page.status_code == 200
    text = page.text
    assert "贵阳优标科技有限公司" in text and "质量" in text and "价格" in text
    assert 'class="scorebar" aria-hidden="true"' in text and 'style=' not in text
    assert "铜仁慧眼数据有限公司" in text and "黔南高价标注有限公司" in text
    assert "预算" in text  # the pricey bid is refused over the budget ceiling, and says so


def test_an_unknown_order_or_allocation_is_not_found(browser, actors, proposed):
    browser.sign_in(actors.coordinator)
    assert browser.get("/coordinator/orders/999999/proposals").status_code == 404
    token = browser.token(browser.get("/coordinator/"))
    assert browser.post("/coordinator/allocations/999999/approve",
                        data={"csrf_token": token, "approve-999999-reason": "x"}).status_code == 404


def test_approving_needs_a_reason_beside_the_field_and_stores_nothing(browser, actors, proposed, db_session):
    browser.sign_in(actors.coordinator)
    order, allocation = proposed["order"], proposed["allocation"]
    page = f"/coordinator/orders/{order.id}/proposals"
    before = _events(db_session)
    refused = browser.submit(page, f"/coordinator/allocations/{allocation.id}/approve",
                             {f"approve-{allocation.id}-reason": " ", f"approve-{allocation.id}-note": "复核人：李"})
    assert refused.status_code == 422
    assert f'id="error-approve-{allocation.id}-reason"' in refused.text and "复核人：李" in refused.text
    db_session.refresh(allocation)
    assert allocation.status == "proposed" and _events(db_session) == before


def test_a_decision_without_the_forms_token_is_refused(browser, actors, proposed, db_session):
    browser.sign_in(actors.coordinator)
    allocation = proposed["allocation"]
    refused = browser.post(f"/coordinator/allocations/{allocation.id}/approve",
                           data={f"approve-{allocation.id}-reason": "评分最高"})
    assert refused.status_code == 400
    db_session.refresh(allocation)
    assert allocation.status == "proposed"


def test_approving_with_a_reason_makes_the_contract(browser, actors, proposed, db_session):
    browser.sign_in(actors.coordinator)
    order, allocation = proposed["order"], proposed["allocation"]
    page = f"/coordinator/orders/{order.id}/proposals"
    done = browser.submit(page, f"/coordinator/allocations/{allocation.id}/approve",
                          {f"approve-{allocation.id}-reason": "综合评分最高",
                           f"approve-{allocation.id}-note": "内部复核通过"})
    assert done.status_code == 302
    db_session.refresh(allocation)
    assert allocation.status == "approved" and allocation.note == "内部复核通过"
    assert db_session.scalar(select(Contract).where(Contract.bid_id == allocation.bid_id)) is not None
    shown = browser.get(page).text
    assert "撮合方案已批准" in shown and "综合评分最高" in shown and "内部复核通过" in shown


def test_a_proposal_decided_already_is_said_plainly_not_as_an_error_page(browser, actors, proposed, db_session):
    browser.sign_in(actors.coordinator)
    order, allocation = proposed["order"], proposed["allocation"]
    page = f"/coordinator/orders/{order.id}/proposals"
    token = browser.token(browser.get(page))
    browser.post(f"/coordinator/allocations/{allocation.id}/reject",
                 data={"csrf_token": token, f"reject-{allocation.id}-reason": "产能存疑"})
    late = browser.post(f"/coordinator/allocations/{allocation.id}/approve",
                        data={"csrf_token": token, f"approve-{allocation.id}-reason": "评分最高"})
    assert late.status_code == 409
    assert 'id="conflict"' in late.text and "此撮合方案已无法审核" in late.text
    assert "已有人先行审核" in late.text and "已驳回" in late.text and "产能存疑" in late.text
    db_session.refresh(allocation)
    assert allocation.status == "rejected"


def test_a_superseded_proposal_says_so(browser, actors, proposed, db_session):
    allocation = proposed["allocation"]
    runs.run_matching(db_session, actor=actors.coordinator, time_limit=5)  # a newer run
    db_session.refresh(allocation)
    assert allocation.status == "superseded"
    browser.sign_in(actors.coordinator)
    page = f"/coordinator/orders/{proposed['order'].id}/proposals"
    token = browser.token(browser.get(page))
    late = browser.post(f"/coordinator/allocations/{allocation.id}/reject",
                        data={"csrf_token": token, f"reject-{allocation.id}-reason": "价格偏高"})
    assert late.status_code == 409 and 'id="conflict"' in late.text and "新一轮撮合已于" in late.text


def test_a_coordinator_of_the_orders_organisation_sees_why_they_cannot_decide(browser, actors, proposed,
                                                                            db_session):
    own = actors.user("coordinator", organization=proposed["order"].agency)
    browser.sign_in(own)
    page = browser.get(f"/coordinator/orders/{proposed['order'].id}/proposals")
    assert page.status_code == 200 and 'id="own-order"' in page.text and "职责分离" in page.text
    assert "/approve" not in page.text
    allocation = proposed["allocation"]
    refused = browser.post(f"/coordinator/allocations/{allocation.id}/approve",
                           data={"csrf_token": browser.token(page), f"approve-{allocation.id}-reason": "评分最高"})
    assert refused.status_code == 403
    db_session.refresh(allocation)
    assert allocation.status == "proposed"


def test_rejecting_in_english_needs_a_reason_and_then_excludes_the_pair(english_browser, actors, proposed,
                                                                        db_session):
    english_browser.sign_in(actors.coordinator)
    english_browser.submit("/", "/language", {"lang": "en", "next": "/"})
    order, allocation = proposed["order"], proposed["allocation"]
    page = f"/coordinator/orders/{order.id}/proposals"
    assert "The competing bids in the same run" in english_browser.get(page).text
    refused = english_browser.submit(page, f"/coordinator/allocations/{allocation.id}/reject",
                                     {f"reject-{allocation.id}-reason": ""})
    assert refused.status_code == 422 and f'href="#field-reject-{allocation.id}-reason"' in refused.text
    done = english_browser.submit(page, f"/coordinator/allocations/{allocation.id}/reject",
                                  {f"reject-{allocation.id}-reason": "Seats are overcommitted"})
    assert done.status_code == 302
    db_session.refresh(allocation)
    assert allocation.status == "rejected" and allocation.reason == "Seats are overcommitted"
    assert "The match is rejected" in english_browser.get(page).text


def test_each_proposal_shows_the_firms_seat_load_per_iso_week_without_and_with_it(browser, actors, proposed):
    browser.sign_in(actors.coordinator)
    page = browser.get(f"/coordinator/orders/{proposed['order'].id}/proposals").text
    assert "贵阳优标科技有限公司 每周工位负荷（不含与含本方案）" in page
    assert "-W" in page and "在履行合同占用" in page and "含本方案的工位占用率" in page


def test_a_firm_rejected_before_is_named_in_the_third_person_on_the_coordinators_page(browser, actors,
                                                                                    proposed, db_session):
    # The reason a bid lost is worded for whoever reads it: the firm reads "贵企业" (your firm), a
    # coordinator weighing the competing bids reads "该企业" (this firm).
    browser.sign_in(actors.coordinator)
    order, allocation = proposed["order"], proposed["allocation"]
    page = f"/coordinator/orders/{order.id}/proposals"
    browser.submit(page, f"/coordinator/allocations/{allocation.id}/reject",
                   {f"reject-{allocation.id}-reason": "工位已超负荷"})
    runs.run_matching(db_session, actor=actors.coordinator, time_limit=5)
    text = browser.get(page).text
    assert "协调员已就此订单驳回该企业。" in text
    assert "贵企业" not in text
