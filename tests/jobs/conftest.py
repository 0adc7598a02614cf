"""Fixtures of the job tests borrowed from the domains the jobs work on."""

from tests.quality.conftest import build_history  # noqa: F401 - the retraining's contract history
