"""The order lifecycle: which moves are allowed and the time each one stamps."""

from __future__ import annotations

from market.lifecycle import Lifecycle

ORDER_LIFECYCLE = Lifecycle(
    object_type="order",
    status_kind="status",
    allowed={
        "draft": frozenset({"published", "cancelled"}),
        "published": frozenset({"evaluating", "cancelled"}),
        "evaluating": frozenset({"awarded", "cancelled", "unsuccessful"}),
        # Back to evaluating when a terminated contract leaves volume to match again.
        "awarded": frozenset({"in_progress", "evaluating"}),
        "in_progress": frozenset({"completed", "evaluating"}),
    },
    stamps={
        "published": "published_at", "evaluating": "evaluating_at", "awarded": "awarded_at",
        "in_progress": "in_progress_at", "completed": "completed_at", "cancelled": "cancelled_at",
        "unsuccessful": "unsuccessful_at",
    },
)
