"""The one status enum of every solve in the engine: allocation, GAP and the HiGHS backend."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Status"]


class Status(StrEnum):
    """How a solve ended.

    A ``StrEnum``, so a status is also its plain string: results compare equal to "optimal",
    and JSON output, problem files and the database see the same words as before.
    """

    OPTIMAL = "optimal"  # proven optimal, within the solver's gap tolerance
    FEASIBLE = "feasible"  # a valid solution with a larger gap
    INFEASIBLE = "infeasible"  # proven to have no solution
    UNBOUNDED = "unbounded"
    # A deterministic work limit (nodes, iterations, deterministic time) stopped the run: its
    # solution and bound are usable and reproducible.
    LIMIT = "limit"
    TIME_LIMIT = "time_limit"  # the wall-clock safety net stopped the run
    UNKNOWN = "unknown"  # nothing usable came out
