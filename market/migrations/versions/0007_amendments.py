"""partial drafts, fields public unless hidden with a reason, order amendments, lapsed bids

Revision ID: 0007_amendments
Revises: 0006_awards
"""
import json

import sqlalchemy as sa
from alembic import op

import market.db

revision = '0007_amendments'
down_revision = '0006_awards'
branch_labels = None
depends_on = None

# A draft may leave these empty; an order that was ever published has them all.
REQUIRED_TO_PUBLISH = (
    'sector', 'modality', 'annotation_type', 'volume', 'unit', 'budget_ceiling',
    'bidding_closes_at', 'delivery_deadline', 'accuracy_target',
)
NULLABLE_TYPES = {
    'sector': sa.String(length=32), 'modality': sa.String(length=32),
    'annotation_type': sa.String(length=32), 'volume': sa.Integer(), 'unit': sa.String(length=32),
    'budget_ceiling': market.db.Money(precision=14, scale=2),
    'bidding_closes_at': market.db.UTCDateTime(), 'delivery_deadline': market.db.UTCDateTime(),
    'accuracy_target': sa.Float(),
}
PUBLIC_FIELD_CHOICES = (
    'description', 'label_set', 'budget_ceiling', 'accuracy_target', 'sampling_level',
    'data_classification', 'onsite_required', 'required_certifications', 'splittable',
    'max_vendors', 'min_lot', 'scoring_weights',
)
# Orders published before this revision showed only the fields their agency listed; what they
# did not show stays hidden, so nothing an agency kept back is disclosed after the fact.
MIGRATED_REASON = 'Not published under the earlier rule (only listed fields were public).'
OLD_BID_STATUSES = "status IN ('submitted', 'withdrawn', 'awarded', 'rejected')"
NEW_BID_STATUSES = "status IN ('submitted', 'withdrawn', 'awarded', 'rejected', 'lapsed')"

orders = sa.table(
    'orders', sa.column('id', sa.Integer()), sa.column('published_at', market.db.UTCDateTime()),
    sa.column('public_fields', sa.JSON()), sa.column('hidden_fields', sa.JSON()),
)


def _complete() -> str:
    return 'published_at IS NULL OR (' + ' AND '.join(
        f'{name} IS NOT NULL' for name in REQUIRED_TO_PUBLISH) + ')'


def upgrade() -> None:
    op.create_table(
        'order_amendments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('changes', sa.JSON(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('material', sa.Boolean(), nullable=False),
        sa.Column('amended_by_id', sa.Integer(), nullable=True),
        sa.Column('amended_at', market.db.UTCDateTime(), nullable=False),
        sa.CheckConstraint('version >= 1', name=op.f('ck_order_amendments_version_positive')),
        sa.ForeignKeyConstraint(
            ['amended_by_id'], ['users.id'], name=op.f('fk_order_amendments_amended_by_id_users')
        ),
        sa.ForeignKeyConstraint(
            ['order_id'], ['orders.id'], name=op.f('fk_order_amendments_order_id_orders'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_order_amendments')),
        sa.UniqueConstraint('order_id', 'version', name=op.f('uq_order_amendments_order_id')),
    )
    with op.batch_alter_table('order_amendments', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_order_amendments_order_id'), ['order_id'], unique=False
        )

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hidden_fields', sa.JSON(), nullable=True))
    conn = op.get_bind()
    for order_id, published_at, public_fields in conn.execute(
        sa.select(orders.c.id, orders.c.published_at, orders.c.public_fields)
    ):
        listed = set(public_fields or ())
        hidden = {} if published_at is None else {
            name: MIGRATED_REASON for name in PUBLIC_FIELD_CHOICES if name not in listed}
        conn.execute(orders.update().where(orders.c.id == order_id).values(hidden_fields=hidden))
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.alter_column('hidden_fields', existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column('public_fields')
        for name, type_ in NULLABLE_TYPES.items():
            batch_op.alter_column(name, existing_type=type_, nullable=True)
        batch_op.create_check_constraint(op.f('ck_orders_complete_once_published'), _complete())

    with op.batch_alter_table('bids', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lapsed_at', market.db.UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column('confirmation_requested_at', market.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('confirmed_at', market.db.UTCDateTime(), nullable=True))
        batch_op.drop_constraint(op.f('ck_bids_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_bids_status'), NEW_BID_STATUSES)
        batch_op.create_check_constraint(
            op.f('ck_bids_lapsed_has_time'), "status != 'lapsed' OR lapsed_at IS NOT NULL")


def downgrade() -> None:
    # The earlier schema knows no lapsed bid: it becomes a rejected one, with its reason.
    op.execute("UPDATE bids SET status = 'rejected', rejected_at = lapsed_at WHERE status = 'lapsed'")
    with op.batch_alter_table('bids', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_bids_lapsed_has_time'), type_='check')
        batch_op.drop_constraint(op.f('ck_bids_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_bids_status'), OLD_BID_STATUSES)
        batch_op.drop_column('confirmed_at')
        batch_op.drop_column('confirmation_requested_at')
        batch_op.drop_column('lapsed_at')

    # Nor a partial draft: those cannot be kept.
    op.execute('DELETE FROM orders WHERE ' + ' OR '.join(
        f'{name} IS NULL' for name in REQUIRED_TO_PUBLISH))
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_orders_complete_once_published'), type_='check')
        for name, type_ in NULLABLE_TYPES.items():
            batch_op.alter_column(name, existing_type=type_, nullable=False)
        batch_op.add_column(sa.Column('public_fields', sa.JSON(), nullable=True))
    conn = op.get_bind()
    for order_id, hidden_fields in conn.execute(sa.select(orders.c.id, orders.c.hidden_fields)):
        hidden = hidden_fields if isinstance(hidden_fields, dict) else json.loads(hidden_fields or '{}')
        public = [name for name in PUBLIC_FIELD_CHOICES if name not in hidden]
        conn.execute(orders.update().where(orders.c.id == order_id).values(public_fields=public))
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.alter_column('public_fields', existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column('hidden_fields')

    with op.batch_alter_table('order_amendments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_amendments_order_id'))
    op.drop_table('order_amendments')
