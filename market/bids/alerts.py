"""Demand release: firms that can bid on a newly published order hear of it, in the app at once
(the demand-alerts job, right after the order's commit) and by e-mail in a daily digest.

"Can bid" is what the hard rules say before any price (market.bids.eligibility.firm_refusals, the
function every bid is judged by): verified, a capability for the order's modality and annotation
type, clearance, certifications and on-site work. Each effect happens once: an order's alerts and
a user's digest of a day each claim a unique key (market.notifications.services.claim_once) in
the transaction that writes them.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import String, cast, exists, literal, select
from sqlalchemy.orm import Session, selectinload

from market.accounts.models import User
from market.bids.eligibility import firm_refusals
from market.db import utcnow
from market.i18n import N_, translate
from market.labels import label
from market.notifications.models import OnceKey
from market.notifications.services import claim_once, notify, send_email
from market.orders.models import Order
from market.organizations.models import Capability, Organization, VendorProfile
from market.settings import settings_of

log = logging.getLogger(__name__)

ALERT_KEY = "demand-alert:"
# Orders published longer ago than this are not alerted any more (e.g. on the first run after an
# upgrade, the open orders of last month are not news).
ALERT_WINDOW = dt.timedelta(days=2)
DIGEST_LINE = N_("• %(title)s (%(agency)s): %(modality)s, %(annotation_type)s, %(volume)s %(unit)s; "
                 "bidding closes at %(closes)s\n  %(link)s")


def firms_that_can_bid(session: Session, order: Order, *, now: dt.datetime) -> list[Organization]:
    """Verified firms with a capability for the order's kind of work that no hard rule rules out."""
    settings = settings_of(session)
    candidates = session.scalars(
        select(Organization)
        .join(VendorProfile, VendorProfile.organization_id == Organization.id)
        .where(VendorProfile.verification_status == "verified",
               exists().where(Capability.vendor_id == Organization.id,
                              Capability.modality == order.modality,
                              Capability.annotation_type == order.annotation_type))
        .options(selectinload(Organization.vendor_profile).selectinload(VendorProfile.capabilities))
        .order_by(Organization.id)
    ).all()
    return [firm for firm in candidates
            if not firm_refusals(order, firm, now=now, settings=settings)]


def _vendor_users(session: Session, firm_ids: list[int]) -> list[User]:
    if not firm_ids:
        return []
    return list(session.scalars(
        select(User).where(User.organization_id.in_(firm_ids), User.role == "vendor",
                           User.active.is_(True)).order_by(User.id)))


def alert_new_orders(session: Session, *, now: dt.datetime | None = None) -> dict:
    """Tell the staff of every firm that can bid on each newly published order, once per order;
    the caller commits."""
    now = now or utcnow()
    alerted = exists().where(OnceKey.key == literal(ALERT_KEY) + cast(Order.id, String))
    orders = session.scalars(
        select(Order).where(Order.status == "published", Order.bidding_closes_at > now,
                            Order.published_at >= now - ALERT_WINDOW, ~alerted)
        .options(selectinload(Order.agency)).order_by(Order.id)
    ).all()
    counts = {"orders": 0, "notified": 0}
    for order in orders:
        if not claim_once(session, f"{ALERT_KEY}{order.id}", now=now):
            continue  # another scheduler alerted it meanwhile
        users = _vendor_users(session, [f.id for f in firms_that_can_bid(session, order, now=now)])
        notify(session, users, "order.available", _payload(session, order), email=False, now=now)
        counts["orders"] += 1
        counts["notified"] += len(users)
    return counts


def _payload(session: Session, order: Order) -> dict:
    return {"order_id": order.id, "title": order.title, "agency": order.agency.name,
            "bidding_closes_at": settings_of(session).local_isoformat(order.bidding_closes_at)}


def digest_window(session: Session, now: dt.datetime, hour: int) -> tuple[dt.date, dt.datetime,
                                                                           dt.datetime] | None:
    """Today's digest: its day and the orders' publication window (from yesterday's digest time
    to today's); None before today's digest time."""
    settings = settings_of(session)
    local = now.astimezone(settings.zone)
    today_at = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if local < today_at:
        return None
    return local.date(), (today_at - dt.timedelta(days=1)).astimezone(dt.UTC), today_at.astimezone(dt.UTC)


def send_digests(session: Session, *, hour: int, now: dt.datetime | None = None) -> dict:
    """Each vendor user who wants it gets one e-mail today listing the orders published since
    yesterday's digest that their firm can bid on and that are still open; none when there are
    none. The caller commits."""
    now = now or utcnow()
    window = digest_window(session, now, hour)
    if window is None:
        return {"digests": 0}
    day, since, until = window
    orders = session.scalars(
        select(Order).where(Order.status == "published", Order.bidding_closes_at > now,
                            Order.published_at >= since, Order.published_at < until)
        .options(selectinload(Order.agency)).order_by(Order.bidding_closes_at, Order.id)
    ).all()
    by_firm: dict[int, list[Order]] = {}
    for order in orders:
        for firm in firms_that_can_bid(session, order, now=now):
            by_firm.setdefault(firm.id, []).append(order)
    sent = 0
    for user in _vendor_users(session, sorted(by_firm)):
        if not user.digest_enabled:
            continue
        if not claim_once(session, f"digest:{user.id}:{day.isoformat()}", now=now):
            continue  # sent today already
        firm_orders = by_firm[user.organization_id]
        send_email(session, user, "demand.digest", {
            "count": len(firm_orders), "day": day.isoformat(),
            "orders": "\n".join(_line(session, order, user.locale) for order in firm_orders),
        }, now=now)
        sent += 1
    return {"digests": sent, "orders": len(orders)}


def _line(session: Session, order: Order, locale: str | None) -> str:
    settings = settings_of(session)
    return translate(
        locale, DIGEST_LINE, title=order.title, agency=order.agency.name,
        modality=label(order.modality, "modality", locale),
        annotation_type=label(order.annotation_type, "annotation_type", locale),
        volume=order.volume, unit=label(order.unit, "unit", locale),
        closes=settings.local_isoformat(order.bidding_closes_at)[:16].replace("T", " "),
        link=f"{settings.public_url}/orders/{order.id}",
    )
