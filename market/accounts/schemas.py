"""Request and response schemas for logins, tokens and users."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from market.accounts.models import ROLES
from market.api.fields import Id, LocalDateTime, PageQuerySchema, QueryId, Text, page_schema


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
    active = fields.Boolean()
    created_at = LocalDateTime(dump_only=True)
    last_login_at = LocalDateTime(dump_only=True, allow_none=True)


class TokenSchema(Schema):
    token = fields.String(metadata={"description": "send as 'Authorization: Bearer <token>'"})
    token_type = fields.String()
    prefix = fields.String()
    expires_at = LocalDateTime()
    user = fields.Nested(UserSchema)


class UserCreateSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    name = Text(required=True, max_length=100)
    password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=10, max=256)
    )
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    organization_id = Id(required=True)
    locale = fields.String(load_default="zh", validate=validate.OneOf(["zh", "en"]))


class PasswordChangeSchema(Schema):
    current_password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))
    new_password = fields.String(required=True, load_only=True, validate=validate.Length(min=10, max=256))


class UserActiveSchema(Schema):
    active = fields.Boolean(required=True, metadata={"description": "false: no login, every token revoked"})


class RevokedSchema(Schema):
    revoked = fields.Integer(metadata={"description": "how many live tokens were revoked"})


class UserQuerySchema(PageQuerySchema):
    role = fields.String(validate=validate.OneOf(ROLES))
    organization_id = QueryId()
    q = fields.String(validate=validate.Length(max=100))


UserPageSchema = page_schema(UserSchema, "UserPageSchema")
