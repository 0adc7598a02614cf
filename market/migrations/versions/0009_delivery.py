"""delivery: progress reports, lots inspected by ISO 2859-1 sampling, disputes, payments, ratings

Revision ID: 0009_delivery
Revises: 0008_idempotency
"""
import sqlalchemy as sa
from alembic import op

import market.db

revision = '0009_delivery'
down_revision = '0008_idempotency'
branch_labels = None
depends_on = None

CONTRACT_COLUMNS = (
    ('status_reason', sa.Text(), True, None),
    ('payment_term_days', sa.Integer(), False, '30'),
    ('severity', sa.String(length=16), False, "'normal'"),
    ('switching_score', sa.Integer(), False, '0'),
    ('recent_results', sa.JSON(), False, "'[]'"),
    ('tightened_rejections', sa.Integer(), False, '0'),
    ('consecutive_accepted', sa.Integer(), False, '0'),
    ('reduced_agreed_at', market.db.UTCDateTime(), True, None),
    ('discontinued_at', market.db.UTCDateTime(), True, None),
    ('overdue_notified_at', market.db.UTCDateTime(), True, None),
    ('days_late', sa.Integer(), True, None),
)
LOT_COLUMNS = (
    ('submitted_by_id', sa.Integer()),
    ('resubmission_of_id', sa.Integer()),
    ('item_count', sa.Integer()),
    ('checksum', sa.String(length=128)),
    ('item_ids', sa.JSON()),
    ('aql', sa.Numeric(precision=7, scale=3)),
    ('inspection_level', sa.String(length=8)),
    ('severity', sa.String(length=16)),
    ('size_code', sa.String(length=1)),
    ('code_letter', sa.String(length=1)),
    ('accept_number', sa.Integer()),
    ('reject_number', sa.Integer()),
    ('sample_seed', sa.BigInteger()),
    ('sample_positions', sa.JSON()),
    ('findings', sa.JSON()),
)


def _fk(table: str, column: str, target: str, **kwargs) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f'{target}.id'],
                                   name=op.f(f'fk_{table}_{column}_{target}'), **kwargs)


def upgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('aql', sa.Numeric(precision=7, scale=3), nullable=True))
        batch_op.create_check_constraint(op.f('ck_orders_aql_positive'), 'aql IS NULL OR aql > 0')

    with op.batch_alter_table('contracts', schema=None) as batch_op:
        for name, type_, nullable, default in CONTRACT_COLUMNS:
            batch_op.add_column(sa.Column(
                name, type_, nullable=nullable,
                server_default=sa.text(default) if default is not None else None,
            ))
        batch_op.create_check_constraint(
            op.f('ck_contracts_terminated_has_time'),
            "status != 'terminated' OR terminated_at IS NOT NULL",
        )
        batch_op.create_check_constraint(
            op.f('ck_contracts_severity'), "severity IN ('normal', 'tightened', 'reduced')"
        )
        batch_op.create_check_constraint(
            op.f('ck_contracts_payment_term_range'),
            'payment_term_days >= 1 AND payment_term_days <= 60',
        )

    with op.batch_alter_table('delivery_lots', schema=None) as batch_op:
        for name, type_ in LOT_COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))
        batch_op.create_foreign_key(
            op.f('fk_delivery_lots_submitted_by_id_users'), 'users', ['submitted_by_id'], ['id']
        )
        batch_op.create_foreign_key(
            op.f('fk_delivery_lots_resubmission_of_id_delivery_lots'), 'delivery_lots',
            ['resubmission_of_id'], ['id'],
        )
        batch_op.create_unique_constraint(
            op.f('uq_delivery_lots_resubmission_of_id'), ['resubmission_of_id']
        )
        batch_op.create_check_constraint(
            op.f('ck_delivery_lots_item_count_positive'), 'item_count IS NULL OR item_count > 0'
        )
        batch_op.create_check_constraint(
            op.f('ck_delivery_lots_defects_nonnegative'),
            'sample_defects IS NULL OR sample_defects >= 0',
        )

    op.create_table(
        'progress_reports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('contract_id', sa.Integer(), nullable=False),
        sa.Column('milestone_id', sa.Integer(), nullable=True),
        sa.Column('volume_done', sa.Integer(), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('reported_by_id', sa.Integer(), nullable=True),
        sa.Column('reported_at', market.db.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            'volume_done >= 0', name=op.f('ck_progress_reports_volume_done_nonnegative')
        ),
        _fk('progress_reports', 'contract_id', 'contracts', ondelete='CASCADE'),
        _fk('progress_reports', 'milestone_id', 'milestones'),
        _fk('progress_reports', 'reported_by_id', 'users'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_progress_reports')),
    )
    op.create_index(op.f('ix_progress_reports_contract_id'), 'progress_reports', ['contract_id'])

    op.create_table(
        'disputes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('lot_id', sa.Integer(), nullable=False),
        sa.Column('contract_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('raised_by_id', sa.Integer(), nullable=True),
        sa.Column('raised_at', market.db.UTCDateTime(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('decided_at', market.db.UTCDateTime(), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decision_reason', sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'upheld', 'reinspection')", name=op.f('ck_disputes_status')
        ),
        sa.CheckConstraint(
            "status = 'open' OR decided_at IS NOT NULL", name=op.f('ck_disputes_decided_has_time')
        ),
        _fk('disputes', 'lot_id', 'delivery_lots', ondelete='CASCADE'),
        _fk('disputes', 'contract_id', 'contracts', ondelete='CASCADE'),
        _fk('disputes', 'raised_by_id', 'users'),
        _fk('disputes', 'decided_by_id', 'users'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_disputes')),
        sa.UniqueConstraint('lot_id', name=op.f('uq_disputes_lot_id')),
    )
    op.create_index(op.f('ix_disputes_contract_id'), 'disputes', ['contract_id'])

    op.create_table(
        'payments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('contract_id', sa.Integer(), nullable=False),
        sa.Column('lot_id', sa.Integer(), nullable=False),
        sa.Column('amount', market.db.Money(precision=14, scale=2), nullable=False),
        sa.Column('accepted_on', sa.Date(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('paid_on', sa.Date(), nullable=True),
        sa.Column('reference', sa.String(length=100), nullable=True),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('recorded_at', market.db.UTCDateTime(), nullable=True),
        sa.Column('overdue_notified_at', market.db.UTCDateTime(), nullable=True),
        sa.CheckConstraint('amount > 0', name=op.f('ck_payments_amount_positive')),
        sa.CheckConstraint(
            '(paid_on IS NULL) = (reference IS NULL)', name=op.f('ck_payments_paid_has_reference')
        ),
        _fk('payments', 'contract_id', 'contracts', ondelete='CASCADE'),
        _fk('payments', 'lot_id', 'delivery_lots', ondelete='CASCADE'),
        _fk('payments', 'recorded_by_id', 'users'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
        sa.UniqueConstraint('lot_id', name=op.f('uq_payments_lot_id')),
    )
    op.create_index(op.f('ix_payments_contract_id'), 'payments', ['contract_id'])

    op.create_table(
        'ratings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('contract_id', sa.Integer(), nullable=False),
        sa.Column('vendor_id', sa.Integer(), nullable=False),
        sa.Column('quality', sa.Integer(), nullable=False),
        sa.Column('timeliness', sa.Integer(), nullable=False),
        sa.Column('communication', sa.Integer(), nullable=False),
        sa.Column('comment', sa.Text(), nullable=True),
        sa.Column('rated_by_id', sa.Integer(), nullable=True),
        sa.Column('rated_at', market.db.UTCDateTime(), nullable=False),
        sa.Column('reply', sa.Text(), nullable=True),
        sa.Column('replied_by_id', sa.Integer(), nullable=True),
        sa.Column('replied_at', market.db.UTCDateTime(), nullable=True),
        *(sa.CheckConstraint(f'{aspect} >= 1 AND {aspect} <= 5',
                             name=op.f(f'ck_ratings_{aspect}_range'))
          for aspect in ('quality', 'timeliness', 'communication')),
        sa.CheckConstraint(
            '(reply IS NULL) = (replied_at IS NULL)', name=op.f('ck_ratings_reply_has_time')
        ),
        _fk('ratings', 'contract_id', 'contracts', ondelete='CASCADE'),
        _fk('ratings', 'vendor_id', 'organizations'),
        _fk('ratings', 'rated_by_id', 'users'),
        _fk('ratings', 'replied_by_id', 'users'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ratings')),
        sa.UniqueConstraint('contract_id', name=op.f('uq_ratings_contract_id')),
    )
    op.create_index(op.f('ix_ratings_vendor_id'), 'ratings', ['vendor_id'])


def downgrade() -> None:
    for table, column in (('ratings', 'vendor_id'), ('payments', 'contract_id'),
                          ('disputes', 'contract_id'), ('progress_reports', 'contract_id')):
        op.drop_index(op.f(f'ix_{table}_{column}'), table_name=table)
        op.drop_table(table)
    with op.batch_alter_table('delivery_lots', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_delivery_lots_defects_nonnegative'), type_='check')
        batch_op.drop_constraint(op.f('ck_delivery_lots_item_count_positive'), type_='check')
        batch_op.drop_constraint(op.f('uq_delivery_lots_resubmission_of_id'), type_='unique')
        batch_op.drop_constraint(
            op.f('fk_delivery_lots_resubmission_of_id_delivery_lots'), type_='foreignkey'
        )
        batch_op.drop_constraint(op.f('fk_delivery_lots_submitted_by_id_users'), type_='foreignkey')
        for name, _type in reversed(LOT_COLUMNS):
            batch_op.drop_column(name)
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_contracts_payment_term_range'), type_='check')
        batch_op.drop_constraint(op.f('ck_contracts_severity'), type_='check')
        batch_op.drop_constraint(op.f('ck_contracts_terminated_has_time'), type_='check')
        for name, *_rest in reversed(CONTRACT_COLUMNS):
            batch_op.drop_column(name)
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_orders_aql_positive'), type_='check')
        batch_op.drop_column('aql')
