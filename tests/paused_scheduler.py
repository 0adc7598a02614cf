"""`market scheduler` with one pause point, for tests that kill a scheduler in the middle of a job.

MARKET_TEST_PAUSE_AT names the point; when a job reaches it, the job writes the file
MARKET_TEST_PAUSE_MARKER and waits there for good, so the test kills the process at a known
place instead of guessing with a timer:

* ``match-run-stored``: a match run's proposals and evaluations are written (flushed) in its
  transaction, which is not committed yet;
* ``smtp-before:N``: the N-th mail is claimed (``sending``, committed) and not yet handed over;
* ``smtp-after:N``: the SMTP server has accepted the N-th mail, which is not yet marked sent.

The product has no such hook: this wraps its functions before the command starts.
"""

from __future__ import annotations

import itertools
import os
import sys
import time
from pathlib import Path


def _pause() -> None:
    Path(os.environ["MARKET_TEST_PAUSE_MARKER"]).write_text(f"{os.getpid()}\n")
    while True:  # until SIGKILL
        time.sleep(60)


def _pause_after_storing() -> None:
    from market.allocations import runs

    store = runs._store

    def stored_then_paused(session, *args, **kwargs):
        store(session, *args, **kwargs)
        session.flush()  # every row of the run is in the database, uncommitted
        _pause()

    runs._store = stored_then_paused


def _pause_at_mail(when: str, number: int) -> None:
    from market.notifications.tasks import SmtpSender

    send = SmtpSender.send
    calls = itertools.count(1)

    def send_with_pause(self, to_address, subject, body):
        paused = next(calls) == number
        if paused and when == "before":
            _pause()
        send(self, to_address, subject, body)
        if paused:
            _pause()

    SmtpSender.send = send_with_pause


def install(point: str) -> None:
    if point == "match-run-stored":
        _pause_after_storing()
    elif point.startswith(("smtp-before:", "smtp-after:")):
        when, number = point.removeprefix("smtp-").split(":")
        _pause_at_mail(when, int(number))
    else:
        raise SystemExit(f"unknown pause point {point!r}")


if __name__ == "__main__":
    install(os.environ["MARKET_TEST_PAUSE_AT"])
    from market.console import main

    sys.exit(main(sys.argv[1:]))
