"""The migrations: they build exactly the schema the models describe, and can be undone."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

import market.models  # noqa: F401  (every table on the metadata)
from market.db import Base
from market.migrations import downgrade, upgrade


def test_the_migrated_database_matches_the_models(app):
    engine = app.extensions["market.db"].engine
    with engine.connect() as conn:
        diffs = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
    assert diffs == []


def test_migrations_go_down_to_nothing_and_up_again(tmp_path):
    url = f"sqlite:///{tmp_path / 'roundtrip.sqlite3'}"
    upgrade(url)
    engine = create_engine(url)
    assert "orders" in inspect(engine).get_table_names()
    downgrade(url, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(url)
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()
