"""Clarification questions: vendors ask while bidding is open, the agency answers once."""

from __future__ import annotations

import pytest

from tests.conftest import assert_error
from tests.factories import OrderFactory, OrganizationFactory, QuestionFactory, VendorFactory


def test_a_vendor_asks_and_the_agency_staff_are_told(api, actors, audit_actions, notifications):
    order = OrderFactory(agency=actors.agency.organization)
    colleague = actors.user("agency", actors.agency.organization)
    response = api.post(f"/api/v1/orders/{order.id}/questions", token=actors.token(actors.vendor),
                        json={"text": "是否需要标注遮挡车辆？"})
    assert response.status_code == 201, response.text
    question = response.json()
    assert question["order_id"] == order.id and question["answer"] is None
    assert (
        question["vendor_id"] == actors.vendor.organization_id
    )  # the asker sees their own identity
    assert audit_actions("question", question["id"]) == ["question.asked"]
    assert len(notifications(actors.agency, "question.asked")) == 1
    assert len(notifications(colleague, "question.asked")) == 1


def test_any_vendor_may_ask_even_before_verification(api, actors):
    pending = actors.user("vendor", VendorFactory(pending=True))
    order = OrderFactory()
    response = api.post(
        f"/api/v1/orders/{order.id}/questions", token=actors.token(pending), json={"text": "?"}
    )
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("role", ["agency", "coordinator", "admin"])
def test_only_vendors_ask_questions(api, actors, role):
    order = OrderFactory(agency=actors.agency.organization)
    user = getattr(actors, role)
    assert_error(api.post(f"/api/v1/orders/{order.id}/questions", token=actors.token(user),
                          json={"text": "?"}), 403)


def test_questions_after_the_closing_time_are_refused_though_no_job_ran(api, actors):
    order = OrderFactory(closed=True)
    response = api.post(f"/api/v1/orders/{order.id}/questions", token=actors.token(actors.vendor),
                        json={"text": "还能提问吗？"})
    body = assert_error(response, 409)
    assert "评审中" in body["message"] and "只有投标期内才能提问" in body["message"]


def test_questions_on_a_cancelled_order_are_refused(api, actors):
    order = OrderFactory(cancelled=True)
    assert_error(api.post(f"/api/v1/orders/{order.id}/questions", token=actors.token(actors.vendor),
                          json={"text": "?"}), 409)


def test_a_draft_is_not_found_for_vendors_asking(api, actors):
    draft = OrderFactory(draft=True)
    assert_error(api.post(f"/api/v1/orders/{draft.id}/questions", token=actors.token(actors.vendor),
                          json={"text": "?"}), 404)


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "text"),
        ({"text": ""}, "text"),
        ({"text": "问" * 2001}, "text"),
        ({"text": "?", "vendor_id": 1}, "vendor_id"),
    ],
)
def test_bad_questions_are_422(api, actors, body, field):
    order = OrderFactory()
    assert_error(api.post(f"/api/v1/orders/{order.id}/questions", token=actors.token(actors.vendor),
                          json=body), 422, field)


@pytest.fixture
def asked(actors):
    """An order of actors.agency; an open question of actors.vendor, another firm's answered one."""
    order = OrderFactory(agency=actors.agency.organization)
    mine = QuestionFactory(order=order, asker=actors.vendor)
    other_vendor = actors.user("vendor")
    theirs_open = QuestionFactory(order=order, asker=other_vendor)
    theirs_answered = QuestionFactory(order=order, asker=other_vendor, answered=True)
    return order, mine, theirs_open, theirs_answered, other_vendor


@pytest.mark.parametrize("role", ["agency", "coordinator"])
def test_the_agency_and_coordinators_see_every_question_and_who_asked(api, actors, asked, role):
    order, mine, theirs_open, theirs_answered, other_vendor = asked
    response = api.get(
        f"/api/v1/orders/{order.id}/questions", token=actors.token(getattr(actors, role))
    )
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [q["id"] for q in items] == [mine.id, theirs_open.id, theirs_answered.id]
    assert [q["vendor_id"] for q in items] == [
        actors.vendor.organization_id,
        other_vendor.organization_id,
        other_vendor.organization_id,
    ]


def test_the_asking_vendor_sees_its_own_questions_and_others_answers_without_who_asked(
    api, actors, asked
):
    order, mine, _theirs_open, theirs_answered, _other = asked
    items = api.get(
        f"/api/v1/orders/{order.id}/questions", token=actors.token(actors.vendor)
    ).json()["items"]
    assert [q["id"] for q in items] == [mine.id, theirs_answered.id]
    assert items[0]["vendor_id"] == actors.vendor.organization_id
    assert items[1]["vendor_id"] is None and items[1]["asked_by_id"] is None
    assert items[1]["answer"]


@pytest.mark.parametrize("role", ["vendor", "admin", "agency"])
def test_everyone_else_sees_only_answered_questions_without_who_asked(api, actors, asked, role):
    order, _mine, _theirs_open, theirs_answered, _other = asked
    outsider = actors.user(role)
    items = api.get(f"/api/v1/orders/{order.id}/questions", token=actors.token(outsider)).json()[
        "items"
    ]
    assert [q["id"] for q in items] == [theirs_answered.id]
    assert items[0]["vendor_id"] is None and items[0]["asked_by_id"] is None


def test_questions_of_another_agencys_draft_are_not_found(api, actors):
    draft = OrderFactory(draft=True, agency=OrganizationFactory())
    assert_error(
        api.get(f"/api/v1/orders/{draft.id}/questions", token=actors.token(actors.agency)), 404
    )


def test_listing_questions_needs_a_login(api, factories):
    order = OrderFactory()
    assert_error(api.get(f"/api/v1/orders/{order.id}/questions"), 401)


def test_the_agency_answers_once_and_the_asker_is_told(api, actors, audit_actions, notifications):
    order = OrderFactory(agency=actors.agency.organization)
    question = QuestionFactory(order=order, asker=actors.vendor)
    token = actors.token(actors.agency)
    response = api.post(f"/api/v1/questions/{question.id}/answer", token=token,
                        json={"answer": "遮挡超过一半的车辆不标注。"})
    assert response.status_code == 200, response.text
    assert response.json()["answer"] == "遮挡超过一半的车辆不标注。"
    assert response.json()["answered_by_id"] == actors.agency.id
    assert audit_actions("question", question.id) == ["question.answered"]
    assert len(notifications(actors.vendor, "question.answered")) == 1
    again = api.post(
        f"/api/v1/questions/{question.id}/answer", token=token, json={"answer": "改一下"}
    )
    assert_error(again, 409, "answer")


def test_answers_are_public_to_other_vendors(api, actors):
    order = OrderFactory(agency=actors.agency.organization)
    question = QuestionFactory(order=order)
    api.post(
        f"/api/v1/questions/{question.id}/answer",
        token=actors.token(actors.agency),
        json={"answer": "是"},
    )
    items = api.get(
        f"/api/v1/orders/{order.id}/questions", token=actors.token(actors.vendor)
    ).json()["items"]
    assert [(q["id"], q["answer"], q["vendor_id"]) for q in items] == [(question.id, "是", None)]


@pytest.mark.parametrize("role", ["vendor", "coordinator"])
def test_only_agency_staff_answer(api, actors, role):
    question = QuestionFactory(order=OrderFactory(agency=actors.agency.organization))
    assert_error(
        api.post(
            f"/api/v1/questions/{question.id}/answer",
            token=actors.token(getattr(actors, role)),
            json={"answer": "是"},
        ),
        403,
    )


def test_another_agencys_question_is_not_found(api, actors):
    question = QuestionFactory()
    assert_error(
        api.post(
            f"/api/v1/questions/{question.id}/answer",
            token=actors.token(actors.agency),
            json={"answer": "是"},
        ),
        404,
    )
    assert_error(api.post("/api/v1/questions/999999/answer", token=actors.token(actors.agency),
                          json={"answer": "是"}), 404)


@pytest.mark.parametrize("body", [{}, {"answer": ""}, {"answer": "答" * 5001}])
def test_bad_answers_are_422(api, actors, body):
    question = QuestionFactory(order=OrderFactory(agency=actors.agency.organization))
    assert_error(
        api.post(
            f"/api/v1/questions/{question.id}/answer", token=actors.token(actors.agency), json=body
        ),
        422,
        "answer",
    )
