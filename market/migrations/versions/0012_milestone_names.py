"""milestone names: stored as the catalogue's English message and shown in the reader's language

Revision ID: 0012_milestone_names
Revises: 0011_jobs2
"""
import sqlalchemy as sa
from alembic import op

revision = '0012_milestone_names'
down_revision = '0011_jobs2'
branch_labels = None
depends_on = None

# The names contracts were made with so far (both languages in one string), and what they become.
RENAMED = {
    "首批交付 30% / first 30%": "First batch (30%)",
    "累计 70% / 70% delivered": "Up to 70%",
    "全部交付 / all delivered": "All delivered",
}


def _rename(pairs) -> None:
    milestones = sa.table("milestones", sa.column("name", sa.String))
    for old, new in pairs:
        op.execute(milestones.update().where(milestones.c.name == old).values(name=new))


def upgrade() -> None:
    _rename(RENAMED.items())


def downgrade() -> None:
    _rename((new, old) for old, new in RENAMED.items())
