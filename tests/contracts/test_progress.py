"""Progress reports: the vendor reports the volume done, only forward; the order starts with them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from market.audit.models import AuditEvent
from market.contracts.models import ProgressReport
from market.contracts.progress import notify_overdue_contracts
from market.db import utcnow
from market.notifications.models import Notification
from tests.conftest import assert_error
from tests.factories import ContractFactory, VendorFactory


def url(deal) -> str:
    return f"/api/v1/contracts/{deal.contract.id}/progress"


def reports(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(ProgressReport))


def test_the_vendor_reports_progress_and_the_awarded_order_is_in_progress(api, actors, deal, db_session):
    response = api.post(url(deal), json={"volume_done": 400, "note": "首批完成"},
                        token=actors.token(deal.vendor))
    assert response.status_code == 201, response.text
    assert response.json()["volume_done"] == 400
    db_session.expire_all()
    assert deal.contract.order.status == "in_progress"
    first, second, _last = deal.contract.milestones
    assert first.reported_volume == 300 and first.completed_at is not None
    assert second.reported_volume == 400 and second.completed_at is None
    assert response.json()["milestone_id"] == second.id
    assert db_session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "contract.progress_reported")) == 1


def test_a_report_that_goes_backwards_or_past_the_volume_is_refused_and_stores_nothing(
    api, actors, deal, db_session
):
    token = actors.token(deal.vendor)
    assert api.post(url(deal), json={"volume_done": 600}, token=token).status_code == 201
    for done in (600, 500, 1001):
        assert_error(api.post(url(deal), json={"volume_done": done}, token=token), 422,
                     "volume_done")
    assert reports(db_session) == 1


def test_the_agency_cannot_report_progress(api, actors, deal, db_session):
    assert_error(api.post(url(deal), json={"volume_done": 10}, token=actors.token(deal.agency)), 403)
    assert reports(db_session) == 0


def test_another_vendors_contract_is_not_found(api, actors, deal):
    other = ContractFactory(vendor=VendorFactory())
    response = api.post(f"/api/v1/contracts/{other.id}/progress", json={"volume_done": 10},
                        token=actors.token(deal.vendor))
    assert_error(response, 404)


def test_a_terminated_contract_takes_no_report(api, actors, deal, db_session):
    deal.contract.status = "terminated"
    deal.contract.terminated_at = deal.contract.starts_at
    db_session.flush()
    assert_error(api.post(url(deal), json={"volume_done": 10}, token=actors.token(deal.vendor)), 409)


def test_an_overdue_contract_is_shown_and_told_once(api, actors, deal, db_session):
    deal.contract.deadline = utcnow() - dt.timedelta(hours=1)
    db_session.flush()
    body = api.get(f"/api/v1/contracts/{deal.contract.id}", token=actors.token(deal.agency)).json()
    assert body["overdue"] is True
    assert notify_overdue_contracts(db_session) == 1
    assert notify_overdue_contracts(db_session) == 0
    told = db_session.scalars(select(Notification.recipient_id).where(
        Notification.kind == "contract.overdue")).all()
    assert sorted(told) == sorted([deal.agency.id, deal.vendor.id, deal.coordinator.id])
