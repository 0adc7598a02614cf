"""The lifecycles of contracts, delivery lots and disputes: the allowed moves and their stamps."""

from __future__ import annotations

from market.lifecycle import Lifecycle

CONTRACT_LIFECYCLE = Lifecycle(
    object_type="contract",
    status_kind="contract_status",
    allowed={"active": frozenset({"completed", "terminated"})},
    stamps={"completed": "completed_at", "terminated": "terminated_at"},
)

# A rejected lot goes back to submitted only when a coordinator orders it inspected again.
LOT_LIFECYCLE = Lifecycle(
    object_type="lot",
    status_kind="lot_status",
    allowed={
        "submitted": frozenset({"accepted", "rejected"}),
        "rejected": frozenset({"submitted"}),
    },
    stamps={"accepted": "decided_at", "rejected": "decided_at"},
)

DISPUTE_LIFECYCLE = Lifecycle(
    object_type="dispute",
    status_kind="dispute_status",
    allowed={"open": frozenset({"upheld", "reinspection"})},
    stamps={"upheld": "decided_at", "reinspection": "decided_at"},
)
