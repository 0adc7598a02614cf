"""The demo programme, seeded once on a fresh database for all the demo tests, which only read it.

Seeding needs an empty database, so the per-test rollback cannot serve (see tests/fresh_database.py).
"""

from __future__ import annotations

import pytest

from market import db
from market.demo.seed import DEFAULT_SEED, seed_demo
from tests.fresh_database import fresh_app


@pytest.fixture(scope="package")
def seeded(database_url, tmp_path_factory):
    with fresh_app(database_url, tmp_path_factory.mktemp("seeded")) as app:
        with app.app_context():
            summary = seed_demo(db.session, seed=DEFAULT_SEED)
            db.session.commit()
        yield app, summary


@pytest.fixture
def session(seeded):
    app, _summary = seeded
    with app.app_context():
        yield db.session
