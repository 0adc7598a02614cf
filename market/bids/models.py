"""Sealed bids of vendors on orders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, and_, case, select, text
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.db import Base, UnitPrice, utcnow
from market.orders.models import Order

BID_STATUSES = ("submitted", "withdrawn", "awarded", "rejected", "lapsed")
LIVE_BID_STATUSES = ("submitted", "awarded")


class Bid(Base):
    __tablename__ = "bids"
    __table_args__ = (
        CheckConstraint(f"status IN {BID_STATUSES}", name="status"),
        CheckConstraint("unit_price > 0", name="unit_price_positive"),
        CheckConstraint("volume > 0", name="volume_positive"),
        CheckConstraint("seats_committed > 0", name="seats_positive"),
        CheckConstraint(
            "status != 'withdrawn' OR withdrawn_at IS NOT NULL", name="withdrawn_has_time"
        ),
        CheckConstraint("status != 'awarded' OR awarded_at IS NOT NULL", name="awarded_has_time"),
        CheckConstraint(
            "status != 'rejected' OR rejected_at IS NOT NULL", name="rejected_has_time"
        ),
        CheckConstraint("status != 'lapsed' OR lapsed_at IS NOT NULL", name="lapsed_has_time"),
        # At most one live bid per vendor per order, whatever races happen above.
        Index(
            "uq_bids_one_live_per_vendor",
            "order_id",
            "vendor_id",
            unique=True,
            sqlite_where=text("status IN ('submitted', 'awarded')"),
            postgresql_where=text("status IN ('submitted', 'awarded')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    unit_price: Mapped[Decimal] = mapped_column(UnitPrice)
    volume: Mapped[int]
    seats_committed: Mapped[int]
    proposed_finish_date: Mapped[dt.date]
    technical_note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    submitted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[dt.datetime | None]
    awarded_at: Mapped[dt.datetime | None]
    rejected_at: Mapped[dt.datetime | None]
    lapsed_at: Mapped[dt.datetime | None]
    # Set by a material amendment of the order; cleared when the vendor confirms or revises the
    # bid. A bid still waiting at closing lapses.
    confirmation_requested_at: Mapped[dt.datetime | None]
    confirmed_at: Mapped[dt.datetime | None]
    status_reason: Mapped[str | None] = mapped_column(Text)

    order: Mapped[Order] = relationship(back_populates="bids")
    vendor: Mapped[Organization] = relationship()  # noqa: F821

    @hybrid_method
    def effective_status(self, now: dt.datetime) -> str:
        """The status as the rules see it now: a bid still unconfirmed after its order's material
        amendment is lapsed once bidding has closed, whether or not the closing job has run."""
        if (self.status == "submitted" and self.confirmation_requested_at is not None
                and now >= self.order.bidding_closes_at):
            return "lapsed"
        return self.status

    @effective_status.inplace.expression
    @classmethod
    def _effective_status_expression(cls, now: dt.datetime):
        closes = select(Order.bidding_closes_at).where(Order.id == cls.order_id).scalar_subquery()
        return case((and_(cls.status == "submitted", cls.confirmation_requested_at.is_not(None),
                          closes <= now), "lapsed"), else_=cls.status)
