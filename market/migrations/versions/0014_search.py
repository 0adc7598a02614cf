"""directory at province scale: indexed search terms, a directory version, indexes for its orders

Revision ID: 0014_search
Revises: 0013_admin
"""
import datetime as dt

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from market.orders import search

revision = '0014_search'
down_revision = '0013_admin'
branch_labels = None
depends_on = None

_orders = sa.table("orders", sa.column("id", sa.Integer), sa.column("title", sa.String),
                   sa.column("description", sa.Text), sa.column("hidden_fields", sa.JSON),
                   sa.column("search_terms", search.SearchTerms()))


def upgrade() -> None:
    conn = op.get_bind()
    terms = (sa.Column('search_terms', postgresql.ARRAY(sa.Text()), server_default='{}', nullable=False)
             if conn.dialect.name == "postgresql" else
             sa.Column('search_terms', sa.Text(), server_default='', nullable=False))
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(terms)
        batch_op.create_index('ix_orders_published_at', ['published_at', 'id', 'status'], unique=False)
        batch_op.create_index('ix_orders_agency_created', ['agency_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_orders_status_closes', ['status', 'bidding_closes_at'], unique=False)
    op.create_table(
        'directory_state',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('changed_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_directory_state')),
    )
    op.bulk_insert(sa.table('directory_state', sa.column('id', sa.Integer), sa.column('version', sa.Integer),
                            sa.column('changed_at', sa.DateTime)),
                   [{"id": 1, "version": 0, "changed_at": dt.datetime.now(dt.UTC).replace(tzinfo=None)}])
    rows = conn.execute(sa.select(_orders.c.id, _orders.c.title, _orders.c.description,
                                  _orders.c.hidden_fields)).all()
    for row in rows:
        conn.execute(_orders.update().where(_orders.c.id == row.id).values(
            search_terms=search.terms(row.title, row.description, row.hidden_fields)))
    for statement in search.POSTGRESQL_DDL if conn.dialect.name == "postgresql" else search.SQLITE_DDL:
        op.execute(statement)


def downgrade() -> None:
    conn = op.get_bind()
    for statement in search.POSTGRESQL_DROP if conn.dialect.name == "postgresql" else search.SQLITE_DROP:
        op.execute(statement)
    op.drop_table('directory_state')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_status_closes')
        batch_op.drop_index('ix_orders_agency_created')
        batch_op.drop_index('ix_orders_published_at')
        batch_op.drop_column('search_terms')
