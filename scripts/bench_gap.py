"""Benchmark the GAP solver on the OR-Library instances against the reference values."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a plain script from anywhere

from market.matching.gap.orlib import read_orlib  # noqa: E402
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
    args = parser.parse_args(argv)

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
            result = solve_gap(inst, time_limit=args.time_limit)
            gap = gap_to_reference(result.objective, ref_value, inst.sense)
            rows.append((inst.name, gap, result.seconds, result.gap_pct))
            print(
                f"{inst.name:<10} {result.objective:>10.0f} {ref_value:>10} {gap:>9.3f} "
                f"{result.gap_pct:>9.3f} {result.seconds:>8.2f}  {result.status}",
                flush=True,
            )
    gaps = [row[1] for row in rows]
    summary = {
        "instances": len(rows),
        "at_reference": sum(1 for g in gaps if g <= 1e-9),
        "mean_gap_pct": round(sum(gaps) / len(gaps), 4) if gaps else 0.0,
        "max_gap_pct": round(max(gaps), 4) if gaps else 0.0,
        "max_seconds": round(max(row[2] for row in rows), 2) if rows else 0.0,
    }
    if args.chart is not None:
        draw_chart(rows, args.chart, args.time_limit)
        print(f"# chart written to {args.chart}", file=sys.stderr)
    print(f"# total {time.perf_counter() - started:.1f} s", file=sys.stderr)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
