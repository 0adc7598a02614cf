"""Accounts: password hashing, login with throttling, bearer tokens, and creating users."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload
from werkzeug.security import check_password_hash, generate_password_hash

from market.accounts import throttle
from market.accounts.models import EMAIL_CONFIRMATION, ROLE_ORG_KIND, ApiToken, EmailToken, User
from market.audit import services as audit
from market.db import utcnow
from market.errors import Conflict, InvalidInput, NotFound, TooManyRequests, Unauthorized
from market.i18n import LOCALES, N_
from market.organizations.models import Organization
from market.permissions import require_role
from market.settings import settings_of

TOKEN_PREFIX = "mkt_"
ROLE_MISFIT = N_("This role does not fit the kind of organisation: agency staff belong to a public agency, "
                 "vendor staff to an annotation firm, coordinators and administrators to the platform operator.")
OWN_ROLE = N_("You cannot take away your own administrator role; ask another administrator.")
# A hash computed once so that logins for unknown e-mails take as long as for known ones.
_DUMMY_HASH = None


def hash_password(password: str) -> str:
    # scrypt: memory-hard and slow by design (werkzeug's default KDF).
    return generate_password_hash(password, method="scrypt")


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password(secrets.token_urlsafe(16))
    return _DUMMY_HASH


def hash_token(token: str) -> str:
    # Tokens are 256 random bits, so a fast hash is enough; what matters is not storing them.
    return hashlib.sha256(token.encode()).hexdigest()


def email_taken(session: Session, email: str) -> bool:
    return session.scalar(select(User.id).where(User.email == email)) is not None


def create_user(session: Session, data: dict, *, actor, now: dt.datetime | None = None) -> User:
    """A new user (administrators; `actor` None is the command line setting up).

    `data` has email, name, password, role, organization_id (which must exist: 422 if not) and
    optionally locale.
    """
    if actor is not None:
        require_role(actor, "admin")
    email, name, password, role = data["email"], data["name"], data.get("password"), data["role"]
    organization = session.get(Organization, data["organization_id"])
    if organization is None:
        raise InvalidInput(f"No organisation with id {data['organization_id']}.",
                           errors={"organization_id": [N_("There is no such organisation.")]})
    if organization.status != "active":
        raise InvalidInput(f"{organization.name} is deactivated; reactivate it first.",
                           errors={"organization_id": [N_("The organisation is deactivated; reactivate it first.")]})
    _require_kind_for_role(organization, role, field="organization_id")
    email = email.strip().lower()
    taken = Conflict(N_("A user with e-mail %(email)s already exists."),
                     errors={"email": ["already registered"]}, params={"email": email})
    if email_taken(session, email):
        raise taken
    # Without a password (an invitation) none works until the user chooses one through a link.
    password_hash = hash_password(password or secrets.token_urlsafe(32))
    try:
        # In a savepoint, so that a request racing past the check above hits the unique index as a 409
        # (made inside it: opening a savepoint flushes what is pending); flushed now because the audit
        # event needs the new user's id.
        with session.begin_nested():
            user = User(email=email, name=name, password_hash=password_hash, role=role,
                        organization=organization, locale=data.get("locale", "zh"))
            if now is not None:
                user.created_at = now
            session.add(user)
            session.flush()
    except IntegrityError as exc:
        if "email" in str(exc.orig):
            raise taken from exc
        raise
    audit.record(
        session, "user.created", actor=actor, object_type="user", object_id=user.id,
        organization_id=organization.id, data={"email": email, "role": role}, occurred_at=now,
    )
    return user


def _require_kind_for_role(organization: Organization, role: str, *, field: str) -> None:
    expected_kind = ROLE_ORG_KIND[role]
    if organization.kind != expected_kind:
        raise InvalidInput(
            f"A {role} user must belong to an organisation of kind {expected_kind}; "
            f"{organization.name} is a {organization.kind}.",
            errors={field: [ROLE_MISFIT]},
        )


def _user(session: Session, user_id: int, *, lock: bool = False) -> User:
    user = session.get(User, user_id, with_for_update=lock)
    if user is None:
        raise NotFound(f"No user with id {user_id}.")
    return user


def update_user(session: Session, user_id: int, data: dict, *, actor,
                now: dt.datetime | None = None) -> User:
    """Change a user's name, role or language (administrators). The role must fit the user's
    organisation; an administrator does not take their own role away."""
    require_role(actor, "admin")
    user = _user(session, user_id, lock=True)
    if "role" in data:
        _require_kind_for_role(user.organization, data["role"], field="role")
        if user.id == actor.id and data["role"] != "admin":
            raise Conflict(OWN_ROLE, errors={"role": [OWN_ROLE]})
    changes = {key: value for key, value in data.items() if getattr(user, key) != value}
    for key, value in changes.items():
        setattr(user, key, value)
    if changes:
        audit.record(session, "user.updated", actor=actor, object_type="user", object_id=user.id,
                     organization_id=user.organization_id, data=changes, occurred_at=now)
    return user


def list_tokens(*, actor, user_id: int | None = None, live: bool | None = None,
                now: dt.datetime | None = None):
    """API tokens (a page's sign-in holds one too), newest first, with their users (administrators).
    `live`: only those still usable (or, False, only revoked or expired ones)."""
    require_role(actor, "admin")
    now = now or utcnow()
    stmt = (select(ApiToken).options(selectinload(ApiToken.user).selectinload(User.organization))
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc()))
    if user_id:
        stmt = stmt.where(ApiToken.user_id == user_id)
    usable = ApiToken.revoked_at.is_(None) & (ApiToken.expires_at > now)
    if live is True:
        stmt = stmt.where(usable)
    elif live is False:
        stmt = stmt.where(~usable)
    return stmt


def revoke_token_of(session: Session, token_id: int, *, actor) -> ApiToken:
    """Revoke one token of anyone (administrators); revoking a revoked one changes nothing."""
    require_role(actor, "admin")
    row = session.get(ApiToken, token_id, with_for_update=True)
    if row is None:
        raise NotFound(f"No API token with id {token_id}.")
    revoke_token(session, row, actor=actor)
    return row


def login(session: Session, *, email: str, password: str, token_name: str | None = None
          ) -> tuple[User, str, ApiToken]:
    """Check the password and issue a token; failures are audited and throttled (market.accounts.
    throttle): per account and address, per address, and past a much higher count the account.

    The caller commits even when this raises, so that the failure (and a lock) is recorded.
    """
    email = email.strip().lower()
    now = utcnow()
    user = session.scalar(select(User).where(User.email == email))
    try:
        throttle.refuse_throttled_login(session, email=email, user=user, now=now)
    except TooManyRequests:
        audit.record(session, "auth.login_throttled", object_type="login", object_id=None,
                     data={"email": email}, occurred_at=now)
        raise
    if user is None:
        check_password_hash(_dummy_hash(), password)
        ok = False
    else:
        ok = check_password_hash(user.password_hash, password) and user.may_sign_in()
    unconfirmed = (user is not None and not ok and not user.active
                   and check_password_hash(user.password_hash, password)
                   and never_used(session, user, EMAIL_CONFIRMATION))
    if not ok:
        audit.record(
            session, "auth.login_failed", object_type="login", object_id=user.id if user else None,
            organization_id=user.organization_id if user else None, data={"email": email},
            occurred_at=now,
        )
        if user is not None:
            throttle.lock_if_attacked(session, user, now=now)
        if unconfirmed:  # only who knows the password learns that the address is not confirmed yet
            raise Unauthorized(N_("Confirm your e-mail address first: follow the link in the e-mail "
                                  "we sent when the firm registered."))
        raise Unauthorized(N_("E-mail or password is wrong."))
    token, row = issue_token(session, user, ttl_hours=settings_of(session).token_ttl_hours,
                             name=token_name)
    user.last_login_at = now
    audit.record(session, "auth.login", actor=user, object_type="user", object_id=user.id,
                 organization_id=user.organization_id, data={"token_prefix": row.prefix})
    return user, token, row


def never_used(session: Session, user: User, purpose: str) -> bool:
    """`user` was sent tokens for `purpose` and has used none (a registration never confirmed)."""
    used = select(EmailToken.used_at.is_not(None)).where(
        EmailToken.user_id == user.id, EmailToken.purpose == purpose)
    flags = session.scalars(used).all()
    return bool(flags) and not any(flags)


def issue_token(
    session: Session, user: User, *, ttl_hours: int, name: str | None = None
) -> tuple[str, ApiToken]:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user=user, token_hash=hash_token(token), prefix=token[:12], name=name,
        expires_at=utcnow() + dt.timedelta(hours=ttl_hours),
    )
    session.add(row)
    return token, row


def resolve_token(session: Session, token: str) -> tuple[User, ApiToken] | None:
    """The user behind a live token, or None for unknown, expired or revoked tokens."""
    # One query on every signed-in request, with the user and organisation (both decide whether
    # the token still works). The token's id comes from a subquery on the hash alone, which
    # PostgreSQL runs first, once: a plain join by the hash was once planned through the user_id
    # index with the hash as a filter, a scan of every token where statistics are thin. (Three
    # queries, one per row, cost about 2 ms more a request.)
    by_hash = select(ApiToken.id).where(ApiToken.token_hash == hash_token(token)).scalar_subquery()
    row = session.scalar(select(ApiToken).where(ApiToken.id == by_hash)
                         .options(joinedload(ApiToken.user, innerjoin=True).joinedload(User.organization)))
    now = utcnow()
    if row is None or row.revoked_at is not None or row.expires_at <= now or not row.user.may_sign_in():
        return None
    return row.user, row


def token_needs_touch(row: ApiToken, now: dt.datetime) -> bool:
    # Writing last_used_at on every request would make every read a write; once a minute is enough.
    return row.last_used_at is None or now - row.last_used_at > dt.timedelta(minutes=1)


def revoke_token(session: Session, row: ApiToken, *, actor: User) -> None:
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record(
            session,
            "auth.token_revoked",
            actor=actor,
            object_type="api_token",
            object_id=row.id,
            organization_id=actor.organization_id,
            data={"token_prefix": row.prefix},
        )


def revoke_all_tokens(session: Session, user: User, *, actor: User) -> int:
    rows = session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).all()
    for row in rows:
        revoke_token(session, row, actor=actor)
    return len(rows)


def list_users(
    *, actor, role: str | None = None, organization_id: int | None = None, q: str | None = None
):
    """Users, filtered (administrators)."""
    require_role(actor, "admin")
    stmt = select(User).options(selectinload(User.organization)).order_by(User.id)
    if role:
        stmt = stmt.where(User.role == role)
    if organization_id:
        stmt = stmt.where(User.organization_id == organization_id)
    if q:
        # autoescape: a % or _ typed in the search box is a character to find, not a wildcard.
        q = q.lower()
        stmt = stmt.where(or_(func.lower(User.email).contains(q, autoescape=True),
                              func.lower(User.name).contains(q, autoescape=True)))
    return stmt


def set_password(user: User, new_password: str) -> None:
    """The one password rule beyond the schema's length: a new password, not the current one."""
    if check_password_hash(user.password_hash, new_password):
        raise InvalidInput(N_("Choose a password different from the current one."),
                           errors={"new_password": [N_("Choose a password different from the current one.")]})
    user.password_hash = hash_password(new_password)


def change_password(session: Session, data: dict, *, actor: User, keep_token: ApiToken | None = None,
                    now: dt.datetime | None = None) -> User:
    """Change your own password: the current one must be right; every token but `keep_token` (the
    one in use) is revoked, so a session someone else may hold ends with the old password."""
    if not check_password_hash(actor.password_hash, data["current_password"]):
        raise InvalidInput(N_("The current password is wrong."),
                           errors={"current_password": [N_("The current password is wrong.")]})
    set_password(actor, data["new_password"])
    rows = session.scalars(select(ApiToken).where(ApiToken.user_id == actor.id, ApiToken.revoked_at.is_(None)))
    for row in rows:
        if keep_token is None or row.id != keep_token.id:
            revoke_token(session, row, actor=actor)
    audit.record(session, "user.password_changed", actor=actor, object_type="user", object_id=actor.id,
                 organization_id=actor.organization_id, occurred_at=now)
    return actor


def set_user_active(session: Session, user_id: int, active: bool, *, actor, now: dt.datetime | None = None) -> User:
    """Deactivate (no login, every token revoked) or reactivate a user (administrators)."""
    require_role(actor, "admin")
    user = session.get(User, user_id, with_for_update=True)
    if user is None:
        raise NotFound(f"No user with id {user_id}.")
    if user.id == actor.id and not active:
        raise Conflict(N_("You cannot deactivate yourself; ask another administrator."))
    if user.active != active:
        user.active = active
        if not active:
            revoke_all_tokens(session, user, actor=actor)
        audit.record(session, "user.reactivated" if active else "user.deactivated", actor=actor,
                     object_type="user", object_id=user.id, organization_id=user.organization_id,
                     occurred_at=now)
    return user


def revoke_user_tokens(session: Session, user_id: int, *, actor) -> int:
    """Revoke every live token of a user (administrators); how many were revoked."""
    require_role(actor, "admin")
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user with id {user_id}.")
    return revoke_all_tokens(session, user, actor=actor)


def set_language(session: Session, code: str, *, actor: User) -> User:
    """The language the user reads the pages, notifications and e-mails in (zh or en)."""
    if code not in LOCALES:
        raise InvalidInput("Unknown language.", errors={"locale": [f"Must be one of: {', '.join(LOCALES)}."]})
    actor.locale = code
    return actor


def update_preferences(session: Session, data: dict, *, actor: User) -> User:
    """The signed-in user's own settings: language (`locale`) and the daily digest of new orders
    (`digest_enabled`, for vendor staff)."""
    if "locale" in data:
        set_language(session, data["locale"], actor=actor)
    if "digest_enabled" in data:
        actor.digest_enabled = bool(data["digest_enabled"])
    return actor


def unlock_user(session: Session, user_id: int, *, actor, now: dt.datetime | None = None) -> User:
    """Lift the lock that many failed logins put on an account (administrators)."""
    require_role(actor, "admin")
    now = now or utcnow()
    user = session.get(User, user_id, with_for_update=True)
    if user is None:
        raise NotFound(f"No user with id {user_id}.")
    if not user.locked(now):
        raise Conflict(N_("The account is not locked."), errors={"locked_until": [N_("The account is not locked.")]})
    # locked_at stays: the failures before it no longer count towards the next lock.
    user.locked_until = None
    audit.record(session, "user.unlocked", actor=actor, object_type="user", object_id=user.id,
                 organization_id=user.organization_id, occurred_at=now)
    return user


def purge_expired_tokens(session: Session, *, now: dt.datetime | None = None) -> dict:
    """Delete the API tokens and one-time e-mail tokens past their expiry (the scheduler's
    housekeeping); how many of each. A revoked token is kept until it expires, for the audit of
    who was signed in when."""
    now = now or utcnow()
    api_tokens = session.execute(delete(ApiToken).where(ApiToken.expires_at <= now)).rowcount
    email_tokens = session.execute(delete(EmailToken).where(EmailToken.expires_at <= now)).rowcount
    return {"api_tokens": api_tokens or 0, "email_tokens": email_tokens or 0}
