"""Schemas for orders, clarification questions and the public demand directory."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from market.api.fields import (
    Amount,
    DateFilter,
    Function,
    LocalDateTime,
    PageQuerySchema,
    QueryId,
    Reason,
    Text,
    Vocabulary,
    future,
    page_schema,
)
from market.contracts.sampling import preferred_aql
from market.db import utcnow
from market.i18n import N_
from market.matching.scoring import COMPONENTS, validate_weights
from market.orders.models import ORDER_STATUSES, SAMPLING_LEVELS
from market.orders.services import (
    AMENDABLE_FIELDS,
    DIRECTORY_SORTS,
    DIRECTORY_STATUSES,
    PUBLIC_FIELD_CHOICES,
)
from market.organizations.models import CLEARANCES
from market.organizations.schemas import Certification
from market.text import visible

MAX_VOLUME = 1_000_000_000
MAX_BUDGET = 10**12  # exclusive: Numeric(14, 2) holds up to 999999999999.99
_TEXT_QUERY = validate.Length(min=1, max=100)


def _budget_range(value) -> None:
    # Not a validate.Range: apispec would print its bounds as strings, which is invalid OpenAPI.
    if not 0 < value < MAX_BUDGET:
        raise ValidationError(N_("Must be more than 0 and less than 1000000000000."))


class AgencyRefSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    province = fields.String()
    city = fields.String()
    county = fields.String(allow_none=True)


class _WeightsBase(Schema):
    @validates_schema
    def _valid_policy(self, data, **kwargs):
        # The engine's own check (components, numbers >= 0, sum 100): the one definition.
        try:
            validate_weights(data)
        except ValueError as exc:
            raise ValidationError(str(exc), "_schema") from None


# The weights of the score components (an order's own, or the coordinators' policy), one field
# per component of the engine's scoring; they must sum to 100.
ScoringWeightsSchema = _WeightsBase.from_dict(
    {name: fields.Float(required=True, validate=validate.Range(min=0, max=100)) for name in COMPONENTS},
    name="ScoringWeightsSchema",
)


class AQL(fields.Decimal):
    """An acceptable quality level, one of ISO 2859-1's preferred values (percent nonconforming)."""

    def __init__(self, **kwargs):
        super().__init__(as_string=True, allow_nan=False, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        # Written as the standard writes it ("2.5"), not as the column stores it ("2.500").
        return None if value is None else str(preferred_aql(value))

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise ValidationError("Not a valid number.")
        number = super()._deserialize(value, attr, data, **kwargs)
        try:
            return preferred_aql(number)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


class OrderSummarySchema(Schema):
    """An order as the list shows it: what it is, how much, when, and where it stands; GET
    /orders/{id} has the rest (description, labels, quality terms, rules, weights, hidden fields).
    Only read: OrderSchema, which agencies write, declares each of these fields again."""

    id = fields.Integer(dump_only=True)
    agency = fields.Nested(AgencyRefSchema, dump_only=True)
    title = fields.String(dump_only=True)
    sector = fields.String(dump_only=True, allow_none=True)
    modality = fields.String(dump_only=True, allow_none=True)
    annotation_type = fields.String(dump_only=True, allow_none=True)
    volume = fields.Integer(dump_only=True, allow_none=True)
    unit = fields.String(dump_only=True, allow_none=True)
    budget_ceiling = Amount(dump_only=True, allow_none=True, places=2)
    bidding_closes_at = LocalDateTime(dump_only=True, allow_none=True)
    delivery_deadline = LocalDateTime(dump_only=True, allow_none=True)
    data_classification = fields.String(dump_only=True)
    splittable = fields.Boolean(dump_only=True)
    status = Function(lambda order: order.effective_status(utcnow()), dump_only=True,
                      metadata={"type": "string", "enum": list(ORDER_STATUSES),
                                "description": "effective: a published order past its "
                                               "closing time is evaluating"})
    bidding_open = Function(lambda order: order.bidding_open(utcnow()), dump_only=True,
                            metadata={"type": "boolean"})
    created_at = LocalDateTime(dump_only=True)
    updated_at = LocalDateTime(dump_only=True)
    published_at = LocalDateTime(dump_only=True, allow_none=True)


class OrderSchema(OrderSummarySchema):
    """An order as its agency writes it and as signed-in users read it."""

    id = fields.Integer(dump_only=True)
    agency = fields.Nested(AgencyRefSchema, dump_only=True)
    created_by_id = fields.Integer(dump_only=True, allow_none=True)
    title = Text(required=True, max_length=200)
    description = fields.String(validate=validate.Length(max=20000))
    # A draft may leave these out (or null); publishing names each one still missing.
    sector = Vocabulary("sectors", allow_none=True)
    modality = Vocabulary("modalities", allow_none=True)
    annotation_type = Vocabulary("annotation_types", allow_none=True)
    label_set = fields.List(Text(max_length=100), validate=validate.Length(max=500))
    volume = fields.Integer(
        allow_none=True, strict=True, validate=validate.Range(min=1, max=MAX_VOLUME)
    )
    unit = Vocabulary("units", allow_none=True)
    budget_ceiling = Amount(allow_none=True, places=2, validate=_budget_range,
                            metadata={"description": "CNY, above 0 and below 10^12"})
    bidding_closes_at = LocalDateTime(allow_none=True, validate=future)
    delivery_deadline = LocalDateTime(allow_none=True, validate=future)
    accuracy_target = fields.Float(allow_none=True,
                                   validate=validate.Range(min=0, min_inclusive=False, max=1))
    sampling_level = fields.String(
        validate=validate.OneOf(SAMPLING_LEVELS),
        metadata={"description": "inspection level of delivered lots, GB/T 2828.1 (ISO 2859-1)"},
    )
    aql = AQL(allow_none=True, metadata={
        "description": "acceptable quality level of delivered lots, a preferred AQL of GB/T 2828.1; "
                       "null: the largest not above 100 × (1 − accuracy_target)"})
    aql_in_force = AQL(dump_only=True, allow_none=True)
    data_classification = fields.String(validate=validate.OneOf(CLEARANCES),
                                        metadata={"description": "data tier after GB/T 43697"})
    onsite_required = fields.Boolean()
    required_certifications = fields.List(Certification(), validate=validate.Length(max=20))
    splittable = fields.Boolean()
    max_vendors = fields.Integer(
        allow_none=True, strict=True, validate=validate.Range(min=1, max=1000)
    )
    min_lot = fields.Integer(
        allow_none=True, strict=True, validate=validate.Range(min=1, max=MAX_VOLUME)
    )
    scoring_weights = fields.Nested(
        ScoringWeightsSchema,
        allow_none=True,
        metadata={"description": "null: the coordinators' policy applies"},
    )
    hidden_fields = fields.Dict(
        keys=fields.String(validate=validate.OneOf(PUBLIC_FIELD_CHOICES)),
        values=Reason(),
        metadata={"description": "fields the public directory does not show, each with the "
                                 "reason it gives; every other field is public"},
    )
    public_fields = fields.List(
        fields.String(validate=validate.OneOf(PUBLIC_FIELD_CHOICES)),
        validate=validate.Length(max=len(PUBLIC_FIELD_CHOICES)),
        metadata={"description": "the fields the public directory shows besides the base set: "
                                 "all but the hidden ones. Deprecated as input (fields are "
                                 "public by default): a field listed here is made public"},
    )

    status_reason = fields.String(dump_only=True, allow_none=True)
    created_at = LocalDateTime(dump_only=True)
    updated_at = LocalDateTime(dump_only=True)
    published_at = LocalDateTime(dump_only=True, allow_none=True)
    evaluating_at = LocalDateTime(dump_only=True, allow_none=True)
    awarded_at = LocalDateTime(dump_only=True, allow_none=True)
    in_progress_at = LocalDateTime(dump_only=True, allow_none=True)
    completed_at = LocalDateTime(dump_only=True, allow_none=True)
    cancelled_at = LocalDateTime(dump_only=True, allow_none=True)
    unsuccessful_at = LocalDateTime(dump_only=True, allow_none=True)

    @validates("label_set")
    def _labels_unique(self, value, **kwargs):
        seen = [visible(label) for label in value]  # "a" and "a\u200b" read as the same label
        repeated = sorted({label for label, key in zip(value, seen, strict=True) if seen.count(key) > 1})
        if repeated:
            raise ValidationError(f"Labels listed more than once: {', '.join(repeated)}.")

    @validates("required_certifications")
    def _certifications_unique(self, value, **kwargs):
        if len(set(value)) != len(value):
            raise ValidationError("A certification is listed more than once.")

    @validates("public_fields")
    def _public_fields_unique(self, value, **kwargs):
        if len(set(value)) != len(value):
            raise ValidationError("A field is listed more than once.")


class OrderUpdateSchema(OrderSchema):
    """Changes to a draft: any subset of the order's fields; the rules are checked on the result."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)


class AmendmentCreateSchema(OrderSchema):
    """A change to a published order: the fields that change and a note saying why."""

    class Meta:
        fields = (*AMENDABLE_FIELDS, "note")

    note = Reason(required=True, metadata={"description": "why the order changes; shown in the "
                                                         "public directory"})

    def on_bind_field(self, field_name, field_obj):
        # A published order lacks nothing: an amendment changes a value, never clears it.
        field_obj.allow_none = False

    @validates_schema
    def _something(self, data, **kwargs):
        if not set(data) - {"note"}:
            raise ValidationError("Give at least one field to change.")


class AmendmentChangeSchema(Schema):
    before = fields.Raw(allow_none=True)
    after = fields.Raw(allow_none=True)


class AmendmentSchema(Schema):
    """An amendment as signed-in users read it: every field's value before and after."""

    id = fields.Integer()
    order_id = fields.Integer()
    version = fields.Integer()
    changes = fields.Dict(keys=fields.String(), values=fields.Nested(AmendmentChangeSchema))
    note = fields.String()
    material = fields.Boolean(metadata={"description": "volume, budget, deadline or requirements "
                                                       "changed: live bids had to be confirmed"})
    amended_by_id = fields.Integer(allow_none=True)
    amended_at = LocalDateTime()


class PublicChangeSchema(Schema):
    field = fields.String()
    hidden = fields.Boolean(metadata={"description": "a hidden field changed; its values are not shown"})
    before = fields.Raw(allow_none=True)
    after = fields.Raw(allow_none=True)


class PublicAmendmentSchema(Schema):
    version = fields.Integer()
    amended_at = LocalDateTime()
    note = fields.String()
    material = fields.Boolean()
    changes = fields.List(fields.Nested(PublicChangeSchema))


class OrderQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(ORDER_STATUSES),
                           metadata={"description": "effective status"})
    sector = Vocabulary("sectors")
    modality = Vocabulary("modalities")
    q = fields.String(
        validate=_TEXT_QUERY, metadata={"description": "words in title or description"}
    )
    agency_id = QueryId()
    vendor_id = QueryId(metadata={"description": "orders awarded (in part) to this vendor"})
    published_after = DateFilter(upper=False)
    published_before = DateFilter(upper=True)

    @validates_schema
    def _published_in_order(self, data, **kwargs):
        after, before = data.get("published_after"), data.get("published_before")
        if after is not None and before is not None and after > before:
            raise ValidationError("Must not be later than published_before.", "published_after")


class CancelSchema(Schema):
    reason = Reason(required=True)


class QuestionSchema(Schema):
    """A clarification; who asked is shown only to the agency, coordinators and the asker."""

    id = fields.Integer(dump_only=True)
    order_id = fields.Integer(dump_only=True)
    text = Text(required=True, max_length=2000)
    vendor_id = fields.Integer(dump_only=True, allow_none=True)
    asked_by_id = fields.Integer(dump_only=True, allow_none=True)
    asked_at = LocalDateTime(dump_only=True)
    answer = fields.String(dump_only=True, allow_none=True)
    answered_by_id = fields.Integer(dump_only=True, allow_none=True)
    answered_at = LocalDateTime(dump_only=True, allow_none=True)


class AnswerSchema(Schema):
    answer = Text(required=True, max_length=5000)


class DirectoryQuerySchema(Schema):
    sector = Vocabulary("sectors")
    modality = Vocabulary("modalities")
    annotation_type = Vocabulary("annotation_types")
    region = fields.String(
        validate=validate.Length(min=1, max=50),
        metadata={"description": "part of the agency's province, city or county"},
    )
    status = fields.String(validate=validate.OneOf(DIRECTORY_STATUSES),
                           metadata={"description": "effective status"})
    q = fields.String(
        validate=_TEXT_QUERY, metadata={"description": "words in the title or public description"}
    )
    closes_after = DateFilter(upper=False)
    closes_before = DateFilter(upper=True)
    deadline_after = DateFilter(upper=False)
    deadline_before = DateFilter(upper=True)
    budget_min = Amount(places=2, validate=_budget_range, metadata={
        "description": "CNY: orders whose budget ceiling is at least this (a hidden budget never "
                       "matches a budget band)"})
    budget_max = Amount(places=2, validate=_budget_range, metadata={
        "description": "CNY: orders whose budget ceiling is at most this"})
    sort = fields.String(validate=validate.OneOf(DIRECTORY_SORTS), metadata={
        "description": "a field to sort by, '-' first for the largest or latest first; "
                       "-published_at (newest first) unless given; hidden budgets sort last"})

    @validates_schema
    def _ranges_in_order(self, data, **kwargs):
        for start, end in (
            ("closes_after", "closes_before"),
            ("deadline_after", "deadline_before"),
        ):
            if start in data and end in data and data[start] > data[end]:
                raise ValidationError(f"Must not be later than {end}.", start)
        if data.get("budget_min", 0) > data.get("budget_max", MAX_BUDGET):
            raise ValidationError("Must not be more than budget_max.", "budget_min")


class DirectoryPageQuerySchema(DirectoryQuerySchema, PageQuerySchema):
    pass


class FirmNameSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class AwardedVendorSchema(Schema):
    vendor = fields.Nested(FirmNameSchema)
    volume = fields.Integer()
    unit_price = fields.Decimal(as_string=True, metadata={"description": "CNY per unit"})
    value = fields.Decimal(as_string=True, places=2, metadata={"description": "volume × unit price, CNY"})
    awarded_at = LocalDateTime(metadata={"description": "when a coordinator approved the match"})


class AwardNoticeSchema(Schema):
    awarded_at = LocalDateTime(metadata={"description": "when the order was awarded"})
    volume = fields.Integer()
    value = fields.Decimal(as_string=True, places=2)
    vendors = fields.List(fields.Nested(AwardedVendorSchema))


class DirectoryOrderSchema(Schema):
    """What anyone may see of an order: the base set, plus the fields its agency made public."""

    id = fields.Integer()
    title = fields.String()
    agency = fields.Nested(AgencyRefSchema)
    sector = fields.String()
    modality = fields.String()
    annotation_type = fields.String()
    volume = fields.Integer()
    unit = fields.String()
    bidding_closes_at = LocalDateTime()
    delivery_deadline = LocalDateTime()
    status = fields.String(metadata={"description": "effective status"})
    published_at = LocalDateTime()
    hidden_fields = fields.Dict(keys=fields.String(), values=fields.String(),
                                metadata={"description": "fields not shown, each with its reason"})
    amendments = fields.List(fields.Nested(PublicAmendmentSchema),
                             metadata={"description": "on one order's page: what changed after "
                                                      "publishing, when and why"})
    # Present unless the agency hid them (see hidden_fields).
    description = fields.String()
    label_set = fields.List(fields.String())
    budget_ceiling = fields.Decimal(as_string=True, places=2)
    accuracy_target = fields.Float()
    sampling_level = fields.String()
    data_classification = fields.String()
    onsite_required = fields.Boolean()
    required_certifications = fields.List(fields.String())
    splittable = fields.Boolean()
    max_vendors = fields.Integer(allow_none=True)
    min_lot = fields.Integer(allow_none=True)
    scoring_weights = fields.Dict(keys=fields.String(), values=fields.Float(), allow_none=True)
    award = fields.Nested(AwardNoticeSchema, allow_none=True,
                          metadata={"description": "the award notice, once the order is awarded"})


OrderPageSchema = page_schema(OrderSummarySchema, "OrderPageSchema")
QuestionPageSchema = page_schema(QuestionSchema, "QuestionPageSchema")
DirectoryPageSchema = page_schema(DirectoryOrderSchema, "DirectoryPageSchema")
AmendmentPageSchema = page_schema(AmendmentSchema, "AmendmentPageSchema")
