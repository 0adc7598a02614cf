"""Fuzzing every operation of the app's own OpenAPI document as each role, with schemathesis.

No generated request, valid or not, may get a 5xx, a status or content type the document does not
declare, or a body that does not match the declared response schema. New endpoints are picked up
from the document as they are added.

As an administrator every phase runs: the schema's examples, the coverage phase (boundaries,
missing and wrong-typed fields: the input is checked before the role, so once is enough) and random
valid and invalid requests. As the other roles and without a login, only random valid requests: what
differs per role is what the services do with input that passed validation. MARKET_FUZZ_EXAMPLES
sets the random requests per operation and role (default 30).
"""

from __future__ import annotations

import os
import tempfile
from decimal import Decimal

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from config import settings as market_settings
from market import create_app
from market.accounts import services as accounts
from market.api.fields import MAX_ID
from market.contracts.models import DeliveryLot, Dispute, Payment
from market.db import Base, utcnow
from market.notifications.services import notify
from tests.conftest import outer_transaction
from tests.factories import (
    ALL_FACTORIES,
    BidFactory,
    CapabilityFactory,
    ChangeRequestFactory,
    ContractFactory,
    OperatorFactory,
    OrderFactory,
    OrganizationFactory,
    QuestionFactory,
    UserFactory,
    VendorFactory,
)

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("MARKET_FUZZ_EXAMPLES", "30"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def fuzz_connection(app):
    """One outer transaction for the whole run: the requests add to it, the end rolls it back."""
    with outer_transaction(app) as conn:
        yield conn


@pytest.fixture(scope="module")
def fuzz_world(app, fuzz_connection):
    """A user of every role and objects of theirs to find: orders, a bid, a question, a contract, a
    change request."""
    # No app context is pushed here: Flask reuses a pushed context for requests in the same thread,
    # which would share `g` (the signed-in user, the session) between requests.
    session = app.extensions["market.db"].sessionmaker()
    for f in ALL_FACTORIES:
        f._meta.sqlalchemy_session = session
    try:
        operator = OperatorFactory()
        agency_org = OrganizationFactory()
        vendor_org = VendorFactory()
        CapabilityFactory(vendor=vendor_org.vendor_profile)
        ChangeRequestFactory(vendor=vendor_org.vendor_profile)
        VendorFactory(pending=True)
        users = {
            "admin": UserFactory(role="admin", organization=operator),
            "coordinator": UserFactory(role="coordinator", organization=operator),
            "agency": UserFactory(role="agency", organization=agency_org),
            "vendor": UserFactory(role="vendor", organization=vendor_org),
        }
        OrderFactory(draft=True, agency=agency_org)
        published = OrderFactory(agency=agency_org)
        BidFactory(order=published, vendor=vendor_org)
        QuestionFactory(order=published, asker=users["vendor"])
        contract = ContractFactory(order__agency=agency_org, vendor=vendor_org)
        _deliveries(session, contract)
        notify(session, users.values(), "order.evaluating",
               {"order_id": published.id, "title": published.title})
        session.commit()  # into the outer transaction, which the module's end rolls back
        yield session, users
    finally:
        for f in ALL_FACTORIES:
            f._meta.sqlalchemy_session = None
        session.close()


def _deliveries(session, contract) -> None:
    """Lots to find on the fuzz world's contract: one waiting, one accepted and payable, one rejected
    and disputed."""
    plan = dict(aql=Decimal("4.0"), inspection_level="II", severity="normal", size_code="H",
                code_letter="H", sample_size=50, accept_number=5, reject_number=6, sample_seed=7,
                sample_positions=list(range(1, 51)), item_count=500, checksum="sha256:00")
    waiting = DeliveryLot(volume=100, **plan)
    accepted = DeliveryLot(volume=100, status="accepted", sample_defects=0, decided_at=utcnow(),
                           **plan)
    rejected = DeliveryLot(volume=100, status="rejected", sample_defects=9, decided_at=utcnow(),
                           **plan)
    contract.lots.extend([waiting, accepted, rejected])
    session.flush()
    today = utcnow().date()
    session.add(Payment(contract=contract, lot=accepted, amount=Decimal("40.00"), accepted_on=today,
                        due_on=today))
    session.add(Dispute(lot=rejected, contract_id=contract.id, reason="抽样有误"))


# Path ids name their table (order_id: orders) except where the name is shorter than the table's.
ID_TABLES = {"org_id": "organizations", "run_id": "match_runs", "lot_id": "delivery_lots",
             "token_id": "api_tokens"}


def aim_at_existing_objects(case, session) -> None:
    """Point the even generated path ids at objects that exist, so requests also get past the 404.

    Deterministic in the generated value, so Hypothesis can still replay and shrink a failure; the
    odd ids and the out-of-range ones of the coverage phase are sent as generated.
    """
    for name, value in (case.path_parameters or {}).items():
        table = Base.metadata.tables.get(ID_TABLES.get(name, f"{name.removesuffix('_id')}s"))
        if table is None or not isinstance(value, int) or not 1 <= value <= MAX_ID or value % 2:
            continue
        ids = session.scalars(select(table.c.id).order_by(table.c.id)).all()
        if ids:
            case.path_parameters[name] = ids[value // 2 % len(ids)]


def _openapi_document() -> dict:
    """The app's OpenAPI document, built from the code alone, so tests are collected per operation.

    The document does not depend on the database, so a throwaway app on an unopened in-memory
    database gives the same document as the app under test.
    """
    app = create_app(
        market_settings.TestingConfig("sqlite://", INSTANCE_PATH=tempfile.gettempdir())
    )
    with app.test_client() as client:
        return client.get("/api/v1/openapi.json").get_json()


DOCUMENT = _openapi_document()
every_phase = schemathesis.openapi.from_dict(DOCUMENT, config=schemathesis.Config.from_dict({
    "phases": {"stateful": {"enabled": False}},
}))
valid_requests = schemathesis.openapi.from_dict(
    DOCUMENT,
    config=schemathesis.Config.from_dict(
        {
            "phases": {
                "examples": {"enabled": False},
                "coverage": {"enabled": False},
                "stateful": {"enabled": False},
            },
            "generation": {"mode": "positive"},
        }
    ),
)
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), print_blob=True
)


@pytest.fixture
def send(live_server, fuzz_world):
    """Send a generated case as `role` and check the response."""
    session, users = fuzz_world

    def send_as(role: str, case) -> None:
        aim_at_existing_objects(case, session)
        headers = {}
        if role != "anonymous":
            # A fresh token per request, so that a fuzzed logout cannot lock out the next request.
            token, _row = accounts.issue_token(session, users[role], ttl_hours=1)
            session.commit()
            headers["Authorization"] = f"Bearer {token}"
        case.call_and_validate(base_url=live_server, headers=headers, checks=CHECKS)

    return send_as


# Parametrized by role even for one role: under pytest 9 that puts the operation in the test id.
@pytest.mark.parametrize("role", ["admin"])
@FUZZ_SETTINGS
@every_phase.parametrize()
def test_no_request_by_an_administrator_gets_a_server_error_or_an_undocumented_response(
    case, send, role
):
    send(role, case)


@pytest.mark.parametrize("role", ["coordinator", "agency", "vendor", "anonymous"])
@FUZZ_SETTINGS
@valid_requests.parametrize()
def test_no_valid_request_by_another_role_gets_a_server_error_or_an_undocumented_response(
    case, send, role
):
    send(role, case)
