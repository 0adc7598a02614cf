"""Faults of PostgreSQL under a write load through gunicorn, measured: the table of issue 15.

Each fault gets a private cluster, `market serve` (2 workers x 4 threads) and 8 clients writing
(agencies drafting orders, vendors asking questions) plus a reader and a /readyz poller:

* restart        `pg_ctl restart -m fast` 20 s in
* kill           kill -9 of the postmaster 20 s in, started again 5 s later
* down-at-start  the database is down when gunicorn starts and comes up 20 s later

Writes answered 503 (or not answered) are then sent again with their Idempotency-Key and the
database is checked against what the clients were told. Exit status 1 when any run broke a
promise (an answer outside 2xx/4xx/503, an acknowledged write missing, a duplicate).

    PYTHONPATH=. .venv/bin/python scripts/faults.py [--seconds 60] [--only kill]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a plain script from anywhere

from tests.faults.harness import HEADER, run_fault  # noqa: E402

FAULTS = ("restart", "kill", "down-at-start")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60, help="length of each run")
    parser.add_argument("--fault-at", type=float, default=20, help="when the fault comes")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--only", choices=FAULTS, action="append", help="run only these faults")
    args = parser.parse_args(argv)
    broken = False
    rows = []
    for fault in args.only or FAULTS:
        print(f"running {fault} ({args.seconds:g} s)...", file=sys.stderr, flush=True)
        report = run_fault(fault, seconds=args.seconds, fault_at=args.fault_at,
                           clients=args.clients, kill_pause=5.0, late_start=args.fault_at)
        rows.append(report.row())
        if report.outside():
            print(f"  {fault}: answers outside 2xx/4xx/503: {dict(report.outside())}",
                  file=sys.stderr)
        broken |= bool(report.outside() or report.missing or report.unaudited
                       or report.duplicates)
    print(HEADER)
    print("\n".join(rows))
    return 1 if broken else 0


if __name__ == "__main__":
    raise SystemExit(main())
