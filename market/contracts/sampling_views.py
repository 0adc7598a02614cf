"""API: the public look-up of an ISO 2859-1 single sampling plan (anyone may check a plan)."""

from __future__ import annotations

from market.api.openapi import PUBLIC, Blueprint
from market.contracts.sampling import plan_for
from market.contracts.sampling_schemas import SamplingPlanQuerySchema, SamplingPlanSchema

blp = Blueprint(
    "sampling",
    __name__,
    url_prefix="/api/v1/sampling-plan",
    description="ISO 2859-1 (GB/T 2828.1) single sampling plans by attributes, for anyone to check",
)


@blp.get("")
@blp.arguments(SamplingPlanQuerySchema, location="query")
@blp.response(200, SamplingPlanSchema)
@blp.doc(security=PUBLIC)
def get_sampling_plan(query):
    """The sampling plan for a lot: its code letter, sample size and Ac/Re, the table's arrows followed"""
    return plan_for(**query)


BLUEPRINTS = [blp]
