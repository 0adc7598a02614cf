"""A bidder's debrief: whether its bid was awarded, its score and rank, and if it lost, why.

Read from the latest matching run that judged the bid (its BidEvaluation) and from the decisions
taken since; every reason is a code with its params and a message of market.bids.reasons. Nothing
is told while bids are sealed.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from market.allocations.models import Allocation, BidEvaluation
from market.bids.models import Bid
from market.bids.reasons import reason
from market.bids.services import get_visible_bid
from market.db import utcnow
from market.orders.awards import AWARDED_STATUSES

# Once the order is in one of these, a bid that is not awarded never will be.
DECIDED_STATUSES = (*AWARDED_STATUSES, "unsuccessful", "cancelled")


def bid_result(session: Session, bid_id: int, *, actor, now: dt.datetime | None = None) -> dict:
    """The debrief of a bid, for its vendor and (once bidding has closed) the order's agency and
    coordinators; 404 for anyone else, as for the bid itself. Its reasons are said in the reader's
    language."""
    result = _result(session, bid_id, actor=actor, now=now)
    result["reasons"] = [reason(r["code"], r["params"], actor.locale) for r in result["reasons"]]
    return result


def _result(session: Session, bid_id: int, *, actor, now: dt.datetime | None = None) -> dict:
    now = now or utcnow()
    bid = get_visible_bid(session, bid_id, actor=actor, now=now)
    order = bid.order
    result = {"bid_id": bid.id, "order_id": order.id, "status": "pending", "final": False,
              "volume": None, "unit_price": None, "match_run_id": None, "eligible": None,
              "score": None, "breakdown": None, "rank": None, "ranked_bids": None, "reasons": []}
    if order.bids_sealed(now):
        return result | {"reasons": [reason("bidding_open")]}
    evaluation = session.scalar(
        select(BidEvaluation).where(BidEvaluation.bid_id == bid.id).order_by(BidEvaluation.run_id.desc())
        .limit(1)
    )
    if evaluation is not None:
        result |= _standing(session, evaluation)
    status = bid.effective_status(now)  # lapsed by the clock even before the closing job has run
    final = status != "submitted" or order.status in DECIDED_STATUSES
    result["final"] = final
    if bid.status == "awarded":
        approved = session.scalars(
            select(Allocation).where(Allocation.bid_id == bid.id, Allocation.status == "approved")
        ).all()
        volume = sum(a.volume for a in approved)
        unit_price = approved[0].unit_price if approved else bid.unit_price
        return result | {"status": "awarded", "volume": volume, "unit_price": unit_price,
                         "reasons": [reason("awarded", {"volume": volume, "unit_price": str(unit_price)})]}
    reasons = [reason("bid_lapsed")] if status == "lapsed" else _why_not(session, bid, order, evaluation)
    return result | {"status": "not_awarded" if final else "pending", "reasons": reasons}


def why_evaluated(evaluation: BidEvaluation, language: str | None, audience: str = "bidder") -> list[dict]:
    """What a run said of a bid on its order, in `language`: refused (each hard rule it broke), cut
    short or left out (the engine's reason), or nothing when it got all it offered; worded for the
    bidder or, with audience="staff", for coordinators reading the competing bids."""
    if not evaluation.eligible:
        return [reason(r["code"], r.get("params"), language, audience) for r in evaluation.refusals]
    if evaluation.loss_reason:
        return [reason(evaluation.loss_reason["code"], evaluation.loss_reason.get("params"), language,
                       audience)]
    return [] if evaluation.allocated_volume > 0 else [reason("not_selected", None, language, audience)]


def _standing(session: Session, evaluation: BidEvaluation) -> dict:
    """The bid's score, breakdown and rank among the bids the same run judged on the same order."""
    scores = session.scalars(
        select(BidEvaluation.score).where(BidEvaluation.run_id == evaluation.run_id,
                                          BidEvaluation.order_id == evaluation.order_id,
                                          BidEvaluation.eligible.is_(True))
    ).all()
    standing = {"match_run_id": evaluation.run_id, "eligible": evaluation.eligible,
                "ranked_bids": len(scores)}
    if evaluation.eligible and evaluation.score is not None:
        breakdown = {k: v for k, v in evaluation.breakdown.items() if k != "quality_model"}
        standing |= {"score": evaluation.score, "breakdown": breakdown,
                     "rank": 1 + sum(1 for s in scores if s is not None and s > evaluation.score)}
    return standing


def _why_not(session: Session, bid: Bid, order, evaluation: BidEvaluation | None) -> list[dict]:
    if bid.status == "withdrawn":
        return [reason("bid_withdrawn")]
    if order.status == "cancelled":
        return [reason("order_cancelled")]
    if evaluation is None:
        return [reason("not_selected" if bid.status == "rejected" else "awaiting_matching")]
    if not evaluation.eligible:
        refused = [reason(r["code"], r.get("params")) for r in evaluation.refusals]
        if order.status == "unsuccessful":
            refused.append(reason("order_unsuccessful"))
        return refused
    allocation = session.scalar(
        select(Allocation).where(Allocation.run_id == evaluation.run_id, Allocation.bid_id == bid.id)
    )
    if allocation is not None and allocation.status == "rejected":
        return [reason("rejected_by_coordinator", {"reason": allocation.reason})]
    if allocation is not None and allocation.status == "proposed":
        return [reason("awaiting_approval", {"volume": allocation.volume})]
    if evaluation.loss_reason:
        found = [reason(evaluation.loss_reason["code"], evaluation.loss_reason.get("params"))]
    else:
        found = [reason("not_selected")]
    if bid.status == "submitted" and order.status not in DECIDED_STATUSES:
        found.insert(0, reason("not_decided"))
    return found
