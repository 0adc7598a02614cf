"""scheduled jobs: job runs, queued match runs, once keys, outbox retries, the digest preference

Revision ID: 0010_jobs
Revises: 0009_delivery
"""
import sqlalchemy as sa
from alembic import op

import market.db

revision = '0010_jobs'
down_revision = '0009_delivery'
branch_labels = None
depends_on = None

OLD_RUN_STATUSES = "status IN ('running', 'completed', 'failed')"
NEW_RUN_STATUSES = "status IN ('queued', 'running', 'completed', 'failed')"
OLD_MAIL_STATUSES = "status IN ('pending', 'sent', 'failed')"
NEW_MAIL_STATUSES = "status IN ('pending', 'sending', 'sent', 'failed')"


def upgrade() -> None:
    op.create_table(
        'job_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('job', sa.String(length=64), nullable=False),
        sa.Column('trigger', sa.String(length=16), nullable=False),
        sa.Column('outcome', sa.String(length=16), nullable=False),
        sa.Column('started_at', market.db.UTCDateTime(), nullable=False),
        sa.Column('finished_at', market.db.UTCDateTime(), nullable=True),
        sa.Column('counts', sa.JSON(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('runner', sa.String(length=200), nullable=False),
        sa.CheckConstraint("outcome != 'failed' OR error IS NOT NULL",
                           name=op.f('ck_job_runs_failed_has_error')),
        sa.CheckConstraint("outcome = 'running' OR finished_at IS NOT NULL",
                           name=op.f('ck_job_runs_finished_has_time')),
        sa.CheckConstraint("outcome IN ('running', 'succeeded', 'failed', 'interrupted')",
                           name=op.f('ck_job_runs_outcome')),
        sa.CheckConstraint("trigger IN ('schedule', 'manual')", name=op.f('ck_job_runs_trigger')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_job_runs')),
    )
    op.create_index('ix_job_runs_job_started', 'job_runs', ['job', 'started_at'])
    op.create_table(
        'match_run_progress',
        sa.Column('run_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('phase', sa.String(length=16), nullable=False),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('updated_at', market.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('run_id', name=op.f('pk_match_run_progress')),
    )
    op.create_table(
        'once_keys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('created_at', market.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_once_keys')),
        sa.UniqueConstraint('key', name='uq_once_keys_key'),
    )
    with op.batch_alter_table('match_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('queued_at', market.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('requested_order_ids', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('time_limit', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('claim_token', sa.String(length=64), nullable=True))
        batch_op.alter_column('started_at', existing_type=market.db.UTCDateTime(), nullable=True)
        batch_op.drop_constraint(op.f('ck_match_runs_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_match_runs_status'), NEW_RUN_STATUSES)
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_attempt_at', market.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', market.db.UTCDateTime(), nullable=True))
        batch_op.drop_constraint(op.f('ck_outbox_emails_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_outbox_emails_status'), NEW_MAIL_STATUSES)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('digest_enabled', sa.Boolean(), server_default=sa.true(),
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('digest_enabled')
    op.execute("UPDATE outbox_emails SET status = 'failed' WHERE status = 'sending'")
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_emails_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_outbox_emails_status'), OLD_MAIL_STATUSES)
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('next_attempt_at')
    op.execute("DELETE FROM match_runs WHERE status = 'queued'")
    op.execute("UPDATE match_runs SET started_at = queued_at WHERE started_at IS NULL")
    with op.batch_alter_table('match_runs', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_match_runs_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_match_runs_status'), OLD_RUN_STATUSES)
        batch_op.alter_column('started_at', existing_type=market.db.UTCDateTime(), nullable=False)
        batch_op.drop_column('claim_token')
        batch_op.drop_column('time_limit')
        batch_op.drop_column('requested_order_ids')
        batch_op.drop_column('queued_at')
    op.drop_table('once_keys')
    op.drop_table('match_run_progress')
    op.drop_index('ix_job_runs_job_started', table_name='job_runs')
    op.drop_table('job_runs')
