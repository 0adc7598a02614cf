"""The order services refuse the wrong actor themselves: a page calling them keeps API rules."""

from __future__ import annotations

import pytest

from market.errors import Forbidden, NotFound
from market.orders import services
from market.orders.schemas import OrderSchema
from tests.factories import OrderFactory, OrganizationFactory, QuestionFactory
from tests.orders.conftest import order_body


def draft_of(org):
    return OrderFactory(draft=True, agency=org)


@pytest.mark.parametrize("role", ["vendor", "coordinator", "admin"])
def test_only_agency_staff_draft_orders(db_session, actors, role):
    with pytest.raises(Forbidden):
        services.create_order(
            db_session, OrderSchema().load(order_body()), actor=getattr(actors, role)
        )


def test_agency_staff_draft_an_order_through_the_service(db_session, actors):
    order = services.create_order(db_session, OrderSchema().load(order_body()), actor=actors.agency)
    assert (order.status, order.agency_id) == ("draft", actors.agency.organization_id)


@pytest.mark.parametrize(
    "change",
    [
        lambda session, order, actor: services.update_order(
            session, order.id, {"title": "新标题"}, actor=actor
        ),
        lambda session, order, actor: services.delete_order(session, order.id, actor=actor),
        lambda session, order, actor: services.publish_order(session, order.id, actor=actor),
    ],
    ids=["update", "delete", "publish"],
)
def test_a_draft_is_changed_only_by_its_own_agency(db_session, actors, change):
    draft = draft_of(actors.agency.organization)
    with pytest.raises(Forbidden):
        change(db_session, draft, actors.coordinator)
    with pytest.raises(NotFound):
        change(db_session, draft, actors.user("agency"))
    assert draft.status == "draft" and draft.title != "新标题"


def test_vendors_and_other_agencies_cannot_cancel(db_session, actors):
    order = OrderFactory(agency=actors.agency.organization)
    with pytest.raises(Forbidden):
        services.cancel_order(db_session, order.id, actor=actors.vendor, reason="不需要了")
    with pytest.raises(NotFound):
        services.cancel_order(db_session, order.id, actor=actors.user("agency"), reason="不需要了")
    assert order.status == "published"


@pytest.mark.parametrize("role", ["agency", "coordinator", "admin"])
def test_only_vendors_ask_questions(db_session, actors, role):
    order = OrderFactory(agency=OrganizationFactory())
    with pytest.raises(Forbidden):
        services.ask_question(
            db_session, order.id, "是否需要标注遮挡目标？", actor=getattr(actors, role)
        )


def test_only_the_orders_agency_answers(db_session, actors):
    question = QuestionFactory(order=OrderFactory(agency=actors.agency.organization))
    with pytest.raises(Forbidden):
        services.answer_question(db_session, question.id, "需要。", actor=actors.vendor)
    with pytest.raises(NotFound):
        services.answer_question(db_session, question.id, "需要。", actor=actors.user("agency"))
    assert question.answered_at is None


def test_the_service_checks_an_orders_weights_with_the_engines_rule(db_session, actors):
    from market.errors import InvalidInput

    data = OrderSchema().load(order_body())
    data["scoring_weights"] = {"quality": 50, "price": 20, "capacity": 10, "local": 5, "fairness": 5}
    with pytest.raises(InvalidInput) as refused:
        services.create_order(db_session, data, actor=actors.agency)
    assert "sum to 100" in refused.value.errors["scoring_weights"][0]
