"""The one error shape, for every way a request can go wrong before or inside a view."""

from __future__ import annotations

import pytest

from market.errors import Conflict, handle_domain_error
from market.i18n import N_
from market.labels import Label
from tests.conftest import assert_error
from tests.factories import OrderFactory

LOGIN = "/api/v1/auth/tokens"
JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    "path", ["/api/v1/no-such-thing", "/no-such-page", "/api/v1/organizations/1/nope"]
)
def test_an_unknown_path_is_404(api, path):
    assert_error(api.get(path), 404)


@pytest.mark.parametrize("method, path", [
    ("DELETE", "/api/v1/me"),
    ("PUT", LOGIN),
    ("POST", "/api/v1/audit-events"),
    ("DELETE", "/api/v1/organizations/1"),
])
def test_a_wrong_method_is_405_with_the_allowed_ones(api, method, path):
    response = api.request(method, path)
    assert_error(response, 405)
    assert response.headers["Allow"]


def test_malformed_json_is_400(api):
    assert_error(api.post(LOGIN, data='{"email": ', headers=JSON), 400)


def test_a_body_that_is_not_utf8_is_400(api):
    assert_error(api.post(LOGIN, data=b'{"email": "\xff"}', headers=JSON), 400)


def test_json_nested_too_deeply_to_parse_is_400(api):
    assert_error(api.post(LOGIN, data="[" * 100_000 + "]" * 100_000, headers=JSON), 400)


def test_an_oversized_body_is_413(api, actors):
    response = api.post(
        "/api/v1/organizations",
        data=b"{" + b" " * (2 * 1024 * 1024) + b"}",
        headers=JSON,
        token=actors.token(actors.admin),
    )
    assert_error(response, 413)


@pytest.mark.parametrize("content_type, data", [
    ("text/plain", '{"email": "a@example.cn", "password": "x"}'),
    ("application/x-www-form-urlencoded", "email=a%40example.cn&password=x"),
    ("multipart/form-data; boundary=xyz", "--xyz--"),
])
def test_a_body_that_is_not_json_is_415(api, content_type, data):
    body = assert_error(api.post(LOGIN, data=data, headers={"Content-Type": content_type}), 415)
    assert "application/json" in body["message"]


def test_no_body_at_all_is_422_naming_the_missing_fields(api):
    assert_error(api.post(LOGIN), 422, "email", "password")


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "42", "null"])
def test_a_json_body_that_is_not_an_object_is_422(api, body):
    assert_error(api.post(LOGIN, data=body, headers=JSON), 422)


def test_an_unknown_field_is_422_naming_it(api):
    body = {"email": "a@example.cn", "password": "x", "remember_me": True}
    assert_error(api.post(LOGIN, json=body), 422, "remember_me")


def test_a_field_of_the_wrong_type_is_422_naming_it(api):
    assert_error(api.post(LOGIN, json={"email": 12, "password": ["x"]}), 422, "email", "password")


@pytest.mark.parametrize("org_id", [str(2**31), str(2**63), "9" * 40, "0", "-1", "1.5", "1e3"])
def test_a_path_id_outside_the_database_range_is_404(api, actors, org_id):
    assert_error(api.get(f"/api/v1/organizations/{org_id}", token=actors.token(actors.admin)), 404)


def test_the_largest_path_id_is_an_ordinary_404(api, actors):
    body = assert_error(
        api.get(f"/api/v1/organizations/{2**31 - 1}", token=actors.token(actors.admin)), 404
    )
    assert str(2**31 - 1) in body["message"]


@pytest.mark.parametrize(
    "params", [{"page": 2**63}, {"per_page": "-1"}, {"page": "1e9"}, {"page": "NaN"}]
)
def test_out_of_range_paging_is_422(api, actors, params):
    response = api.get("/api/v1/organizations", params=params, token=actors.token(actors.admin))
    assert_error(response, 422, *params)


def test_a_nul_character_in_a_body_is_422_naming_the_field(api, actors):
    org_id = actors.vendor.organization_id
    response = api.patch(f"/api/v1/organizations/{org_id}", json={"description": "a\u0000b"},
                         token=actors.token(actors.vendor))
    assert_error(response, 422, "description")


def test_a_nul_character_deep_in_a_body_is_422_with_its_path(api, actors):
    capability = {"modality": "image", "annotation_type": "bbox", "throughput_per_seat_day": 5,
                  "unit_price": "1", "evidence": "\u0000"}
    response = api.put(f"/api/v1/vendors/{actors.vendor.organization_id}/capabilities",
                       json={"capabilities": [capability]}, token=actors.token(actors.vendor))
    assert_error(response, 422, "capabilities[0].evidence")


def test_an_unpaired_surrogate_in_a_body_is_422(api):
    response = api.post(
        LOGIN, data='{"email": "a@example.cn", "password": "\\ud800"}', headers=JSON
    )
    assert_error(response, 422, "password")


def test_a_nul_character_in_a_query_is_422(api, actors):
    response = api.get("/api/v1/organizations?q=%00", token=actors.token(actors.admin))
    assert_error(response, 422, "q")


def test_a_server_error_is_rendered_in_the_error_shape_without_details(app, api, monkeypatch):
    from market.accounts import views

    def explode():
        raise RuntimeError("secret internals")

    monkeypatch.setattr(views, "current_user", explode)
    response = api.get("/api/v1/me")
    body = assert_error(response, 500)
    assert "secret" not in response.text
    assert body["errors"] == {}


def test_an_oversized_chunked_body_is_413(live_api, actors):
    # No Content-Length: the limit must hold while the body streams in. Over real HTTP, since what
    # the app gets for a chunked body (no length, an input stream marked as terminated) is the
    # server's doing.
    def chunks():
        yield b"{"
        for _ in range(40):
            yield b" " * 65536
        yield b"}"

    response = live_api.post("/api/v1/organizations", data=chunks(), headers=JSON,
                             token=actors.token(actors.admin))
    assert_error(response, 413)


def test_a_conflicts_message_is_in_the_readers_saved_language_else_the_one_asked_for(api, actors, db_session):
    order = OrderFactory(agency=actors.agency.organization)
    token = actors.token(actors.agency)

    def refused(**headers):
        return assert_error(api.post(f"/api/v1/orders/{order.id}/publish", token=token, headers=headers), 409)

    # The saved language wins over the one the client asks for, as on the pages.
    assert refused(**{"Accept-Language": "en"})["message"] == f"订单 {order.id} 当前为“投标中”；只有草稿可以发布。"
    actors.agency.locale = "en"
    db_session.flush()
    assert refused()["message"] == f"Order {order.id} is “Open for bids”; only a draft can be published."


def test_an_anonymous_readers_conflict_is_in_the_language_asked_for_else_english(app):
    conflict = Conflict(N_("Order %(order)s is “%(status)s”; only a draft can be published."),
                        params={"order": 7, "status": Label("evaluating", "status")})
    for header, expected in (("zh-CN,zh;q=0.9", "订单 7 当前为“评审中”；只有草稿可以发布。"),
                             ("en-GB", "Order 7 is “Evaluating”; only a draft can be published."),
                             (None, "Order 7 is “Evaluating”; only a draft can be published.")):
        headers = {"Accept": "application/json"} | ({"Accept-Language": header} if header else {})
        with app.test_request_context("/api/v1/orders/7/publish", method="POST", headers=headers):
            assert handle_domain_error(conflict).get_json()["message"] == expected
    assert conflict.message == "Order 7 is “Evaluating”; only a draft can be published."  # logs, jobs
