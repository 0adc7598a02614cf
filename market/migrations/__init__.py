"""Alembic migrations, run by `market init-db` and by the test setup (never `create_all`)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

HERE = Path(__file__).resolve().parent


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Upgrade the database at `url` (default: the current app's) to `revision`."""
    if url is None:
        from flask import current_app

        url = current_app.config["DATABASE_URL"]
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


def schema_is_current(engine) -> bool:
    """Whether the database at `engine` has every migration applied (an empty one has none)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    with engine.connect() as conn:
        applied = set(MigrationContext.configure(conn).get_current_heads())
    return applied == set(ScriptDirectory.from_config(alembic_config()).get_heads())
