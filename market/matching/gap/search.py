"""Local search of a GAP solve: penalised ejection-chain descents and iterated searches."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from market.matching.gap import kernels
from market.matching.gap.budgets import (
    ALPHA_DOWN,
    ALPHA_UP,
    FOCUS,
    ILS_KICK,
    IT_FIXED_S,
    IT_GRAPH_S,
    IT_LABEL_S,
    IT_TABLE_S,
    MAX_CHAIN,
)
from market.matching.gap.state import Fixing, State

__all__ = ["focus", "iterations", "kick_size", "round_lp", "search", "two_searches"]

_INF = np.inf


def round_lp(s: State, x: np.ndarray) -> np.ndarray:
    """The job-by-job rounding of an LP solution: each job to its largest share."""
    # A basic LP solution splits at most m jobs, so rounding each job to its largest share
    # starts the search next to a near-perfect packing.
    return np.argmax(np.where(s.allowed, x, -1.0), axis=0).astype(np.int64)


def iterations(s: State, share: float, jobs: int, beam: int) -> int:
    """Local-search iterations that take about `share` of the time limit on one core."""
    depth = min(MAX_CHAIN, s.m)
    beam = min(beam, max(jobs, 1))
    per_iter = (
        IT_FIXED_S
        + IT_GRAPH_S * jobs * jobs
        + IT_LABEL_S * depth * beam * jobs
        + IT_TABLE_S * s.m * jobs
    )
    return max(1, int(share * s.time_limit / per_iter))


def kick_size(s: State) -> int:
    """Jobs moved at random by one kick of the iterated search."""
    return max(1, int(round(ILS_KICK * s.n)))


def search(
    s: State, mask: np.ndarray, start: np.ndarray, budget: int, beam: int, kick: int, seed: int
) -> np.ndarray | None:
    """Local search (kick=0) or iterated local search among the pairs in `mask`.

    `start` must use only masked pairs. Jobs with a single masked pair are fixed and taken out,
    which makes each step cheaper. Pure: reads the state, changes nothing, so two can
    run at once. Returns the best feasible assignment found, or None.
    """
    n = s.n
    jobs = np.arange(n)
    single = mask.sum(axis=0) == 1
    free = np.flatnonzero(~single)
    fixed = np.flatnonzero(single)
    fixed_agent = np.argmax(mask, axis=0)
    cap = s.capacity - np.bincount(
        fixed_agent[fixed], weights=s.weight[fixed_agent[fixed], fixed], minlength=s.m
    )
    result = start.astype(np.int64).copy()
    result[fixed] = fixed_agent[fixed]
    if free.size == 0:
        return result if (cap >= -1e-9).all() else None
    if (cap < -1e-9).any():
        return None
    sub_mask = mask[:, free]
    cm = np.where(sub_mask, s.cost[:, free], _INF)
    w = np.ascontiguousarray(s.weight[:, free])
    # Initial penalty weight: cost per unit of capacity, so that neither term dominates.
    positive = sub_mask & (np.abs(s.cost[:, free]) > 0)
    scale = 1.0
    if positive.any():
        scale = float(np.abs(s.cost[:, free][positive]).mean() / max(w[positive].mean(), 1e-9))
    stop = s.lower - float(s.cost[fixed_agent[fixed], fixed].sum()) + 1e-6
    depth = min(MAX_CHAIN, s.m)
    nf = free.size
    sub_start = start[free].astype(np.int64)
    if kick == 0:
        best_a, best, _ = kernels.local_search(
            cm, w, cap, sub_start, budget, 25 * nf + 200, depth, min(beam, nf),
            max(scale, 1e-6), ALPHA_UP, ALPHA_DOWN, stop, s.halt,
        )
    else:
        patience = 2 * nf + 100  # short descents between kicks: more kicks per budget
        best_a, best, _, _ = kernels.iterated_local_search(
            cm, w, cap, sub_start, budget, patience, depth, min(beam, nf),
            max(scale, 1e-6), ALPHA_UP, ALPHA_DOWN, min(kick, nf), seed, stop, s.halt,
        )
    if not math.isfinite(best):
        return None
    result[free] = best_a
    return result if s.allowed[result, jobs].all() else None


def focus(s: State, fixing: Fixing) -> np.ndarray:
    """Pairs worth searching when the incumbent cannot be proven: small Lagrangian penalty.

    A solution's cost exceeds the Lagrangian bound by at least each of its pairs' penalties, so
    good solutions use low-penalty pairs; keeping those within a share of the current gap
    shrinks the search space several-fold on type D. Every job keeps its incumbent pair and
    its two lowest-penalty pairs.
    """
    _, _, lag_value, penalty = fixing
    if penalty is None or s.best_a is None:
        return s.allowed.copy()
    delta = max(FOCUS * (s.best_cost - lag_value), 1e-6)
    mask = s.allowed & (penalty <= delta)
    order = np.argsort(np.where(s.allowed, penalty, _INF), axis=0, kind="stable")[:2]
    jobs = np.arange(s.n)
    for row in order:
        mask[row, jobs] |= s.allowed[row, jobs]
    mask[s.best_a, jobs] = True
    return mask


def two_searches(
    s: State, mask: np.ndarray, share: float, beam: int, start: np.ndarray | None = None
) -> None:
    """Two differently seeded iterated searches from the incumbent (else `start`), on two threads."""
    start = s.best_a if s.best_a is not None else start
    if start is None:
        return
    free = int((mask.sum(axis=0) > 1).sum())
    budget = iterations(s, share, free, beam)
    kick = kick_size(s)
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = [
            pool.submit(search, s, mask, start, budget, beam, kick, 2 * s.seed + k)
            for k in (1, 2)
        ]
        results = [run.result() for run in runs]
    for a in results:  # fixed order: the outcome does not depend on which finished first
        s.offer(a)
