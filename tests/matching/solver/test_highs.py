"""The HiGHS backend: every outcome comes back as the one status enum."""

from __future__ import annotations

import json
import os
import threading

import numpy as np
import scipy.sparse as sp

from market.matching.solver.highs import c_stdout_to_stderr, solve_lp, solve_milp
from market.matching.solver.status import Status


def test_an_lp_optimum_comes_with_its_marginals():
    # Minimise -x - y with x + y <= 1: the row is worth 1 per unit.
    res = solve_lp(np.array([-1.0, -1.0]), a_ub=np.ones((1, 2)), b_ub=np.ones(1),
                   bounds=np.array([[0.0, 1.0], [0.0, 1.0]]), method="highs-ds")
    assert res.status is Status.OPTIMAL
    assert res.objective == -1.0
    assert res.ineq_marginals.tolist() == [-1.0]


def test_an_infeasible_lp_says_so():
    res = solve_lp(
        np.ones(1),
        a_eq=np.ones((1, 1)),
        b_eq=np.array([2.0]),
        bounds=np.array([[0.0, 1.0]]),
        method="highs",
    )
    assert res.status is Status.INFEASIBLE and res.x is None


def knapsacks(n: int = 60, m: int = 8, seed: int = 0):
    """Jobs to pick for m knapsacks (each job at most once): a root node does not solve it."""
    rng = np.random.default_rng(seed)
    cols = np.arange(m * n)
    c = -rng.integers(1, 50, m * n).astype(float)
    load = sp.csr_matrix(
        (rng.integers(1, 30, m * n).astype(float), (cols // n, cols)), shape=(m, m * n)
    )
    once = sp.csr_matrix((np.ones(m * n), (cols % n, cols)), shape=(n, m * n))
    return c, [(load, -np.inf, np.full(m, 60.0)), (once, 0, 1)]


def test_branch_and_cut_stopped_by_its_node_limit_is_a_work_limit():
    c, rows = knapsacks()
    res = solve_milp(c, integrality=np.ones(c.size), lower=0, upper=1, rows=rows,
                     time_limit=100, node_limit=3, rel_gap=0.0)
    assert res.status is Status.LIMIT
    assert res.nodes >= 3 and res.dual_bound <= c @ res.x


def test_branch_and_cut_stopped_by_the_clock_is_a_time_limit():
    c, rows = knapsacks()
    res = solve_milp(c, integrality=np.ones(c.size), lower=0, upper=1, rows=rows,
                     time_limit=0.0, node_limit=10**6, rel_gap=0.0)
    assert res.status is Status.TIME_LIMIT


def test_a_status_reads_and_serialises_as_its_plain_word():
    assert Status.TIME_LIMIT == "time_limit"
    assert json.dumps({"status": Status.OPTIMAL}) == '{"status": "optimal"}'
    assert f"{Status.FEASIBLE}" == "feasible"


def test_what_c_code_prints_during_a_solve_goes_to_stderr_and_stdout_comes_back(capfd):
    # HiGHS prints some branch-and-cut diagnostics with a bare printf; written to descriptor 1
    # here as C would, it must not land among the JSON lines a command writes to stdout.
    with c_stdout_to_stderr(), c_stdout_to_stderr():  # nested, as concurrent solves are
        os.write(1, b"HighsMipSolverData noise\n")
    os.write(1, b"{\"json\": true}\n")
    out, err = capfd.readouterr()
    assert out == "{\"json\": true}\n"
    assert err == "HighsMipSolverData noise\n"


def test_solves_on_several_threads_leave_stdout_where_it_was(capfd):
    barrier = threading.Barrier(4)

    def solve():
        with c_stdout_to_stderr():
            barrier.wait()
            os.write(1, b"noise\n")

    threads = [threading.Thread(target=solve) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    os.write(1, b"after\n")
    out, err = capfd.readouterr()
    assert out == "after\n" and err == "noise\n" * 4
