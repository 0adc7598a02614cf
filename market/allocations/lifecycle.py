"""The lifecycle of a proposed match: which moves are allowed and the time each one stamps."""

from __future__ import annotations

from market.lifecycle import Lifecycle

ALLOCATION_LIFECYCLE = Lifecycle(
    object_type="allocation",
    status_kind="allocation_status",
    allowed={"proposed": frozenset({"approved", "rejected", "superseded"})},
    stamps={"approved": "decided_at", "rejected": "decided_at", "superseded": "superseded_at"},
)
