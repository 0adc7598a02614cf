"""Public directory answers: ETag and 304, a Cache-Control for proxies, the worker's cache, and
both invalidated by any change to what they show (or by the clock, when bidding closes)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from market.db import utcnow
from market.orders import freshness
from market.orders.models import DirectoryState
from tests.factories import OrderFactory


def test_a_public_answer_has_an_etag_and_a_cache_control_a_proxy_can_use(api, factories):
    OrderFactory()
    first = api.get("/api/v1/directory")
    assert first.status_code == 200
    etag = first.headers["ETag"]
    control = first.headers["Cache-Control"]
    assert control.startswith("public, max-age=") and "stale-while-revalidate=" in control
    again = api.get("/api/v1/directory", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["ETag"] == etag
    assert api.get("/api/v1/directory", headers={"If-None-Match": '"other"'}).status_code == 200
    assert api.get("/api/v1/directory?sector=health", headers={"If-None-Match": etag}).status_code == 200


def test_an_order_page_and_the_export_answer_304_while_nothing_changed(api, factories):
    order = OrderFactory()
    page = api.get(f"/api/v1/directory/{order.id}")
    assert api.get(f"/api/v1/directory/{order.id}",
                   headers={"If-None-Match": page.headers["ETag"]}).status_code == 304
    export = api.get("/api/v1/directory.csv")
    assert export.status_code == 200 and export.headers["ETag"]
    assert api.get("/api/v1/directory.csv", headers={"If-None-Match": export.headers["ETag"]}).status_code == 304


def test_a_committed_change_of_an_order_raises_the_version_and_the_cache_gives_the_new_answer(
        api, actors, db_session, cached):
    order = OrderFactory(agency=actors.agency.organization, published=True, title="课堂语音转写")
    db_session.commit()
    first = api.get("/api/v1/directory")
    assert [i["status"] for i in first.json()["items"]] == ["published"]
    before = db_session.scalar(select(DirectoryState.version))
    cancelled = api.post(f"/api/v1/orders/{order.id}/cancel", token=actors.token(actors.agency),
                         json={"reason": "需求重复发布"})
    assert cancelled.status_code == 200, cancelled.text
    db_session.expire_all()
    assert db_session.scalar(select(DirectoryState.version)) > before
    second = api.get("/api/v1/directory", headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200
    assert [i["status"] for i in second.json()["items"]] == ["cancelled"]
    assert second.headers["ETag"] != first.headers["ETag"]


def test_changes_rolled_back_leave_the_version(db_session, factories):
    version = freshness.version(db_session)
    OrderFactory()
    db_session.flush()
    db_session.rollback()
    assert freshness.version(db_session) == version


def test_a_cached_answer_is_kept_no_later_than_the_next_closing(api, factories, cached, monkeypatch):
    now = utcnow()
    OrderFactory(published=True, bidding_closes_at=now + dt.timedelta(hours=1))
    assert [i["status"] for i in api.get("/api/v1/directory").json()["items"]] == ["published"]
    later = now + dt.timedelta(hours=2)
    for module in ("market.orders.freshness", "market.orders.directory"):
        monkeypatch.setattr(f"{module}.utcnow", lambda: later)
    assert [i["status"] for i in api.get("/api/v1/directory").json()["items"]] == ["evaluating"]


def test_the_cache_answers_again_without_building_the_page(api, factories, cached, monkeypatch):
    OrderFactory()
    first = api.get("/api/v1/directory")
    built = []
    original = freshness._fill
    monkeypatch.setattr(freshness, "_fill", lambda *a: built.append(1) or original(*a))
    second = api.get("/api/v1/directory")
    assert built == [] and second.content == first.content
    api.get("/api/v1/directory?page=2")
    assert built == [1]


def test_a_held_answer_is_sent_before_the_app_with_the_apps_headers(api, app, factories, monkeypatch):
    monkeypatch.setitem(app.config, "DIRECTORY_CACHE_ENTRIES", 16)
    monkeypatch.setitem(app.config, "DIRECTORY_VERSION_RECHECK_SECONDS", 60)
    app.extensions.pop("market.directory_cache", None)
    try:
        OrderFactory()
        first = api.get("/api/v1/directory")
        dispatched = []
        original = app.full_dispatch_request
        monkeypatch.setattr(app, "full_dispatch_request", lambda: dispatched.append(1) or original())
        second = api.get("/api/v1/directory")
        assert dispatched == []
        assert second.status_code == 200 and second.content == first.content
        for header in ("Content-Type", "Content-Security-Policy", "X-Content-Type-Options", "ETag"):
            assert second.headers[header] == first.headers[header], header
        assert second.headers["X-Request-ID"] != first.headers["X-Request-ID"]
        assert api.get("/api/v1/directory", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
        assert dispatched == []
        api.get("/api/v1/directory", headers={"Authorization": "Bearer nonsense"})
        api.get("/api/v1/directory?page=2")
        assert dispatched == [1, 1]  # credentials, or a URL not held: the app answers
    finally:
        app.extensions.pop("market.directory_cache", None)


def test_while_a_thread_builds_an_answer_anew_the_others_get_the_one_it_replaces(
        api, app, db_session, factories, cached):
    OrderFactory(title="第一批交通标注")
    db_session.commit()
    before = api.get("/api/v1/directory")
    OrderFactory(title="第二批交通标注")
    db_session.commit()  # a change: the held answer is of an older version now
    store = app.extensions["market.directory_cache"]
    key = next(k for k in store.items if k.startswith("/api/v1/directory?"))
    store.rebuilding.add(key)  # as another thread does while it builds the answer
    try:
        meanwhile = api.get("/api/v1/directory")
    finally:
        store.rebuilding.discard(key)
    assert meanwhile.status_code == 200 and meanwhile.content == before.content
    assert meanwhile.headers["Cache-Control"] == "no-cache"  # no proxy keeps the stale answer
    after = api.get("/api/v1/directory")
    assert [i["title"] for i in after.json()["items"]][:1] == ["第二批交通标注"]
    assert after.headers["Cache-Control"].startswith("public, max-age=")
    assert store.rebuilding == set()
