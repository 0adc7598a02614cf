"""The migrations: they build exactly the schema the models describe, and can be undone."""

from __future__ import annotations

import json

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

import market.models  # noqa: F401  (every table on the metadata)
from market.db import Base
from market.migrations import downgrade, upgrade
from market.orders.search import include_name


def test_the_migrated_database_matches_the_models(app):
    engine = app.extensions["market.db"].engine
    with engine.connect() as conn:
        diffs = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True, "include_name": include_name}),
            Base.metadata,
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


def test_0005_keeps_hidden_what_published_orders_did_not_show_and_drafts_take_the_new_default(
    tmp_path,
):
    url = f"sqlite:///{tmp_path / 'public_fields.sqlite3'}"
    upgrade(url, "0002_decision_notes")
    engine = create_engine(url)
    at = "2026-11-01 08:00:00.000000"
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO organizations (id, kind, name, credit_code, province, city, sectors, "
            "created_at, updated_at) VALUES (1, 'agency', '贵州省交通运输厅', "
            "'11520000MB1234567X', '贵州省', '贵阳市', '[]', :at, :at)"), {"at": at})
        for order_id, status, published, listed in (
            (1, "published", at, '["budget_ceiling", "description"]'), (2, "draft", None, "[]"),
        ):
            conn.execute(text(
                "INSERT INTO orders (id, agency_id, title, description, sector, modality, "
                "annotation_type, label_set, volume, unit, budget_ceiling, bidding_closes_at, "
                "delivery_deadline, accuracy_target, sampling_level, data_classification, "
                "onsite_required, required_certifications, splittable, public_fields, status, "
                "created_at, updated_at, published_at) VALUES (:id, 1, '卡口车辆标注', '说明', "
                "'transport', 'image', 'bbox', '[]', 1000, 'box', 5000, '2026-12-01 09:00:00', "
                "'2027-01-01 09:00:00', 0.95, 'II', 'general', 0, '[]', 0, :listed, :status, "
                ":at, :at, :published)"),
                {"id": order_id, "status": status, "published": published, "listed": listed,
                 "at": at})
    upgrade(url)
    with engine.connect() as conn:
        hidden = dict(conn.execute(text("SELECT id, hidden_fields FROM orders")).all())
    published = json.loads(hidden[1])
    assert "budget_ceiling" not in published and "description" not in published
    assert "label_set" in published and all(published.values())
    assert json.loads(hidden[2]) == {}
    downgrade(url, "0002_decision_notes")
    with engine.connect() as conn:
        listed = dict(conn.execute(text("SELECT id, public_fields FROM orders")).all())
    assert json.loads(listed[1]) == ["description", "budget_ceiling"]
    engine.dispose()
