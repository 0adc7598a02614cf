"""Schemas for match runs, allocations (proposals) and the scoring policy."""

from __future__ import annotations

from flask import g
from marshmallow import Schema, ValidationError, fields, validate, validates

from market.allocations.models import ALLOCATION_STATUSES
from market.allocations.services import note_for
from market.api.fields import (
    Function,
    Id,
    LocalDateTime,
    Note,
    PageQuerySchema,
    QueryId,
    Reason,
    page_schema,
)
from market.contracts.schemas import ContractSchema
from market.orders.schemas import ScoringWeightsSchema


class ScoringPolicySchema(Schema):
    id = fields.Integer(dump_only=True)
    weights = fields.Nested(ScoringWeightsSchema, required=True)
    note = fields.String(allow_none=True, validate=validate.Length(max=2000))
    created_at = LocalDateTime(dump_only=True, allow_none=True)


class MatchRunCreateSchema(Schema):
    time_limit = fields.Float(
        validate=validate.Range(min=0.5, max=120),
        metadata={"description": "seconds for the solver (default from config)"},
    )
    order_ids = fields.List(Id(), validate=validate.Length(min=1, max=10000), metadata={
        "description": "run over these orders only (each must be under evaluation); "
                       "default: every order whose bidding has closed"})

    @validates("order_ids")
    def _distinct(self, value, **kwargs):
        if len(set(value)) != len(value):
            raise ValidationError("List each order once.")


class MatchRunProgressSchema(Schema):
    phase = fields.String(metadata={"description": "load, quality, solve or store"})
    done = fields.Integer()
    total = fields.Integer()
    updated_at = LocalDateTime()


class MatchRunSchema(Schema):
    id = fields.Integer()
    status = fields.String(metadata={"description": "queued, running, completed or failed"})
    trigger = fields.String()
    started_by_id = fields.Integer(allow_none=True)
    policy = fields.Dict(keys=fields.String(), values=fields.Float())
    solver = fields.String(allow_none=True)
    objective = fields.Float(allow_none=True)
    bound = fields.Float(allow_none=True)
    gap_pct = fields.Float(allow_none=True)
    seconds = fields.Float(allow_none=True)
    order_ids = fields.List(fields.Integer(), metadata={"description": "the orders it matched"})
    requested_order_ids = fields.List(fields.Integer(), allow_none=True, metadata={
        "description": "the orders it was asked to match; null: every order under evaluation"})
    time_limit = fields.Float(allow_none=True)
    stats = fields.Dict()
    queued_at = LocalDateTime(allow_none=True)
    started_at = LocalDateTime(allow_none=True)
    finished_at = LocalDateTime(allow_none=True)
    progress = fields.Nested(MatchRunProgressSchema, allow_none=True, metadata={
        "description": "how far a running run has got (GET of one run; PostgreSQL only: on SQLite "
                       "the run's transaction holds the database until it is done)"})
    error = fields.String(allow_none=True, metadata={"description": "why a failed run failed"})


class EvaluationSchema(Schema):
    bid_id = fields.Integer()
    vendor_id = fields.Integer()
    vendor_name = Function(lambda evaluation: evaluation.vendor.name)
    eligible = fields.Boolean()
    refusals = fields.List(fields.Dict())
    score = fields.Float(allow_none=True)
    breakdown = fields.Dict()
    allocated_volume = fields.Float()
    outcome = fields.String()


class AllocationSummarySchema(Schema):
    """A match as the list shows it: what was proposed and decided and the score by component;
    GET /allocations/{id} has the explanation and the competing bids."""

    id = fields.Integer()
    run_id = fields.Integer()
    order_id = fields.Integer()
    bid_id = fields.Integer()
    vendor_id = fields.Integer()
    volume = fields.Integer()
    unit_price = fields.Decimal(as_string=True)
    score = fields.Float()
    contributions = Function(
        lambda allocation: {name: part.get("contribution") for name, part in
                            ((allocation.breakdown or {}).get("components") or {}).items()},
        metadata={"type": "object", "additionalProperties": {"type": "number"},
                  "description": "each component's contribution to the score"},
    )
    status = fields.String()
    created_at = LocalDateTime()
    decided_by_id = fields.Integer(allow_none=True)
    decided_at = LocalDateTime(allow_none=True)
    superseded_at = LocalDateTime(allow_none=True)
    reason = fields.String(allow_none=True, metadata={"description": "the decision's reason"})
    note = Function(
        lambda allocation: note_for(allocation, actor=g.get("current_user")),
        allow_none=True,
        metadata={"type": "string", "description": "internal note (coordinators only)"},
    )


class AllocationSchema(AllocationSummarySchema):
    breakdown = fields.Dict(
        metadata={
            "description": "total and per component: raw, score, weight, "
            "contribution, explanation; plus the quality model's "
            "per-feature explanation"
        }
    )
    competing = fields.List(fields.Nested(EvaluationSchema), metadata={
        "description": "every bid on the order in the same run: eligibility, score and why it lost "
                       "(not shown to vendors)"})


class AllocationQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(ALLOCATION_STATUSES))
    order_id = QueryId()
    vendor_id = QueryId()
    run_id = QueryId()


class ApproveSchema(Schema):
    reason = Reason(
        required=True, metadata={"description": "why, told to the vendor and the agency"}
    )
    note = Note(
        metadata={"description": "an internal note for coordinators, never shown to the vendor"}
    )


class RejectSchema(ApproveSchema):
    pass


class ContractRefSchema(ContractSchema):
    """The contract an approval created, without its milestones (GET /contracts/{id} has them)."""

    class Meta:
        # A subclass rather than ContractSchema(exclude=...): the OpenAPI document needs a name of
        # its own for it, or apispec numbers two schemas "Contract" and "Contract1".
        exclude = ("milestones",)


class ApprovalSchema(Schema):
    allocation = fields.Nested(AllocationSchema)
    contract = fields.Nested(ContractRefSchema)


AllocationPageSchema = page_schema(AllocationSummarySchema, "AllocationPageSchema")
MatchRunPageSchema = page_schema(MatchRunSchema, "MatchRunPageSchema")


class ReasonSchema(Schema):
    code = fields.String(metadata={"description": "stable machine code, e.g. over_budget, outscored"})
    params = fields.Dict(metadata={"description": "what the message is made of, to say it in any language"})
    message = fields.String()


class BidResultSchema(Schema):
    """A bidder's debrief: awarded or not, score and rank in the latest run, and why."""

    bid_id = fields.Integer()
    order_id = fields.Integer()
    status = fields.String(metadata={"description": "awarded, not_awarded or pending"})
    final = fields.Boolean(metadata={"description": "the order is decided: the status will not change"})
    volume = fields.Integer(allow_none=True, metadata={"description": "volume awarded"})
    unit_price = fields.Decimal(as_string=True, allow_none=True)
    match_run_id = fields.Integer(allow_none=True, metadata={"description": "the latest run that judged the bid"})
    eligible = fields.Boolean(allow_none=True)
    score = fields.Float(allow_none=True)
    breakdown = fields.Dict(allow_none=True)
    rank = fields.Integer(allow_none=True, metadata={"description": "1 for the highest score on the order"})
    ranked_bids = fields.Integer(allow_none=True, metadata={"description": "eligible bids the run scored"})
    reasons = fields.List(fields.Nested(ReasonSchema))

