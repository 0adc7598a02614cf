"""Request and response schemas for logins, tokens and users."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from market.accounts.models import ROLES
from market.api.fields import Id, LocalDateTime, PageQuerySchema, QueryId, Text, page_schema
from market.organizations.schemas import OrganizationSchema

# The rules of a password, wherever one is chosen (creating a user, changing, resetting, registering).
NEW_PASSWORD = validate.Length(min=10, max=256)
LOCALES = ["zh", "en"]


class LoginSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=1, max=256)
    )
    name = fields.String(
        validate=validate.Length(max=100), metadata={"description": "a label for the token"}
    )


class OrganizationRefSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    name = fields.String()


class UserSchema(Schema):
    id = fields.Integer(dump_only=True)
    email = fields.Email()
    name = fields.String()
    role = fields.String()
    organization_id = fields.Integer()
    organization = fields.Nested(OrganizationRefSchema, dump_only=True)
    locale = fields.String()
    digest_enabled = fields.Boolean(dump_only=True, metadata={
        "description": "a daily e-mail of new orders the firm can bid on (vendor staff)"})
    active = fields.Boolean()
    created_at = LocalDateTime(dump_only=True)
    last_login_at = LocalDateTime(dump_only=True, allow_none=True)
    locked_until = LocalDateTime(
        dump_only=True, allow_none=True,
        metadata={"description": "locked after too many failed logins until then (an administrator may unlock)"},
    )


class TokenSchema(Schema):
    token = fields.String(metadata={"description": "send as 'Authorization: Bearer <token>'"})
    token_type = fields.String()
    prefix = fields.String()
    expires_at = LocalDateTime()
    user = fields.Nested(UserSchema)


class UserCreateSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    name = Text(required=True, max_length=100)
    password = fields.String(load_only=True, validate=NEW_PASSWORD, metadata={
        "description": "left out: the user is invited by e-mail to choose one through a one-time link"})
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    organization_id = Id(required=True)
    locale = fields.String(load_default="zh", validate=validate.OneOf(LOCALES))


class UserUpdateSchema(Schema):
    name = Text(max_length=100)
    role = fields.String(validate=validate.OneOf(ROLES),
                         metadata={"description": "must fit the kind of the user's organisation"})
    locale = fields.String(validate=validate.OneOf(LOCALES))


class PreferencesSchema(Schema):
    locale = fields.String(validate=validate.OneOf(LOCALES),
                           metadata={"description": "the language of pages, notifications and e-mails"})
    digest_enabled = fields.Boolean(metadata={
        "description": "the daily e-mail of new orders the firm can bid on (on by default)"})


class PasswordChangeSchema(Schema):
    current_password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))
    new_password = fields.String(required=True, load_only=True, validate=NEW_PASSWORD)


class UserActiveSchema(Schema):
    active = fields.Boolean(required=True, metadata={"description": "false: no login, every token revoked"})


class RevokedSchema(Schema):
    revoked = fields.Integer(metadata={"description": "how many live tokens were revoked"})


class EmailRequestSchema(Schema):
    """An address to send a link to (a password reset, a new confirmation link)."""

    email = fields.Email(required=True, validate=validate.Length(max=254))


class AcceptedSchema(Schema):
    message = fields.String(metadata={"description": "the same for every address"})


class PasswordResetSchema(Schema):
    token = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256),
                          metadata={"description": "the token of the link sent by e-mail"})
    new_password = fields.String(required=True, load_only=True, validate=NEW_PASSWORD)


class RegistrationOrganizationSchema(OrganizationSchema):
    """The firm registering: always a vendor, its profile completed after the first login."""

    class Meta:
        exclude = ("id", "kind", "sectors", "vendor_profile", "created_at")


class RegistrationUserSchema(Schema):
    """The firm's first user, who confirms the address before logging in."""

    name = Text(required=True, max_length=100)
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, load_only=True, validate=NEW_PASSWORD)
    locale = fields.String(load_default="zh", validate=validate.OneOf(LOCALES))


class RegistrationSchema(Schema):
    organization = fields.Nested(RegistrationOrganizationSchema, required=True)
    user = fields.Nested(RegistrationUserSchema, required=True)


class RegistrationResultSchema(Schema):
    organization = fields.Nested(OrganizationSchema)
    user = fields.Nested(UserSchema)
    confirmation_expires_at = LocalDateTime(
        metadata={"description": "the link sent to the user's e-mail works until then"}
    )


class RegistrationConfirmSchema(Schema):
    token = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256),
                          metadata={"description": "the token of the link sent by e-mail"})


class UserQuerySchema(PageQuerySchema):
    role = fields.String(validate=validate.OneOf(ROLES))
    organization_id = QueryId()
    q = fields.String(validate=validate.Length(max=100))


UserPageSchema = page_schema(UserSchema, "UserPageSchema")


class TokenUserSchema(Schema):
    id = fields.Integer()
    email = fields.Email()
    name = fields.String()
    role = fields.String()
    organization = fields.Nested(OrganizationRefSchema)


class ApiTokenSchema(Schema):
    """A token as administrators see it: whose, when made, last used, expiring; never the token."""

    id = fields.Integer()
    prefix = fields.String(metadata={"description": "the token's first characters, to tell it apart"})
    name = fields.String(allow_none=True, metadata={"description": "'web' for a page's sign-in"})
    user = fields.Nested(TokenUserSchema)
    created_at = LocalDateTime()
    last_used_at = LocalDateTime(allow_none=True)
    expires_at = LocalDateTime()
    revoked_at = LocalDateTime(allow_none=True)


class ApiTokenQuerySchema(PageQuerySchema):
    user_id = QueryId()
    live = fields.Boolean(metadata={"description": "true: only usable tokens; false: only revoked or expired"})


ApiTokenPageSchema = page_schema(ApiTokenSchema, "ApiTokenPageSchema")
