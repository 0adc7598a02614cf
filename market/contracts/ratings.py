"""Ratings: the agency rates a completed contract's vendor once; the vendor may reply once; each
vendor's ratings and outcomes summarised for its profile."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from market.audit import services as audit
from market.contracts.models import RATING_ASPECTS, Contract, DeliveryLot, Rating
from market.contracts.services import lock_contract
from market.db import utcnow
from market.errors import Conflict
from market.i18n import N_
from market.labels import Label
from market.notifications.services import notify, users_of
from market.organizations.models import Organization
from market.permissions import not_found, require_role
from market.text import optional_note, require_reason


def rate_contract(session: Session, contract_id: int, data: dict, *, actor,
                  now: dt.datetime | None = None) -> Rating:
    """The order's agency rates the vendor of a completed contract: quality, timeliness and
    communication 1-5 each, and a comment; once."""
    contract = lock_contract(session, contract_id, actor=actor, roles=("agency",))
    if contract.status != "completed":
        raise Conflict(N_("Contract %(contract)s is “%(status)s”; only a completed contract is rated."),
                       errors={"status": [contract.status]},
                       params={"contract": contract.id, "status": Label(contract.status, "contract_status")})
    if contract.rating_detail is not None:
        raise Conflict(N_("Contract %(contract)s is already rated."), errors={"rating": ["rated"]},
                       params={"contract": contract.id})
    now = now or utcnow()
    scores = {aspect: data[aspect] for aspect in RATING_ASPECTS}
    rating = Rating(contract=contract, vendor_id=contract.vendor_id, **scores,
                    comment=optional_note(data.get("comment"), field="comment"),
                    rated_by_id=actor.id, rated_at=now)
    session.add(rating)
    # The overall score past contracts carry too, so history reads one number for all of them.
    contract.rating = round(sum(scores.values()) / len(scores))
    contract.rating_comment = rating.comment
    session.flush()  # the audit event names the rating
    audit.record(session, "contract.rated", actor=actor, object_type="contract",
                 object_id=contract.id, organization_id=contract.vendor_id,
                 data={"rating_id": rating.id, **scores, "comment": rating.comment}, occurred_at=now)
    notify(session, users_of(session, contract.vendor_id, roles=["vendor"]), "contract.rated",
           {"contract_id": contract.id, "order_title": contract.order.title, **scores}, now=now)
    return rating


def reply_to_rating(session: Session, contract_id: int, data: dict, *, actor,
                    now: dt.datetime | None = None) -> Rating:
    """The vendor answers the agency's rating, once."""
    contract = lock_contract(session, contract_id, actor=actor, roles=("vendor",))
    rating = contract.rating_detail
    if rating is None:
        raise Conflict(N_("Contract %(contract)s is not rated yet."), errors={"rating": ["not rated"]},
                       params={"contract": contract.id})
    if rating.reply is not None:
        raise Conflict(N_("The rating of contract %(contract)s has its reply already."),
                       errors={"reply": ["replied"]}, params={"contract": contract.id})
    now = now or utcnow()
    rating.reply = require_reason(data.get("reply"), field="reply")
    rating.replied_by_id, rating.replied_at = actor.id, now
    audit.record(session, "rating.replied", actor=actor, object_type="contract",
                 object_id=contract.id, organization_id=contract.order.agency_id,
                 data={"rating_id": rating.id, "reply": rating.reply}, occurred_at=now)
    notify(session, users_of(session, contract.order.agency_id, roles=["agency"]), "rating.replied",
           {"contract_id": contract.id, "reply": rating.reply}, now=now)
    return rating


def track_record(session: Session, vendor_id: int, *, actor) -> dict:
    """A vendor's record for those who judge it: coordinators and administrators, and the firm
    itself (another firm's record is reported missing)."""
    require_role(actor, "coordinator", "admin", "vendor")
    org = session.get(Organization, vendor_id)
    if org is None or org.kind != "vendor" or (
            actor.role == "vendor" and actor.organization_id != vendor_id):
        raise not_found("vendor", vendor_id)
    return {"vendor_id": vendor_id, **vendor_record(session, vendor_id)}


def vendor_record(session: Session, vendor_id: int) -> dict:
    """A vendor's finished contracts at a glance: how many, on time, accuracy, lots rejected, days
    late and the mean of each rating aspect."""
    contracts = list(session.scalars(
        select(Contract).where(Contract.vendor_id == vendor_id,
                               Contract.status.in_(("completed", "terminated")))
    ))
    completed = [c for c in contracts if c.status == "completed"]
    on_time = [c.delivered_on_time for c in completed if c.delivered_on_time is not None]
    accuracy = [c.accuracy_achieved for c in completed if c.accuracy_achieved is not None]
    rejected = session.scalar(
        select(func.count(DeliveryLot.id)).join(Contract, Contract.id == DeliveryLot.contract_id)
        .where(Contract.vendor_id == vendor_id, DeliveryLot.status == "rejected")
    )
    means = session.execute(select(
        *(func.avg(getattr(Rating, aspect)) for aspect in RATING_ASPECTS), func.count(Rating.id)
    ).where(Rating.vendor_id == vendor_id)).one()
    return {
        "contracts_completed": len(completed),
        "contracts_terminated": len(contracts) - len(completed),
        "on_time_share": round(sum(on_time) / len(on_time), 3) if on_time else None,
        "mean_accuracy": round(sum(accuracy) / len(accuracy), 4) if accuracy else None,
        "lots_rejected": int(rejected or 0),
        "mean_days_late": (round(sum(c.days_late or 0 for c in completed) / len(completed), 1)
                           if completed else None),
        "ratings": int(means[-1]),
        **{f"mean_{aspect}": (round(float(value), 2) if value is not None else None)
           for aspect, value in zip(RATING_ASPECTS, means[:-1], strict=True)},
    }
