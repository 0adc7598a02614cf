"""Fuzzing every operation of the app's own OpenAPI document as each role, with schemathesis.

No generated request, valid or not, may get a 5xx, a status or content type the document does not
declare, or a body that does not match the declared response schema. New endpoints are picked up
from the document as they are added. MARKET_FUZZ_EXAMPLES sets the examples per operation and role.
"""

from __future__ import annotations

import os
import tempfile

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance, response_schema_conformance, status_code_conformance,
)

from config import settings as market_settings
from market import create_app
from market.accounts import services as accounts
from market.notifications.services import notify
from tests.factories import (
    ALL_FACTORIES, CapabilityFactory, OperatorFactory, OrganizationFactory, UserFactory, VendorFactory,
)

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("MARKET_FUZZ_EXAMPLES", "30"))
ROLES = ("admin", "coordinator", "agency", "vendor")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def fuzz_connection(app):
    """One outer transaction for the whole fuzz run: the generated requests add to it, the end rolls it back."""
    database = app.extensions["market.db"]
    conn = database.engine.connect()
    outer = conn.begin()
    database.bind_to(conn)
    yield conn
    database.bind_to(None)
    outer.rollback()
    conn.close()


@pytest.fixture(scope="module")
def fuzz_users(app, fuzz_connection):
    """A user of every role, with some data of their own for the fuzzer to find."""
    # No app context is pushed here: Flask reuses a pushed context for requests in the same thread,
    # which would share `g` (the signed-in user, the session) between requests.
    session = app.extensions["market.db"].sessionmaker()
    for f in ALL_FACTORIES:
        f._meta.sqlalchemy_session = session
    try:
        operator = OperatorFactory()
        vendor_org = VendorFactory()
        CapabilityFactory(vendor=vendor_org.vendor_profile)
        VendorFactory(verification_status="pending")
        users = {
            "admin": UserFactory(role="admin", organization=operator),
            "coordinator": UserFactory(role="coordinator", organization=operator),
            "agency": UserFactory(role="agency", organization=OrganizationFactory()),
            "vendor": UserFactory(role="vendor", organization=vendor_org),
        }
        notify(session, users.values(), "order.published", {"order_id": 1})
        session.commit()  # into the outer transaction, which the module's end rolls back
        yield session, users
    finally:
        for f in ALL_FACTORIES:
            f._meta.sqlalchemy_session = None
        session.close()


def _openapi_document() -> dict:
    """The app's OpenAPI document, built from the code alone, so the tests can be collected per operation.

    The document does not depend on the database, so a throwaway app on an unopened in-memory database
    gives the same document as the app under test.
    """
    app = create_app(market_settings.TestingConfig("sqlite://", INSTANCE_PATH=tempfile.gettempdir()))
    with app.test_client() as client:
        return client.get("/api/v1/openapi.json").get_json()


schema = schemathesis.openapi.from_dict(_openapi_document())


@pytest.fixture
def bearer(fuzz_users, role):
    """A fresh token per generated request, so a fuzzed logout cannot lock out the next request."""
    session, users = fuzz_users

    def issue() -> dict:
        token, _row = accounts.issue_token(session, users[role], ttl_hours=1)
        session.commit()
        return {"Authorization": f"Bearer {token}"}

    return issue


@pytest.mark.parametrize("role", ROLES)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), print_blob=True)
@schema.parametrize()
def test_no_request_gets_a_server_error_or_an_undocumented_response(live_server, case, bearer):
    case.call_and_validate(base_url=live_server, headers=bearer(), checks=CHECKS)
