"""Compiled inner loops of the GAP solver (numba).

Why numba: the local search evaluates tens of thousands of candidate moves per step and the
Lagrangian bound solves one knapsack per agent per step. As numpy code each step cost about
0.8 ms (mostly call overhead on small arrays); compiled loops are several times faster, and with
`nogil=True` two searches run on the two cores at once, next to CP-SAT, which also releases the
GIL. The kernels are compiled on first use and cached next to this file (`cache=True`), so only
the very first call on a machine pays the compilation (about 20 s).

Every kernel is deterministic: the only randomness is numba's own generator, seeded per call.
"""

from __future__ import annotations

import numpy as np
from numba import njit

INF = np.inf


@njit(cache=True, nogil=True)
def _smallest(d: np.ndarray, beam: int, out: np.ndarray) -> np.ndarray:
    """Indices of the `beam` smallest entries of d (ties by index), in index order."""
    thr = np.partition(d, beam - 1)[beam - 1]
    c = 0
    for j in range(d.shape[0]):
        if d[j] < thr:
            out[c] = j
            c += 1
    for j in range(d.shape[0]):
        if c >= beam:
            break
        if d[j] == thr:
            out[c] = j
            c += 1
    return out[:c]


@njit(cache=True, nogil=True)
def _best_exchange(
    G, add, rem, a, depth, beam, m, out_jobs, out_dest
):  # pragma: no cover - compiled
    """Best improving ejection chain or cyclic exchange; writes the moves, returns their count.

    Label-correcting search on the improvement graph whose arc x -> y (cost G[x, y]) means "job y
    replaces job x in x's agent". Two label families grow in parallel, one label per end job (its
    cheapest path), extending only the `beam` cheapest labels per depth:
      * chains start by moving a job into the agent where it fits best (add) and close when the
        last agent simply loses its job (rem); depth 1 is a shift, depth 2 a double shift;
      * cycles start anywhere at zero and close by sending the first job into the last agent;
        depth 2 is a swap.
    Each agent appears at most once along a path (a bit set per label), which makes the summed
    arc costs exact. Returns 0 when no move improves the penalised cost.
    """
    n = a.shape[0]
    nw = (m + 63) // 64
    one = np.uint64(1)
    chain_d = np.empty(n)
    dest0 = np.empty(n, np.int64)
    chain_used = np.zeros((n, nw), np.uint64)
    cycle_d = np.zeros(n)
    cycle_used = np.zeros((n, nw), np.uint64)
    cycle_start = np.arange(n)
    for j in range(n):
        bi = 0
        bv = INF
        for i in range(m):
            if add[i, j] < bv:
                bv = add[i, j]
                bi = i
        dest0[j] = bi
        chain_d[j] = bv
        chain_used[j, a[j] >> 6] |= one << np.uint64(a[j] & 63)
        chain_used[j, bi >> 6] |= one << np.uint64(bi & 63)
        cycle_used[j, a[j] >> 6] |= one << np.uint64(a[j] & 63)
    chain_pred = np.zeros((depth + 1, n), np.int64)
    cycle_pred = np.zeros((depth + 1, n), np.int64)
    best_val = -1e-9
    best_fam = -1
    best_k = 0
    best_end = -1
    best_dest = -1
    for j in range(n):
        v = chain_d[j] + rem[j]
        if v < best_val:
            best_val, best_fam, best_k, best_end, best_dest = v, 0, 1, j, dest0[j]
    new_d = np.empty(n)
    new_used = np.zeros((n, nw), np.uint64)
    new_aux = np.empty(n, np.int64)
    all_jobs = np.arange(n)
    buf = np.empty(max(beam, 1), np.int64)
    for k in range(2, depth + 1):
        alive = False
        for j in range(n):
            if chain_d[j] < INF or cycle_d[j] < INF:
                alive = True
                break
        if not alive:
            break
        for fam in range(2):
            d = chain_d if fam == 0 else cycle_d
            used = chain_used if fam == 0 else cycle_used
            pred = chain_pred if fam == 0 else cycle_pred
            aux = dest0 if fam == 0 else cycle_start
            # At depth 2 every job starts a cycle, so cycles get no beam there.
            src = _smallest(d, beam, buf) if (beam < n and (fam == 0 or k > 2)) else all_jobs
            new_d[:] = INF
            for y in range(n):
                pred[k, y] = src[0]
            for x in src:
                dx = d[x]
                if dx == INF:
                    continue
                for y in range(n):
                    ay = a[y]
                    if used[x, ay >> 6] & (one << np.uint64(ay & 63)):
                        continue
                    v = dx + G[x, y]
                    if v < new_d[y]:
                        new_d[y] = v
                        pred[k, y] = x
            for y in range(n):
                bx = pred[k, y]
                new_aux[y] = aux[bx]
                ay = a[y]
                for w in range(nw):
                    new_used[y, w] = used[bx, w]
                new_used[y, ay >> 6] |= one << np.uint64(ay & 63)
            d[:] = new_d
            aux[:] = new_aux
            used[:, :] = new_used
        for j in range(n):
            v = chain_d[j] + rem[j]
            if v < best_val:
                best_val, best_fam, best_k, best_end, best_dest = v, 0, k, j, dest0[j]
        for j in range(n):
            v = cycle_d[j] + G[j, cycle_start[j]]
            if v < best_val:
                best_val, best_fam, best_k, best_end, best_dest = v, 1, k, j, -1
    if best_fam < 0:
        return 0
    pred = chain_pred if best_fam == 0 else cycle_pred
    path = np.empty(best_k, np.int64)
    path[best_k - 1] = best_end
    for step in range(best_k, 1, -1):
        path[step - 2] = pred[step, path[step - 1]]
    # path[0] starts; path[i+1] replaces path[i] in path[i]'s agent.
    for i in range(best_k - 1):
        out_jobs[i] = path[i + 1]
        out_dest[i] = a[path[i]]
    out_jobs[best_k - 1] = path[0]
    out_dest[best_k - 1] = best_dest if best_fam == 0 else a[path[best_k - 1]]
    return best_k


@njit(cache=True, nogil=True)
def local_search(
    cm, W, cap, a0, iterations, patience, depth, beam, alpha0, inc, dec, stop_cost, halt
):
    """Penalised descent over shift / swap / ejection-chain / cyclic-exchange moves.

    cm: (m, n) costs with inf on forbidden pairs; W: weights; cap: capacities; a0: start.
    Capacity overload is allowed but charged alpha_i per unit. At every local optimum the weights
    adapt (up on overloaded agents, down everywhere when feasible), which lets the search cross
    infeasible regions between tightly packed feasible solutions. Stops after `iterations`, after
    `patience` iterations without a better feasible solution, at a cost <= stop_cost, or when
    another thread sets halt[0] (the caller's wall-clock safety net; the kernel runs without
    the GIL, so a timer thread can set it).
    Returns (best feasible assignment, its cost or inf, iterations used).
    """
    m, n = cm.shape
    a = a0.copy()
    load = np.zeros(m)
    cost = 0.0
    for j in range(n):
        load[a[j]] += W[a[j], j]
        cost += cm[a[j], j]
    alpha = np.full(m, alpha0)
    best_a = a.copy()
    best = INF
    last_improvement = 0
    over = np.empty(m)
    rem = np.empty(n)
    add = np.empty((m, n))
    G = np.empty((n, n))
    out_jobs = np.empty(depth + 1, np.int64)
    out_dest = np.empty(depth + 1, np.int64)
    it = 0
    while it < iterations:
        if halt[0]:
            break
        it += 1
        feasible = True
        most = 0.0
        for i in range(m):
            o = load[i] - cap[i]
            over[i] = o if o > 1e-9 else 0.0
            if over[i] > 0.0:
                feasible = False
                most = max(most, over[i])
        if feasible and cost < best - 1e-9:
            best = cost
            best_a[:] = a
            last_improvement = it
            if best <= stop_cost:
                break
        if it - last_improvement > patience:
            break
        for j in range(n):
            aj = a[j]
            r = load[aj] - W[aj, j] - cap[aj]
            rem[j] = -cm[aj, j] + alpha[aj] * ((r if r > 0.0 else 0.0) - over[aj])
        for i in range(m):
            for j in range(n):
                r = load[i] + W[i, j] - cap[i]
                add[i, j] = cm[i, j] + alpha[i] * ((r if r > 0.0 else 0.0) - over[i])
        for j in range(n):
            add[a[j], j] = INF
        for x in range(n):
            ax = a[x]
            base = load[ax] - W[ax, x] - cap[ax]
            own = cm[ax, x]
            for y in range(n):
                if a[y] == ax:
                    G[x, y] = INF
                else:
                    r = base + W[ax, y]
                    G[x, y] = cm[ax, y] - own + alpha[ax] * ((r if r > 0.0 else 0.0) - over[ax])
        count = _best_exchange(G, add, rem, a, depth, beam, m, out_jobs, out_dest)
        if count == 0:
            if feasible:
                for i in range(m):
                    alpha[i] *= 1.0 - dec
            else:
                for i in range(m):
                    alpha[i] *= 1.0 + inc * over[i] / most
            continue
        for t in range(count):
            job = out_jobs[t]
            dest = out_dest[t]
            src = a[job]
            load[src] -= W[src, job]
            load[dest] += W[dest, job]
            cost += cm[dest, job] - cm[src, job]
            a[job] = dest
    return best_a, best, it


@njit(cache=True, nogil=True)
def iterated_local_search(
    cm, W, cap, a0, budget, patience, depth, beam, alpha0, inc, dec, kick, seed, stop_cost, halt
):
    """Iterated local search: descend, then repeatedly kick the best solution and descend again.

    A kick moves `kick` random jobs to random other allowed agents; the descent that follows
    (at most `patience` idle iterations) is kept when it finds a better feasible solution.
    `budget` counts local-search iterations over all rounds. Returns (best assignment, its cost
    or inf, iterations used, rounds).
    """
    np.random.seed(seed)
    m, n = cm.shape
    best_a, best, used = local_search(
        cm, W, cap, a0, budget, patience, depth, beam, alpha0, inc, dec, stop_cost, halt
    )
    cand = np.empty(m, np.int64)
    rounds = 0
    start = best_a.copy() if best < INF else a0.copy()
    while used < budget and best > stop_cost and not halt[0]:
        a = start.copy()
        for _ in range(kick):
            j = np.random.randint(0, n)
            c = 0
            for i in range(m):
                if i != a[j] and cm[i, j] < INF:
                    cand[c] = i
                    c += 1
            if c > 0:
                a[j] = cand[np.random.randint(0, c)]
        na, nc, it = local_search(
            cm, W, cap, a, budget - used, patience, depth, beam, alpha0, inc, dec, stop_cost, halt
        )
        used += it
        rounds += 1
        if nc < best - 1e-9:
            best = nc
            best_a = na
            start = na.copy()
    return best_a, best, used, rounds


@njit(cache=True, nogil=True)
def knapsacks(profit, weight, capacity):
    """m independent 0-1 knapsacks: max profit[i]·x s.t. weight[i]·x <= capacity[i].

    Integer weights and capacities; dynamic programming over capacity. Returns (chosen (m, n)
    booleans, optimal values (m,)).
    """
    m, n = profit.shape
    chosen = np.zeros((m, n), np.bool_)
    value = np.zeros(m)
    width = 0
    for i in range(m):
        width = max(width, capacity[i] + 1)
    took = np.zeros((n, width), np.bool_)
    dp = np.empty(width)
    for i in range(m):
        cap_i = capacity[i]
        if cap_i < 0:
            value[i] = -INF
            continue
        dp[: cap_i + 1] = 0.0
        items = 0
        order = np.empty(n, np.int64)
        for j in range(n):
            w = weight[i, j]
            p = profit[i, j]
            if p <= 0.0 or w > cap_i:
                continue
            order[items] = j
            row = took[items]
            row[: cap_i + 1] = False
            for c in range(cap_i, w - 1, -1):
                v = dp[c - w] + p
                if v > dp[c]:
                    dp[c] = v
                    row[c] = True
            items += 1
        c = cap_i
        value[i] = dp[cap_i]
        for t in range(items - 1, -1, -1):
            if took[t, c]:
                j = order[t]
                chosen[i, j] = True
                c -= weight[i, j]
    return chosen, value


@njit(cache=True, nogil=True)
def lagrangian_penalties(profit, weight, capacity):
    """Increase of the Lagrangian bound when x_ij is forced to 1, for every pair (i, j).

    With prefix and suffix knapsack tables F_j (items < j) and B_j (items > j), the best knapsack
    of agent i containing item j is profit_ij + max_c F_j[c] + B_j[cap_i - w_ij - c]; the penalty
    is the unconstrained optimum minus that. inf where j cannot fit agent i at all.
    """
    m, n = profit.shape
    penalty = np.full((m, n), INF)
    for i in range(m):
        cap_i = capacity[i]
        if cap_i < 0:
            continue
        width = cap_i + 1
        forward = np.empty((n + 1, width))
        forward[0, :] = 0.0  # "at most c" tables: monotone in c
        for j in range(n):
            w = weight[i, j]
            p = profit[i, j]
            forward[j + 1, :] = forward[j, :]
            if w <= cap_i:
                for c in range(w, width):
                    v = forward[j, c - w] + p
                    if v > forward[j + 1, c]:
                        forward[j + 1, c] = v
        best = forward[n, cap_i]
        backward = np.zeros(width)
        nxt = np.empty(width)
        for j in range(n - 1, -1, -1):
            w = weight[i, j]
            p = profit[i, j]
            if w <= cap_i:
                rest = cap_i - w
                top = -INF
                for c in range(rest + 1):
                    v = forward[j, c] + backward[rest - c]
                    if v > top:
                        top = v
                penalty[i, j] = max(best - (p + top), 0.0)
                nxt[:] = backward
                for c in range(w, width):
                    v = backward[c - w] + p
                    if v > nxt[c]:
                        nxt[c] = v
                backward[:] = nxt
    return penalty
