"""Change requests under concurrent requests: one decision each, one pending request per vendor."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import select

from market.audit.models import AuditEvent
from market.organizations.models import ChangeRequest, VendorProfile
from tests.factories import ChangeRequestFactory, OperatorFactory, VendorFactory
from tests.racing import RACERS, Committed, all_at_once


def _call(method, url, token, body):
    return lambda: requests.request(method, url, json=body, timeout=60,
                                    headers={"Authorization": f"Bearer {token}"})


@pytest.mark.postgres_only
def test_coordinators_deciding_one_request_at_once_decide_it_exactly_once(race_app, race_server):
    with Committed(race_app) as data:
        operator = OperatorFactory()
        tokens = [data.user_token("coordinator", operator) for _ in range(2)]
        firm = VendorFactory(clearance="important")
        change = ChangeRequestFactory(vendor=firm.vendor_profile)
    url = f"{race_server}/api/v1/change-requests/{change.id}"
    calls = [_call("POST", f"{url}/{('approve', 'reject')[i % 2]}", tokens[i % 2], {"reason": "核验"})
             for i in range(RACERS)]
    codes = all_at_once(calls)
    assert sorted(codes) == [200] + [409] * (RACERS - 1), codes
    with race_app.app_context(), race_app.extensions["market.db"].sessionmaker() as session:
        decisions = session.scalars(select(AuditEvent.action).where(
            AuditEvent.object_type == "change_request", AuditEvent.object_id == change.id)).all()
        assert len(decisions) == 1
        clearance = session.get(VendorProfile, firm.id).clearance
        assert clearance == ("core" if decisions == ["change_request.approved"] else "important")


@pytest.mark.postgres_only
def test_staff_asking_at_once_leave_one_pending_request_holding_every_raise(race_app, race_server):
    with Committed(race_app) as data:
        firm = VendorFactory(clearance="important", onsite_possible=False, seats=100,
                             certifications=("ISO 27001",))
        tokens = [data.token(firm) for _ in range(2)]
    raises = [{"clearance": "core"}, {"onsite_possible": True}, {"seats": 500},
              {"certifications": ["ISO 27001", "DSMM 3"]}]
    url = f"{race_server}/api/v1/organizations/{firm.id}"
    calls = [_call("PATCH", url, tokens[i % 2], {"vendor_profile": raises[i % len(raises)]})
             for i in range(RACERS)]
    codes = all_at_once(calls)
    assert codes == [200] * RACERS, codes
    with race_app.app_context(), race_app.extensions["market.db"].sessionmaker() as session:
        pending = session.scalars(select(ChangeRequest).where(
            ChangeRequest.vendor_id == firm.id, ChangeRequest.status == "pending")).all()
        assert len(pending) == 1
        assert pending[0].requested == {"clearance": "core", "onsite_possible": True, "seats": 500,
                                        "certifications": ["ISO 27001", "DSMM 3"]}
        assert session.get(VendorProfile, firm.id).clearance == "important"
