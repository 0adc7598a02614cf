"""Schemas for contracts, their milestones, progress reports, lots, disputes, payments and ratings."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from market.api.fields import (
    MAX_ID,
    Amount,
    DateFilter,
    Function,
    Id,
    LocalDateTime,
    Note,
    PageQuerySchema,
    QueryId,
    Reason,
    Text,
    Trimmed,
    Vocabulary,
    page_schema,
)
from market.auth import reader_language
from market.contracts import services
from market.contracts.models import CONTRACT_STATUSES, DISPUTE_STATUSES
from market.contracts.payments import payment_summary
from market.contracts.sampling import preferred_aql
from market.db import utcnow
from market.i18n import translate
from market.orders.schemas import AwardedVendorSchema, FirmNameSchema
from market.timezone import local_date


class MilestoneSchema(Schema):
    id = fields.Integer()
    name = Function(lambda m: translate(reader_language(), m.name), metadata={"type": "string"})
    due_at = LocalDateTime()
    volume = fields.Integer()
    reported_volume = fields.Integer()
    completed_at = LocalDateTime(allow_none=True)


MAX_ITEMS = 10**9  # items in one lot's manifest
MAX_LISTED_ITEMS = 20000  # item ids listed in one request (a larger lot sends its checksum)


class RatingSchema(Schema):
    id = fields.Integer()
    contract_id = fields.Integer()
    vendor_id = fields.Integer()
    quality = fields.Integer()
    timeliness = fields.Integer()
    communication = fields.Integer()
    comment = fields.String(allow_none=True)
    rated_at = LocalDateTime()
    reply = fields.String(allow_none=True)
    replied_at = LocalDateTime(allow_none=True)


class PaymentSchema(Schema):
    id = fields.Integer()
    contract_id = fields.Integer()
    lot_id = fields.Integer()
    amount = fields.Decimal(as_string=True)
    accepted_on = fields.Date()
    due_on = fields.Date()
    paid_on = fields.Date(allow_none=True)
    reference = fields.String(allow_none=True)
    status = Function(lambda p: p.status_on(local_date(utcnow())),
                      metadata={"enum": ["due", "overdue", "paid"]})


class PaymentsDueSchema(Schema):
    paid = fields.Decimal(as_string=True)
    due = fields.Decimal(as_string=True)
    overdue = fields.Decimal(as_string=True)
    overdue_lots = fields.List(fields.Integer())


class OutcomeSchema(Schema):
    delivered_on_time = fields.Boolean(allow_none=True)
    accuracy_achieved = fields.Float(allow_none=True)
    days_late = fields.Integer(allow_none=True)
    lots_rejected = fields.Integer()


def _outcome(contract) -> dict:
    return {"delivered_on_time": contract.delivered_on_time,
            "accuracy_achieved": contract.accuracy_achieved, "days_late": contract.days_late,
            "lots_rejected": sum(1 for lot in contract.lots if lot.status == "rejected")}


class ContractSchema(Schema):
    id = fields.Integer()
    allocation_id = fields.Integer(allow_none=True)
    order_id = fields.Integer()
    bid_id = fields.Integer(allow_none=True)
    vendor_id = fields.Integer()
    volume = fields.Integer()
    unit_price = fields.Decimal(as_string=True)
    value = fields.Decimal(as_string=True)
    seats = fields.Integer()
    status = fields.String()
    starts_at = LocalDateTime()
    deadline = LocalDateTime()
    created_at = LocalDateTime()
    completed_at = LocalDateTime(allow_none=True)
    delivered_on_time = fields.Boolean(allow_none=True)
    accuracy_achieved = fields.Float(allow_none=True)
    rating = fields.Integer(allow_none=True)
    milestones = fields.List(fields.Nested(MilestoneSchema))
    terminated_at = LocalDateTime(allow_none=True)
    status_reason = fields.String(allow_none=True)
    payment_term_days = fields.Integer()
    severity = fields.String(metadata={"description": "ISO 2859-1 inspection now in force"})
    switching_score = fields.Integer()
    discontinued = Function(lambda c: c.discontinued_at is not None)
    reduced_agreed = Function(lambda c: c.reduced_agreed_at is not None)
    overdue = Function(lambda c: c.overdue(utcnow()),
                       metadata={"description": "past its deadline with volume left"})
    accepted_volume = Function(lambda c: services.accepted_volume(c))
    pending_volume = Function(lambda c: services.pending_volume(c))
    open_to_deliver = Function(lambda c: services.open_to_deliver(c))
    payments = Function(
        lambda c: PaymentsDueSchema().dump(payment_summary(c, local_date(utcnow()))),
        metadata={"type": "object", "description": "CNY paid, due and overdue, and the overdue lots"},
    )
    # Each accepted lot's payment: its amount and due date, what the agency records against.
    payables = fields.List(fields.Nested(PaymentSchema), attribute="payments")
    outcome = Function(lambda c: OutcomeSchema().dump(_outcome(c)),
                       metadata={"type": "object"})
    rating_detail = fields.Nested(RatingSchema, allow_none=True)


class ProgressReportCreateSchema(Schema):
    volume_done = fields.Integer(required=True, strict=True,
                                 validate=validate.Range(min=0, max=MAX_ID),
                                 metadata={"description": "volume done so far (cumulative)"})
    note = Note()


class ProgressReportSchema(Schema):
    id = fields.Integer()
    contract_id = fields.Integer()
    milestone_id = fields.Integer(allow_none=True)
    volume_done = fields.Integer()
    note = fields.String(allow_none=True)
    reported_at = LocalDateTime()


class LotCreateSchema(Schema):
    volume = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_ID))
    note = Note()
    item_count = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=MAX_ITEMS),
        metadata={"description": "items in the delivered data: the lot size of the inspection"},
    )
    checksum = Trimmed(validate=validate.Length(min=1, max=128),
                       metadata={"description": "checksum of the delivered data's manifest"})
    item_ids = fields.List(Text(max_length=200), validate=validate.Length(min=1, max=MAX_LISTED_ITEMS),
                           metadata={"description": "the delivered items' ids, in manifest order"})
    resubmission_of_id = Id(metadata={"description": "the rejected lot this one corrects"})


class SamplingPlanSchema(Schema):
    lot_size = fields.Integer(attribute="item_count")
    aql = Function(lambda lot: str(preferred_aql(lot.aql)))
    level = fields.String(attribute="inspection_level")
    severity = fields.String()
    size_code = fields.String(metadata={"description": "Table 1's sample size code letter"})
    code_letter = fields.String(metadata={"description": "the plan used, once the arrows are followed"})
    sample_size = fields.Integer()
    accept = fields.Integer(attribute="accept_number")
    reject = fields.Integer(attribute="reject_number")
    inspect_all = Function(lambda lot: lot.sample_size == lot.item_count)


class SampledItemSchema(Schema):
    position = fields.Integer()
    item_id = fields.String(allow_none=True)


class FindingSchema(Schema):
    position = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_ITEMS))
    note = Text(max_length=2000, required=True)


class DisputeSchema(Schema):
    id = fields.Integer()
    lot_id = fields.Integer()
    contract_id = fields.Integer()
    reason = fields.String()
    raised_at = LocalDateTime()
    status = fields.String()
    decided_at = LocalDateTime(allow_none=True)
    decision_reason = fields.String(allow_none=True)


class LotSchema(Schema):
    id = fields.Integer()
    contract_id = fields.Integer()
    volume = fields.Integer()
    note = fields.String(allow_none=True)
    status = fields.String()
    submitted_at = LocalDateTime()
    resubmission_of_id = fields.Integer(allow_none=True)
    item_count = fields.Integer(allow_none=True)
    checksum = fields.String(allow_none=True)
    plan = Function(lambda lot: SamplingPlanSchema().dump(lot) if lot.item_count else None,
                    metadata={"type": "object"})
    sample_seed = fields.Integer(allow_none=True)
    items_to_inspect = fields.List(
        fields.Nested(SampledItemSchema), allow_none=True,
        metadata={"description": "the drawn sample; hidden from the vendor until decided"},
    )
    nonconforming = fields.Integer(attribute="sample_defects", allow_none=True)
    findings = fields.List(fields.Nested(FindingSchema), allow_none=True)
    measured_accuracy = fields.Float(allow_none=True)
    decided_at = LocalDateTime(allow_none=True)
    inspection_note = fields.String(attribute="reason", allow_none=True)
    dispute = fields.Nested(DisputeSchema, allow_none=True)


class InspectionSchema(Schema):
    nonconforming = fields.Integer(required=True, strict=True,
                                   validate=validate.Range(min=0, max=MAX_ITEMS),
                                   metadata={"description": "nonconforming items found in the sample"})
    findings = fields.List(fields.Nested(FindingSchema), validate=validate.Length(max=5000))
    note = Note()
    agree_reduced = fields.Boolean(
        metadata={"description": "the agency agrees to reduced inspection when the switching "
                                 "score allows it"})


class DisputeCreateSchema(Schema):
    reason = Reason(required=True)


class DisputeDecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(("upheld", "reinspection")))
    reason = Reason(required=True)


class PaymentCreateSchema(Schema):
    lot_id = Id(required=True)
    amount = Amount(places=2, required=True)
    paid_on = fields.Date(required=True)
    reference = Text(max_length=100, required=True)


class RatingCreateSchema(Schema):
    quality = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    timeliness = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    communication = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    comment = Note()


class RatingReplySchema(Schema):
    reply = Reason(required=True)


class TerminateSchema(Schema):
    reason = Reason(required=True)


class ContractQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(CONTRACT_STATUSES))
    order_id = QueryId()
    vendor_id = QueryId()
    agency_id = QueryId(metadata={"description": "contracts on this agency's orders"})
    modality = Vocabulary("modalities")
    created_after = DateFilter(upper=False, metadata={"description": "made on or after this date"})
    created_before = DateFilter(upper=True, metadata={"description": "made on or before this date"})

    @validates_schema
    def _created_in_order(self, data, **kwargs):
        after, before = data.get("created_after"), data.get("created_before")
        if after is not None and before is not None and after > before:
            raise ValidationError("Must not be later than created_before.", "created_after")


class PublicAwardSchema(AwardedVendorSchema):
    """One winning vendor's award on an awarded order, for anyone to read."""

    order_id = fields.Integer()
    order_title = fields.String()
    sector = fields.String()
    unit = fields.String()
    agency = fields.Nested(FirmNameSchema)


class AwardQuerySchema(PageQuerySchema):
    awarded_after = DateFilter(upper=False)
    awarded_before = DateFilter(upper=True)
    sector = Vocabulary("sectors")
    order_id = QueryId()
    vendor_id = QueryId()

    @validates_schema
    def _range_in_order(self, data, **kwargs):
        if "awarded_after" in data and "awarded_before" in data and data["awarded_after"] > data["awarded_before"]:
            raise ValidationError("Must not be later than awarded_before.", "awarded_after")


class DisputeQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(DISPUTE_STATUSES))


ContractPageSchema = page_schema(ContractSchema, "ContractPageSchema")
DisputePageSchema = page_schema(DisputeSchema, "DisputePageSchema")
LotPageSchema = page_schema(LotSchema, "LotPageSchema")
PublicAwardPageSchema = page_schema(PublicAwardSchema, "PublicAwardPageSchema")


class VendorRecordSchema(Schema):
    """A vendor's finished contracts at a glance (market.contracts.ratings.vendor_record)."""

    vendor_id = fields.Integer()
    contracts_completed = fields.Integer()
    contracts_terminated = fields.Integer()
    on_time_share = fields.Float(allow_none=True, metadata={"description": "of completed contracts"})
    mean_accuracy = fields.Float(allow_none=True, metadata={"description": "found by the inspections"})
    lots_rejected = fields.Integer()
    mean_days_late = fields.Float(allow_none=True)
    ratings = fields.Integer(metadata={"description": "how many ratings the means are of"})
    mean_quality = fields.Float(allow_none=True)
    mean_timeliness = fields.Float(allow_none=True)
    mean_communication = fields.Float(allow_none=True)
