"""Annotation orders (the demand agencies publish) and the clarification questions on them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    and_,
    case,
    event,
    not_,
    or_,
)
from sqlalchemy.ext.hybrid import hybrid_method, hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.contracts.sampling import default_aql
from market.db import Base, Money, utcnow
from market.orders import search
from market.organizations.models import CLEARANCES

ORDER_STATUSES = (
    "draft",
    "published",
    "evaluating",
    "awarded",
    "in_progress",
    "completed",
    "cancelled",
    "unsuccessful",
)
# Acceptance sampling inspection levels of GB/T 2828.1 (ISO 2859-1).
SAMPLING_LEVELS = ("S-1", "S-2", "S-3", "S-4", "I", "II", "III")
# Statuses an order reaches only once bidding is over, so its bids are no longer sealed.
UNSEALED_STATUSES = ("evaluating", "awarded", "in_progress", "completed", "unsuccessful")
# What a draft may leave empty and an order must have once published (DESIGN.md's order).
REQUIRED_TO_PUBLISH = (
    "sector", "modality", "annotation_type", "volume", "unit", "budget_ceiling",
    "bidding_closes_at", "delivery_deadline", "accuracy_target",
)
# Fields the directory shows besides its base set, unless the agency hides one with a reason.
PUBLIC_FIELD_CHOICES = (
    "description", "label_set", "budget_ceiling", "accuracy_target", "sampling_level",
    "data_classification", "onsite_required", "required_certifications", "splittable",
    "max_vendors", "min_lot", "scoring_weights",
)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(f"status IN {ORDER_STATUSES}", name="status"),
        CheckConstraint(f"data_classification IN {CLEARANCES}", name="data_classification"),
        CheckConstraint(f"sampling_level IN {SAMPLING_LEVELS}", name="sampling_level"),
        CheckConstraint("volume > 0", name="volume_positive"),
        CheckConstraint("budget_ceiling > 0", name="budget_positive"),
        CheckConstraint("bidding_closes_at < delivery_deadline", name="closing_before_deadline"),
        CheckConstraint("accuracy_target > 0 AND accuracy_target <= 1", name="accuracy_range"),
        CheckConstraint("max_vendors IS NULL OR max_vendors >= 1", name="max_vendors_positive"),
        CheckConstraint("aql IS NULL OR aql > 0", name="aql_positive"),
        CheckConstraint(
            "min_lot IS NULL OR (min_lot > 0 AND min_lot <= volume)", name="min_lot_range"
        ),
        # A draft may be partial; an order that was ever published has every field it needs.
        CheckConstraint(
            "published_at IS NULL OR ("
            + " AND ".join(f"{name} IS NOT NULL" for name in REQUIRED_TO_PUBLISH) + ")",
            name="complete_once_published",
        ),
        # The status cannot disagree with its timestamps.
        CheckConstraint(
            "status = 'draft' OR status = 'cancelled' OR published_at IS NOT NULL",
            name="published_has_time",
        ),
        CheckConstraint(
            "status != 'cancelled' OR cancelled_at IS NOT NULL", name="cancelled_has_time"
        ),
        CheckConstraint("status != 'awarded' OR awarded_at IS NOT NULL", name="awarded_has_time"),
        CheckConstraint(
            "status != 'completed' OR completed_at IS NOT NULL", name="completed_has_time"
        ),
        CheckConstraint(
            "status != 'unsuccessful' OR unsuccessful_at IS NOT NULL", name="unsuccessful_has_time"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # None only on a draft (see REQUIRED_TO_PUBLISH).
    sector: Mapped[str | None] = mapped_column(String(32))
    modality: Mapped[str | None] = mapped_column(String(32))
    annotation_type: Mapped[str | None] = mapped_column(String(32))
    label_set: Mapped[list] = mapped_column(default=list)
    volume: Mapped[int | None]
    unit: Mapped[str | None] = mapped_column(String(32))
    budget_ceiling: Mapped[Decimal | None] = mapped_column(Money)
    bidding_closes_at: Mapped[dt.datetime | None]
    delivery_deadline: Mapped[dt.datetime | None]
    accuracy_target: Mapped[float | None]
    # The inspection level of ISO 2859-1 sampling of delivered lots (general I-III, special S-1..S-4).
    sampling_level: Mapped[str] = mapped_column(String(8), default="II")
    # Acceptable quality level in percent nonconforming; None: derived from the accuracy target.
    aql: Mapped[Decimal | None] = mapped_column(Numeric(7, 3))
    data_classification: Mapped[str] = mapped_column(String(16), default="general")
    onsite_required: Mapped[bool] = mapped_column(default=False)
    required_certifications: Mapped[list] = mapped_column(default=list)
    splittable: Mapped[bool] = mapped_column(default=False)
    max_vendors: Mapped[int | None]
    min_lot: Mapped[int | None]
    scoring_weights: Mapped[dict | None]  # None: the coordinators' policy applies
    # Fields of PUBLIC_FIELD_CHOICES the directory does not show, each with the agency's reason.
    hidden_fields: Mapped[dict] = mapped_column(default=dict)

    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    published_at: Mapped[dt.datetime | None]
    evaluating_at: Mapped[dt.datetime | None]
    awarded_at: Mapped[dt.datetime | None]
    in_progress_at: Mapped[dt.datetime | None]
    completed_at: Mapped[dt.datetime | None]
    cancelled_at: Mapped[dt.datetime | None]
    unsuccessful_at: Mapped[dt.datetime | None]
    status_reason: Mapped[str | None] = mapped_column(Text)
    # The grams text search looks up (market.orders.search), written with the order (below).
    search_terms: Mapped[str] = mapped_column(search.SearchTerms, default="")

    agency: Mapped[Organization] = relationship()  # noqa: F821
    questions: Mapped[list[Question]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="Question.id"
    )
    bids: Mapped[list[Bid]] = relationship(back_populates="order")  # noqa: F821
    # Read only, for the award notice: contracts are made by market.contracts.services alone.
    contracts: Mapped[list[Contract]] = relationship(viewonly=True, order_by="Contract.id")  # noqa: F821
    amendments: Mapped[list[OrderAmendment]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderAmendment.version"
    )

    @property
    def aql_in_force(self) -> Decimal | None:
        """The AQL delivered lots are inspected at: the order's own, or the largest preferred AQL
        not above 100 x (1 - accuracy target); None for a draft without a target."""
        if self.aql is not None:
            return self.aql
        return default_aql(self.accuracy_target) if self.accuracy_target is not None else None

    @property
    def public_fields(self) -> list[str]:
        """The fields of PUBLIC_FIELD_CHOICES the directory shows: all but the hidden ones."""
        hidden = self.hidden_fields or {}
        return [name for name in PUBLIC_FIELD_CHOICES if name not in hidden]

    # The rules below are each written once, for Python and for SQL side by side (a hybrid), so an
    # object in memory and a query over the table can never disagree about them.

    @hybrid_property
    def was_published(self) -> bool:
        """Listed in the directory and seen by everyone signed in. Every status after draft has a
        publishing time (a constraint), so a draft cancelled before anyone saw it stays private."""
        return self.status != "draft" and self.published_at is not None

    @was_published.inplace.expression
    @classmethod
    def _was_published_expression(cls):
        return and_(cls.status != "draft", cls.published_at.is_not(None))

    @hybrid_method
    def bidding_open(self, now: dt.datetime) -> bool:
        """Bids are taken while published and before closing, whether or not the job has run."""
        return self.status == "published" and now < self.bidding_closes_at

    @bidding_open.inplace.expression
    @classmethod
    def _bidding_open_expression(cls, now: dt.datetime):
        return and_(cls.status == "published", cls.bidding_closes_at > now)

    @hybrid_method
    def bids_sealed(self, now: dt.datetime) -> bool:
        """Nobody but the bidding firm sees a bid (nor that it exists) until bidding has closed: by
        the clock or because the order moved on. A cancelled order's bids stay sealed until the
        closing time it had; a draft has none."""
        return not (self.was_published and (
            now >= self.bidding_closes_at or self.status in UNSEALED_STATUSES))

    @bids_sealed.inplace.expression
    @classmethod
    def _bids_sealed_expression(cls, now: dt.datetime):
        return not_(and_(cls.was_published,
                         or_(cls.bidding_closes_at <= now, cls.status.in_(UNSEALED_STATUSES))))

    @hybrid_method
    def effective_status(self, now: dt.datetime) -> str:
        """The status as the rules see it now: a published order past its closing is evaluating."""
        if self.status == "published" and now >= self.bidding_closes_at:
            return "evaluating"
        return self.status

    @effective_status.inplace.expression
    @classmethod
    def _effective_status_expression(cls, now: dt.datetime):
        return case((and_(cls.status == "published", cls.bidding_closes_at <= now), "evaluating"),
                    else_=cls.status)

    @hybrid_method
    def in_effective_status(self, now: dt.datetime, status: str) -> bool:
        """`effective_status(now) == status`, in SQL as conditions on the stored status that its
        indexes can answer (the CASE of effective_status hides them from the planner)."""
        return self.effective_status(now) == status

    @in_effective_status.inplace.expression
    @classmethod
    def _in_effective_status_expression(cls, now: dt.datetime, status: str):
        if status == "evaluating":
            return or_(cls.status == "evaluating", and_(cls.status == "published", cls.bidding_closes_at <= now))
        if status == "published":
            return and_(cls.status == "published", cls.bidding_closes_at > now)
        return cls.status == status


Index("ix_orders_directory", Order.status, Order.sector, Order.modality)
# The directory's default order (newest first) and an agency's own list, read from their index.
Index("ix_orders_published_at", Order.published_at, Order.id, Order.status)
Index("ix_orders_agency_created", Order.agency_id, Order.created_at, Order.id)
# When the next open order closes: until then no status the directory shows moves by the clock.
Index("ix_orders_status_closes", Order.status, Order.bidding_closes_at)


@event.listens_for(Order, "before_insert")
@event.listens_for(Order, "before_update")
def _write_search_terms(_mapper, _connection, order: Order) -> None:
    # Every writer of an order keeps its search terms, so search can never disagree with the text.
    order.search_terms = search.terms(order.title, order.description, order.hidden_fields)


class DirectoryState(Base):
    """One row: a number that grows whenever anything the public directory shows may have changed
    (market.orders.freshness), so cached public answers can be checked with one cheap read."""

    __tablename__ = "directory_state"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(default=0)
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class OrderAmendment(Base):
    """A versioned change to a published order: what changed (before and after), when, by whom, why."""

    __tablename__ = "order_amendments"
    __table_args__ = (
        UniqueConstraint("order_id", "version"),  # one amendment per version of an order
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    # {field: {"before": ..., "after": ...}}, values as the API writes them (times in local time).
    changes: Mapped[dict]
    note: Mapped[str] = mapped_column(Text)
    # Volume, budget, deadline or requirements changed: bids had to be confirmed again.
    material: Mapped[bool] = mapped_column(default=False)
    amended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    amended_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    order: Mapped[Order] = relationship(back_populates="amendments")


class Question(Base):
    """A vendor's clarification question and the agency's answer, public once answered."""

    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    asked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    vendor_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    text: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[dt.datetime | None]

    order: Mapped[Order] = relationship(back_populates="questions")
