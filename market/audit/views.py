"""API: reading the audit trail (it is append-only, so there is nothing to change here)."""

from __future__ import annotations

from market.api.openapi import Blueprint
from market.audit import services
from market.audit.schemas import AuditEventPageSchema, AuditEventQuerySchema
from market.auth import current_user

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit-events", description="The audit trail")


@blp.get("")
@blp.arguments(AuditEventQuerySchema, location="query")
@blp.paginated(AuditEventPageSchema)
def list_audit_events(query):
    """Audit events, newest first (staff see all; others their own organisation's)"""
    return services.visible_events(actor=current_user(), **query)


BLUEPRINTS = [blp]
