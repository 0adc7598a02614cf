"""People who log in, and the bearer tokens they use."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.db import Base, utcnow

ROLES = ("agency", "vendor", "coordinator", "admin")
EMAIL_TOKEN_PURPOSES = ("password_reset", "email_confirmation")
# Which organisation kind each role belongs to.
ROLE_ORG_KIND = {
    "agency": "agency",
    "vendor": "vendor",
    "coordinator": "operator",
    "admin": "operator",
}


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(f"role IN {ROLES}", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    locale: Mapped[str] = mapped_column(String(10), default="zh")
    # The daily e-mail of new orders a vendor's firm can bid on; the user may turn it off.
    digest_enabled: Mapped[bool] = mapped_column(default=True, server_default=true())
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[dt.datetime | None]
    # Locked after too many failed logins from everywhere; failures before locked_at no longer count.
    locked_at: Mapped[dt.datetime | None]
    locked_until: Mapped[dt.datetime | None]

    organization: Mapped[Organization] = relationship(back_populates="users")  # noqa: F821
    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    def may_sign_in(self) -> bool:
        """Active, in an organisation that is not deactivated: the one rule of logins and tokens."""
        return self.active and self.organization.status == "active"

    def locked(self, now: dt.datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored, so a leaked table grants nothing."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))  # shown to people to tell tokens apart
    name: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
    last_used_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship(back_populates="tokens")


# The purpose of the token a self-registered user confirms the e-mail address with.
EMAIL_CONFIRMATION = "email_confirmation"


class EmailToken(Base):
    """A one-time token sent by e-mail (a password reset, an address to confirm); only its SHA-256
    is stored, and it works once, before it expires."""

    __tablename__ = "email_tokens"
    __table_args__ = (CheckConstraint(f"purpose IN {EMAIL_TOKEN_PURPOSES}", name="purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship()
