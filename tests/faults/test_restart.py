"""PostgreSQL restarted under a write load through the real server (gunicorn), on a cluster of its own.

Clients are told the truth: every write answered 2xx is stored, with its audit event; every one
answered 503 (or not at all) is either absent or, sent again with its Idempotency-Key, stored
once; nothing is answered other than 2xx, 4xx or 503; /readyz says 503 while the database is
away and 200 when it is back. scripts/faults.py runs the longer version with more faults.
"""

from __future__ import annotations

import pytest

from tests.faults.harness import postgres_bindir, run_fault

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.slow,
    pytest.mark.skipif(postgres_bindir() is None, reason="PostgreSQL's initdb is not installed"),
]


def test_a_restart_under_load_loses_nothing_acknowledged_and_retries_make_no_duplicate():
    report = run_fault("restart", seconds=10, fault_at=3, clients=4)

    assert report.outside() == {}, report.outside()
    assert len(report.writes) > 20 and report.recovery() is not None, report.row()
    assert report.missing == [] and report.unaudited == [], report.row()
    assert report.duplicates == {}, report.duplicates
    for write in report.writes:
        if write.failed:
            # The retry found the first result, or created it then: either way stored once now.
            assert write.retried.startswith(("2", "4")), (write.outcome, write.retried)
    assert report.ready_followed(), report.ready
    assert report.tracebacks == 0, report.log_text
