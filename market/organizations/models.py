"""Organisations (agencies, vendors, the operator), vendor profiles, capabilities and change requests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    and_,
    text,
)
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship

from market.db import Base, UnitPrice, utcnow

ORG_KINDS = ("agency", "vendor", "operator")
# A deactivated organisation's staff cannot sign in; an administrator may reactivate it.
ORG_STATUSES = ("active", "deactivated")
CLEARANCES = ("general", "important", "core")  # GB/T 43697 data tiers, in rising order
VERIFICATION_STATUSES = ("pending", "verified", "suspended")
CHANGE_REQUEST_STATUSES = ("pending", "approved", "rejected", "withdrawn", "superseded")
# What the hard rules trust: a verified vendor's raise of these waits for a coordinator.
REVIEWED_FIELDS = ("seats", "clearance", "certifications", "onsite_possible")


class Organization(Base):
    __tablename__ = "organizations"
    __table_args__ = (
        CheckConstraint(f"kind IN {ORG_KINDS}", name="kind"),
        CheckConstraint(f"status IN {ORG_STATUSES}", name="status"),
        CheckConstraint("status != 'deactivated' OR deactivated_at IS NOT NULL",
                        name="deactivated_has_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    province: Mapped[str] = mapped_column(String(50))
    city: Mapped[str] = mapped_column(String(50))
    county: Mapped[str | None] = mapped_column(String(50))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    description: Mapped[str | None] = mapped_column(Text)
    sectors: Mapped[list] = mapped_column(default=list)  # agencies: the sectors they publish for
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    deactivated_at: Mapped[dt.datetime | None]
    reactivated_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    vendor_profile: Mapped[VendorProfile | None] = relationship(
        back_populates="organization", uselist=False, cascade="all, delete-orphan"
    )
    users: Mapped[list[User]] = relationship(back_populates="organization")  # noqa: F821


class VendorProfile(Base):
    __tablename__ = "vendor_profiles"
    __table_args__ = (
        CheckConstraint("seats >= 0", name="seats_non_negative"),
        CheckConstraint("headcount >= 0", name="headcount_non_negative"),
        CheckConstraint(f"clearance IN {CLEARANCES}", name="clearance"),
        CheckConstraint(
            f"verification_status IN {VERIFICATION_STATUSES}", name="verification_status"
        ),
        # A verified vendor has a verification time; a suspended one has a suspension time.
        CheckConstraint(
            "verification_status != 'verified' OR verified_at IS NOT NULL", name="verified_has_time"
        ),
        CheckConstraint(
            "verification_status != 'suspended' OR suspended_at IS NOT NULL",
            name="suspended_has_time",
        ),
    )

    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    seats: Mapped[int] = mapped_column(default=0)
    headcount: Mapped[int] = mapped_column(default=0)
    certifications: Mapped[list] = mapped_column(default=list)
    clearance: Mapped[str] = mapped_column(String(16), default="general")
    onsite_possible: Mapped[bool] = mapped_column(default=False)
    sme: Mapped[bool] = mapped_column(default=True)
    verification_status: Mapped[str] = mapped_column(String(16), default="pending")
    verified_at: Mapped[dt.datetime | None]
    suspended_at: Mapped[dt.datetime | None]
    status_reason: Mapped[str | None] = mapped_column(Text)  # told to the vendor
    status_note: Mapped[str | None] = mapped_column(Text)  # the coordinators' internal note
    # The seats a coordinator (or an administrator) last accepted; None: the seats as they are. A
    # raise is measured from here, so that small raises one after another cannot add up unseen.
    seats_reviewed: Mapped[int | None]

    organization: Mapped[Organization] = relationship(back_populates="vendor_profile")
    pending_change: Mapped[ChangeRequest | None] = relationship(
        primaryjoin=lambda: and_(
            VendorProfile.organization_id == foreign(ChangeRequest.vendor_id),
            ChangeRequest.status == "pending",
        ),
        viewonly=True,
        uselist=False,
    )
    capabilities: Mapped[list[Capability]] = relationship(
        back_populates="vendor", cascade="all, delete-orphan", order_by="Capability.id"
    )


class Capability(Base):
    """What a vendor can annotate, how fast per seat-day, at what price, and how well (assessed)."""

    __tablename__ = "capabilities"
    __table_args__ = (
        UniqueConstraint(
            "vendor_id", "modality", "annotation_type", name="uq_capabilities_vendor_kind"
        ),
        CheckConstraint("throughput_per_seat_day > 0", name="throughput_positive"),
        CheckConstraint("unit_price > 0", name="unit_price_positive"),
        CheckConstraint(
            "assessed_proficiency IS NULL OR (assessed_proficiency >= 0 AND assessed_proficiency <= 1)",
            name="proficiency_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(
        ForeignKey("vendor_profiles.organization_id", ondelete="CASCADE"), index=True
    )
    modality: Mapped[str] = mapped_column(String(32))
    annotation_type: Mapped[str] = mapped_column(String(32))
    throughput_per_seat_day: Mapped[float]
    unit_price: Mapped[Decimal] = mapped_column(UnitPrice)
    assessed_proficiency: Mapped[float | None]
    evidence: Mapped[str | None] = mapped_column(Text)
    assessed_at: Mapped[dt.datetime | None]

    vendor: Mapped[VendorProfile] = relationship(back_populates="capabilities")


class ChangeRequest(Base):
    """A verified vendor's raise of what eligibility trusts, waiting for a coordinator's decision.

    The profile keeps the approved values, which are all the engine reads; the values asked for live
    here until a coordinator approves them.
    """

    __tablename__ = "change_requests"
    __table_args__ = (
        CheckConstraint(f"status IN {CHANGE_REQUEST_STATUSES}", name="status"),
        CheckConstraint(
            "status NOT IN ('approved', 'rejected') OR decided_at IS NOT NULL",
            name="decided_has_time",
        ),
        CheckConstraint(
            "status != 'withdrawn' OR withdrawn_at IS NOT NULL", name="withdrawn_has_time"
        ),
        CheckConstraint(
            "status != 'superseded' OR superseded_at IS NOT NULL", name="superseded_has_time"
        ),
        # At most one pending request per vendor: asking again supersedes the one pending.
        Index(
            "uq_change_requests_one_pending_per_vendor",
            "vendor_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(
        ForeignKey("vendor_profiles.organization_id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default="pending")
    requested: Mapped[dict]  # field -> the value asked for
    # field -> the approved value when asked, replaced by the one in force when decided
    previous: Mapped[dict]
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("change_requests.id"))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None]
    withdrawn_at: Mapped[dt.datetime | None]
    superseded_at: Mapped[dt.datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)  # the decision's reason, told to the vendor
    note: Mapped[str | None] = mapped_column(Text)  # the coordinators' internal note

    vendor: Mapped[VendorProfile] = relationship()


Index("ix_organizations_kind_region", Organization.kind, Organization.province, Organization.city)
