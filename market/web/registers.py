"""The coordinators' registers: every published order and every contract with the API's filters,
and the audit trail with its filters and a CSV download of the filtered selection (streamed).
Each reads through the service the API reads through, with the API's query schema."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
    current_app,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from sqlalchemy import select

from market import db
from market.accounts.models import User
from market.api.fields import paginate
from market.audit import services as audit
from market.audit.schemas import AuditEventQuerySchema
from market.contracts import services as contracts
from market.contracts.models import CONTRACT_STATUSES
from market.contracts.schemas import ContractQuerySchema
from market.csvcells import BOM, cell, drain
from market.db import utcnow
from market.orders import services as orders
from market.orders.models import ORDER_STATUSES
from market.orders.schemas import OrderQuerySchema
from market.organizations import services as organizations
from market.organizations.models import Organization
from market.web.coordinator import coordinator_only
from market.web.forms import load_form

bp = Blueprint("registers", __name__, url_prefix="/coordinator")
AUDIT_CSV_COLUMNS = ("id", "occurred_at", "action", "object_type", "object_id", "organization_id",
                     "actor_id", "actor_email", "actor_org_id", "data", "request_id", "ip_address")
_BATCH = 500


def _register(template: str, schema, listing, **context):
    """A register page: the query string through the API's schema (errors beside the filters, 422),
    one page of rows, and links to the other pages with the same filters."""
    user = coordinator_only()
    query, errors = load_form(schema, request.args)
    page = None
    if not errors:
        page_no, per_page = query.pop("page"), query.pop("per_page")
        page = paginate(db.session, listing(user, query), page_no, per_page)
    filters = {k: v for k, v in request.args.items() if k != "page" and v.strip()}
    endpoint = request.endpoint
    return render_template(
        template, page=page, errors=errors, form=request.args, filters=filters,
        agencies=_organizations(user, "agency"), vendors=_organizations(user, "vendor"),
        modalities=current_app.config["VOCABULARY"]["modalities"],
        page_url=lambda n: url_for(endpoint) + "?" + urlencode({**filters, "page": n}),
        **context,
    ), 422 if errors else 200


def _organizations(user, kind: str) -> list[Organization]:
    return db.session.scalars(organizations.list_organizations(actor=user, kind=kind)
                              .order_by(None).order_by(Organization.name)).all()


@bp.get("/orders")
def order_register():
    """Every order that was published, by status, agency, awarded vendor, data and publishing date."""
    now = utcnow()
    return _register("coordinator/orders.html", OrderQuerySchema(),
                     lambda user, query: orders.list_orders(actor=user, now=now, **query),
                     statuses=ORDER_STATUSES[1:], now=now)


@bp.get("/contracts")
def contract_register():
    """Every contract, by status, agency, vendor, data and the date it was made."""
    return _register("coordinator/contracts.html", ContractQuerySchema(),
                     lambda user, query: contracts.list_contracts(actor=user, **query),
                     statuses=CONTRACT_STATUSES, now=utcnow())


@bp.get("/audit")
def audit_trail():
    """The audit trail, newest first, by object, actor, action and time; the same selection as CSV."""
    now = utcnow()
    return _register("coordinator/audit.html", AuditEventQuerySchema(),
                     lambda user, query: audit.visible_events(actor=user, now=now, **query),
                     csv_url=_csv_url(), actors_of=_actors_of,
                     data_of=_data_of)


def _data_of(event) -> str:
    """An event's data as the page shows it: JSON with its Chinese as written."""
    return json.dumps(audit.readable_data(event, actor=coordinator_only()), ensure_ascii=False,
                      sort_keys=True)


def _csv_url() -> str:
    filters = {k: v for k, v in request.args.items() if k not in ("page", "per_page") and v.strip()}
    return url_for("registers.audit_csv") + ("?" + urlencode(filters) if filters else "")


@bp.get("/audit.csv")
def audit_csv():
    """The filtered audit trail as CSV, every matching event (not only one page), streamed."""
    user = coordinator_only()
    query, errors = load_form(AuditEventQuerySchema(), request.args)
    if errors:
        return audit_trail()
    query.pop("page"), query.pop("per_page")
    stmt = audit.visible_events(actor=user, now=utcnow(), **query)
    response = Response(stream_with_context(_audit_chunks(stmt, user)), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="audit-trail.csv"'
    return response


def _audit_chunks(stmt, user) -> Iterator[str]:
    # Runs while the response streams: the rows are read through the session of the context
    # stream_with_context pushes again, a batch at a time.
    emails = dict(db.session.execute(select(User.id, User.email)).all())
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow(AUDIT_CSV_COLUMNS)
    events = db.session.scalars(stmt.execution_options(yield_per=_BATCH))
    for n, event in enumerate(events, start=1):
        data = audit.readable_data(event, actor=user)
        writer.writerow([cell(v) for v in (
            event.id, event.occurred_at.isoformat(), event.action, event.object_type,
            event.object_id, event.organization_id, event.actor_id, emails.get(event.actor_id),
            event.actor_org_id, json.dumps(data, ensure_ascii=False, sort_keys=True),
            event.request_id, event.ip_address)])
        if n % _BATCH == 0:
            yield drain(buffer)
    yield drain(buffer)


def _actors_of(events) -> dict[int, User]:
    """The users who acted in `events`, by id, in one query."""
    ids = {e.actor_id for e in events if e.actor_id}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
