"""API: sealed bids on orders, submitted and withdrawn by vendors, unsealed when bidding closes."""

from __future__ import annotations

from market import db
from market.api.openapi import Blueprint
from market.auth import current_user
from market.bids import services
from market.bids.schemas import (
    BidCreateSchema,
    BidPageSchema,
    BidRevisionSchema,
    BidSchema,
    OrderBidQuerySchema,
    OwnBidQuerySchema,
)

blp = Blueprint("bids", __name__, url_prefix="/api/v1",
                description="Sealed bids: only the bidding vendor sees a bid before bidding closes")


@blp.post("/orders/<id:order_id>/bids")
@blp.arguments(BidCreateSchema)
@blp.response(201, BidSchema)
@blp.idempotent
@blp.commits
def submit_bid(body, order_id):
    """Bid on a published order while bidding is open (verified vendors; one live bid per firm)"""
    return services.submit_bid(db.session, order_id, body, actor=current_user())


@blp.get("/orders/<id:order_id>/bids")
@blp.arguments(OrderBidQuerySchema, location="query")
@blp.paginated(BidPageSchema)
def list_order_bids(query, order_id):
    """Bids on an order: a vendor its own; the agency and coordinators all, once bidding has closed"""
    return services.bids_on_order(db.session, order_id, actor=current_user(), **query)


@blp.get("/bids")
@blp.arguments(OwnBidQuerySchema, location="query")
@blp.paginated(BidPageSchema)
def list_own_bids(query):
    """The signed-in vendor's own bids across orders, newest first (vendors)"""
    return services.own_bids(actor=current_user(), **query)


@blp.get("/bids/<id:bid_id>")
@blp.response(200, BidSchema)
def get_bid(bid_id):
    """One bid (its vendor at any time; the order's agency and coordinators after closing)"""
    return services.get_visible_bid(db.session, bid_id, actor=current_user())


@blp.patch("/bids/<id:bid_id>")
@blp.arguments(BidRevisionSchema)
@blp.response(200, BidSchema)
@blp.commits
def revise_bid(body, bid_id):
    """Revise a live bid's terms while bidding is open (the bidding vendor); it stays sealed"""
    return services.revise_bid(db.session, bid_id, body, actor=current_user())


@blp.post("/bids/<id:bid_id>/confirm")
@blp.response(200, BidSchema)
@blp.commits
def confirm_bid(bid_id):
    """Keep a live bid as it is after a material amendment of its order (the bidding vendor)"""
    return services.confirm_bid(db.session, bid_id, actor=current_user())


@blp.post("/bids/<id:bid_id>/withdraw")
@blp.response(200, BidSchema)
@blp.commits
def withdraw_bid(bid_id):
    """Withdraw a bid while bidding is open (the bidding vendor); the firm may then bid again"""
    return services.withdraw_bid(db.session, bid_id, actor=current_user())


BLUEPRINTS = [blp]
