"""internal notes beside the reasons of coordinators' decisions

Revision ID: 0002_decision_notes
Revises: 0001_initial
"""
import sqlalchemy as sa
from alembic import op

revision = '0002_decision_notes'
down_revision = '0001_initial'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('allocations', sa.Column('note', sa.Text(), nullable=True))
    op.add_column('vendor_profiles', sa.Column('status_note', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('vendor_profiles') as batch:
        batch.drop_column('status_note')
    with op.batch_alter_table('allocations') as batch:
        batch.drop_column('note')
