"""admin: organisations can be deactivated (their staff no longer sign in) and reactivated

Revision ID: 0013_admin
Revises: 0012_milestone_names
"""
import sqlalchemy as sa
from alembic import op

import market.db

revision = '0013_admin'
down_revision = '0012_milestone_names'
branch_labels = None
depends_on = None


STATUS_CHECK = "status IN ('active', 'deactivated')"
TIME_CHECK = "status != 'deactivated' OR deactivated_at IS NOT NULL"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its CHECK in place: a batch copy of the table would drop the
        # old one, which every user, order and bid references.
        op.execute("ALTER TABLE organizations ADD COLUMN status VARCHAR(16) DEFAULT 'active' NOT NULL "
                   f"CONSTRAINT ck_organizations_status CHECK ({STATUS_CHECK})")
        op.execute("ALTER TABLE organizations ADD COLUMN deactivated_at DATETIME "
                   f"CONSTRAINT ck_organizations_deactivated_has_time CHECK ({TIME_CHECK})")
        op.add_column('organizations', sa.Column('reactivated_at', market.db.UTCDateTime(), nullable=True))
        return
    op.add_column('organizations', sa.Column('status', sa.String(length=16), nullable=False,
                                             server_default='active'))
    op.add_column('organizations', sa.Column('deactivated_at', market.db.UTCDateTime(), nullable=True))
    op.add_column('organizations', sa.Column('reactivated_at', market.db.UTCDateTime(), nullable=True))
    op.create_check_constraint(op.f('ck_organizations_status'), 'organizations', STATUS_CHECK)
    op.create_check_constraint(op.f('ck_organizations_deactivated_has_time'), 'organizations', TIME_CHECK)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f('ck_organizations_deactivated_has_time'), 'organizations', type_='check')
        op.drop_constraint(op.f('ck_organizations_status'), 'organizations', type_='check')
    # Each column's own CHECK goes with it; deactivated_at's names status, so it goes first.
    op.drop_column('organizations', 'reactivated_at')
    op.drop_column('organizations', 'deactivated_at')
    op.drop_column('organizations', 'status')
