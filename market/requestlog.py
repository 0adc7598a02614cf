"""A request id on every request and response, and one log line per request (never a token)."""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, g, request

from market.context import RequestContext, current_context

log = logging.getLogger("market.request")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_finish)


def _start() -> None:
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
    g.request_started = time.perf_counter()
    g.context_token = current_context.set(
        RequestContext(request_id=g.request_id, ip_address=request.remote_addr)
    )


def _finish(response):
    request_id = g.get("request_id") or uuid.uuid4().hex
    response.headers["X-Request-ID"] = request_id
    started = g.get("request_started")
    millis = (time.perf_counter() - started) * 1000 if started else 0.0
    user_id = g.get("current_user_id")
    # The path only: query strings and headers can carry secrets and are never logged.
    log.info(
        "%s %s %s %.1fms user=%s ip=%s request_id=%s",
        request.method, request.path, response.status_code, millis,
        user_id if user_id is not None else "-", request.remote_addr, request_id,
    )
    token = g.pop("context_token", None)
    if token is not None:
        current_context.reset(token)
    return response
