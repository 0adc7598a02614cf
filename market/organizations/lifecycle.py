"""The vendor verification lifecycle: which moves are allowed and the time each one stamps."""

from __future__ import annotations

from market.lifecycle import Lifecycle

VENDOR_LIFECYCLE = Lifecycle(
    object_type="vendor",
    allowed={
        "pending": frozenset({"verified", "suspended"}),
        "verified": frozenset({"suspended"}),
        "suspended": frozenset({"verified"}),
    },
    stamps={"verified": "verified_at", "suspended": "suspended_at"},
    status_attr="verification_status",
    id_attr="organization_id",
)
