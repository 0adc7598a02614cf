"""A user's own notifications: listing them, the unread filter, and marking one read."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from market.db import utcnow
from market.notifications.models import Notification, OutboxEmail
from market.notifications.services import notify
from tests.conftest import assert_error

URL = "/api/v1/notifications"


@pytest.fixture
def inbox(db_session, actors):
    """Three notifications for the vendor (oldest first), one for the agency."""
    vendor, agency = actors.vendor, actors.agency
    notify(db_session, [vendor], "order.cancelled",
           {"order_id": 7, "title": "高速卡口车辆标注", "reason": "预算调整"})
    notify(db_session, [vendor, agency], "question.answered", {"order_id": 7, "title": "高速卡口车辆标注"})
    notify(db_session, [vendor], "vendor.verified",
           {"vendor_id": vendor.organization_id, "reason": "资质齐全"})
    db_session.flush()
    rows = db_session.scalars(select(Notification).order_by(Notification.id)).all()
    start = utcnow() - dt.timedelta(hours=3)
    for i, row in enumerate(rows):
        row.created_at = start + dt.timedelta(minutes=i)
    db_session.flush()
    return {
        "vendor": [r for r in rows if r.recipient_id == vendor.id],
        "agency": [r for r in rows if r.recipient_id == agency.id],
    }


def ids(response) -> list[int]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_a_user_sees_only_their_own_notifications_newest_first(api, actors, inbox):
    vendor_ids = [n.id for n in reversed(inbox["vendor"])]
    assert ids(api.get(URL, token=actors.token(actors.vendor))) == vendor_ids
    assert ids(api.get(URL, token=actors.token(actors.agency))) == [inbox["agency"][0].id]


def test_a_notification_shows_its_kind_payload_and_times(api, actors, inbox):
    newest = api.get(URL, token=actors.token(actors.vendor)).json()["items"][0]
    assert newest["kind"] == "vendor.verified"
    assert newest["payload"] == {"vendor_id": actors.vendor.organization_id, "reason": "资质齐全"}
    assert newest["title"] == "企业已通过审核"
    assert newest["text"] == "贵企业已通过审核，现在可以投标。理由：资质齐全"
    assert newest["read_at"] is None
    assert newest["created_at"].endswith("+08:00")


def test_a_user_with_no_notifications_gets_an_empty_page(api, actors, inbox):
    body = api.get(URL, token=actors.token(actors.coordinator)).json()
    assert body == {"items": [], "meta": {"page": 1, "per_page": 20, "total": 0, "pages": 0}}


def test_notifying_also_queues_an_email(db_session, actors, inbox):
    subjects = db_session.scalars(
        select(OutboxEmail.subject).where(OutboxEmail.to_address == actors.agency.email)
    )
    assert list(subjects) == ["您的问题已答复"]


def test_each_recipient_reads_the_notification_and_its_mail_in_their_own_language(
    api, db_session, actors
):
    actors.agency.locale = "en"
    payload = {"order_id": 7, "title": "Traffic frames", "reason": "budget cut"}
    notify(db_session, [actors.vendor, actors.agency], "order.cancelled", payload)
    db_session.flush()
    mails = dict(db_session.execute(select(OutboxEmail.to_address, OutboxEmail.body)).all())
    assert mails == {
        actors.vendor.email: "订单“Traffic frames”已取消。理由：budget cut",
        actors.agency.email: "The order “Traffic frames” was cancelled. Reason: budget cut",
    }
    english = api.get(URL, token=actors.token(actors.agency)).json()["items"][0]
    assert (english["title"], english["payload"]) == ("Order cancelled", payload)


def test_a_notification_reads_in_the_language_its_reader_has_chosen_since(api, db_session, actors):
    # Sent while the agency read Chinese; it has switched to English since: the list follows.
    notify(db_session, [actors.agency], "order.cancelled", {"order_id": 7, "title": "Traffic frames",
                                                             "reason": "budget cut"})
    db_session.flush()
    actors.agency.locale = "en"
    db_session.flush()
    shown = api.get(URL, token=actors.token(actors.agency)).json()["items"][0]
    assert (shown["title"], shown["text"]) == (
        "Order cancelled", "The order “Traffic frames” was cancelled. Reason: budget cut")


def test_a_profile_change_is_told_with_the_fields_names_in_each_readers_language(db_session, actors):
    actors.agency.locale = "en"
    payload = {"change_request_id": 3, "vendor_id": 9, "vendor_name": "星河数据",
               "fields": ["certifications", "clearance"]}
    notify(db_session, [actors.vendor, actors.agency], "change_request.requested", payload)
    db_session.flush()
    mails = dict(db_session.execute(select(OutboxEmail.to_address, OutboxEmail.body)).all())
    assert mails[actors.vendor.email].startswith("星河数据 申请变更资质认证、数据安全等级，")
    assert mails[actors.agency.email].startswith(
        "星河数据 asks to change Certifications, Data security clearance;")


def test_a_notification_and_its_mail_are_dated_when_the_change_happened(db_session, actors):
    # A service called with now= in the past (the demo seed, a replayed job) tells of that moment.
    then = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
    notify(db_session, [actors.agency], "order.evaluating", {"order_id": 7, "title": "x"}, now=then)
    db_session.flush()
    notification = db_session.scalar(select(Notification).where(Notification.recipient_id == actors.agency.id))
    mail = db_session.scalar(select(OutboxEmail).where(OutboxEmail.to_address == actors.agency.email))
    assert notification.created_at == then and mail.created_at == then


def test_marking_read_stamps_the_time_and_leaves_the_others_unread(api, actors, inbox):
    token = actors.token(actors.vendor)
    first = inbox["vendor"][0]
    response = api.post(f"{URL}/{first.id}/read", token=token)
    assert response.status_code == 200, response.text
    assert response.json()["id"] == first.id
    assert response.json()["read_at"] is not None
    unread = ids(api.get(URL, params={"unread": "true"}, token=token))
    assert unread == [n.id for n in reversed(inbox["vendor"][1:])]
    assert ids(api.get(URL, params={"unread": "false"}, token=token)) == [first.id]


def test_marking_read_twice_keeps_the_first_time(api, actors, inbox):
    token = actors.token(actors.vendor)
    url = f"{URL}/{inbox['vendor'][0].id}/read"
    first = api.post(url, token=token).json()["read_at"]
    again = api.post(url, token=token)
    assert again.status_code == 200
    assert again.json()["read_at"] == first


def test_the_notifications_are_paginated(api, actors, inbox):
    body = api.get(URL, params={"per_page": 2, "page": 2}, token=actors.token(actors.vendor)).json()
    assert body["meta"] == {"page": 2, "per_page": 2, "total": 3, "pages": 2}
    assert [item["id"] for item in body["items"]] == [inbox["vendor"][0].id]


def test_someone_elses_notification_is_404_and_stays_unread(api, actors, inbox, db_session):
    theirs = inbox["agency"][0]
    assert_error(api.post(f"{URL}/{theirs.id}/read", token=actors.token(actors.vendor)), 404)
    db_session.expire_all()
    assert db_session.get(Notification, theirs.id).read_at is None


@pytest.mark.parametrize("notification_id", ["999999", "0", str(2**31), "abc"])
def test_an_unknown_notification_is_404(api, actors, notification_id):
    assert_error(api.post(f"{URL}/{notification_id}/read", token=actors.token(actors.vendor)), 404)


def test_a_bad_unread_filter_is_422(api, actors):
    assert_error(
        api.get(URL, params={"unread": "maybe"}, token=actors.token(actors.vendor)), 422, "unread"
    )


def test_notifications_need_a_login(api, inbox):
    assert_error(api.get(URL), 401)
    assert_error(api.post(f"{URL}/{inbox['vendor'][0].id}/read"), 401)


def test_marking_read_is_a_post(api, actors, inbox):
    assert_error(
        api.get(f"{URL}/{inbox['vendor'][0].id}/read", token=actors.token(actors.vendor)), 405
    )


def test_a_volume_in_a_notification_is_grouped_as_the_reader_writes_numbers():
    from market.notifications.texts import render

    payload = {"order_title": "卡口图像标注", "volume": 57100, "unit_price": "2.5670", "contract_id": 1372,
               "reason": "质量与价格兼优"}
    title, text = render("allocation.approved", payload, "en")
    assert "57,100 units" in text and "contract 1372" in text  # an id is no quantity
    assert "57,100" in render("allocation.approved", payload, "zh")[1]
