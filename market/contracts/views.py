"""API: contracts created by approved matches, and their course: progress, lots, inspections,
disputes, payments, ratings, termination."""

from __future__ import annotations

from market import db
from market.api.fields import PageQuerySchema
from market.api.openapi import PUBLIC, Blueprint
from market.auth import current_user
from market.contracts import lots, payments, progress, ratings, services
from market.contracts.schemas import (
    AwardQuerySchema,
    ContractPageSchema,
    ContractQuerySchema,
    ContractSchema,
    DisputeCreateSchema,
    DisputeDecisionSchema,
    DisputePageSchema,
    DisputeQuerySchema,
    DisputeSchema,
    InspectionSchema,
    LotCreateSchema,
    LotPageSchema,
    LotSchema,
    PaymentCreateSchema,
    PaymentSchema,
    ProgressReportCreateSchema,
    ProgressReportSchema,
    PublicAwardPageSchema,
    RatingCreateSchema,
    RatingReplySchema,
    RatingSchema,
    TerminateSchema,
    VendorRecordSchema,
)

blp = Blueprint("contracts", __name__, url_prefix="/api/v1/contracts", description="Contracts")
lots_blp = Blueprint("lots", __name__, url_prefix="/api/v1/lots",
                     description="Delivery lots, inspected by ISO 2859-1 sampling")
disputes_blp = Blueprint("disputes", __name__, url_prefix="/api/v1/disputes",
                         description="Vendors' disputes of rejected lots, decided by coordinators")
records_blp = Blueprint("vendor_records", __name__, url_prefix="/api/v1/vendors",
                        description="Vendors' records of finished contracts, ratings and outcomes")
awards_blp = Blueprint("awards", __name__, url_prefix="/api/v1/directory",
                       description="The public award notices of awarded orders (no login)")


@blp.get("")
@blp.arguments(ContractQuerySchema, location="query")
@blp.paginated(ContractPageSchema)
def list_contracts(query):
    """Contracts the caller may see (own for agencies and vendors, all for coordinators)"""
    return services.list_contracts(actor=current_user(), **query)


@blp.get("/<id:contract_id>")
@blp.response(200, ContractSchema)
def get_contract(contract_id):
    """One contract: milestones, inspection severity and switching score, overdue, payments due and
    overdue, outcome and rating"""
    return services.get_contract(db.session, contract_id, actor=current_user())


@blp.post("/<id:contract_id>/progress")
@blp.arguments(ProgressReportCreateSchema)
@blp.response(201, ProgressReportSchema)
@blp.idempotent
@blp.commits
def report_progress(body, contract_id):
    """Report the volume done so far, only ever forward (the contract's vendor)"""
    return progress.report_progress(db.session, contract_id, body, actor=current_user())


@blp.get("/<id:contract_id>/lots")
@blp.arguments(PageQuerySchema, location="query")
@blp.paginated(LotPageSchema)
def list_lots(query, contract_id):
    """The contract's delivery lots, oldest first"""
    actor = current_user()
    return (lots.list_lots(db.session, contract_id, actor=actor),
            lambda rows: lots.presented(rows, actor))


@blp.post("/<id:contract_id>/lots")
@blp.arguments(LotCreateSchema)
@blp.response(201, LotSchema)
@blp.idempotent
@blp.commits
def submit_lot(body, contract_id):
    """Hand in a lot with its manifest; the service gives its sampling plan and draws the sample
    (the contract's vendor)"""
    actor = current_user()
    return lots.presented([lots.submit_lot(db.session, contract_id, body, actor=actor)], actor)[0]


@blp.post("/<id:contract_id>/payments")
@blp.arguments(PaymentCreateSchema)
@blp.response(200, PaymentSchema)
@blp.commits
def record_payment(body, contract_id):
    """Record an accepted lot's payment: date, amount, reference (the order's agency)"""
    return payments.record_payment(db.session, contract_id, body, actor=current_user())


@blp.post("/<id:contract_id>/rating")
@blp.arguments(RatingCreateSchema)
@blp.response(201, RatingSchema)
@blp.commits
def rate_contract(body, contract_id):
    """Rate a completed contract's vendor: quality, timeliness, communication 1-5 (the order's
    agency, once)"""
    return ratings.rate_contract(db.session, contract_id, body, actor=current_user())


@blp.post("/<id:contract_id>/rating/reply")
@blp.arguments(RatingReplySchema)
@blp.response(200, RatingSchema)
@blp.commits
def reply_to_rating(body, contract_id):
    """Reply to the agency's rating (the contract's vendor, once)"""
    return ratings.reply_to_rating(db.session, contract_id, body, actor=current_user())


@blp.post("/<id:contract_id>/terminate")
@blp.arguments(TerminateSchema)
@blp.response(200, ContractSchema)
@blp.commits
def terminate_contract(body, contract_id):
    """Terminate an active contract the vendor defaulted on, with a reason; its remainder can be
    matched again (coordinators not of the order's agency)"""
    return progress.terminate_contract(db.session, contract_id, actor=current_user(), **body)


@lots_blp.get("/<id:lot_id>")
@lots_blp.response(200, LotSchema)
def get_lot(lot_id):
    """One lot with its sampling plan and the items to inspect (the vendor sees them once decided)"""
    actor = current_user()
    return lots.presented([lots.get_lot(db.session, lot_id, actor=actor)], actor)[0]


@lots_blp.post("/<id:lot_id>/inspection")
@lots_blp.arguments(InspectionSchema)
@lots_blp.response(200, LotSchema)
@lots_blp.commits
def inspect_lot(body, lot_id):
    """Record the nonconforming items found in the sample: accepted when d <= Ac, rejected when
    d >= Re (the order's agency)"""
    actor = current_user()
    return lots.presented([lots.inspect_lot(db.session, lot_id, body, actor=actor)], actor)[0]


@lots_blp.post("/<id:lot_id>/dispute")
@lots_blp.arguments(DisputeCreateSchema)
@lots_blp.response(201, DisputeSchema)
@lots_blp.commits
def dispute_lot(body, lot_id):
    """Dispute a rejected lot with a reason (the contract's vendor)"""
    return lots.dispute_lot(db.session, lot_id, body, actor=current_user())


@disputes_blp.get("")
@disputes_blp.arguments(DisputeQuerySchema, location="query")
@disputes_blp.paginated(DisputePageSchema)
def list_disputes(query):
    """Disputes of rejected lots on the contracts the caller may see, oldest first (coordinators: all)"""
    return lots.list_disputes(actor=current_user(), **query)


@disputes_blp.get("/<id:dispute_id>")
@disputes_blp.response(200, DisputeSchema)
def get_dispute(dispute_id):
    """One dispute and its decision"""
    return lots.get_dispute(db.session, dispute_id, actor=current_user())


@disputes_blp.post("/<id:dispute_id>/decision")
@disputes_blp.arguments(DisputeDecisionSchema)
@disputes_blp.response(200, DisputeSchema)
@disputes_blp.commits
def decide_dispute(body, dispute_id):
    """Uphold the rejection or order the lot inspected again, with a reason (coordinators not of the
    order's agency)"""
    return lots.decide_dispute(db.session, dispute_id, body, actor=current_user())


@awards_blp.get("/awards")
@awards_blp.arguments(AwardQuerySchema, location="query")
@awards_blp.paginated(PublicAwardPageSchema)
@awards_blp.doc(security=PUBLIC)
def list_awards(query):
    """Awards of awarded orders, newest first: each winner's volume, unit price, value and date"""
    return services.public_awards(**query), lambda rows: [services.public_award(c) for c in rows]


@records_blp.get("/<id:vendor_id>/record")
@records_blp.response(200, VendorRecordSchema)
def vendor_record(vendor_id):
    """A vendor's finished contracts, outcomes and mean ratings (coordinators, admins, the firm)"""
    return ratings.track_record(db.session, vendor_id, actor=current_user())


BLUEPRINTS = [blp, lots_blp, disputes_blp, records_blp, awards_blp]
