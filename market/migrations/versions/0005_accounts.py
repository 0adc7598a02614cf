"""accounts: one-time e-mail tokens (password reset, e-mail confirmation), account locks, private mails

Revision ID: 0005_accounts
Revises: 0004_change_requests
"""
import sqlalchemy as sa
from alembic import op

import market.db

revision = '0005_accounts'
down_revision = '0004_change_requests'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'email_tokens',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('purpose', sa.String(length=32), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', market.db.UTCDateTime(), nullable=False),
        sa.Column('expires_at', market.db.UTCDateTime(), nullable=False),
        sa.Column('used_at', market.db.UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "purpose IN ('password_reset', 'email_confirmation')",
            name=op.f('ck_email_tokens_purpose'),
        ),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name=op.f('fk_email_tokens_user_id_users'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_email_tokens')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_email_tokens_token_hash')),
    )
    with op.batch_alter_table('email_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_email_tokens_user_id'), ['user_id'], unique=False)
    op.add_column('users', sa.Column('locked_at', market.db.UTCDateTime(), nullable=True))
    op.add_column('users', sa.Column('locked_until', market.db.UTCDateTime(), nullable=True))
    # Mails queued before this revision held no one-time link.
    op.add_column('outbox_emails', sa.Column('private', sa.Boolean(), nullable=False,
                                             server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('outbox_emails') as batch:
        batch.drop_column('private')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('locked_until')
        batch.drop_column('locked_at')
    with op.batch_alter_table('email_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_email_tokens_user_id'))
    op.drop_table('email_tokens')
