"""why each eligible bid lost, as a code and params, for the bidder's debrief

Revision ID: 0006_awards
Revises: 0005_accounts
"""
import sqlalchemy as sa
from alembic import op

revision = '0006_awards'
down_revision = '0005_accounts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('bid_evaluations', sa.Column('loss_reason', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('bid_evaluations') as batch:
        batch.drop_column('loss_reason')
