"""Today's orders: every state in the planned numbers, bids matching can use, questions, dated as they happened."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from sqlalchemy import select

from market.allocations import inputs
from market.audit.models import AuditEvent
from market.bids.models import Bid
from market.db import utcnow
from market.demo.orders import ORDER_PLAN
from market.matching.eligibility import check_eligibility
from market.notifications.models import Notification, OutboxEmail
from market.orders.models import Order, OrderAmendment, Question
from market.organizations.models import Capability, VendorProfile
from market.settings import settings_of


@pytest.fixture
def current(session) -> list[Order]:
    """Today's orders: the ones the platform's services made (the history's are records, unaudited)."""
    made = select(AuditEvent.object_id).where(AuditEvent.action == "order.created")
    return session.scalars(select(Order).where(Order.id.in_(made)).order_by(Order.id)).all()


def test_every_state_of_the_order_lifecycle_is_present(session):
    now = utcnow()
    orders = session.scalars(select(Order)).all()
    states = Counter(order.status for order in orders)
    assert set(states) == {"draft", "published", "evaluating", "awarded", "in_progress", "completed",
                           "cancelled", "unsuccessful"}
    published = [o for o in orders if o.status == "published"]
    assert any(o.bidding_open(now) for o in published), "some orders take bids now"
    assert any(o.effective_status(now) == "evaluating" for o in published), "some closed, job not yet run"
    current = [o for o in orders if o.status != "completed" or o.completed_at > now - dt.timedelta(days=60)]
    assert len(current) >= 60
    cancelled = [o for o in orders if o.status == "cancelled"]
    assert any(o.published_at is None for o in cancelled) and any(o.published_at for o in cancelled)


def test_todays_orders_are_in_every_state_in_the_numbers_the_plan_gives(seeded, current):
    _app, summary = seeded
    now = utcnow()

    def state(order: Order) -> str:
        if order.status == "published" and not order.bidding_open(now):
            return "published_closed"
        return order.status

    assert Counter(state(o) for o in current) == Counter(dict(ORDER_PLAN))
    assert summary.orders == Counter(dict(ORDER_PLAN))


def test_orders_read_as_agency_staff_would_write_them(session):
    orders = session.scalars(select(Order).where(Order.status != "completed")).all()
    titles = " ".join(o.title for o in orders)
    for phrase in ("车辆检测框标注", "肺结节分割标注", "课堂语音转写", "点云三维框标注"):
        assert phrase in titles or any(phrase in o.title for o in session.scalars(select(Order)))
    for order in orders:
        assert order.description and order.label_set and order.volume > 0 and order.budget_ceiling > 0
        assert order.bidding_closes_at < order.delivery_deadline
        assert 0.9 <= order.accuracy_target <= 0.99
    assert {o.sector for o in orders} == {"transport", "health", "education"}


def test_bids_come_from_capable_firms_and_fit_their_orders(session):
    skills = {(c.vendor_id, c.modality, c.annotation_type)
              for c in session.scalars(select(Capability))}
    seats = dict(session.execute(select(VendorProfile.organization_id, VendorProfile.seats)).all())
    for bid in session.scalars(select(Bid)):
        order = bid.order
        assert (bid.vendor_id, order.modality, order.annotation_type) in skills
        assert bid.seats_committed <= seats[bid.vendor_id]
        assert bid.volume <= order.volume
        if not order.splittable:
            assert bid.volume == order.volume
        assert bid.submitted_at < order.bidding_closes_at


def test_orders_under_evaluation_have_eligible_bids_a_coordinator_can_match(session):
    now = utcnow()
    settings = settings_of(session)
    closed = [o for o in session.scalars(select(Order).where(Order.status.in_(("published", "evaluating"))))
              if o.effective_status(now) == "evaluating"]
    assert len(closed) >= 10
    for order in closed:
        live = [b for b in order.bids if b.status == "submitted"]
        engine_order = inputs.engine_order(order, remaining=order.volume, vendors_left=order.max_vendors,
                                           today=settings.local_date(now), settings=settings)
        # Judged by the engine's own rules, as a matching run now would judge them.
        good = [b for b in live if not check_eligibility(
            engine_order, inputs.engine_vendor(b.vendor, award_share=0.0, settings=settings),
            inputs.engine_bid(b, remaining=order.volume))]
        assert len(good) >= 2, order.title
        assert len({b.vendor_id for b in live}) == len(live)
        # submit_bid asks the same rules when a bid is placed, so no stored bid breaks them.
        assert good == live, order.title


def test_state_changes_are_audited_when_they_happened(session):
    for order in session.scalars(select(Order).where(Order.status == "evaluating")):
        events = session.scalars(select(AuditEvent).where(AuditEvent.object_type == "order",
                                                          AuditEvent.object_id == order.id)).all()
        actions = {e.action: e for e in events}
        assert {"order.created", "order.published", "order.evaluating"} <= set(actions)
        assert actions["order.created"].occurred_at == order.created_at
        assert actions["order.published"].occurred_at == order.published_at
        assert actions["order.evaluating"].occurred_at == order.evaluating_at
    actions = set(session.scalars(select(AuditEvent.action).distinct()))
    assert {"organization.created", "user.created", "vendor.verified", "vendor.suspended", "bid.submitted",
            "bid.awarded", "bid.rejected", "bid.withdrawn", "order.awarded", "order.cancelled",
            "order.unsuccessful", "question.asked", "question.answered"} <= actions


def test_bids_are_sealed_in_the_audit_trail_as_the_bids_service_writes_them(session, current):
    rows = session.scalars(select(AuditEvent).where(AuditEvent.action == "bid.submitted").order_by(AuditEvent.id))
    submitted = {}
    for event in rows:  # the first: a bid reinstated after a termination is submitted once more
        submitted.setdefault(event.object_id, event)
    bids = session.scalars(select(Bid).where(Bid.order_id.in_([o.id for o in current]))).all()
    assert bids and set(submitted) == {b.id for b in bids}
    for bid in bids:
        event = submitted[bid.id]
        # The vendor's own event, with no terms in it; dated when the bid was made.
        assert event.organization_id == bid.vendor_id and event.data == {"order_id": bid.order_id}
        assert event.occurred_at == bid.submitted_at


def test_questions_are_asked_and_mostly_answered(session):
    questions = session.scalars(select(Question)).all()
    answered = [q for q in questions if q.answered_at is not None]
    assert len(questions) >= 20 and len(answered) >= len(questions) // 2
    assert any(q.answered_at is None and q.order.status == "published" for q in questions)
    assert all(q.asked_at < q.answered_at < q.order.bidding_closes_at for q in answered)


def test_notifications_are_dated_when_what_they_tell_happened(session):
    asked = {q.id: q.asked_at for q in session.scalars(select(Question))}
    told = session.scalars(select(Notification).where(Notification.kind == "question.asked")).all()
    assert told and all(n.created_at == asked[n.payload["question_id"]] for n in told)
    # An order is evaluated again when a terminated contract leaves volume to match: each time counts.
    evaluating = set(session.execute(select(AuditEvent.object_id, AuditEvent.occurred_at)
                                     .where(AuditEvent.action == "order.evaluating")).all())
    closed = session.scalars(select(Notification).where(Notification.kind == "order.evaluating")).all()
    assert closed and all((n.payload["order_id"], n.created_at) in evaluating for n in closed)


def test_the_mails_of_the_past_count_as_sent_then(session):
    mails = session.scalars(select(OutboxEmail)).all()
    assert mails and all(m.status == "sent" and m.sent_at == m.created_at for m in mails)


def test_some_orders_were_amended_and_a_bid_left_unconfirmed_lapsed(session):
    amendments = session.scalars(select(OrderAmendment).order_by(OrderAmendment.id)).all()
    assert {a.material for a in amendments} == {True, False}
    assert all(a.note and a.version == 1 for a in amendments)
    material = next(a for a in amendments if a.material)
    bids = material.order.bids
    # The reason is stored as its code (market.bids.reasons), rendered in the reader's language.
    assert any(b.status == "lapsed" and b.status_reason == "bid_lapsed" for b in bids)
    assert any(b.status == "submitted" and b.confirmed_at is not None for b in bids)
    told = session.scalars(select(Notification).where(Notification.kind == "order.amended")).all()
    assert told
