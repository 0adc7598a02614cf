"""Imports every model module so the metadata (and Alembic) sees all tables."""

from market.accounts.models import ApiToken, EmailToken, User  # noqa: F401
from market.allocations.models import (  # noqa: F401
    Allocation,
    BidEvaluation,
    MatchRun,
    MatchRunProgress,
    ScoringPolicy,
)
from market.audit.models import AuditEvent  # noqa: F401
from market.bids.models import Bid  # noqa: F401
from market.contracts.models import (  # noqa: F401
    Contract,
    DeliveryLot,
    Dispute,
    Milestone,
    Payment,
    ProgressReport,
    Rating,
)
from market.idempotency import IdempotencyKey  # noqa: F401
from market.jobs.models import JobRun  # noqa: F401
from market.notifications.models import Notification, OnceKey, OutboxEmail  # noqa: F401
from market.orders.models import Order, OrderAmendment, Question  # noqa: F401
from market.organizations.models import Capability, ChangeRequest, Organization, VendorProfile  # noqa: F401
