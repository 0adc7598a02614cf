"""Schemas of the public sampling-plan look-up: the query and the plan it answers."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from market.api.fields import MAX_ID
from market.contracts.sampling import LEVELS, PREFERRED_AQLS, SEVERITIES, preferred_aql


class PreferredAql(fields.String):
    """One of the standard's preferred AQLs, as a string; "1", "1.0" and "1.00" all read as 1.0."""

    def __init__(self, **kwargs):
        metadata = kwargs.setdefault("metadata", {})
        metadata.setdefault("enum", [str(a) for a in PREFERRED_AQLS])
        metadata.setdefault(
            "description",
            "a preferred AQL of ISO 2859-1: percent nonconforming up to 10, "
            "nonconformities per 100 items above",
        )
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return preferred_aql(text)
        except ValueError:
            raise ValidationError(
                f"Must be one of: {', '.join(str(a) for a in PREFERRED_AQLS)}."
            ) from None


class SamplingPlanQuerySchema(Schema):
    lot_size = fields.Integer(
        required=True,
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={"description": "the number of items in the lot"},
    )
    # Required: no AQL suits every order (an order's comes from its accuracy target).
    aql = PreferredAql(required=True)
    level = fields.String(
        load_default="II",
        validate=validate.OneOf(LEVELS),
        metadata={"description": "the inspection level: general I, II (the default), III or special S-1 to S-4"},
    )
    severity = fields.String(
        load_default="normal",
        validate=validate.OneOf(SEVERITIES),
        metadata={"description": "normal (the default), tightened or reduced inspection"},
    )


class SamplingPlanSchema(Schema):
    lot_size = fields.Integer()
    aql = fields.String(metadata={"description": "the AQL as the standard writes it, e.g. \"1.0\""})
    level = fields.String()
    severity = fields.String()
    size_code = fields.String(metadata={"description": "the sample size code letter of Table 1"})
    code_letter = fields.String(
        metadata={"description": "the letter of the plan used, once the master table's arrows are followed"}
    )
    sample_size = fields.Integer(metadata={"description": "items to inspect (the whole lot when inspect_all)"})
    accept = fields.Integer(metadata={"description": "Ac: accepted with at most this many nonconforming"})
    reject = fields.Integer(metadata={"description": "Re: rejected with at least this many nonconforming"})
    inspect_all = fields.Boolean(
        metadata={"description": "the plan's sample is at least the lot: inspect every item"}
    )
