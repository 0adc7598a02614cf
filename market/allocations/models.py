"""Match runs of the engine, the per-bid evaluations they explain, and proposed allocations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.db import Base, UnitPrice, utcnow

RUN_STATUSES = ("queued", "running", "completed", "failed")
ALLOCATION_STATUSES = ("proposed", "approved", "rejected", "superseded")


class ScoringPolicy(Base):
    """The coordinators' default scoring weights; the newest active row is in force."""

    __tablename__ = "scoring_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    weights: Mapped[dict]
    note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    created_by: Mapped[User | None] = relationship()  # noqa: F821


class MatchRun(Base):
    __tablename__ = "match_runs"
    __table_args__ = (CheckConstraint(f"status IN {RUN_STATUSES}", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: command line
    trigger: Mapped[str] = mapped_column(String(32), default="api")
    status: Mapped[str] = mapped_column(String(16), default="running")
    policy: Mapped[dict] = mapped_column(default=dict)
    solver: Mapped[str | None] = mapped_column(String(200))
    objective: Mapped[float | None]
    bound: Mapped[float | None]
    gap_pct: Mapped[float | None]
    seconds: Mapped[float | None]
    order_ids: Mapped[list] = mapped_column(default=list)
    stats: Mapped[dict] = mapped_column(default=dict)
    # Queued by the API (or when bidding closed) and run by the scheduler; the command line runs
    # one at once. None in requested_order_ids: every order under evaluation when it runs.
    queued_at: Mapped[dt.datetime | None]
    requested_order_ids: Mapped[list | None]
    time_limit: Mapped[float | None]
    # Set by the scheduler that claimed the run; only that claim may finish it.
    claim_token: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    error: Mapped[str | None] = mapped_column(Text)

    started_by: Mapped[User | None] = relationship()  # noqa: F821
    allocations: Mapped[list[Allocation]] = relationship(
        back_populates="run", order_by="Allocation.id"
    )
    evaluations: Mapped[list[BidEvaluation]] = relationship(back_populates="run")


class MatchRunProgress(Base):
    """How far a running match run has got, written by the scheduler outside the run's own
    transaction (which holds the run row locked) so that GET /match-runs/{id} can show it.

    No foreign key: the run's transaction holds its row, and a key check would wait for it.
    """

    __tablename__ = "match_run_progress"

    run_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    phase: Mapped[str] = mapped_column(String(16))
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class BidEvaluation(Base):
    """Why each bid in a run won or lost: eligibility refusals, score breakdown, allocated volume."""

    __tablename__ = "bid_evaluations"
    __table_args__ = (UniqueConstraint("run_id", "bid_id", name="uq_bid_evaluations_run_bid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("match_runs.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bids.id"))
    vendor_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    eligible: Mapped[bool]
    refusals: Mapped[list] = mapped_column(default=list)
    score: Mapped[float | None]
    breakdown: Mapped[dict] = mapped_column(default=dict)
    allocated_volume: Mapped[float] = mapped_column(default=0.0)
    outcome: Mapped[str] = mapped_column(Text, default="")
    # Why an eligible bid got less than it offered, as the engine said it: {"code", "params"}.
    loss_reason: Mapped[dict | None]

    run: Mapped[MatchRun] = relationship(back_populates="evaluations")
    vendor: Mapped[Organization] = relationship()  # noqa: F821


class Allocation(Base):
    __tablename__ = "allocations"
    __table_args__ = (
        CheckConstraint(f"status IN {ALLOCATION_STATUSES}", name="status"),
        CheckConstraint("volume > 0", name="volume_positive"),
        CheckConstraint(
            "status NOT IN ('approved', 'rejected') OR decided_at IS NOT NULL",
            name="decided_has_time",
        ),
        CheckConstraint("status != 'rejected' OR reason IS NOT NULL", name="rejected_has_reason"),
        CheckConstraint(
            "status != 'superseded' OR superseded_at IS NOT NULL", name="superseded_has_time"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("match_runs.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bids.id"), index=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    volume: Mapped[int]
    unit_price: Mapped[Decimal] = mapped_column(UnitPrice)
    score: Mapped[float]
    breakdown: Mapped[dict] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="proposed")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None]
    superseded_at: Mapped[dt.datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)  # the decision's reason, told to the vendor
    note: Mapped[str | None] = mapped_column(
        Text
    )  # the coordinators' internal note, never shown to the vendor

    run: Mapped[MatchRun] = relationship(back_populates="allocations")
    order: Mapped[Order] = relationship()  # noqa: F821
    bid: Mapped[Bid] = relationship()  # noqa: F821


Index("ix_allocations_status_order", Allocation.status, Allocation.order_id)
