"""No list endpoint of the API runs more queries for a longer page (no N+1), on a small province."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event, select

from market.accounts import services as accounts
from market.accounts.models import User
from market.contracts.models import Contract
from market.demo.scale import seed_scale
from market.orders.models import Order

# (who, path): every paginated list of the API; {order}, {contract} are filled in below.
LISTS = (
    (None, "/api/v1/directory"),
    (None, "/api/v1/directory/awards"),
    ("agency", "/api/v1/orders"),
    ("agency", "/api/v1/orders/{order}/bids"),
    ("agency", "/api/v1/orders/{order}/questions"),
    ("agency", "/api/v1/orders/{order}/amendments"),
    ("agency", "/api/v1/contracts"),
    ("agency", "/api/v1/notifications"),
    ("vendor", "/api/v1/bids"),
    ("vendor", "/api/v1/orders"),
    ("vendor", "/api/v1/contracts"),
    ("vendor", "/api/v1/contracts/{contract}/lots"),
    ("coordinator", "/api/v1/allocations"),
    ("coordinator", "/api/v1/match-runs"),
    ("coordinator", "/api/v1/contracts"),
    ("coordinator", "/api/v1/orders"),
    ("coordinator", "/api/v1/organizations?kind=vendor"),  # agencies first would load no profiles
    ("coordinator", "/api/v1/change-requests"),
    ("coordinator", "/api/v1/job-runs"),
    ("admin", "/api/v1/users"),
    ("admin", "/api/v1/audit-events"),
    ("admin", "/api/v1/outbox-emails"),
)


@contextmanager
def counted(connection):
    statements = []

    def before(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(connection, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", before)


def test_no_list_endpoint_runs_more_queries_for_a_longer_page(api, db_session, connection):
    seed_scale(db_session, orders=900, vendors=60, bids_per_order=6, seed=5)
    tokens = {}
    for role in ("agency", "vendor", "coordinator", "admin"):
        user = db_session.scalar(select(User).where(User.email == f"{role}@demo.market.cn"))
        tokens[role], _ = accounts.issue_token(db_session, user, ttl_hours=1)
    agency = db_session.scalar(select(User).where(User.email == "agency@demo.market.cn")).organization_id
    vendor = db_session.scalar(select(User).where(User.email == "vendor@demo.market.cn")).organization_id
    order = db_session.scalar(select(Order.id).where(Order.agency_id == agency, Order.status == "completed")
                              .order_by(Order.id))
    contract = db_session.scalar(select(Contract.id).where(Contract.vendor_id == vendor).order_by(Contract.id))
    db_session.flush()
    grew, short = [], []
    for role, path in LISTS:
        path = path.format(order=order, contract=contract)
        counts, sizes = [], []
        for per_page in (5, 50):
            with counted(connection) as statements:
                response = api.get(path, params={"per_page": per_page}, token=tokens.get(role))
            assert response.status_code == 200, (path, response.text)
            counts.append(len(statements))
            sizes.append(len(response.json()["items"]))
        if counts[1] > counts[0]:
            grew.append((role, path, counts, sizes))
        if sizes[1] <= 5 and path in ("/api/v1/directory", "/api/v1/orders", "/api/v1/bids", "/api/v1/contracts",
                                      "/api/v1/allocations"):
            short.append((role, path, sizes))
    assert grew == [], grew
    assert short == [], short  # the main lists do hold longer pages here, so the test can fail
