"""change requests: a verified vendor's raise of what eligibility trusts waits for a coordinator

Revision ID: 0004_change_requests
Revises: 0003_notification_texts
"""
import sqlalchemy as sa
from alembic import op

import market.db

revision = '0004_change_requests'
down_revision = '0003_notification_texts'
branch_labels = None
depends_on = None

ONE_PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    op.create_table(
        'change_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('vendor_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('requested', sa.JSON(), nullable=False),
        sa.Column('previous', sa.JSON(), nullable=False),
        sa.Column('supersedes_id', sa.Integer(), nullable=True),
        sa.Column('requested_by_id', sa.Integer(), nullable=True),
        sa.Column('requested_at', market.db.UTCDateTime(), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', market.db.UTCDateTime(), nullable=True),
        sa.Column('withdrawn_at', market.db.UTCDateTime(), nullable=True),
        sa.Column('superseded_at', market.db.UTCDateTime(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status != 'superseded' OR superseded_at IS NOT NULL",
            name=op.f('ck_change_requests_superseded_has_time'),
        ),
        sa.CheckConstraint(
            "status != 'withdrawn' OR withdrawn_at IS NOT NULL",
            name=op.f('ck_change_requests_withdrawn_has_time'),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected', 'withdrawn', 'superseded')",
            name=op.f('ck_change_requests_status'),
        ),
        sa.CheckConstraint(
            "status NOT IN ('approved', 'rejected') OR decided_at IS NOT NULL",
            name=op.f('ck_change_requests_decided_has_time'),
        ),
        sa.ForeignKeyConstraint(
            ['decided_by_id'], ['users.id'], name=op.f('fk_change_requests_decided_by_id_users')
        ),
        sa.ForeignKeyConstraint(
            ['requested_by_id'], ['users.id'], name=op.f('fk_change_requests_requested_by_id_users')
        ),
        sa.ForeignKeyConstraint(
            ['supersedes_id'],
            ['change_requests.id'],
            name=op.f('fk_change_requests_supersedes_id_change_requests'),
        ),
        sa.ForeignKeyConstraint(
            ['vendor_id'],
            ['vendor_profiles.organization_id'],
            name=op.f('fk_change_requests_vendor_id_vendor_profiles'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_change_requests')),
    )
    with op.batch_alter_table('change_requests', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_change_requests_vendor_id'), ['vendor_id'], unique=False
        )
        batch_op.create_index(
            'uq_change_requests_one_pending_per_vendor',
            ['vendor_id'],
            unique=True,
            sqlite_where=ONE_PENDING,
            postgresql_where=ONE_PENDING,
        )
    with op.batch_alter_table('vendor_profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seats_reviewed', sa.Integer(), nullable=True))
    # Vendors verified before now had their seats reviewed with everything else.
    op.execute("UPDATE vendor_profiles SET seats_reviewed = seats WHERE verification_status != 'pending'")


def downgrade() -> None:
    with op.batch_alter_table('vendor_profiles', schema=None) as batch_op:
        batch_op.drop_column('seats_reviewed')
    with op.batch_alter_table('change_requests', schema=None) as batch_op:
        batch_op.drop_index(
            'uq_change_requests_one_pending_per_vendor',
            sqlite_where=ONE_PENDING,
            postgresql_where=ONE_PENDING,
        )
        batch_op.drop_index(batch_op.f('ix_change_requests_vendor_id'))
    op.drop_table('change_requests')
