"""An order's AQL for inspecting its delivered lots: a preferred AQL of GB/T 2828.1, or derived
from the accuracy target when none is set."""

from __future__ import annotations

from tests.conftest import assert_error
from tests.factories import OrderFactory
from tests.orders.conftest import order_body


def test_a_draft_without_an_aql_inspects_at_the_one_its_accuracy_target_implies(api, actors):
    response = api.post("/api/v1/orders", json=order_body(accuracy_target=0.99),
                        token=actors.token(actors.agency))
    assert response.status_code == 201, response.text
    assert response.json()["aql"] is None and response.json()["aql_in_force"] == "1.0"
    assert response.json()["sampling_level"] == "II"


def test_an_agency_sets_a_preferred_aql_as_written_in_the_standard(api, actors):
    response = api.post("/api/v1/orders", json=order_body(aql="0.650"),
                        token=actors.token(actors.agency))
    assert response.status_code == 201, response.text
    assert response.json()["aql"] == "0.65" and response.json()["aql_in_force"] == "0.65"


def test_an_aql_that_is_not_a_preferred_one_is_refused(api, actors):
    for aql in ("3", "0", "-1", "NaN", True):
        response = api.post("/api/v1/orders", json=order_body(aql=aql),
                            token=actors.token(actors.agency))
        assert_error(response, 422, "aql")


def test_the_aql_of_a_published_order_is_a_material_amendment(api, actors):
    order = OrderFactory(agency=actors.agency.organization)
    response = api.post(f"/api/v1/orders/{order.id}/amendments", token=actors.token(actors.agency),
                        json={"aql": "2.5", "note": "按行业规范调整验收质量限"})
    assert response.status_code == 201, response.text
    assert response.json()["material"] is True
    assert api.get(f"/api/v1/orders/{order.id}", token=actors.token(actors.agency)).json()["aql"] == "2.5"
