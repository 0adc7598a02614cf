"""Request and response schemas for bids."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from market.api.fields import (
    MAX_ID,
    Amount,
    Function,
    LocalDateTime,
    PageQuerySchema,
    QueryId,
    page_schema,
)
from market.auth import reader_language
from market.bids import reasons
from market.bids.models import BID_STATUSES
from market.bids.services import total_price
from market.db import utcnow

# The bids table keeps unit prices as NUMERIC(12, 4).
MAX_UNIT_PRICE = Decimal("1000000")


class BidCreateSchema(Schema):
    unit_price = Amount(
        required=True,
        places=4,
        validate=validate.Range(min=0, min_inclusive=False, max=MAX_UNIT_PRICE),
        metadata={"description": "CNY per unit of the order, e.g. \"0.35\"", "example": "0.35"},
    )
    volume = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=MAX_ID),
        metadata={"description": "units offered: the whole order unless it is splittable"},
    )
    seats_committed = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1, max=100000),
        metadata={
            "description": "annotation workstations put on the order, at most the firm's seats"
        },
    )
    proposed_finish_date = fields.Date(
        required=True,
        metadata={"description": "not in the past, not after the order's delivery deadline"},
    )
    technical_note = fields.String(load_default="", validate=validate.Length(max=5000))


class BidRevisionSchema(Schema):
    """The terms to change; the others stay as they are."""

    unit_price = Amount(
        places=4, validate=validate.Range(min=0, min_inclusive=False, max=MAX_UNIT_PRICE))
    volume = fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID))
    seats_committed = fields.Integer(strict=True, validate=validate.Range(min=1, max=100000))
    proposed_finish_date = fields.Date()
    technical_note = fields.String(validate=validate.Length(max=5000))

    @validates_schema
    def _something(self, data, **kwargs):
        if not data:
            raise ValidationError("Give at least one term to change.")


class BidSchema(Schema):
    id = fields.Integer()
    order_id = fields.Integer()
    vendor_id = fields.Integer()
    unit_price = fields.Decimal(as_string=True)
    volume = fields.Integer()
    total_price = fields.Method(
        "_total_price", metadata={"description": "unit_price × volume, CNY"}
    )
    seats_committed = fields.Integer()
    proposed_finish_date = fields.Date()
    technical_note = fields.String()
    status = Function(
        lambda bid: bid.effective_status(utcnow()),
        metadata={"type": "string", "enum": list(BID_STATUSES),
                  "description": "effective: a bid still unconfirmed after a material amendment "
                                 "is lapsed once bidding has closed"})
    status_reason = Function(
        lambda bid: reasons.status_reason(bid, reader_language()),
        metadata={"type": "string", "nullable": True,
                  "description": "why the bid is in its status, in the reader's language"})
    status_reason_code = Function(
        reasons.status_reason_code,
        metadata={"type": "string", "nullable": True,
                  "enum": sorted(reasons.STATUS_REASONS) + [None],
                  "description": "the code of status_reason, when the service wrote it (GET "
                                 "/bids/{id}/result explains a result at length)"})
    submitted_at = LocalDateTime()
    withdrawn_at = LocalDateTime(allow_none=True)
    awarded_at = LocalDateTime(allow_none=True)
    rejected_at = LocalDateTime(allow_none=True)
    lapsed_at = LocalDateTime(allow_none=True)
    confirmation_requested_at = LocalDateTime(
        allow_none=True,
        metadata={"description": "set by a material amendment of the order: confirm "
                                 "(POST /bids/{id}/confirm) or revise the bid before bidding "
                                 "closes, else it lapses"})
    confirmed_at = LocalDateTime(allow_none=True)

    def _total_price(self, bid) -> str:
        return str(total_price(bid))


class OrderBidQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(BID_STATUSES))


class OwnBidQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(BID_STATUSES))
    order_id = QueryId()


BidPageSchema = page_schema(BidSchema, "BidPageSchema")
