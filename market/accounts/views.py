"""API: logging in and out, the current user, and user administration."""

from __future__ import annotations

from market import db
from market.accounts import services
from market.accounts.schemas import (
    LoginSchema,
    PasswordChangeSchema,
    RevokedSchema,
    TokenSchema,
    UserActiveSchema,
    UserCreateSchema,
    UserPageSchema,
    UserQuerySchema,
    UserSchema,
)
from market.api.openapi import PUBLIC, Blueprint
from market.auth import current_token, current_user, log_in
from market.errors import DomainError

auth_blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Log in and out")
me_blp = Blueprint("me", __name__, url_prefix="/api/v1", description="The signed-in user")
users_blp = Blueprint(
    "users", __name__, url_prefix="/api/v1/users", description="Users (administrators)"
)


@auth_blp.post("/tokens")
@auth_blp.arguments(LoginSchema)
@auth_blp.response(201, TokenSchema)
@auth_blp.doc(security=PUBLIC)
def create_token(body):
    """Log in with e-mail and password and get a bearer token"""
    try:
        user, token, row = log_in(body["email"], body["password"], token_name=body.get("name"))
    except DomainError:
        db.session.commit()  # keep the audited failure, which also feeds the throttle
        raise
    db.session.commit()
    return {
        "token": token,
        "token_type": "Bearer",
        "prefix": row.prefix,
        "expires_at": row.expires_at,
        "user": user,
    }


@auth_blp.delete("/tokens/current")
@auth_blp.response(204)
@auth_blp.commits
def delete_current_token():
    """Log out: revoke the token used for this request"""
    services.revoke_token(db.session, current_token(), actor=current_user())


@me_blp.get("/me")
@me_blp.response(200, UserSchema)
def me():
    """The signed-in user and their organisation"""
    return current_user()


@users_blp.get("")
@users_blp.arguments(UserQuerySchema, location="query")
@users_blp.paginated(UserPageSchema)
def list_users(query):
    """List users (administrators)"""
    return services.list_users(actor=current_user(), **query)


@users_blp.post("")
@users_blp.arguments(UserCreateSchema)
@users_blp.response(201, UserSchema)
@users_blp.commits
def create_user(body):
    """Create a user in an organisation (administrators)"""
    return services.create_user(db.session, body, actor=current_user())


@me_blp.post("/me/password")
@me_blp.arguments(PasswordChangeSchema)
@me_blp.response(200, UserSchema)
@me_blp.commits
def change_password(body):
    """Change your password; your other tokens are revoked, the one in use stays"""
    return services.change_password(db.session, body, actor=current_user(), keep_token=current_token())


@users_blp.post("/<id:user_id>/active")
@users_blp.arguments(UserActiveSchema)
@users_blp.response(200, UserSchema)
@users_blp.commits
def set_active(body, user_id):
    """Deactivate or reactivate a user (administrators)"""
    return services.set_user_active(db.session, user_id, body["active"], actor=current_user())


@users_blp.post("/<id:user_id>/revoke-tokens")
@users_blp.response(200, RevokedSchema)
@users_blp.commits
def revoke_tokens(user_id):
    """Revoke every live token of a user (administrators)"""
    return {"revoked": services.revoke_user_tokens(db.session, user_id, actor=current_user())}


BLUEPRINTS = [auth_blp, me_blp, users_blp]
