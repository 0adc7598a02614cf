"""outbox at most once: a mail left sending by a sender that died becomes unknown

Revision ID: 0011_jobs2
Revises: 0010_jobs
"""
from alembic import op

revision = '0011_jobs2'
down_revision = '0010_jobs'
branch_labels = None
depends_on = None

OLD_MAIL_STATUSES = "status IN ('pending', 'sending', 'sent', 'failed')"
NEW_MAIL_STATUSES = "status IN ('pending', 'sending', 'sent', 'failed', 'unknown')"


def upgrade() -> None:
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_emails_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_outbox_emails_status'), NEW_MAIL_STATUSES)


def downgrade() -> None:
    # Given up for good (attempts past any limit), so that the old code never sends them again.
    op.execute("UPDATE outbox_emails SET status = 'failed', attempts = 999 WHERE status = 'unknown'")
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_emails_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_outbox_emails_status'), OLD_MAIL_STATUSES)
