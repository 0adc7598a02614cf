"""How fresh the public directory is: a version that moves with every change, and public answers
cached against it (in each worker, and by any proxy through ETag and Cache-Control).

The version is one row (DirectoryState) raised in the committing transaction of any change to
what the directory shows (orders, their amendments and questions, contracts behind award
notices, organisations' names): a session event does it, so no writer can forget it. It is
raised just before COMMIT, so the row lock is held only while committing: a transaction
holding it never waits for another lock, and cannot deadlock with the row locks of services.

Besides changes, only the clock moves a public answer: a published order shows as evaluating
once its bidding closes. A cached answer is therefore also kept no later than the next closing
of an open order.

A worker reads the version again at most every DIRECTORY_VERSION_RECHECK_SECONDS (a second by
default), so a cached answer costs no database round trip; a change shows within that long.
While one thread builds an answer anew after a change, the others asking for it are given the
answer it replaces (with `no-cache`, so no proxy keeps it): a change does not stall a busy page
for as long as building it takes (a 2-character search of 100,000 orders: a few hundred ms).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable

from flask import Response, current_app, request
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from market import db
from market.db import utcnow
from market.orders.models import DirectoryState, Order

STATE_ID = 1
# Tables whose rows the directory shows (by name: the models of later domains import this one).
_SHOWN = frozenset({"orders", "order_amendments", "questions", "contracts", "organizations"})
_FLAG = "market.directory_changed"
# How long a proxy may serve an answer without asking, and how long it may serve it stale while
# it asks again: short, since a proxy cannot hear of a change.
MAX_AGE = 5
STALE_WHILE_REVALIDATE = 30
# A worker keeps an answer at most this long, whatever happens.
KEEP = dt.timedelta(minutes=5)


# The version ----------------------------------------------------------------------------------


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _context) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if getattr(obj, "__tablename__", None) in _SHOWN:
            session.info[_FLAG] = True
            return


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_changes(state) -> None:
    if (state.is_update or state.is_delete) and state.bind_mapper is not None \
            and state.bind_mapper.local_table.name in _SHOWN:
        state.session.info[_FLAG] = True


@event.listens_for(Session, "before_commit")
def _raise_version(session: Session) -> None:
    session.flush()  # the commit's own flush comes after this event; its changes count too
    if session.info.pop(_FLAG, False):
        session.execute(update(DirectoryState).where(DirectoryState.id == STATE_ID)
                        .values(version=DirectoryState.version + 1, changed_at=utcnow()))


@event.listens_for(Session, "after_rollback")
def _forget_changes(session: Session) -> None:
    session.info.pop(_FLAG, None)


# Read on every public request, so as plain SQL: building the ORM statement costs more than running it.
_VERSION_SQL = f"SELECT version FROM directory_state WHERE id = {STATE_ID}"


def version(session: Session) -> int | None:
    """The directory's version now (None on a database without the row: nothing is cached)."""
    return session.connection().exec_driver_sql(_VERSION_SQL).scalar()


def next_closing(session: Session, now: dt.datetime) -> dt.datetime | None:
    """When the next open order closes: the first moment the clock changes a public answer."""
    return session.scalar(select(func.min(Order.bidding_closes_at))
                          .where(Order.status == "published", Order.bidding_closes_at > now))


# Public answers -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Answer:
    version: int
    until: dt.datetime
    etag: str
    body: bytes
    mimetype: str
    headers: tuple
    # The whole response's headers but the per-request ones, once the app has answered it.
    final_headers: tuple | None = None


class _Store:
    """The answers of one worker, least recently used dropped first."""

    def __init__(self, size: int, recheck: float) -> None:
        self.size = size
        self.recheck = dt.timedelta(seconds=recheck)
        self.lock = threading.Lock()
        self.items: OrderedDict[str, _Answer] = OrderedDict()
        self.known: tuple[int | None, dt.datetime] | None = None  # the version and when it was read
        # One thread fills an answer while the others asking for it wait for that one (striped
        # locks): a change or a cold start does not make every thread build the same page.
        self.filling = [threading.Lock() for _ in range(32)]
        self.rebuilding: set[str] = set()  # the keys a thread is building anew (under `lock`)

    def filler(self, key: str) -> threading.Lock:
        return self.filling[hash(key) % len(self.filling)]

    def version(self, now: dt.datetime) -> int | None:
        """The directory's version, read again once `recheck` has passed since it was last read:
        a busy worker asks the database a few times a second, not on every request."""
        known = self.known
        if known is None or not known[1] <= now < known[1] + self.recheck:
            known = self.known = (version(db.session), now)
        return known[0]

    def get(self, key: str) -> _Answer | None:
        with self.lock:
            answer = self.items.get(key)
            if answer is not None:
                self.items.move_to_end(key)
            return answer

    def stale_while_rebuilt(self, key: str) -> _Answer | None:
        """The answer held for `key` while another thread builds its new one, else None."""
        with self.lock:
            return self.items.get(key) if key in self.rebuilding else None

    def put(self, key: str, answer: _Answer) -> None:
        with self.lock:
            self.items[key] = answer
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


def _key(environ: dict) -> str:
    return environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "") + "?" + environ.get("QUERY_STRING", "")


def _raw_key(environ: dict) -> str:
    """The URL and the raw headers a variant (a page's language, its type) is negotiated from,
    for a request without cookies or credentials: equal headers negotiate the same variant."""
    return (f"{_key(environ)}#raw|{environ.get('HTTP_ACCEPT_LANGUAGE', '')}"
            f"|{environ.get('HTTP_ACCEPT', '')}")


def _store() -> _Store | None:
    size = current_app.config.get("DIRECTORY_CACHE_ENTRIES", 0)
    recheck = current_app.config.get("DIRECTORY_VERSION_RECHECK_SECONDS", 0)
    store = current_app.extensions.get("market.directory_cache")
    if store is None or store.size != size or store.recheck.total_seconds() != recheck:
        store = current_app.extensions["market.directory_cache"] = _Store(size, recheck)
    return store if size > 0 else None


def _etag(version_: int, body: bytes) -> str:
    return f"{version_:x}-{hashlib.blake2b(body, digest_size=8).hexdigest()}"


def _cache_control(now: dt.datetime, until: dt.datetime) -> str:
    seconds = max(0, min(MAX_AGE, int((until - now).total_seconds())))
    return f"public, max-age={seconds}, stale-while-revalidate={STALE_WHILE_REVALIDATE}"


def _answer(answer: _Answer, now: dt.datetime, *, stale: bool = False) -> Response:
    if answer.etag in request.if_none_match:
        response = Response(status=304)
    else:
        response = Response(answer.body, mimetype=answer.mimetype)
        response.headers.extend(answer.headers)
    response.set_etag(answer.etag)
    response.headers["Cache-Control"] = "no-cache" if stale else _cache_control(now, answer.until)
    return response


def public(view: Callable, *, variant: Callable[[], str] | None = None) -> Callable:
    """A public GET answered from the worker's cache while the directory has not changed, with an
    ETag (304 to a client that has it) and a Cache-Control a shared proxy can use.

    Goes right under the route decorator: a cached answer skips parsing and the database but for
    one read of the version. Only 200 answers are kept; errors go through as usual. ``variant``
    names what besides the URL the answer depends on (a page's language); the middleware below
    answers such a page only for the raw headers of a request the app answered with it.
    """

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        now = utcnow()
        store = _store()
        current = store.version(now) if store is not None else version(db.session)
        if current is None:
            return view(*args, **kwargs)
        key = _key(request.environ) + ("#" + variant() if variant is not None else "")
        if store is None:
            return _fill(None, key, current, now, view, args, kwargs)
        answer = store.get(key)
        if answer is not None and answer.version == current and now < answer.until:
            return _answer(answer, now)
        stale = store.stale_while_rebuilt(key)
        if stale is not None:
            return _answer(stale, now, stale=True)
        # Nothing of this request's own is open while it waits for another to fill the answer: on
        # SQLite every transaction holds the write lock, which the filler's view may need.
        if db.session.in_transaction():
            db.session.commit()
        with store.filler(key):
            answer = store.get(key)  # filled by the thread this one waited for
            if answer is not None and answer.version == current and now < answer.until:
                return _answer(answer, now)
            rebuilding = answer is not None
            if rebuilding:
                with store.lock:
                    store.rebuilding.add(key)
            try:
                return _fill(store, key, current, now, view, args, kwargs)
            finally:
                if rebuilding:
                    with store.lock:
                        store.rebuilding.discard(key)

    return wrapper


def _fill(store: _Store | None, key: str, current: int, now: dt.datetime, view, args, kwargs):
    response = current_app.make_response(view(*args, **kwargs))
    if response.status_code != 200 or response.is_streamed:
        return response
    closing = next_closing(db.session, now)
    until = min(now + KEEP, closing) if closing else now + KEEP
    body = response.get_data()
    answer = _Answer(current, until, _etag(current, body), body, response.mimetype,
                     tuple((k, v) for k, v in response.headers.items()
                           if k.lower() not in ("content-length", "content-type")))
    if store is not None:
        store.put(key, answer)
        # The middleware below may answer this URL itself once it has the final headers.
        request.environ[_FILLED] = key
    return _answer(answer, now)


def conditional(view: Callable) -> Callable:
    """For a streamed public answer (the CSV export): an ETag of the version and the URL, so a
    client or proxy that has this version gets 304 before anything is read."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        now = utcnow()
        current = version(db.session)
        if current is None:
            return view(*args, **kwargs)
        closing = next_closing(db.session, now)
        stamp = f"{current}|{closing.isoformat() if closing else ''}|{_key(request.environ)}"
        etag = f"{current:x}-{hashlib.blake2b(stamp.encode(), digest_size=8).hexdigest()}"
        until = min(now + KEEP, closing) if closing else now + KEEP
        if etag in request.if_none_match:
            response = Response(status=304)
        else:
            response = current_app.make_response(view(*args, **kwargs))
            if response.status_code != 200:
                return response
        response.set_etag(etag)
        response.headers["Cache-Control"] = _cache_control(now, until)
        return response

    return wrapper


# Answering from the cache before the app ---------------------------------------------------------

_FILLED = "market.public_answer"
# Set per request or per moment: never replayed from the cache.
_PER_REQUEST = frozenset({"x-request-id", "etag", "cache-control", "content-length", "date", "server"})
log = logging.getLogger("market.request")


class CachedAnswers:
    """WSGI middleware: a GET with no credentials (no Authorization, no Cookie) for a URL whose
    answer the worker holds, for the version it read within the last recheck, is answered here,
    before Flask builds a request: the same bytes and headers the app gave, with a request id,
    ETag and Cache-Control of its own. Anything else (and one request per recheck) goes to the
    app, which refreshes the version and the answers."""

    def __init__(self, wsgi_app, app) -> None:
        self.wsgi_app = wsgi_app
        self.app = app

    def __call__(self, environ, start_response):
        answer = self._held(environ)
        if answer is not None:
            return self._replay(answer, environ, start_response)
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        result = self.wsgi_app(environ, capture)
        key = environ.get(_FILLED)
        if key is not None and captured.get("status", "").startswith("200"):
            self._complete(key, captured["headers"], environ)
        return result

    def _held(self, environ) -> _Answer | None:
        if not _anonymous_get(environ):
            return None
        store = self.app.extensions.get("market.directory_cache")
        if store is None or store.size <= 0 or store.known is None:
            return None
        now = utcnow()
        known, read_at = store.known
        if not read_at <= now < read_at + store.recheck:
            return None
        answer = store.get(_key(environ)) or store.get(_raw_key(environ))
        if answer is None or answer.final_headers is None or answer.version != known or now >= answer.until:
            return None
        return answer

    def _complete(self, key: str, headers, environ) -> None:
        store = self.app.extensions.get("market.directory_cache")
        answer = store.get(key) if store is not None else None
        if answer is None or any(name.lower() == "set-cookie" for name, _ in headers):
            return
        kept = tuple((name, value) for name, value in headers if name.lower() not in _PER_REQUEST)
        complete = dataclasses.replace(answer, final_headers=kept)
        store.put(key, complete)
        if "#" in key and _anonymous_get(environ):
            # A variant (a page in a language) is held here under the raw headers it was
            # negotiated from too, so the next request sending the same ones is answered here.
            store.put(_raw_key(environ), complete)

    def _replay(self, answer: _Answer, environ, start_response):
        started = time.perf_counter()
        now = utcnow()
        request_id = uuid.uuid4().hex
        quoted = f'"{answer.etag}"'
        matches = environ.get("HTTP_IF_NONE_MATCH", "")
        not_modified = matches.strip() == "*" or quoted in (tag.strip() for tag in matches.split(","))
        headers = [*answer.final_headers, ("ETag", quoted), ("Cache-Control", _cache_control(now, answer.until)),
                   ("X-Request-ID", request_id)]
        body = b"" if not_modified else answer.body
        if not_modified:
            headers = [(k, v) for k, v in headers if k.lower() not in ("content-type",)]
        else:
            headers.append(("Content-Length", str(len(body))))
        status = "304 NOT MODIFIED" if not_modified else "200 OK"
        start_response(status, headers)
        log.info("%s %s %s %.1fms user=- ip=%s request_id=%s", "GET", environ.get("PATH_INFO", ""), status[:3],
                 (time.perf_counter() - started) * 1000, environ.get("REMOTE_ADDR"), request_id)
        return [body]


def _anonymous_get(environ) -> bool:
    return (environ.get("REQUEST_METHOD") == "GET" and "HTTP_AUTHORIZATION" not in environ
            and "HTTP_COOKIE" not in environ)


def init_app(app) -> None:
    app.wsgi_app = CachedAnswers(app.wsgi_app, app)
