"""API: orders (drafting, publishing, cancelling) and their clarification questions."""

from __future__ import annotations

from market import db
from market.api.fields import PageQuerySchema
from market.api.openapi import Blueprint
from market.auth import current_user
from market.orders import access, services
from market.orders.schemas import (
    AmendmentCreateSchema,
    AmendmentPageSchema,
    AmendmentSchema,
    AnswerSchema,
    CancelSchema,
    OrderPageSchema,
    OrderQuerySchema,
    OrderSchema,
    OrderUpdateSchema,
    QuestionPageSchema,
    QuestionSchema,
)

blp = Blueprint("orders", __name__, url_prefix="/api/v1/orders",
                description="Annotation demand published by agencies")
questions_blp = Blueprint("questions", __name__, url_prefix="/api/v1/questions",
                          description="Clarification questions on orders")


@blp.get("")
@blp.arguments(OrderQuerySchema, location="query")
@blp.paginated(OrderPageSchema)
def list_orders(query):
    """List orders: an agency its own, everyone else those published"""
    return services.list_orders(actor=current_user(), **query)


@blp.post("")
@blp.arguments(OrderSchema)
@blp.response(201, OrderSchema)
@blp.idempotent
@blp.commits
def create_order(body):
    """Draft an order for your agency (agency staff)"""
    return services.create_order(db.session, body, actor=current_user())


@blp.get("/<id:order_id>")
@blp.response(200, OrderSchema)
def get_order(order_id):
    """One order (a draft only for its own agency)"""
    return access.get_visible_order(db.session, order_id, actor=current_user())


@blp.patch("/<id:order_id>")
@blp.arguments(OrderUpdateSchema)
@blp.response(200, OrderSchema)
@blp.commits
def update_order(body, order_id):
    """Edit a draft (its agency)"""
    return services.update_order(db.session, order_id, body, actor=current_user())


@blp.delete("/<id:order_id>")
@blp.response(204)
@blp.commits
def delete_order(order_id):
    """Delete a draft (its agency)"""
    services.delete_order(db.session, order_id, actor=current_user())


@blp.post("/<id:order_id>/publish")
@blp.response(200, OrderSchema)
@blp.commits
def publish_order(order_id):
    """Publish a draft and open it for bidding (its agency)"""
    return services.publish_order(db.session, order_id, actor=current_user())


@blp.post("/<id:order_id>/cancel")
@blp.arguments(CancelSchema)
@blp.response(200, OrderSchema)
@blp.commits
def cancel_order(body, order_id):
    """Cancel an order with a reason (its agency or a coordinator)"""
    return services.cancel_order(db.session, order_id, actor=current_user(), reason=body["reason"])


@blp.post("/<id:order_id>/amendments")
@blp.arguments(AmendmentCreateSchema)
@blp.response(201, AmendmentSchema)
@blp.commits
def amend_order(body, order_id):
    """Amend a published order while bidding is open, with a note (its agency); bidders and askers are told"""
    return services.amend_order(db.session, order_id, body, actor=current_user())


@blp.get("/<id:order_id>/amendments")
@blp.arguments(PageQuerySchema, location="query")
@blp.paginated(AmendmentPageSchema)
def list_amendments(query, order_id):
    """An order's amendments, oldest first: what changed, when and why"""
    return services.amendments_of(access.get_visible_order(db.session, order_id, actor=current_user()))


@blp.get("/<id:order_id>/questions")
@blp.arguments(PageQuerySchema, location="query")
@blp.paginated(QuestionPageSchema)
def list_questions(query, order_id):
    """Clarification questions on an order (who asked only for the agency, coordinators, the asker)"""
    actor = current_user()
    order = access.get_visible_order(db.session, order_id, actor=actor)
    return services.questions_of(order, actor=actor), lambda rows: [
        services.present_question(q, actor, order) for q in rows]


@blp.post("/<id:order_id>/questions")
@blp.arguments(QuestionSchema)
@blp.response(201, QuestionSchema)
@blp.idempotent
@blp.commits
def ask_question(body, order_id):
    """Ask a clarification question while bidding is open (vendor staff)"""
    actor = current_user()
    question = services.ask_question(db.session, order_id, body["text"], actor=actor)
    return services.present_question(question, actor, question.order)


@questions_blp.post("/<id:question_id>/answer")
@questions_blp.arguments(AnswerSchema)
@questions_blp.response(200, QuestionSchema)
@questions_blp.commits
def answer_question(body, question_id):
    """Answer a question on your order, once; the answer becomes public (its agency)"""
    actor = current_user()
    question = services.answer_question(db.session, question_id, body["answer"], actor=actor)
    return services.present_question(question, actor, question.order)


BLUEPRINTS = [blp, questions_blp]
