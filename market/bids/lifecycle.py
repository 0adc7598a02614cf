"""The bid lifecycle: which moves are allowed and the time each one stamps."""

from __future__ import annotations

from market.lifecycle import Lifecycle

BID_LIFECYCLE = Lifecycle(
    object_type="bid",
    status_kind="bid_status",
    allowed={
        "submitted": frozenset({"withdrawn", "awarded", "rejected", "lapsed"}),
        # A bid that lost only because the order was covered competes again for the remainder of
        # a terminated contract.
        "rejected": frozenset({"submitted"}),
    },
    stamps={"withdrawn": "withdrawn_at", "awarded": "awarded_at", "rejected": "rejected_at",
            "lapsed": "lapsed_at"},
)
