"""API: the public demand directory, browsable and exportable without logging in."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from flask import Response, stream_with_context
from sqlalchemy.orm import selectinload

from market import db
from market.api.openapi import PUBLIC, Blueprint
from market.csvcells import BOM, cell, drain
from market.db import utcnow
from market.orders import freshness, services
from market.orders.models import Order
from market.orders.schemas import (
    DirectoryOrderSchema,
    DirectoryPageQuerySchema,
    DirectoryPageSchema,
    DirectoryQuerySchema,
)

blp = Blueprint("directory", __name__, url_prefix="/api/v1",
                description="The public directory of annotation demand (no login)")

CSV_COLUMNS = (
    "id", "title", "agency_name", "agency_province", "agency_city", "agency_county", "sector",
    "modality", "annotation_type", "volume", "unit", "bidding_closes_at", "delivery_deadline",
    "status", "published_at", *services.PUBLIC_FIELD_CHOICES, "hidden_fields",
    "awarded_at", "award_volume", "award_value", "award_vendors",
)
_BATCH = 500


@blp.get("/directory")
@freshness.public
@blp.arguments(DirectoryPageQuerySchema, location="query")
@blp.paginated(DirectoryPageSchema)
@blp.doc(security=PUBLIC)
def list_directory(query):
    """Browse published annotation demand, newest first unless sorted otherwise"""
    now = utcnow()
    return _with_awards(services.directory_orders(now=now, **query)), lambda rows: [
        services.directory_entry(order, now) for order in rows]


@blp.get("/directory/<id:order_id>")
@freshness.public
@blp.response(200, DirectoryOrderSchema)
@blp.doc(security=PUBLIC)
def get_directory_entry(order_id):
    """One published order, with the fields its agency made public"""
    order = services.get_public_order(db.session, order_id)
    return services.directory_entry(order, utcnow(), amendments=True)


@blp.get("/directory.csv")
@freshness.conditional
@blp.arguments(DirectoryQuerySchema, location="query")
@blp.response(200, content_type="text/csv")
@blp.doc(security=PUBLIC, responses={"200": {
    "description": f"UTF-8 with BOM, a header row, at most {services.DIRECTORY_CSV_MAX_ROWS} rows",
    "content": {"text/csv": {"schema": {"type": "string"}}},
}})
def export_directory(query):
    """Export the directory as CSV, with the same filters (opens in Excel, Chinese intact)"""
    now = utcnow()
    stmt = services.directory_orders(now=now, **query)
    total = services.count(db.session, stmt)
    response = Response(stream_with_context(_csv_chunks(stmt, now)), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="annotation-demand.csv"'
    response.headers["X-Total-Count"] = str(total)
    if total > services.DIRECTORY_CSV_MAX_ROWS:
        response.headers["X-Truncated-To"] = str(services.DIRECTORY_CSV_MAX_ROWS)
    return response


def _csv_chunks(stmt, now) -> Iterator[str]:
    # Runs while the response streams, after the view's context was torn down: the rows are read
    # through the session of the context stream_with_context pushes again.
    orders = db.session.scalars(
        _with_awards(stmt).limit(services.DIRECTORY_CSV_MAX_ROWS).execution_options(yield_per=_BATCH)
    )
    schema = DirectoryOrderSchema()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow(CSV_COLUMNS)
    for n, order in enumerate(orders, start=1):
        writer.writerow(_csv_row(schema.dump(services.directory_entry(order, now))))
        if n % _BATCH == 0:
            yield drain(buffer)
    yield drain(buffer)


def _with_awards(stmt):
    return stmt.options(selectinload(Order.contracts))


def _csv_row(item: dict) -> list[str]:
    agency = item.pop("agency")
    for key in ("name", "province", "city", "county"):
        item[f"agency_{key}"] = agency[key]
    award = item.pop("award") or {}
    item["awarded_at"], item["award_volume"], item["award_value"] = (
        award.get("awarded_at"), award.get("volume"), award.get("value"))
    # One cell: each winner with its volume, unit price and value.
    item["award_vendors"] = [f"{v['vendor']['name']}: {v['volume']} × {v['unit_price']} = {v['value']}"
                             for v in award.get("vendors", ())] or None
    return [cell(item.get(column)) for column in CSV_COLUMNS]


BLUEPRINTS = [blp]
