"""One error shape for 422: a flat map from each field's path to its messages, wherever the input was."""

from __future__ import annotations

import datetime as dt

from tests.conftest import assert_error
from tests.factories import OrderFactory
from tests.orders.conftest import order_body


def test_a_body_field_is_named_by_its_name(api, actors):
    body = assert_error(
        api.post(
            "/api/v1/orders", json=order_body(volume="many"), token=actors.token(actors.agency)
        ),
        422,
    )
    assert set(body["errors"]) == {"volume"}


def test_a_nested_field_is_named_by_its_path(api, actors):
    weights = {"quality": 40, "price": 25, "capacity": 15, "local": 10, "fairness": "a lot"}
    body = assert_error(api.post("/api/v1/orders", json=order_body(scoring_weights=weights),
                                 token=actors.token(actors.agency)), 422)
    assert set(body["errors"]) == {"scoring_weights.fairness"}


def test_a_rule_across_an_objects_fields_is_filed_under_the_object(api, actors):
    weights = {"weights": {"quality": 50, "price": 25, "capacity": 15, "local": 10, "fairness": 10}}
    body = assert_error(
        api.put("/api/v1/scoring-policy", json=weights, token=actors.token(actors.coordinator)), 422
    )
    assert list(body["errors"]) == ["weights"]


def test_an_item_of_a_list_is_named_by_its_index(api, actors):
    item = {
        "modality": "image",
        "annotation_type": "bbox",
        "throughput_per_seat_day": 500,
        "unit_price": "x",
    }
    body = assert_error(
        api.put(
            f"/api/v1/vendors/{actors.vendor.organization_id}/capabilities",
            json={"capabilities": [item]},
            token=actors.token(actors.vendor),
        ),
        422,
    )
    assert set(body["errors"]) == {"capabilities[0].unit_price"}


def test_a_rule_of_the_service_between_fields_has_the_same_shape(api, actors):
    closes = dt.datetime(2027, 3, 1, 17, tzinfo=dt.UTC)
    body = assert_error(
        api.post(
            "/api/v1/orders",
            json=order_body(
                bidding_closes_at=closes.isoformat(),
                delivery_deadline=(closes - dt.timedelta(days=1)).isoformat(),
            ),
            token=actors.token(actors.agency),
        ),
        422,
    )
    assert set(body["errors"]) == {"bidding_closes_at"}


def test_an_unknown_query_parameter_is_refused_like_an_unknown_body_field(api):
    body = assert_error(api.get("/api/v1/directory", params={"sectr": "transport"}), 422)
    assert set(body["errors"]) == {"sectr"}


def test_a_bad_query_parameter_is_named_without_its_location(api):
    body = assert_error(api.get("/api/v1/directory", params={"per_page": "0"}), 422)
    assert set(body["errors"]) == {"per_page"}


def test_date_filters_take_a_plain_date_for_the_whole_day(api, actors, db_session):
    closes = dt.datetime(2031, 5, 20, 15, 0, tzinfo=dt.UTC)  # 23:00 in Guiyang
    order = OrderFactory(bidding_closes_at=closes, delivery_deadline=closes + dt.timedelta(days=30))
    db_session.flush()

    def ids(**params):
        response = api.get("/api/v1/directory", params=params)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert order.id in ids(closes_after="2031-05-20", closes_before="2031-05-20")
    assert order.id not in ids(closes_before="2031-05-19")
    assert order.id not in ids(closes_after="2031-05-21")
    assert_error(
        api.get("/api/v1/directory", params={"closes_after": "2031-02-30"}), 422, "closes_after"
    )
