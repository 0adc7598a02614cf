"""The lifecycles of vendors (verification) and their change requests: the allowed moves and their times."""

from __future__ import annotations

from market.lifecycle import Lifecycle

VENDOR_LIFECYCLE = Lifecycle(
    object_type="vendor",
    status_kind="verification",
    allowed={
        "pending": frozenset({"verified", "suspended"}),
        "verified": frozenset({"suspended"}),
        "suspended": frozenset({"verified"}),
    },
    stamps={"verified": "verified_at", "suspended": "suspended_at"},
    status_attr="verification_status",
    id_attr="organization_id",
)

# Any organisation: an administrator deactivates it (its staff can no longer sign in) or reactivates it.
ORGANIZATION_LIFECYCLE = Lifecycle(
    object_type="organization",
    status_kind="org_status",
    allowed={
        "active": frozenset({"deactivated"}),
        "deactivated": frozenset({"active"}),
    },
    stamps={"deactivated": "deactivated_at", "active": "reactivated_at"},
)

# A vendor's change request: decided by a coordinator, withdrawn by the vendor, or superseded when
# the vendor asks again while it is pending.
CHANGE_REQUEST_LIFECYCLE = Lifecycle(
    object_type="change_request",
    status_kind="change_status",
    allowed={"pending": frozenset({"approved", "rejected", "withdrawn", "superseded"})},
    stamps={
        "approved": "decided_at",
        "rejected": "decided_at",
        "withdrawn": "withdrawn_at",
        "superseded": "superseded_at",
    },
)
