"""Who is acting and from where, for audit events, without services knowing about HTTP."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str | None = None
    ip_address: str | None = None


current_context: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    # A frozen dataclass: the shared default cannot be changed, only replaced per request.
    "market_request_context", default=RequestContext(),  # noqa: B039
)
