"""notifications keep their title and text in the recipient's language

Revision ID: 0003_notification_texts
Revises: 0002_decision_notes
"""
import sqlalchemy as sa
from alembic import op

revision = '0003_notification_texts'
down_revision = '0002_decision_notes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Earlier notifications had no text; their kind stands in for the title.
    op.add_column('notifications', sa.Column('title', sa.String(length=200), nullable=False,
                                             server_default=''))
    op.add_column('notifications', sa.Column('text', sa.Text(), nullable=False, server_default=''))
    op.execute("UPDATE notifications SET title = kind")
    with op.batch_alter_table('notifications') as batch:
        batch.alter_column('title', server_default=None)
        batch.alter_column('text', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('notifications') as batch:
        batch.drop_column('text')
        batch.drop_column('title')
