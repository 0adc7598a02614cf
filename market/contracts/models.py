"""Contracts created from approved allocations, their milestones, progress, lots, disputes,
payments and ratings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Numeric, String, Text, and_
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.contracts.sampling import SEVERITIES
from market.db import Base, Money, UnitPrice, utcnow

CONTRACT_STATUSES = ("active", "completed", "terminated")
LOT_STATUSES = ("submitted", "accepted", "rejected")
DISPUTE_STATUSES = ("open", "upheld", "reinspection")
# The law lets a contract agree a payment term to a small or medium firm of at most 60 days.
MAX_PAYMENT_TERM_DAYS = 60


class Contract(Base):
    __tablename__ = "contracts"
    __table_args__ = (
        CheckConstraint(f"status IN {CONTRACT_STATUSES}", name="status"),
        CheckConstraint("volume > 0", name="volume_positive"),
        CheckConstraint("starts_at < deadline", name="starts_before_deadline"),
        CheckConstraint(
            "status != 'completed' OR completed_at IS NOT NULL", name="completed_has_time"
        ),
        CheckConstraint(
            "status != 'terminated' OR terminated_at IS NOT NULL", name="terminated_has_time"
        ),
        CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating_range"),
        CheckConstraint(f"severity IN {SEVERITIES}", name="severity"),
        CheckConstraint(
            f"payment_term_days >= 1 AND payment_term_days <= {MAX_PAYMENT_TERM_DAYS}",
            name="payment_term_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique: approving one allocation twice, even concurrently, can only make one contract.
    allocation_id: Mapped[int | None] = mapped_column(ForeignKey("allocations.id"), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    bid_id: Mapped[int | None] = mapped_column(ForeignKey("bids.id"))
    vendor_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    volume: Mapped[int]
    unit_price: Mapped[Decimal] = mapped_column(UnitPrice)
    value: Mapped[Decimal] = mapped_column(Money)
    seats: Mapped[int] = mapped_column(default=0)
    starts_at: Mapped[dt.datetime]
    deadline: Mapped[dt.datetime]
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[dt.datetime | None]
    terminated_at: Mapped[dt.datetime | None]
    status_reason: Mapped[str | None] = mapped_column(Text)  # why it was terminated
    # Days from a lot's acceptance to its payment being due (30 unless the contract agrees otherwise).
    payment_term_days: Mapped[int] = mapped_column(default=30)
    # ISO 2859-1 switching state of this contract's inspections (market.contracts.sampling).
    severity: Mapped[str] = mapped_column(String(16), default="normal")
    switching_score: Mapped[int] = mapped_column(default=0)
    recent_results: Mapped[list] = mapped_column(default=list)  # last lots accepted (true) or not
    tightened_rejections: Mapped[int] = mapped_column(default=0)
    consecutive_accepted: Mapped[int] = mapped_column(default=0)
    reduced_agreed_at: Mapped[dt.datetime | None]  # the agency agreed to reduced inspection
    discontinued_at: Mapped[dt.datetime | None]  # acceptance discontinued (too many rejections)
    overdue_notified_at: Mapped[dt.datetime | None]
    # Outcome, filled when the contract ends; the quality model learns from these.
    delivered_on_time: Mapped[bool | None]
    accuracy_achieved: Mapped[float | None]
    days_late: Mapped[int | None]
    # The overall rating (1-5): the rounded mean of the agency's Rating, or a past contract's.
    rating: Mapped[int | None]
    rating_comment: Mapped[str | None] = mapped_column(Text)

    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="contract", cascade="all, delete-orphan", order_by="Milestone.due_at"
    )
    lots: Mapped[list[DeliveryLot]] = relationship(
        back_populates="contract", cascade="all, delete-orphan", order_by="DeliveryLot.id"
    )
    progress_reports: Mapped[list[ProgressReport]] = relationship(
        back_populates="contract", cascade="all, delete-orphan", order_by="ProgressReport.id"
    )
    payments: Mapped[list[Payment]] = relationship(
        back_populates="contract", cascade="all, delete-orphan", order_by="Payment.id"
    )
    rating_detail: Mapped[Rating | None] = relationship(
        back_populates="contract", cascade="all, delete-orphan"
    )
    order: Mapped[Order] = relationship()  # noqa: F821
    vendor: Mapped[Organization] = relationship()  # noqa: F821

    @hybrid_method
    def overdue(self, now: dt.datetime) -> bool:
        """Past its deadline and still active, so volume is left to deliver."""
        return self.status == "active" and self.deadline < now

    @overdue.inplace.expression
    @classmethod
    def _overdue_expression(cls, now: dt.datetime):
        return and_(cls.status == "active", cls.deadline < now)


class Milestone(Base):
    __tablename__ = "milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(
        ForeignKey("contracts.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    due_at: Mapped[dt.datetime]
    volume: Mapped[int]
    reported_volume: Mapped[int] = mapped_column(default=0)
    completed_at: Mapped[dt.datetime | None]

    contract: Mapped[Contract] = relationship(back_populates="milestones")


class ProgressReport(Base):
    """A vendor's report of the volume done so far (cumulative), only ever forward."""

    __tablename__ = "progress_reports"
    __table_args__ = (CheckConstraint("volume_done >= 0", name="volume_done_nonnegative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(
        ForeignKey("contracts.id", ondelete="CASCADE"), index=True
    )
    milestone_id: Mapped[int | None] = mapped_column(ForeignKey("milestones.id"))
    volume_done: Mapped[int]
    note: Mapped[str | None] = mapped_column(Text)
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    contract: Mapped[Contract] = relationship(back_populates="progress_reports")


class DeliveryLot(Base):
    __tablename__ = "delivery_lots"
    __table_args__ = (
        CheckConstraint(f"status IN {LOT_STATUSES}", name="status"),
        CheckConstraint("volume > 0", name="volume_positive"),
        CheckConstraint("status = 'submitted' OR decided_at IS NOT NULL", name="decided_has_time"),
        CheckConstraint("item_count IS NULL OR item_count > 0", name="item_count_positive"),
        CheckConstraint(
            "sample_defects IS NULL OR sample_defects >= 0", name="defects_nonnegative"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(
        ForeignKey("contracts.id", ondelete="CASCADE"), index=True
    )
    volume: Mapped[int]
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    submitted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Unique: a rejected lot's volume is handed in again once, by one later lot.
    resubmission_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("delivery_lots.id"), unique=True
    )
    # The manifest: what was delivered (the data itself stays in the agency's systems).
    item_count: Mapped[int | None]  # the lot size N of the inspection
    checksum: Mapped[str | None] = mapped_column(String(128))
    item_ids: Mapped[list | None]
    # The sampling plan the service gave (ISO 2859-1 single sampling) and the sample it drew.
    aql: Mapped[Decimal | None] = mapped_column(Numeric(7, 3))
    inspection_level: Mapped[str | None] = mapped_column(String(8))
    severity: Mapped[str | None] = mapped_column(String(16))
    size_code: Mapped[str | None] = mapped_column(String(1))  # Table 1's letter
    code_letter: Mapped[str | None] = mapped_column(String(1))  # the plan used, after the arrows
    sample_size: Mapped[int | None]
    accept_number: Mapped[int | None]
    reject_number: Mapped[int | None]
    sample_seed: Mapped[int | None] = mapped_column(BigInteger)
    sample_positions: Mapped[list | None]  # 1-based positions in the manifest to inspect
    # The inspection: nonconforming items found in the sample, and findings per item.
    sample_defects: Mapped[int | None]
    findings: Mapped[list | None]
    measured_accuracy: Mapped[float | None]
    decided_at: Mapped[dt.datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(Text)

    contract: Mapped[Contract] = relationship(back_populates="lots")
    dispute: Mapped[Dispute | None] = relationship(back_populates="lot")
    payment: Mapped[Payment | None] = relationship(back_populates="lot")
    resubmission_of: Mapped[DeliveryLot | None] = relationship(remote_side=[id])


class Dispute(Base):
    """A vendor's dispute of a rejected lot; a coordinator upholds the rejection or orders it
    inspected again."""

    __tablename__ = "disputes"
    __table_args__ = (
        CheckConstraint(f"status IN {DISPUTE_STATUSES}", name="status"),
        CheckConstraint("status = 'open' OR decided_at IS NOT NULL", name="decided_has_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique: one dispute per lot; a coordinator's decision on it is final.
    lot_id: Mapped[int] = mapped_column(
        ForeignKey("delivery_lots.id", ondelete="CASCADE"), unique=True
    )
    contract_id: Mapped[int] = mapped_column(
        ForeignKey("contracts.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(Text)
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    raised_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="open")
    decided_at: Mapped[dt.datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_reason: Mapped[str | None] = mapped_column(Text)

    lot: Mapped[DeliveryLot] = relationship(back_populates="dispute")
    contract: Mapped[Contract] = relationship()


class Payment(Base):
    """What an accepted lot makes payable, when it falls due, and its payment once recorded."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(
            "(paid_on IS NULL) = (reference IS NULL)", name="paid_has_reference"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(
        ForeignKey("contracts.id", ondelete="CASCADE"), index=True
    )
    # Unique: an accepted lot is payable once.
    lot_id: Mapped[int] = mapped_column(ForeignKey("delivery_lots.id", ondelete="CASCADE"),
                                        unique=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    accepted_on: Mapped[dt.date]
    due_on: Mapped[dt.date]
    paid_on: Mapped[dt.date | None]
    reference: Mapped[str | None] = mapped_column(String(100))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime | None]
    overdue_notified_at: Mapped[dt.datetime | None]

    contract: Mapped[Contract] = relationship(back_populates="payments")
    lot: Mapped[DeliveryLot] = relationship(back_populates="payment")

    @hybrid_method
    def overdue(self, today: dt.date) -> bool:
        """Not paid and past its due date (a day in the programme's zone)."""
        return self.paid_on is None and self.due_on < today

    @overdue.inplace.expression
    @classmethod
    def _overdue_expression(cls, today: dt.date):
        return and_(cls.paid_on.is_(None), cls.due_on < today)

    def status_on(self, today: dt.date) -> str:
        if self.paid_on is not None:
            return "paid"
        return "overdue" if self.overdue(today) else "due"


RATING_ASPECTS = ("quality", "timeliness", "communication")


class Rating(Base):
    """The agency's rating of a completed contract's vendor, and the vendor's one reply."""

    __tablename__ = "ratings"
    __table_args__ = tuple(
        CheckConstraint(f"{aspect} >= 1 AND {aspect} <= 5", name=f"{aspect}_range")
        for aspect in RATING_ASPECTS
    ) + (CheckConstraint("(reply IS NULL) = (replied_at IS NULL)", name="reply_has_time"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(
        ForeignKey("contracts.id", ondelete="CASCADE"), unique=True
    )
    vendor_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    quality: Mapped[int]
    timeliness: Mapped[int]
    communication: Mapped[int]
    comment: Mapped[str | None] = mapped_column(Text)
    rated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    rated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    reply: Mapped[str | None] = mapped_column(Text)
    replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    replied_at: Mapped[dt.datetime | None]

    contract: Mapped[Contract] = relationship(back_populates="rating_detail")
