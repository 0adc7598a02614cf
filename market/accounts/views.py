"""API: logging in and out, the current user, and user administration."""

from __future__ import annotations

from market import db
from market.accounts import invitations, password_reset, registration, services
from market.accounts.schemas import (
    AcceptedSchema,
    ApiTokenPageSchema,
    ApiTokenQuerySchema,
    ApiTokenSchema,
    EmailRequestSchema,
    LoginSchema,
    PasswordChangeSchema,
    PasswordResetSchema,
    PreferencesSchema,
    RegistrationConfirmSchema,
    RegistrationResultSchema,
    RegistrationSchema,
    RevokedSchema,
    TokenSchema,
    UserActiveSchema,
    UserCreateSchema,
    UserPageSchema,
    UserQuerySchema,
    UserSchema,
    UserUpdateSchema,
)
from market.api.openapi import PUBLIC, Blueprint
from market.auth import current_token, current_user
from market.errors import DomainError

auth_blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Log in and out")
me_blp = Blueprint("me", __name__, url_prefix="/api/v1", description="The signed-in user")
users_blp = Blueprint(
    "users", __name__, url_prefix="/api/v1/users", description="Users (administrators)"
)
tokens_blp = Blueprint("api_tokens", __name__, url_prefix="/api/v1/tokens",
                       description="Everyone's API tokens, page sign-ins included (administrators)")
reset_blp = Blueprint("password_reset", __name__, url_prefix="/api/v1/password-reset",
                      description="Resetting a forgotten password through a link sent by e-mail")
registrations_blp = Blueprint("registrations", __name__, url_prefix="/api/v1/registrations",
                              description="Annotation firms join by themselves")


@auth_blp.post("/tokens")
@auth_blp.arguments(LoginSchema)
@auth_blp.response(201, TokenSchema)
@auth_blp.doc(security=PUBLIC)
def create_token(body):
    """Log in with e-mail and password and get a bearer token"""
    try:
        user, token, row = services.login(
            db.session, email=body["email"], password=body["password"], token_name=body.get("name")
        )
    except DomainError:
        db.session.commit()  # keep the audited failure (and a lock), which feed the throttle
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


@me_blp.patch("/me")
@me_blp.arguments(PreferencesSchema)
@me_blp.response(200, UserSchema)
@me_blp.commits
def update_me(body):
    """Change your own settings: language, and the daily digest of new orders"""
    return services.update_preferences(db.session, body, actor=current_user())


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
    """Create a user in an organisation, or invite one (administrators)

    Without a password the user is sent a one-time link to choose one (the password-reset page).
    """
    return invitations.create_or_invite(db.session, body, actor=current_user())


@users_blp.patch("/<id:user_id>")
@users_blp.arguments(UserUpdateSchema)
@users_blp.response(200, UserSchema)
@users_blp.commits
def update_user(body, user_id):
    """Change a user's name, role or language (administrators)"""
    return services.update_user(db.session, user_id, body, actor=current_user())


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


@users_blp.post("/<id:user_id>/unlock")
@users_blp.response(200, UserSchema)
@users_blp.commits
def unlock(user_id):
    """Lift the lock that many failed logins put on an account (administrators)"""
    return services.unlock_user(db.session, user_id, actor=current_user())


@tokens_blp.get("")
@tokens_blp.arguments(ApiTokenQuerySchema, location="query")
@tokens_blp.paginated(ApiTokenPageSchema)
def list_tokens(query):
    """API tokens, newest first: whose, made when, last used, expiring (administrators)"""
    return services.list_tokens(actor=current_user(), **query)


@tokens_blp.post("/<id:token_id>/revoke")
@tokens_blp.response(200, ApiTokenSchema)
@tokens_blp.commits
def revoke_token(token_id):
    """Revoke one token; a page signed in with it is signed out (administrators)"""
    return services.revoke_token_of(db.session, token_id, actor=current_user())


RESET_ACCEPTED = (
    "If the address belongs to an account, a link to choose a new password is on its way; "
    "it works once, for a limited time."
)


@reset_blp.post("")
@reset_blp.arguments(EmailRequestSchema)
@reset_blp.response(202, AcceptedSchema)
@reset_blp.doc(security=PUBLIC)
@reset_blp.commits
def request_password_reset(body):
    """Forgot your password: a one-time link is sent to the address (the same answer for any address)"""
    password_reset.request_reset(db.session, body["email"])
    return {"message": RESET_ACCEPTED}


@reset_blp.post("/confirm")
@reset_blp.arguments(PasswordResetSchema)
@reset_blp.response(200, UserSchema)
@reset_blp.doc(security=PUBLIC)
@reset_blp.commits
def confirm_password_reset(body):
    """Choose a new password with the token of the link; every session of the account ends"""
    return password_reset.confirm_reset(db.session, body)


@registrations_blp.post("")
@registrations_blp.arguments(RegistrationSchema)
@registrations_blp.response(201, RegistrationResultSchema)
@registrations_blp.doc(security=PUBLIC)
@registrations_blp.commits
def register(body):
    """Register an annotation firm and its first user; a link to confirm the e-mail is sent"""
    org, user, expires_at = registration.register_vendor(db.session, body)
    return {"organization": org, "user": user, "confirmation_expires_at": expires_at}


@registrations_blp.post("/confirm")
@registrations_blp.arguments(RegistrationConfirmSchema)
@registrations_blp.response(200, UserSchema)
@registrations_blp.doc(security=PUBLIC)
@registrations_blp.commits
def confirm_registration(body):
    """Confirm the e-mail with the link's token: the user may log in; the firm waits for verification"""
    return registration.confirm_registration(db.session, body["token"])


RESEND_ACCEPTED = (
    "If the address belongs to a registration still to be confirmed, a new confirmation link is "
    "on its way."
)


@registrations_blp.post("/resend")
@registrations_blp.arguments(EmailRequestSchema)
@registrations_blp.response(202, AcceptedSchema)
@registrations_blp.doc(security=PUBLIC)
@registrations_blp.commits
def resend_confirmation(body):
    """Lost or expired confirmation link: a new one is sent (the same answer for any address)"""
    registration.resend_confirmation(db.session, body["email"])
    return {"message": RESEND_ACCEPTED}


BLUEPRINTS = [auth_blp, me_blp, users_blp, tokens_blp, reset_blp, registrations_blp]
