"""Administrators deactivating one organisation at the same moment (PostgreSQL): one change, audited once."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import func, select

from market.audit.models import AuditEvent
from tests.factories import OperatorFactory, OrganizationFactory
from tests.racing import RACERS, Committed, all_at_once


@pytest.mark.postgres_only
def test_many_deactivations_at_once_deactivate_the_organisation_once(race_app, race_server):
    with Committed(race_app) as data:
        agency = OrganizationFactory()
        operator = OperatorFactory()
        tokens = [data.user_token("admin", operator) for _ in range(RACERS)]
    url = f"{race_server}/api/v1/organizations/{agency.id}/active"
    codes = all_at_once([
        (lambda token=token: requests.post(url, json={"active": False}, timeout=60,
                                           headers={"Authorization": f"Bearer {token}"}))
        for token in tokens])
    assert codes == [200] * RACERS, codes
    with race_app.app_context():
        session = race_app.extensions["market.db"].sessionmaker()
        events = session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "organization.deactivated", AuditEvent.object_id == agency.id))
        session.close()
    assert events == 1
