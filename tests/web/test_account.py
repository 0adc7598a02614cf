"""Every signed-in user's pages: notifications (with the header's unread count) and the account."""

from __future__ import annotations

from sqlalchemy import select

from market.accounts.models import ApiToken
from market.notifications.services import notify
from tests.factories import PASSWORD


def _notify(db_session, user, title="交通卡口标注"):
    notify(db_session, [user], "order.cancelled", {"order_id": 1, "title": title, "reason": "预算调整"})
    db_session.flush()


def test_pages_for_signed_in_users_send_the_anonymous_to_sign_in(browser):
    for path in ("/notifications", "/account"):
        response = browser.get(path)
        assert response.status_code == 302
        assert response.headers["Location"] == f"/login?next={path}"


def test_notifications_show_in_the_readers_language_with_the_unread_count(browser, actors, db_session):
    _notify(db_session, actors.vendor)
    _notify(db_session, actors.agency, title="别人的订单")
    browser.sign_in(actors.vendor)
    page = browser.get("/notifications")
    assert page.status_code == 200
    assert "订单“交通卡口标注”已取消。理由：预算调整" in page.text
    assert "别人的订单" not in page.text
    assert '<span class="badge">1' in page.text


def test_marking_a_notification_read_clears_the_count(browser, actors, db_session):
    _notify(db_session, actors.vendor)
    browser.sign_in(actors.vendor)
    page = browser.get("/notifications")
    action = page.text.split('action="/notifications/')[1].split('"')[0]
    response = browser.post(f"/notifications/{action}", data={"csrf_token": browser.token(page), "page": "1"})
    assert response.status_code == 302
    assert '<span class="badge">' not in browser.get("/notifications").text


def test_someone_elses_notification_is_not_found(browser, actors, db_session):
    _notify(db_session, actors.agency)
    from market.notifications.models import Notification

    theirs = db_session.scalar(select(Notification.id).where(Notification.recipient_id == actors.agency.id))
    browser.sign_in(actors.vendor)
    token = browser.token(browser.get("/notifications"))
    assert browser.post(f"/notifications/{theirs}/read", data={"csrf_token": token}).status_code == 404


def test_changing_the_password_keeps_this_session_and_ends_the_others(browser, actors, db_session):
    user = actors.vendor
    other = actors.token(user)  # a session elsewhere
    browser.sign_in(user)
    response = browser.submit("/account", "/account/password",
                              {"current_password": PASSWORD, "new_password": "a much longer one"})
    assert response.status_code == 302
    assert "密码已修改" in browser.get("/account").text
    rows = db_session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).all()
    assert [r.revoked_at is None for r in rows].count(True) == 1
    assert other  # the API token issued before is among the revoked ones
    assert browser.get("/account").status_code == 200


def test_a_wrong_current_password_is_shown_beside_its_field_and_changes_nothing(browser, actors, db_session):
    user = actors.vendor
    before = user.password_hash
    browser.sign_in(user)
    response = browser.submit("/account", "/account/password",
                              {"current_password": "not it", "new_password": "short"})
    assert response.status_code == 422
    assert 'id="error-new_password"' in response.text and "长度须在 10 到 256 之间" in response.text
    response = browser.submit("/account", "/account/password",
                              {"current_password": "not it", "new_password": "long enough now"})
    assert response.status_code == 422 and "当前密码错误" in response.text
    db_session.refresh(user)
    assert user.password_hash == before


def test_a_notification_sent_in_chinese_reads_in_english_once_the_reader_chose_english(
    browser, actors, db_session
):
    _notify(db_session, actors.vendor)
    browser.sign_in_in_english(actors.vendor)
    page = browser.get("/notifications")
    assert "The order “交通卡口标注” was cancelled. Reason: 预算调整" in page.text
    assert "已取消" not in page.text


def test_a_vendor_turns_the_daily_email_of_new_orders_off_and_on(browser, english_browser, actors, db_session):
    user = actors.vendor
    assert user.digest_enabled
    browser.sign_in(user)
    page = browser.get("/account")
    assert 'name="digest_enabled" class="radio" checked' in page.text
    off = browser.submit("/account", "/account/preferences", {})  # the box unticked
    assert off.status_code == 302
    db_session.refresh(user)
    assert user.digest_enabled is False
    assert "每日新订单邮件已关闭" in browser.get("/account").text
    assert browser.post("/account/preferences", data={"digest_enabled": "on"}).status_code == 400  # no token
    english_browser.sign_in_in_english(user)
    on = english_browser.submit("/account", "/account/preferences", {"digest_enabled": "on"})
    assert on.status_code == 302
    db_session.refresh(user)
    assert user.digest_enabled is True
    assert "The daily e-mail of new orders is on." in english_browser.get("/account").text


def test_only_vendor_staff_are_offered_the_daily_email(browser, actors):
    browser.sign_in(actors.agency)
    assert "digest_enabled" not in browser.get("/account").text
