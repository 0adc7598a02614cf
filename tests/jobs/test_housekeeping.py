"""Housekeeping: what expired is deleted, what is still live stays."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from market.accounts import services as accounts
from market.accounts.models import ApiToken
from market.db import utcnow
from market.jobs.runner import run_job


def test_expired_tokens_and_the_sign_ins_on_them_are_purged_and_live_ones_kept(
    app, api, actors, db_session
):
    user = actors.vendor
    _old, stale = accounts.issue_token(db_session, user, ttl_hours=1)
    live_token, live = accounts.issue_token(db_session, user, ttl_hours=48)
    db_session.flush()
    later = utcnow() + dt.timedelta(hours=2)
    counts = run_job(app, "purge-expired", now=later).counts
    assert counts["api_tokens"] == 1 and counts["email_tokens"] == 0
    left = db_session.scalars(select(ApiToken.id).where(ApiToken.user_id == user.id)).all()
    assert left == [live.id] and stale.id not in left
    assert api.get("/api/v1/me", token=live_token).status_code == 200
    assert run_job(app, "purge-expired", now=later).counts["api_tokens"] == 0
