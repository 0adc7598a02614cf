"""`market scheduler` as a real process for the tests that elect, kill and restart schedulers.

`SchedulerProcess` starts it as an operator would on a host and reads its output line by line.
With `pause_at`, it starts tests/paused_scheduler.py instead: the same command with one pause
point, where the job writes a marker file and waits, so a test kills it at a known place.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

MARKET = str(Path(sys.executable).parent / "market")
PAUSED = str(Path(__file__).with_name("paused_scheduler.py"))


def wait_for(condition, seconds: float = 10.0, what: str = "the condition") -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


class SchedulerProcess:
    """`market scheduler` on the database of `url`, its instance folder `instance`."""

    def __init__(self, url: str, instance: Path, standby_seconds: float = 1.0, *,
                 env: dict[str, str] | None = None, pause_at: str | None = None,
                 marker: Path | None = None) -> None:
        full_env = dict(os.environ, MARKET_ENV="development", MARKET_DATABASE_URL=url,
                        MARKET_INSTANCE_PATH=str(instance), **(env or {}))
        command = [MARKET]
        if pause_at:
            full_env.update(MARKET_TEST_PAUSE_AT=pause_at, MARKET_TEST_PAUSE_MARKER=str(marker))
            full_env["PYTHONPATH"] = os.pathsep.join(
                filter(None, [str(Path(__file__).parent.parent), os.environ.get("PYTHONPATH")]))
            command = [sys.executable, PAUSED]
        self.process = subprocess.Popen(
            [*command, "scheduler", "--standby-seconds", str(standby_seconds)], env=full_env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)

    def said(self, words: str) -> bool:
        return any(words in line for line in self.lines)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    @property
    def runner(self) -> str:
        return f"{socket.gethostname()}:{self.process.pid}"

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is rolled back or released but by the kernel."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._reader.join(timeout=5)
        self.process.stdout.close()
        return self.output
