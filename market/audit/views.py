"""API: reading the audit trail (it is append-only, so there is nothing to change here)."""

from __future__ import annotations

from flask_smorest import Blueprint

from market import db
from market.api import BEARER
from market.api.fields import paginate
from market.audit import services
from market.audit.schemas import AuditEventPageSchema, AuditEventQuerySchema
from market.auth import current_user

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit-events", description="The audit trail")


@blp.get("")
@blp.arguments(AuditEventQuerySchema, location="query")
@blp.response(200, AuditEventPageSchema)
@blp.doc(security=BEARER)
def list_audit_events(query):
    """Audit events, newest first (staff see all; others their own organisation's)"""
    actor = current_user()
    page, per_page = query.pop("page"), query.pop("per_page")
    return paginate(db.session, services.visible_events(actor=actor, **query), page, per_page)


BLUEPRINTS = [blp]
