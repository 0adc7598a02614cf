"""Contracts created from approved allocations, their milestones and delivered lots."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.db import Base, Money, UnitPrice, utcnow

CONTRACT_STATUSES = ("active", "completed", "terminated")
LOT_STATUSES = ("submitted", "accepted", "rejected")


class Contract(Base):
    __tablename__ = "contracts"
    __table_args__ = (
        CheckConstraint(f"status IN {CONTRACT_STATUSES}", name="status"),
        CheckConstraint("volume > 0", name="volume_positive"),
        CheckConstraint("starts_at < deadline", name="starts_before_deadline"),
        CheckConstraint(
            "status != 'completed' OR completed_at IS NOT NULL", name="completed_has_time"
        ),
        CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating_range"),
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
    # Outcome, filled when the contract ends; the quality model learns from these.
    delivered_on_time: Mapped[bool | None]
    accuracy_achieved: Mapped[float | None]
    rating: Mapped[int | None]
    rating_comment: Mapped[str | None] = mapped_column(Text)

    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="contract", cascade="all, delete-orphan", order_by="Milestone.due_at"
    )
    lots: Mapped[list[DeliveryLot]] = relationship(
        back_populates="contract", cascade="all, delete-orphan", order_by="DeliveryLot.id"
    )
    order: Mapped[Order] = relationship()  # noqa: F821
    vendor: Mapped[Organization] = relationship()  # noqa: F821


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


class DeliveryLot(Base):
    __tablename__ = "delivery_lots"
    __table_args__ = (
        CheckConstraint(f"status IN {LOT_STATUSES}", name="status"),
        CheckConstraint("volume > 0", name="volume_positive"),
        CheckConstraint("status = 'submitted' OR decided_at IS NOT NULL", name="decided_has_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(
        ForeignKey("contracts.id", ondelete="CASCADE"), index=True
    )
    volume: Mapped[int]
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    submitted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sample_size: Mapped[int | None]
    sample_defects: Mapped[int | None]
    measured_accuracy: Mapped[float | None]
    decided_at: Mapped[dt.datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(Text)

    contract: Mapped[Contract] = relationship(back_populates="lots")
