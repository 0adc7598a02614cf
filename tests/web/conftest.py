"""A browser's view of the pages through the Flask test client: cookies kept, forms with their token."""

from __future__ import annotations

import contextvars
import datetime as dt
import re

import pytest

from tests.factories import PASSWORD

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
        """Load `page_path`, then post `data` to `action` with that page's CSRF token."""
        token = self.token(self.get(page_path))
        return self.post(action, data={"csrf_token": token, **data}, **kwargs)

    def sign_in(self, user, password: str = PASSWORD):
        response = self.submit("/login", "/login", {"email": user.email, "password": password})
        assert response.status_code == 302, response.text
        return response

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
