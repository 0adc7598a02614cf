"""A browser's view of the pages through the Flask test client: cookies kept, forms with their token."""

from __future__ import annotations

import contextvars
import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from market.contracts import lots
from market.contracts.models import DeliveryLot
from tests.contracts.conftest import Deal, lot_body
from tests.factories import PASSWORD, ContractFactory, OrderFactory

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """Requests as a browser sends them: cookies kept between requests, forms posted with the CSRF
    token of the page they came from (`submit`), each request in its own context."""

    def __init__(self, app, language: str = "zh-CN"):
        self.client = app.test_client()
        self.language = language

    def _open(self, path, **kwargs):
        headers = {"Accept-Language": self.language, "Accept": "text/html", **kwargs.pop("headers", {})}
        return contextvars.Context().run(self.client.open, path, headers=headers, buffered=True, **kwargs)

    def get(self, path, **kwargs):
        return self._open(path, method="GET", **kwargs)

    def post(self, path, data=None, **kwargs):
        return self._open(path, method="POST", data=data or {}, **kwargs)

    def token(self, page) -> str:
        found = _TOKEN.search(page.text)
        assert found, "the page has no form with a CSRF token"
        return found.group(1)

    def submit(self, page_path: str, action: str, data: dict, **kwargs):
        """Load `page_path`, then post `data` to `action` with that page's CSRF token, when it has
        one (the language form of a public page read by a visitor not signed in has none)."""
        found = _TOKEN.search(self.get(page_path).text)
        token = {"csrf_token": found.group(1)} if found else {}
        return self.post(action, data={**token, **data}, **kwargs)

    def sign_in(self, user, password: str = PASSWORD):
        response = self.submit("/login", "/login", {"email": user.email, "password": password})
        assert response.status_code == 302, response.text
        return response

    def sign_in_in_english(self, user):
        """Sign in and choose English, which is saved for the user (their other sessions too)."""
        self.sign_in(user)
        self.submit("/", "/language", {"lang": "en", "next": "/"})

    def cookie(self, name: str):
        return self.client.get_cookie(name)


def bid_terms(order, **overrides) -> dict:
    """A bid form's fields as a vendor fills them in for terms that fit `order`."""
    terms = {"unit_price": "0.35", "volume": str(order.volume), "seats_committed": "20",
             "proposed_finish_date": (order.delivery_deadline - dt.timedelta(days=5)).date().isoformat(),
             "technical_note": "双人复核"}
    return terms | overrides


@pytest.fixture
def browser(app, connection) -> Browser:
    return Browser(app)


@pytest.fixture
def english_browser(app, connection) -> Browser:
    return Browser(app, language="en-GB,en;q=0.9")


@pytest.fixture
def deal(actors) -> Deal:
    """A running contract of 1,000 boxes at 0.40 CNY between `actors.agency` and `actors.vendor`."""
    order = OrderFactory(awarded=True, agency=actors.agency.organization, volume=1000,
                         title="道路视频标注合同")
    contract = ContractFactory(order=order, vendor=actors.vendor.organization, volume=1000)
    return Deal(contract, actors.agency, actors.vendor, actors.coordinator)


def handed_in(db_session, deal: Deal, **body) -> DeliveryLot:
    """A lot the vendor handed in through the lots service."""
    lot = lots.submit_lot(db_session, deal.contract.id, lot_body(**body), actor=deal.vendor)
    db_session.flush()
    return lot


def decided(db_session, deal: Deal, lot: DeliveryLot, nonconforming: int) -> DeliveryLot:
    """The lot inspected by the agency with `nonconforming` items found in its sample."""
    lots.inspect_lot(db_session, lot.id, {"nonconforming": nonconforming}, actor=deal.agency)
    db_session.flush()
    return lot


def count(db_session, model) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


def rejected(db_session, deal: Deal) -> DeliveryLot:
    """A lot handed in and rejected by its plan (the reject number found in its sample)."""
    lot = handed_in(db_session, deal)
    return decided(db_session, deal, lot, lot.reject_number)
