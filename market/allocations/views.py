"""API: matching runs, proposed allocations and their approval, and the scoring policy."""

from __future__ import annotations

from market import db
from market.allocations import debrief, policy, runs, services
from market.allocations.schemas import (
    AllocationPageSchema,
    AllocationQuerySchema,
    AllocationSchema,
    ApprovalSchema,
    ApproveSchema,
    BidResultSchema,
    MatchRunCreateSchema,
    MatchRunPageSchema,
    MatchRunSchema,
    RejectSchema,
    ScoringPolicySchema,
)
from market.api.fields import PageQuerySchema
from market.api.openapi import Blueprint
from market.auth import current_user

runs_blp = Blueprint(
    "match_runs", __name__, url_prefix="/api/v1/match-runs", description="Matching runs"
)
alloc_blp = Blueprint("allocations", __name__, url_prefix="/api/v1/allocations",
                      description="Proposed matches and their approval")
results_blp = Blueprint("bid_results", __name__, url_prefix="/api/v1/bids",
                        description="Each bidder's debrief once bidding has closed")
policy_blp = Blueprint("scoring_policy", __name__, url_prefix="/api/v1/scoring-policy",
                       description="The coordinators' scoring weights")


@runs_blp.post("")
@runs_blp.arguments(MatchRunCreateSchema)
@runs_blp.response(202, MatchRunSchema)
@runs_blp.idempotent
@runs_blp.commits
def create_run(body):
    """Queue a matching run over every order whose bidding has closed, or the ones named; the
    scheduler runs it, GET /match-runs/{id} shows how it goes (coordinators)"""
    return runs.queue_run(db.session, actor=current_user(), **body)


@runs_blp.get("")
@runs_blp.arguments(PageQuerySchema, location="query")
@runs_blp.paginated(MatchRunPageSchema)
def list_runs(query):
    """Matching runs, newest first (coordinators)"""
    return runs.list_runs(actor=current_user())


@runs_blp.get("/<id:run_id>")
@runs_blp.response(200, MatchRunSchema)
def get_run(run_id):
    """One matching run with its figures (coordinators)"""
    return runs.get_run(db.session, run_id, actor=current_user())


@alloc_blp.get("")
@alloc_blp.arguments(AllocationQuerySchema, location="query")
@alloc_blp.paginated(AllocationPageSchema)
def list_allocations(query):
    """Proposed and decided matches, each with its score by component (the detail has the rest)"""
    return services.list_allocations(actor=current_user(), **query)


@alloc_blp.get("/<id:allocation_id>")
@alloc_blp.response(200, AllocationSchema)
def get_allocation(allocation_id):
    """One proposed match with its score breakdown and the competing bids"""
    actor = current_user()
    return _with_competition(
        actor, [services.get_allocation(db.session, allocation_id, actor=actor)]
    )[0]


@alloc_blp.post("/<id:allocation_id>/approve")
@alloc_blp.arguments(ApproveSchema)
@alloc_blp.response(200, ApprovalSchema)
@alloc_blp.commits
def approve(body, allocation_id):
    """Approve a proposal: award the bid and create the contract (coordinators, not of the order's organisation)"""
    actor = current_user()
    contract = services.approve(db.session, allocation_id, actor=actor, **body)
    allocation = services.get_allocation(db.session, allocation_id, actor=actor)
    return {"allocation": _with_competition(actor, [allocation])[0], "contract": contract}


@alloc_blp.post("/<id:allocation_id>/reject")
@alloc_blp.arguments(RejectSchema)
@alloc_blp.response(200, AllocationSchema)
@alloc_blp.commits
def reject(body, allocation_id):
    """Reject a proposal with a reason; the pair is excluded from later runs (coordinators)"""
    actor = current_user()
    allocation = services.reject(db.session, allocation_id, actor=actor, **body)
    return _with_competition(actor, [allocation])[0]


@policy_blp.get("")
@policy_blp.response(200, ScoringPolicySchema)
def get_policy():
    """The scoring weights in force"""
    current_user()
    return {"weights": policy.current_policy(db.session)}


@policy_blp.put("")
@policy_blp.arguments(ScoringPolicySchema)
@policy_blp.response(200, ScoringPolicySchema)
@policy_blp.commits
def put_policy(body):
    """Set the scoring weights; they must sum to 100 (coordinators)"""
    return policy.set_policy(
        db.session, body["weights"], actor=current_user(), note=body.get("note")
    )


def _with_competition(actor, allocations):
    """Attach the other bids' evaluations that `actor` may see, for the response."""
    competing = services.competing_evaluations(db.session, allocations, actor=actor)
    for allocation in allocations:
        allocation.competing = competing.get(allocation.id, [])
    return allocations


@results_blp.get("/<id:bid_id>/result")
@results_blp.response(200, BidResultSchema)
def get_bid_result(bid_id):
    """A bid's result: awarded or not, its score and rank, and why it lost (its vendor; the order's
    agency and coordinators after closing)"""
    return debrief.bid_result(db.session, bid_id, actor=current_user())


BLUEPRINTS = [runs_blp, alloc_blp, results_blp, policy_blp]
