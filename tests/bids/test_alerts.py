"""Demand release: the staff of firms that can bid on a newly published order hear of it in the app,
once, and in a daily e-mail digest in their language, once a day, only when there is something new."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from market.jobs.runner import run_job
from market.notifications.models import Notification, OutboxEmail
from market.notifications.tasks import SmtpSender, send_outbox
from tests.conftest import assert_error
from tests.factories import OrderFactory, VendorFactory, able_to
from tests.smtp import LoopbackSmtpServer

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The digest of 10 January 2027: 09:00 in Guiyang, after the 08:00 digest time.
MORNING = dt.datetime(2027, 1, 10, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture
def firms(actors):
    """A firm that can bid on image boxes, and three that cannot, each with staff (beside
    `actors.vendor`'s firm, which tests/bids/conftest.py makes able to bid too)."""
    able = VendorFactory(clearance="important")
    able_to(able)
    low_clearance = VendorFactory(clearance="general")
    able_to(low_clearance)
    pending = VendorFactory(pending=True)
    able_to(pending)
    other_work = VendorFactory()
    able_to(other_work, modality="audio", annotation_type="transcription")
    staff = {
        "zh": actors.user("vendor", organization=able, locale="zh"),
        "en": actors.user("vendor", organization=able, locale="en"),
        "low": actors.user("vendor", organization=low_clearance),
        "pending": actors.user("vendor", organization=pending),
        "other": actors.user("vendor", organization=other_work),
    }
    return staff


def _order(published_at, **kwargs):
    return OrderFactory(published_at=published_at.astimezone(dt.UTC), data_classification="important",
                        bidding_closes_at=(published_at + dt.timedelta(days=10)).astimezone(dt.UTC),
                        title=kwargs.pop("title", "卡口图像车辆框标注"), **kwargs)


def _told(db_session, user):
    return db_session.scalars(select(Notification.payload).where(
        Notification.recipient_id == user.id, Notification.kind == "order.available")).all()


def test_a_published_order_is_told_once_to_the_staff_of_every_firm_that_can_bid(
    app, db_session, actors, firms
):
    now = MORNING
    order = _order(now - dt.timedelta(minutes=5))
    db_session.flush()
    assert run_job(app, "demand-alerts", now=now).counts == {"orders": 1, "notified": 3}
    assert run_job(app, "demand-alerts", now=now).counts == {"orders": 0, "notified": 0}
    for user in (firms["zh"], firms["en"], actors.vendor):
        (payload,) = _told(db_session, user)
        assert payload["order_id"] == order.id and payload["title"] == order.title
    for who in ("low", "pending", "other"):
        assert _told(db_session, firms[who]) == [], who
    en = db_session.scalar(select(Notification).where(Notification.recipient_id == firms["en"].id))
    zh = db_session.scalar(select(Notification).where(Notification.recipient_id == firms["zh"].id))
    assert en.title == "A new order your firm can bid on" and "can bid on" in en.text
    assert zh.title != en.title and order.title in zh.text
    assert db_session.scalar(select(func.count(OutboxEmail.id))) == 0, "e-mail is the digest's"


def test_an_order_published_long_ago_is_not_news(app, db_session, firms):
    _order(MORNING - dt.timedelta(days=3))
    db_session.flush()
    assert run_job(app, "demand-alerts", now=MORNING).counts == {"orders": 0, "notified": 0}


def _deliver(db_session):
    with LoopbackSmtpServer() as server:
        send_outbox(db_session, SmtpSender("127.0.0.1", server.port, "market@example.cn", timeout=5))
        return server


def test_the_digest_reaches_each_user_of_a_firm_that_can_bid_once_in_their_language(
    app, db_session, firms
):
    order = _order(MORNING - dt.timedelta(hours=20), title="病理切片细胞分割")
    old = _order(MORNING - dt.timedelta(days=2), title="上周发布的订单")
    db_session.flush()
    assert run_job(app, "demand-digest", now=MORNING).counts == {"digests": 3, "orders": 1}
    assert run_job(app, "demand-digest", now=MORNING + dt.timedelta(hours=3)).counts["digests"] == 0
    server = _deliver(db_session)
    (zh,) = server.to(firms["zh"].email)
    (en,) = server.to(firms["en"].email)
    assert en.subject == "New orders your firm can bid on"
    assert "1 order(s) published since yesterday's digest" in en.body
    assert "Image, Bounding boxes" in en.body and f"/orders/{order.id}" in en.body
    assert zh.subject != en.subject and order.title in zh.body and f"/orders/{order.id}" in zh.body
    assert "图像" in zh.body
    assert old.title not in zh.body + en.body, "yesterday's digest had it"
    for who in ("low", "pending", "other"):
        assert server.to(firms[who].email) == [], who


def test_no_digest_before_the_morning_nor_when_nothing_is_new(app, db_session, firms):
    _order(MORNING - dt.timedelta(hours=20))
    db_session.flush()
    early = MORNING.replace(hour=7)
    assert run_job(app, "demand-digest", now=early).counts == {"digests": 0}
    next_day = MORNING + dt.timedelta(days=1)
    run_job(app, "demand-digest", now=MORNING)
    assert run_job(app, "demand-digest", now=next_day).counts == {"digests": 0, "orders": 0}


def test_a_user_who_turned_the_digest_off_gets_none(api, app, db_session, actors, firms):
    token = actors.token(firms["en"])
    response = api.patch("/api/v1/me", json={"digest_enabled": False}, token=token)
    assert response.status_code == 200, response.text
    assert response.json()["digest_enabled"] is False
    _order(MORNING - dt.timedelta(hours=20))
    db_session.flush()
    assert run_job(app, "demand-digest", now=MORNING).counts["digests"] == 2
    mails = db_session.scalars(select(OutboxEmail.to_address)).all()
    assert sorted(mails) == sorted([firms["zh"].email, actors.vendor.email])


def test_the_account_settings_take_only_what_they_know(api, actors):
    token = actors.token(actors.vendor)
    assert_error(api.patch("/api/v1/me", json={"digest_enabled": "sometimes"}, token=token), 422,
                 "digest_enabled")
    assert_error(api.patch("/api/v1/me", json={"locale": "fr"}, token=token), 422, "locale")
    assert_error(api.patch("/api/v1/me", json={"digest_enabled": False}), 401)
    switched = api.patch("/api/v1/me", json={"locale": "en", "digest_enabled": True}, token=token)
    assert switched.json()["locale"] == "en" and switched.json()["digest_enabled"] is True

