"""Local search after relax-and-fix: small branch and cuts that move whole orders between vendors."""

from __future__ import annotations

import time

import numpy as np

from market.matching.solver.model import Model
from market.matching.solver.relax_and_fix import Candidate
from market.matching.solver.subproblems import solve_milp

__all__ = ["LOCAL_SEARCH_ROUNDS", "local_search"]

# At most this many seeds are tried (a deterministic work limit), up to SEEDS_PER_MILP of them
# in one branch and cut when their vendor sets are disjoint. The time goes with the seeds
# tried, whatever the grouping, but a group's larger neighbourhood finds more: on
# bench_scale's default problem 100 seeds one at a time took 1.0 s for a gap of 0.222 %; 50
# seeds in groups of 10 take 0.5 s for 0.232 %, 100 in groups of 10 0.9 s for 0.212 %.
LOCAL_SEARCH_ROUNDS = 50
SEEDS_PER_MILP = 10


def local_search(
    m: Model, best: Candidate, deadline: float, stats: dict[str, float]
) -> tuple[np.ndarray, bool]:
    """Improve the whole orders by small branch and cuts around the most promising ones.

    A seed is an unsplittable order that is unassigned, or assigned below its best-scoring
    candidate, most value to gain first. Its neighbourhood: the vendors it could go to; seeds
    taken in that order whose vendor sets do not meet share one sub-problem. Free in it: the
    unsplittable orders on those vendors or unassigned with a candidate there (each may move
    to any of its vendors), and the splittable orders' columns on those vendors whose vendor
    sets are not fixed; everything else stays as it is. The current allocation is feasible for
    the sub-problem, so a move is taken only when it strictly improves the total. Returns the
    new shares and whether the wall-clock safety net stopped the search.
    """
    share = best.share.copy()
    ucols = m.usable[m.unsplit[m.usable]]
    if ucols.size == 0 or LOCAL_SEARCH_ROUNDS <= 0:
        return share, False
    scols = m.usable[~m.unsplit[m.usable]]
    scols = scols[~best.decided[m.order[scols]]]
    n_orders = m.n_orders
    by_order = _group(m.order[ucols], ucols, n_orders)
    by_vendor_u = _group(m.vendor[ucols], ucols, int(m.vendor.max()) + 1)
    by_vendor_s = _group(m.vendor[scols], scols, int(m.vendor.max()) + 1)
    best_value = np.zeros(n_orders)
    np.maximum.at(best_value, m.order[ucols], m.obj[ucols])
    used_cap = m.a_cap @ share
    used_ord = m.a_ord @ share
    rounds = improved = 0
    tried: set[tuple[int, float]] = set()
    while rounds < LOCAL_SEARCH_ROUNDS:
        current = np.zeros(n_orders)
        held = ucols[share[ucols] > 0.5]
        current[m.order[held]] = m.obj[held]
        assigned = np.zeros(n_orders, dtype=bool)
        assigned[m.order[held]] = True
        orders = np.unique(m.order[ucols])
        gain = best_value[orders] - current[orders]
        keep = gain > 1e-9 * np.maximum(best_value[orders], 1.0)
        seeds = orders[keep][np.argsort(-gain[keep], kind="stable")]
        progress = False
        pending = [s for s in seeds.tolist() if (s, round(float(current[s]), 6)) not in tried]
        while pending:
            if rounds >= LOCAL_SEARCH_ROUNDS or time.perf_counter() >= deadline:
                break
            # Several seeds with disjoint vendor sets share one branch and cut: the
            # sub-problems are independent, and one call costs less than several.
            group: list[int] = []
            taken: set[int] = set()
            rest = []
            room = min(SEEDS_PER_MILP, LOCAL_SEARCH_ROUNDS - rounds)
            for seed in pending:
                vs = set(m.vendor[by_order[seed]].tolist())
                if len(group) < room and not vs & taken:
                    group.append(seed)
                    taken |= vs
                else:
                    rest.append(seed)
            pending = rest
            for seed in group:
                tried.add((seed, round(float(current[seed]), 6)))
            rounds += len(group)
            vendors = np.array(sorted(taken))
            near = np.concatenate([by_vendor_u[v] for v in vendors.tolist()])
            # Orders held by a vendor outside the neighbourhood stay where they are.
            movable = np.unique(m.order[near])
            outside = held[~np.isin(m.vendor[held], vendors)]
            movable = np.setdiff1d(movable, m.order[outside], assume_unique=False)
            cols = np.concatenate(
                [by_order[o] for o in movable.tolist()] + [by_vendor_s[v] for v in vendors.tolist()]
            )
            old = share[cols]
            b_cap = np.maximum(m.b_cap - used_cap + m.a_cap[:, cols] @ old, 0.0)
            b_ord = np.maximum(1.0 - used_ord + m.a_ord[:, cols] @ old, 0.0)
            out = solve_milp(
                m, cols, m.obj[cols], b_cap, b_ord, np.zeros(n_orders, dtype=bool),
                deadline - time.perf_counter(),
            )
            stats["nodes"] = stats.get("nodes", 0.0) + out.nodes
            if out.share is None:
                continue
            before, after = float(m.obj[cols] @ old), float(m.obj[cols] @ out.share)
            if after > before + 1e-9 * max(1.0, abs(before)):
                delta = out.share - old
                used_cap += m.a_cap[:, cols] @ delta
                used_ord += m.a_ord[:, cols] @ delta
                share[cols] = out.share
                improved += 1
                progress = True
                break  # the seeds' gains changed: rank them again
        if not progress:
            break
    stats["local_search_rounds"] = float(rounds)
    stats["local_search_moves"] = float(improved)
    return share, time.perf_counter() >= deadline and rounds < LOCAL_SEARCH_ROUNDS


def _group(keys: np.ndarray, values: np.ndarray, n_keys: int) -> list[np.ndarray]:
    """values grouped by key, as a list indexed by key (empty arrays for absent keys)."""
    order = np.argsort(keys, kind="stable")
    bounds = np.searchsorted(keys[order], np.arange(n_keys + 1))
    sorted_values = values[order]
    return [sorted_values[bounds[k] : bounds[k + 1]] for k in range(n_keys)]

