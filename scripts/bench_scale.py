"""Benchmark the matching engine on a reproducible synthetic province, end to end.

Builds orders, vendors, bids and running contracts from a seed, runs them through the same
path the product uses (eligibility, scoring, calendar, allocation:
``market.matching.build.prepare_match`` and ``market.matching.match.solve_match``), checks the
splittable part against an independent LP, and prints a summary ending with one JSON line.
Progress goes to stderr.

    python scripts/bench_scale.py                      # 5000 orders, 500 vendors
    python scripts/bench_scale.py --orders 20000 --vendors 1000
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from market.matching.build import PreparedMatch, prepare_match  # noqa: E402
from market.matching.calendar import RunningContract  # noqa: E402
from market.matching.eligibility import Bid, Capability, Order, Vendor  # noqa: E402
from market.matching.match import MatchResult, solve_match  # noqa: E402
from market.matching.problem import AllocationProblem  # noqa: E402

# (modality, annotation type, unit, units per seat-day, CNY per unit, how common)
KINDS = [
    ("image", "classification", "item", 2000, 0.05, 6),
    ("image", "bbox", "box", 400, 0.30, 10),
    ("image", "polygon", "item", 150, 0.80, 4),
    ("image", "segmentation", "item", 40, 3.00, 4),
    ("image", "keypoint", "item", 300, 0.40, 2),
    ("video", "tracking", "frame", 200, 0.60, 4),
    ("video", "bbox", "frame", 500, 0.30, 3),
    ("audio", "transcription", "audio_minute", 60, 4.00, 6),
    ("text", "ner", "kchar", 30, 6.00, 5),
    ("text", "classification", "item", 1500, 0.06, 5),
    ("text", "relation", "kchar", 20, 8.00, 2),
    ("text", "qa_pair", "item", 80, 2.50, 4),
    ("point_cloud", "cuboid_3d", "point_cloud_frame", 60, 5.00, 4),
    ("remote_sensing", "segmentation", "item", 30, 4.00, 2),
    ("medical_image", "segmentation", "item", 20, 8.00, 2),
    ("medical_image", "classification", "item", 300, 1.00, 2),
]
CERTS = ("ISO 27001", "ISO 9001")
STATUSES = ("verified", "pending", "suspended")
CLEARANCE = ("general", "important", "core")


def some(
    rng: np.random.Generator, names: tuple[str, ...], odds: tuple[float, ...]
) -> frozenset[str]:
    """Each name with its own probability."""
    return frozenset(name for name, p in zip(names, odds, strict=True) if rng.random() < p)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def province(
    n_orders: int,
    n_vendors: int,
    bids_per_order: int,
    weeks: int,
    unsplittable_share: float,
    seed: int,
) -> tuple[list[Order], list[Vendor], list[Bid], list[RunningContract], set[tuple[int, int]]]:
    """A synthetic province: firms of every size, orders from a few days to months of work."""
    rng = np.random.default_rng(seed)
    first_monday = date(2026, 11, 30)  # ISO 2026-W49
    kind_p = np.array([k[5] for k in KINDS], dtype=float)
    kind_p /= kind_p.sum()

    vendors: list[Vendor] = []
    capable: list[list[int]] = [[] for _ in KINDS]
    share = rng.gamma(0.5, size=n_vendors)
    share /= share.sum()
    for v in range(n_vendors):
        seats = int(np.clip(rng.lognormal(np.log(40), 0.8), 5, 600))
        kinds = rng.choice(len(KINDS), size=int(rng.integers(2, 7)), replace=False, p=kind_p)
        caps = {}
        for k in kinds:
            mod, typ, _unit, thr, _price, _w = KINDS[k]
            caps[(mod, typ)] = Capability(
                throughput_per_seat_day=float(thr * rng.lognormal(0, 0.25)),
                proficiency=float(rng.beta(5, 2)),
            )
            capable[k].append(v)
        vendors.append(
            Vendor(
                id=v,
                seats=seats,
                verification=str(rng.choice(STATUSES, p=[0.95, 0.04, 0.01])),
                clearance=str(rng.choice(CLEARANCE, p=[0.4, 0.45, 0.15])),
                certifications=some(rng, CERTS, (0.65, 0.75)),
                onsite_possible=bool(rng.random() < 0.4),
                local=bool(rng.random() < 0.7),
                recent_award_share=float(share[v]),
                capabilities=caps,
            )
        )

    orders: list[Order] = []
    bids: list[Bid] = []
    excluded: set[tuple[int, int]] = set()
    for o in range(n_orders):
        k = int(rng.choice(len(KINDS), p=kind_p))
        mod, typ, unit, thr, price, _w = KINDS[k]
        seat_days = float(np.clip(rng.lognormal(np.log(60), 0.9), 3, 2500))
        volume = float(max(10, round(seat_days * thr, -1)))
        start_week = int(rng.integers(0, max(1, weeks - 3)))
        length = int(rng.integers(2, 9))
        start = first_monday + timedelta(days=7 * start_week + int(rng.integers(0, 3)))
        deadline = min(
            first_monday + timedelta(days=7 * (start_week + length) - 3),
            first_monday + timedelta(days=7 * weeks - 3),
        )
        splittable = bool(rng.random() >= unsplittable_share)
        max_vendors = int(rng.integers(2, 5)) if splittable and rng.random() < 0.3 else None
        min_lot = None
        if splittable and rng.random() < 0.3:
            min_lot = float(round(volume * rng.uniform(0.05, 0.2), -1))
        orders.append(
            Order(
                id=o,
                modality=mod,
                annotation_type=typ,
                volume=volume,
                budget_ceiling=round(volume * price * rng.uniform(1.05, 1.4), 2),
                start=start,
                deadline=deadline,
                data_classification=str(rng.choice(CLEARANCE, p=[0.75, 0.22, 0.03])),
                onsite_required=bool(rng.random() < 0.05),
                required_certifications=some(rng, CERTS, (0.2, 0.15)),
                splittable=splittable,
                max_vendors=max_vendors,
                min_lot=min_lot,
                unit=unit,
            )
        )
        # Most bidders can do the work; a few cannot (refused: no capability).
        pool = capable[k]
        n_capable = min(len(pool), int(round(bids_per_order * 0.9)))
        chosen = list(rng.choice(pool, size=n_capable, replace=False)) if n_capable else []
        while len(chosen) < bids_per_order:
            v = int(rng.integers(n_vendors))
            if v not in chosen:
                chosen.append(v)
        for v in chosen:
            cap = vendors[v].capabilities.get((mod, typ))
            if splittable:
                offered = float(max(10, round(volume * rng.uniform(0.2, 1.0), -1)))
            else:
                offered = volume if rng.random() < 0.97 else float(round(volume * 0.8, -1))
            quality = None
            if cap is not None:
                quality = float(np.clip(cap.proficiency + rng.normal(0, 0.08), 0, 1))
            bids.append(
                Bid(
                    id=len(bids),
                    order_id=o,
                    vendor_id=int(v),
                    unit_price=round(price * rng.uniform(0.75, 1.2), 3),
                    volume=offered,
                    quality=quality,
                )
            )
            if rng.random() < 0.01:
                excluded.add((o, int(v)))

    running: list[RunningContract] = []
    today = first_monday
    for v, vendor in enumerate(vendors):
        for _ in range(int(rng.integers(0, 4))):
            end = today + timedelta(days=int(rng.integers(5, 7 * min(weeks, 8))))
            days = np.busday_count(today, end + timedelta(days=1))
            running.append(
                RunningContract(v, float(vendor.seats * rng.uniform(0.05, 0.3) * days), today, end)
            )
    return orders, vendors, bids, running, excluded


def independent_splittable_lp(problem: AllocationProblem, volume: np.ndarray) -> float:
    """Re-solve the splittable part on the capacity the unsplittable orders leave.

    Written from the problem definition, not from the solver's code: variables are volumes,
    each splittable candidate in [0, min(offer, order volume)], orders whose max vendors or
    min lot can bite limited to the vendors the solver chose (at least the minimum lot each).
    """
    p = problem
    split = p.order_splittable[p.cand_order]
    load = p.cand_load.tocoo()
    cap_used = np.zeros_like(p.capacity)
    un = ~split[load.row]
    rows_un = load.row[un]
    np.add.at(cap_used, (p.cand_vendor[rows_un], load.col[un]), load.data[un] * volume[rows_un])
    residual = np.maximum(p.capacity - cap_used, 0.0)

    cols = np.flatnonzero(split & (p.cand_score > 0))
    if cols.size == 0:
        return 0.0
    o = p.cand_order[cols]
    lot = p.order_min_lot[o]
    hi = np.minimum(p.cand_max_volume[cols], p.order_volume[o])
    hi[hi < lot] = 0.0
    lo = np.zeros(cols.size)
    usable = np.bincount(o[hi > 0], minlength=p.n_orders)
    kv = p.order_max_vendors
    constrained = (p.order_min_lot > 0) | ((kv > 0) & (usable > kv))
    fixed = constrained[o]
    chosen = volume[cols] > 0
    hi[fixed & ~chosen] = 0.0
    lo[fixed & chosen] = lot[fixed & chosen]

    sub = p.cand_load[cols].tocoo()
    rows = p.cand_vendor[cols][sub.row] * p.n_weeks + sub.col
    a_cap = sp.csr_matrix((sub.data, (rows, sub.row)), shape=(p.n_vendors * p.n_weeks, cols.size))
    a_ord = sp.csr_matrix(
        (np.ones(cols.size), (o, np.arange(cols.size))), shape=(p.n_orders, cols.size)
    )
    a = sp.vstack([a_cap, a_ord], format="csr")
    b = np.concatenate([residual.reshape(-1), p.order_volume])
    keep = np.diff(a.indptr) > 0
    res = linprog(
        -p.cand_score[cols], A_ub=a[keep], b_ub=b[keep],
        bounds=np.column_stack([np.minimum(lo, hi), hi]), method="highs",
    )
    if res.status != 0:
        raise RuntimeError(f"independent LP failed: {res.message}")
    return float(-res.fun)


def independent_relaxation(problem: AllocationProblem) -> tuple[float, float]:
    """The LP relaxation of the whole allocation, solved by HiGHS directly: (value, seconds).

    Written from the problem definition: a volume per candidate within its offer, its order's
    volume and what fits in each of its vendor-weeks alone (a not-splittable order's candidate
    only when it offers the whole order and the order fits), capacity per vendor-week, an
    order's volumes within its volume, "at most K vendors" as sum(volume / largest volume) <= K,
    minimum lots dropped. The product's allocation starts from the same relaxation; the time of
    this solve is what the end-to-end time is compared with.
    """
    p = problem
    started = time.perf_counter()
    vol = p.order_volume[p.cand_order]
    split = p.order_splittable[p.cand_order]
    hi = np.minimum(p.cand_max_volume, vol)
    hi[~split & (p.cand_max_volume < vol * (1 - 1e-12))] = 0.0
    # A candidate takes at most what fits in each of its vendor-weeks alone; a not-splittable
    # order that does not fit whole there cannot go to that vendor at all.
    per_week = p.cand_load.tocoo()
    positive = per_week.data > 0  # seat-days per unit of volume
    room = np.maximum(p.capacity[p.cand_vendor[per_week.row], per_week.col], 0.0)
    fits = np.full(p.n_candidates, np.inf)
    np.minimum.at(fits, per_week.row[positive], room[positive] / per_week.data[positive])
    hi = np.minimum(hi, fits)
    hi[~split & (hi < vol * (1 - 1e-9))] = 0.0
    lot = p.order_min_lot[p.cand_order]
    hi[split & (lot > hi)] = 0.0
    hi[p.cand_score <= 0] = 0.0
    cols = np.flatnonzero(hi > 0)
    if cols.size == 0:
        return 0.0, time.perf_counter() - started
    o = p.cand_order[cols]
    sub = p.cand_load[cols].tocoo()
    rows = p.cand_vendor[cols][sub.row] * p.n_weeks + sub.col
    a_cap = sp.csr_matrix((sub.data, (rows, sub.row)), shape=(p.n_vendors * p.n_weeks, cols.size))
    a_ord = sp.csr_matrix(
        (np.ones(cols.size), (o, np.arange(cols.size))), shape=(p.n_orders, cols.size)
    )
    blocks = [a_cap, a_ord]
    rhs = [p.capacity.reshape(-1), p.order_volume]
    kv = p.order_max_vendors
    per_order = np.bincount(o, minlength=p.n_orders)
    capped = (kv > 0) & (per_order > kv) & p.order_splittable
    pick = capped[o]
    if pick.any():
        blocks.append(
            sp.csr_matrix(
                (1.0 / hi[cols][pick], (o[pick], np.flatnonzero(pick))),
                shape=(p.n_orders, cols.size),
            )
        )
        rhs.append(np.where(capped, kv, np.inf).astype(np.float64))
    a = sp.vstack(blocks, format="csr")
    b = np.concatenate(rhs)
    keep = (np.diff(a.indptr) > 0) & np.isfinite(b)
    # HiGHS' dual simplex up to a few tens of thousands of columns, its interior-point method
    # (with crossover) beyond: at 125,000 columns the simplex took 188 s, the IPM about 20 s.
    res = linprog(
        -p.cand_score[cols], A_ub=a[keep], b_ub=b[keep],
        bounds=np.column_stack([np.zeros(cols.size), hi[cols]]),
        method="highs-ipm" if cols.size >= 60000 else "highs-ds",
    )
    if res.status != 0:
        raise RuntimeError(f"independent LP relaxation failed: {res.message}")
    return float(-res.fun), time.perf_counter() - started


def draw_chart(summary: dict, generate_seconds: float, path: Path) -> None:
    """Where the time goes (against the 10 s target), the memory (against 2 GB) and the gap."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    fig, (times, memory, quality) = plt.subplots(1, 3, figsize=(12, 4), width_ratios=(3, 1.2, 1.8))
    phases = [("build", summary["build_seconds"]), ("solve", summary["solve_seconds"])]
    left = 0.0
    for (name, seconds), color in zip(phases, ("#2b6cb0", "#63b3ed"), strict=True):
        times.barh(
            ["end to end"], [seconds], left=left, color=color, label=f"{name} {seconds:.2f} s"
        )
        left += seconds
    times.barh(["(not timed) generate"], [generate_seconds], color="#cbd5e0")
    target = summary.get("target_seconds")
    if target:
        times.axvline(target, color="#c53030", linestyle="--", linewidth=1, label=f"target {target:g} s")
    times.set_xlabel("seconds")
    times.legend(fontsize=8, loc="lower right")
    times.set_title(
        f"{summary['orders']:,} orders, {summary['vendors']:,} vendors, {summary['bids']:,} bids"
    )
    memory.bar(["peak RSS"], [summary["peak_rss_mb"]], color="#4a5568")
    memory.axhline(2048, color="#c53030", linestyle="--", linewidth=1)
    memory.set_ylabel("MB (target < 2048)")
    quality.bar(["gap to bound"], [summary["gap_pct"]], color="#2b6cb0")
    quality.set_ylabel("%")
    quality.set_title(
        "splittable part exact" if summary["splittable_exact"] else "splittable part NOT exact"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=5000)
    ap.add_argument("--vendors", type=int, default=500)
    ap.add_argument("--bids-per-order", type=int, default=10)
    ap.add_argument("--weeks", type=int, default=12)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--unsplittable-share", type=float, default=0.4)
    ap.add_argument("--time-limit", type=float, default=10.0)
    ap.add_argument("--chart", type=Path, default=None, help="also draw the figures into this PNG")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    log(
        f"generating {args.orders} orders, {args.vendors} vendors, "
        f"{args.bids_per_order} bids per order ..."
    )
    orders, vendors, bids, running, excluded = province(
        args.orders, args.vendors, args.bids_per_order, args.weeks,
        args.unsplittable_share, args.seed,
    )
    t_gen = time.perf_counter() - t0
    log(f"  generated in {t_gen:.2f} s; building (eligibility, scores, calendar) ...")

    t1 = time.perf_counter()
    cpu1 = time.process_time()
    prepared: PreparedMatch = prepare_match(
        orders, vendors, bids, running=running, excluded_pairs=excluded
    )
    t_build = time.perf_counter() - t1
    p = prepared.problem
    log(
        f"  built in {t_build:.2f} s: {p.n_candidates} eligible bids of {len(bids)}, "
        f"{p.n_weeks} weeks; solving ..."
    )

    t2 = time.perf_counter()
    cpu2 = time.process_time()
    result: MatchResult = solve_match(prepared, time_limit=args.time_limit)
    t_solve = time.perf_counter() - t2
    cpu_build, cpu_solve = cpu2 - cpu1, time.process_time() - cpu2
    alloc = result.allocation
    log(f"  solved in {t_solve:.2f} s ({alloc.solver}, {alloc.status}); checking the LP ...")
    total = t_build + t_solve

    check = independent_splittable_lp(p, alloc.volume)
    log("  solving the LP relaxation independently ...")
    lp_value, lp_seconds = independent_relaxation(p)
    exact = abs(check - alloc.splittable_objective) <= 1e-6 * max(1.0, abs(check))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes

    vol = alloc.volume
    used = np.zeros_like(p.capacity)
    coo = p.cand_load.tocoo()
    np.add.at(used, (p.cand_vendor[coo.row], coo.col), coo.data * vol[coo.row])
    over = float(np.max(used - p.capacity)) if used.size else 0.0

    size = (args.orders, args.vendors, args.bids_per_order, args.weeks)
    # Targets per size (issue 13): end-to-end seconds and gap to the bound; memory < 2 GB.
    targets = {(5000, 500, 10, 12): (3.0, 0.3), (20000, 1000, 10, 12): (15.0, 0.5)}.get(size)
    ratio = total / lp_seconds if lp_seconds > 0 else float("inf")
    summary = {
        "orders": args.orders,
        "vendors": args.vendors,
        "bids": len(bids),
        "eligible_bids": p.n_candidates,
        "weeks": p.n_weeks,
        "seed": args.seed,
        "unsplittable_share": args.unsplittable_share,
        "allocated_bids": int((vol > 0).sum()),
        "covered_volume_pct": round(100 * float(vol.sum()) / float(p.order_volume.sum()), 2),
        "build_seconds": round(t_build, 3),
        "solve_seconds": round(t_solve, 3),
        "end_to_end_seconds": round(total, 3),
        # CPU seconds of this process: what the run costs when the machine is shared.
        "cpu_seconds": round(cpu_build + cpu_solve, 3),
        "peak_rss_mb": round(peak_mb, 1),
        "objective": round(alloc.objective, 3),
        "bound": round(alloc.bound, 3),
        "lp_bound": round(alloc.lp_bound, 3),
        "gap_pct": round(alloc.gap_pct, 4),
        "target_seconds": targets[0] if targets else None,
        "target_gap_pct": targets[1] if targets else None,
        "independent_lp_bound": round(lp_value, 3),
        "independent_lp_seconds": round(lp_seconds, 3),
        # End-to-end time in units of one plain HiGHS solve of the relaxation, same run.
        "ratio_to_lp": round(ratio, 2),
        "status": alloc.status,
        "solver": alloc.solver,
        "splittable_objective": round(alloc.splittable_objective, 3),
        "splittable_lp_check": round(check, 3),
        "splittable_exact": bool(exact),
        "max_capacity_excess_seat_days": round(max(over, 0.0), 9),
        # The targets (seconds, gap, 2 GB, exact) are set for two sizes only; null at others.
        "targets_met": (
            bool(total <= targets[0] and alloc.gap_pct <= targets[1] and peak_mb < 2048 and exact)
            if targets
            else None
        ),
    }
    print(f"build      {t_build:8.2f} s  ({p.n_candidates} eligible of {len(bids)} bids)")
    print(f"solve      {t_solve:8.2f} s  ({alloc.solver}, {alloc.status})")
    target_s = f"target <= {targets[0]:g} s; " if targets else ""
    print(f"end to end {total:8.2f} s  ({target_s}{cpu_build + cpu_solve:.2f} s of CPU)")
    print(
        f"LP alone   {lp_seconds:8.2f} s  (independent HiGHS solve of the relaxation, "
        f"{lp_value:,.1f}); end to end / LP = {ratio:.2f}"
    )
    print(f"peak RSS   {peak_mb:8.1f} MB (target < 2048 MB)")
    print(
        f"objective  {alloc.objective:,.1f}  bound {alloc.bound:,.1f}  "
        f"LP bound {alloc.lp_bound:,.1f}  gap {alloc.gap_pct:.3f} %"
        + (f" (target <= {targets[1]:g} %)" if targets else "")
    )
    print(
        f"splittable {alloc.splittable_objective:,.3f}  independent LP {check:,.3f}  "
        f"exact: {exact}"
    )
    if args.chart is not None:
        draw_chart(summary, t_gen, args.chart)
        log(f"chart written to {args.chart}")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
