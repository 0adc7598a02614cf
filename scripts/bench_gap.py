"""Benchmark the GAP solver on the OR-Library instances against the reference values.

    python scripts/bench_gap.py                      # market.matching.gap.solver.solve_gap
    python scripts/bench_gap.py --product-path       # the product's allocation path

``--product-path`` poses every instance to the product instead, through the same path as
``market match solve problem.json`` (a JSON problem file: reading, checking, calendar,
allocation), one JSON problem per instance, encoded like this:

* one ISO week, 2026-W49; every order runs Monday 2026-11-30 to Friday 2026-12-04;
* a vendor per agent i, ``capacity`` {"2026-W49": b_i} seat-days (one seat, for the format);
* a not-splittable order of volume 1 per job j;
* a bid per feasible pair (w_ij <= b_i) with ``throughput_per_seat_day`` 1 / w_ij, so the
  order takes w_ij seat-days of its vendor's week, and a ``score`` that rises with the profit
  (maximising instances, gap1-gap12) or falls with the cost (minimising, gapa-gapd):
  with u_ij = profit or -cost, lo/hi the smallest/largest u and n the number of jobs,
  score_ij = (K + u_ij - lo) / D, where K = n (hi - lo) + 1 makes every order worth more than
  all differences between bids together (so leaving an order out never pays, and the product's
  optimum is the GAP's), and D, a power of ten, keeps scores within the product's 0-100.

The product's objective and bound are mapped back to the instance's terms
(sum u = D x objective - n K + n lo; a cost is -sum u), and the proven gap is computed as
``solve_gap`` reports it (100 |bound - objective| / max(1, |objective|)). Seconds are the whole
call: reading the file, preparing and solving. An instance where the product leaves a job out
has no objective in the instance's terms and counts as an infinite gap.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a plain script from anywhere

from market.matching.gap.orlib import GapInstance, read_orlib  # noqa: E402
from market.matching.gap.solver import solve_gap, warm_up  # noqa: E402

ALL_FILES = [f"gap{i}" for i in range(1, 13)] + ["gapa", "gapb", "gapc", "gapd"]


def default_data_dir() -> Path:
    candidate = Path(__file__).resolve().parents[2] / "shared/benchmarks/orlib-gap"
    if candidate.is_dir():
        return candidate
    env = os.environ.get("MARKET_ORLIB_DIR")
    return Path(env) if env else candidate


def gap_to_reference(objective: float, reference: float, sense: str) -> float:
    """Percent gap of objective to reference, positive when worse."""
    if math.isnan(objective):
        return math.inf
    worse = reference - objective if sense == "max" else objective - reference
    return 100.0 * worse / max(1.0, abs(reference))


WEEK = "2026-W49"


@dataclass(frozen=True)
class Encoding:
    """How one instance was posed to the product: the problem and the numbers to map back."""

    problem: dict
    n: int
    k: float
    lo: float
    d: float
    sense: str


def encode(inst: GapInstance) -> Encoding:
    """The JSON problem of one instance (see the module docstring)."""
    value = np.asarray(inst.value, dtype=np.float64)
    weight = np.asarray(inst.weight, dtype=np.float64)
    capacity = np.asarray(inst.capacity, dtype=np.float64).reshape(-1)
    u = value if inst.sense == "max" else -value
    m, n = u.shape
    lo, hi = float(u.min()), float(u.max())
    k = n * (hi - lo) + 1.0
    d = 1.0
    while (k + hi - lo) / d > 100:
        d *= 10.0
    vendors = [
        {"id": f"agent{i}", "seats": 1, "capacity": {WEEK: float(capacity[i])}} for i in range(m)
    ]
    orders = [
        {"id": f"job{j}", "volume": 1, "start": "2026-11-30", "deadline": "2026-12-04"}
        for j in range(n)
    ]
    bids = [
        {
            "order": f"job{j}",
            "vendor": f"agent{i}",
            "volume": 1,
            "score": (k + float(u[i, j]) - lo) / d,
            "throughput_per_seat_day": 1.0 / float(weight[i, j]),
        }
        for i in range(m)
        for j in range(n)
        if weight[i, j] <= capacity[i] and weight[i, j] > 0
    ]
    # A weightless pair takes no seat-days: give it a throughput so large its load vanishes.
    bids += [
        {"order": f"job{j}", "vendor": f"agent{i}", "volume": 1,
         "score": (k + float(u[i, j]) - lo) / d, "throughput_per_seat_day": 1e12}
        for i in range(m) for j in range(n) if weight[i, j] == 0
    ]
    problem = {"name": inst.name, "orders": orders, "vendors": vendors, "bids": bids}
    return Encoding(problem, n, k, lo, d, inst.sense)


def decode(enc: Encoding, objective: float, bound: float) -> tuple[float, float]:
    """The product's objective and bound in the instance's terms (nan: a job left out)."""

    def back(x: float) -> float:
        total_u = enc.d * x - enc.n * enc.k + enc.n * enc.lo
        return total_u if enc.sense == "max" else -total_u

    obj, bnd = back(objective), back(bound)
    # Every job assigned means objective >= n K / D; a job left out loses at least K.
    if enc.d * objective < enc.n * enc.k - 0.5:
        obj = math.nan
    return round(obj, 6), round(bnd, 6)


def solve_product(inst: GapInstance, time_limit: float, tmp: Path):
    """Pose one instance to the product path; returns (objective, bound, gap %, seconds, status)."""
    from market.matching.problem_file import solve_file

    enc = encode(inst)
    path = tmp / f"{inst.name}.json"
    path.write_text(json.dumps(enc.problem))
    started = time.perf_counter()
    (result,) = list(solve_file(path, time_limit=time_limit))
    seconds = time.perf_counter() - started
    objective, bound = decode(enc, result["objective"], result["bound"])
    if math.isnan(objective):
        gap = math.inf
    else:
        gap = 100.0 * abs(bound - objective) / max(1.0, abs(objective))
        if gap < 1e-6:
            gap = 0.0
    return objective, bound, gap, seconds, result["status"]


def draw_chart(rows: list[tuple[str, float, float, float]], path: Path, time_limit: float) -> None:
    """Per instance: gap to the reference and proven gap (top), seconds (bottom), the targets."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    names = [row[0] for row in rows]
    x = range(len(rows))
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(max(10, len(rows) * 0.16), 7), sharex=True)
    top.bar(x, [row[3] for row in rows], color="#c9d6e8", label="proven gap (objective vs bound)")
    top.bar(x, [row[1] for row in rows], color="#2b6cb0", label="gap to the reference value")
    top.axhline(0.5, color="#c53030", linestyle="--", linewidth=1, label="gapd target 0.5 %")
    top.set_ylabel("gap, %")
    top.legend(loc="upper left", fontsize=8)
    top.set_title("OR-Library GAP: every instance against its reference value")
    bottom.bar(x, [row[2] for row in rows], color="#4a5568")
    bottom.axhline(
        time_limit, color="#c53030", linestyle="--", linewidth=1, label=f"limit {time_limit:g} s"
    )
    bottom.set_ylabel("seconds")
    bottom.legend(loc="upper left", fontsize=8)
    bottom.set_xticks(list(x))
    bottom.set_xticklabels(names, rotation=90, fontsize=6)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds per instance")
    parser.add_argument("--files", nargs="+", default=ALL_FILES, help="file stems, e.g. gap1 gapd")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument(
        "--chart", type=Path, default=None, help="also draw the results into this PNG"
    )
    parser.add_argument(
        "--product-path", action="store_true",
        help="pose every instance to the product's allocation path (JSON problem files)",
    )
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench-gap-"))

    data_dir = args.data_dir or default_data_dir()
    reference = json.loads((data_dir / "reference.json").read_text())
    # Compile (first run on a machine) or load the numba kernels before any instance is timed.
    warm_up()
    rows = []
    started = time.perf_counter()
    print(
        f"{'instance':<10} {'objective':>10} {'reference':>10} {'ref gap %':>9} {'proven %':>9} "
        f"{'seconds':>8}  status"
    )
    for stem in args.files:
        instances = read_orlib(data_dir / f"{stem}.txt")
        ref = reference[stem]
        if len(ref["values"]) != len(instances):
            raise SystemExit(
                f"{stem}: {len(instances)} instances but {len(ref['values'])} reference values"
            )
        for inst, ref_value in zip(instances, ref["values"], strict=True):
            if args.product_path:
                objective, _, proven, seconds, status = solve_product(inst, args.time_limit, tmp)
            else:
                result = solve_gap(inst, time_limit=args.time_limit)
                objective, proven = result.objective, result.gap_pct
                seconds, status = result.seconds, result.status
            gap = gap_to_reference(objective, ref_value, inst.sense)
            rows.append((inst.name, gap, seconds, proven))
            print(
                f"{inst.name:<10} {objective:>10.0f} {ref_value:>10} {gap:>9.3f} "
                f"{proven:>9.3f} {seconds:>8.2f}  {status}",
                flush=True,
            )
    gaps = [row[1] for row in rows]
    summary = {
        "path": "product" if args.product_path else "gap",
        "instances": len(rows),
        "at_reference": sum(1 for g in gaps if g <= 1e-9),
        "mean_gap_pct": round(sum(gaps) / len(gaps), 4) if gaps else 0.0,
        "max_gap_pct": round(max(gaps), 4) if gaps else 0.0,
        "max_seconds": round(max(row[2] for row in rows), 2) if rows else 0.0,
    }
    if args.chart is not None:
        draw_chart(rows, args.chart, args.time_limit)
        print(f"# chart written to {args.chart}", file=sys.stderr)
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"# total {time.perf_counter() - started:.1f} s", file=sys.stderr)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
