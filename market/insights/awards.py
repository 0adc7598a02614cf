"""Awards over the months looked back on: where the work went (vendor city and county), the local
share month by month, how concentrated it is (top-1 and top-3 shares, Herfindahl–Hirschman index)
and the verified vendors that have had no award for a while. An award is a contract made."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from market.contracts.models import Contract
from market.insights.figures import Figure, Series, Window
from market.insights.sql import bucket
from market.organizations.models import Organization, VendorProfile
from market.organizations.region import local_expression
from market.settings import Settings

IDLE_DAYS = 90


def _awarded(window: Window):
    return Contract.created_at >= window.since


def by_place(session: Session, window: Window) -> Figure:
    """Contracts, volume and value by the vendor's city and county, the largest value first."""
    county = func.coalesce(Organization.county, "")
    rows = session.execute(
        select(Organization.city, county, func.count(Contract.id), func.sum(Contract.volume),
               func.sum(Contract.value))
        .join(Organization, Organization.id == Contract.vendor_id).where(_awarded(window))
        .group_by(Organization.city, county)
        .order_by(func.sum(Contract.value).desc(), Organization.city, county)
    ).all()
    return Figure("places", tuple((city, county) for city, county, *_rest in rows), (
        Series("contracts", tuple(r[2] for r in rows)),
        Series("volume", tuple(int(r[3]) for r in rows)),
        Series("value", tuple(r[4] for r in rows)),
    ))


def local_share(session: Session, window: Window, settings: Settings) -> Figure:
    """Per month: the value awarded, the part to local vendors and its share."""
    month = bucket(Contract.created_at, window.month_starts).label("month")
    local = local_expression(settings)
    rows = {m: (total, part) for m, total, part in session.execute(
        select(month, func.sum(Contract.value), func.sum(Contract.value).filter(local))
        .join(Organization, Organization.id == Contract.vendor_id)
        .where(_awarded(window)).group_by(month)
    )}
    per_month = [rows.get(i, (None, None)) for i in range(len(window.months))]
    total = tuple(t or 0 for t, _p in per_month)
    part = tuple(p or 0 for _t, p in per_month)
    return Figure("local_share", window.months, (
        Series("value", total), Series("local_value", part),
        Series("local_share", tuple(round(float(p) / float(t), 4) if t else None
                                    for t, p in zip(total, part, strict=True))),
    ))


def concentration(session: Session, window: Window) -> Figure:
    """Each vendor's value awarded and share of the whole, the largest first; the facts are the
    top-1 and top-3 shares and the Herfindahl–Hirschman index (sum of squared percentage shares,
    0 to 10,000; above 2,500 is highly concentrated by the usual reading)."""
    rows = session.execute(
        select(Organization.name, func.sum(Contract.value))
        .join(Organization, Organization.id == Contract.vendor_id).where(_awarded(window))
        .group_by(Organization.id, Organization.name)
        .order_by(func.sum(Contract.value).desc(), Organization.name)
    ).all()
    total = sum(float(value) for _name, value in rows)
    shares = [float(value) / total for _name, value in rows] if total else []
    facts = {
        "vendors": len(rows),
        "top1_share": round(sum(shares[:1]), 4) if shares else None,
        "top3_share": round(sum(shares[:3]), 4) if shares else None,
        "hhi": round(sum((100 * s) ** 2 for s in shares)) if shares else None,
    }
    return Figure("concentration", tuple(name for name, _value in rows), (
        Series("value", tuple(value for _name, value in rows)),
        Series("share", tuple(round(s, 4) for s in shares)),
    ), facts=facts)


def idle_vendors(session: Session, window: Window) -> Figure:
    """Verified vendors with no award in the last IDLE_DAYS days: the days since their last award
    (or, never awarded, since they were verified), the longest first."""
    last = func.max(Contract.created_at)
    cutoff = window.now - dt.timedelta(days=IDLE_DAYS)
    rows = session.execute(
        select(Organization.name, VendorProfile.verified_at, last)
        .join(VendorProfile, VendorProfile.organization_id == Organization.id)
        .outerjoin(Contract, Contract.vendor_id == Organization.id)
        .where(VendorProfile.verification_status == "verified")
        .group_by(Organization.id, Organization.name, VendorProfile.verified_at)
        .having((last.is_(None)) | (last < cutoff))
    ).all()
    found = sorted(((name, last_award, (window.now - (last_award or verified_at)).days)
                    for name, verified_at, last_award in rows), key=lambda r: (-r[2], r[0]))
    return Figure("idle_vendors", tuple(name for name, _last, _days in found), (
        Series("days", tuple(days for _n, _l, days in found)),
        Series("last_award", tuple(last for _n, last, _d in found)),
    ))
