"""The served root says what the service is; the API reference is served with its assets by the app."""

from __future__ import annotations

import re

import pytest


@pytest.fixture
def client(app, connection):
    return app.test_client()


def test_the_root_says_what_the_service_is_and_links_what_anyone_can_use(client):
    page = client.get("/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "数据标注需求对接平台" in page.text
    links = re.findall(r'href="([^"#]+)"', page.text)
    assert {"/directory", "/api/v1/docs", "/api/v1/openapi.json"} <= set(links)
    for link in links:
        with client.get(link) as response:
            assert response.status_code == 200, link


def test_the_root_answers_json_to_a_client_that_asks_for_it(client):
    body = client.get("/", headers={"Accept": "application/json"}).get_json()
    assert body["links"]["openapi"] == "/api/v1/openapi.json"


def test_the_api_reference_loads_every_asset_from_the_app(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(asset.startswith("/api/v1/docs/assets/") for asset in assets), assets
    for asset in assets:
        with client.get(asset) as response:  # a file response: closed, or its file stays open
            assert response.status_code == 200 and len(response.data) > 200, asset


def test_an_asset_outside_the_bundle_is_404(client):
    for path in ("/api/v1/docs/assets/../../../etc/passwd", "/api/v1/docs/assets/nothing-here.js"):
        with client.get(path) as response:
            assert response.status_code == 404
