"""HiGHS backend (through scipy): one LP and one MILP call for every solver in the engine.

The allocation solver and the GAP solver build their own matrices; only these two functions
talk to HiGHS, and they translate its outcome into ``Status``. scipy's HiGHS is a private copy,
so it coexists with OR-Tools in one process (which the GAP solver uses); the `highspy` package
would not.
"""

from __future__ import annotations

import math
import os
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from market.matching.solver.status import Status

__all__ = ["HIGHS", "LpSolution", "MilpSolution", "solve_lp", "solve_milp"]

HIGHS = f"scipy {scipy.__version__} HiGHS"  # names the backend in result labels

_stdout_lock = threading.Lock()
_stdout_users = 0
_stdout_saved: int | None = None


@contextmanager
def c_stdout_to_stderr() -> Iterator[None]:
    """Send what C code writes to standard output to standard error meanwhile.

    HiGHS' branch and cut prints some diagnostics with a bare printf, whatever its output
    options ("HighsMipSolverData::transformNewIntegerFeasibleSolution tmpSolver.run();"), and
    standard output is where `market match solve` and `market match run` write their JSON. The
    descriptor is process-wide, so concurrent solves share one redirection: the first to enter
    makes it, the last to leave undoes it.
    """
    global _stdout_users, _stdout_saved
    with _stdout_lock:
        if _stdout_users == 0:
            try:
                sys.stdout.flush()
            except (AttributeError, ValueError, OSError):  # no usable Python stdout
                pass
            try:
                _stdout_saved = os.dup(1)
                os.dup2(2, 1)
            except OSError:  # no descriptor 1 or 2 (a daemon): nothing to keep clean
                _stdout_saved = None
        _stdout_users += 1
    try:
        yield
    finally:
        with _stdout_lock:
            _stdout_users -= 1
            if _stdout_users == 0 and _stdout_saved is not None:
                os.dup2(_stdout_saved, 1)
                os.close(_stdout_saved)
                _stdout_saved = None


@dataclass(frozen=True)
class LpSolution:
    """A linprog outcome. Marginals are scipy's: of a minimisation, in the rows' own sign."""

    status: Status
    x: np.ndarray | None
    objective: float  # the minimised value; nan without a solution
    ineq_marginals: np.ndarray | None  # one per A_ub row
    eq_marginals: np.ndarray | None  # one per A_eq row
    lower_marginals: np.ndarray | None  # one per column: its reduced cost at the lower bound
    message: str


@dataclass(frozen=True)
class MilpSolution:
    """A milp outcome: ``x`` may be set whatever the status (the best solution found)."""

    status: Status
    x: np.ndarray | None
    dual_bound: float  # lower bound on the minimised value; -inf when HiGHS gives none
    nodes: int
    message: str


def solve_lp(
    c: np.ndarray,
    *,
    a_ub: Any = None,
    b_ub: np.ndarray | None = None,
    a_eq: Any = None,
    b_eq: np.ndarray | None = None,
    bounds: np.ndarray,
    method: str,
    time_limit: float = math.inf,
) -> LpSolution:
    """Minimise c @ x subject to a_ub x <= b_ub, a_eq x = b_eq and ``bounds`` (n x 2).

    ``time_limit`` (seconds) stops HiGHS with status TIME_LIMIT and no usable solution.
    """
    options = {"time_limit": max(float(time_limit), 1e-3)} if math.isfinite(time_limit) else {}
    with c_stdout_to_stderr():
        res = linprog(
            c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method=method,
            options=options,
        )
    return LpSolution(
        status=_status(res.status, res.message),
        x=res.x,
        objective=math.nan if res.fun is None else float(res.fun),
        ineq_marginals=_marginals(res, "ineqlin"),
        eq_marginals=_marginals(res, "eqlin"),
        lower_marginals=_marginals(res, "lower"),
        message=str(res.message),
    )


def solve_milp(
    c: np.ndarray,
    *,
    integrality: np.ndarray,
    lower: np.ndarray | float,
    upper: np.ndarray | float,
    rows: Sequence[tuple[Any, np.ndarray | float, np.ndarray | float]],
    time_limit: float,
    node_limit: int,
    rel_gap: float,
) -> MilpSolution:
    """Minimise c @ x with the marked columns integral, for each (a, lo, hi) in rows lo <= a x <= hi.

    ``node_limit`` is the deterministic work limit; ``time_limit`` the wall-clock safety net.
    """
    with c_stdout_to_stderr():
        res = milp(
            c,
            integrality=integrality,
            bounds=Bounds(lower, upper),
            constraints=[LinearConstraint(a, lo, hi) for a, lo, hi in rows] or None,
            options={"time_limit": time_limit, "node_limit": node_limit, "mip_rel_gap": rel_gap},
        )
    dual = getattr(res, "mip_dual_bound", None)
    return MilpSolution(
        status=_status(res.status, res.message),
        x=res.x,
        dual_bound=float(dual) if dual is not None and math.isfinite(dual) else -math.inf,
        nodes=int(getattr(res, "mip_node_count", 0) or 0),
        message=str(res.message),
    )


def _status(code: int, message: Any) -> Status:
    # scipy folds several HiGHS outcomes into one code; the message tells them apart. Its code
    # 1 is "time or iteration limit", 4 "other", which includes the node limit ("Solution limit
    # reached", HiGHS status 16).
    text = str(message).lower()
    if code == 0:
        return Status.OPTIMAL
    if code == 2:
        return Status.INFEASIBLE
    if code == 3:
        return Status.UNBOUNDED
    if code == 1:
        return Status.TIME_LIMIT if "time limit" in text else Status.LIMIT
    return Status.LIMIT if "limit reached" in text else Status.UNKNOWN


def _marginals(res: Any, name: str) -> np.ndarray | None:
    part = getattr(res, name, None)
    marginals = getattr(part, "marginals", None)
    return None if marginals is None else np.asarray(marginals)
