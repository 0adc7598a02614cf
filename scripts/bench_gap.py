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

from market.matching.gap import solve_gap  # noqa: E402
from market.matching.orlib import read_orlib  # noqa: E402

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds per instance")
    parser.add_argument("--files", nargs="+", default=ALL_FILES, help="file stems, e.g. gap1 gapd")
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args(argv)

    data_dir = args.data_dir or default_data_dir()
    reference = json.loads((data_dir / "reference.json").read_text())
    rows = []
    started = time.perf_counter()
    print(f"{'instance':<10} {'objective':>10} {'reference':>10} {'ref gap %':>9} {'proven %':>9} {'seconds':>8}  status")
    for stem in args.files:
        instances = read_orlib(data_dir / f"{stem}.txt")
        ref = reference[stem]
        if len(ref["values"]) != len(instances):
            raise SystemExit(f"{stem}: {len(instances)} instances but {len(ref['values'])} reference values")
        for inst, ref_value in zip(instances, ref["values"]):
            result = solve_gap(inst, time_limit=args.time_limit)
            gap = gap_to_reference(result.objective, ref_value, inst.sense)
            rows.append((inst.name, gap, result.seconds))
            print(
                f"{inst.name:<10} {result.objective:>10.0f} {ref_value:>10} {gap:>9.3f} "
                f"{result.gap_pct:>9.3f} {result.seconds:>8.2f}  {result.status}",
                flush=True,
            )
    gaps = [g for _, g, _ in rows]
    summary = {
        "instances": len(rows),
        "at_reference": sum(1 for g in gaps if g <= 1e-9),
        "mean_gap_pct": round(sum(gaps) / len(gaps), 4) if gaps else 0.0,
        "max_gap_pct": round(max(gaps), 4) if gaps else 0.0,
        "max_seconds": round(max(s for _, _, s in rows), 2) if rows else 0.0,
    }
    print(f"# total {time.perf_counter() - started:.1f} s", file=sys.stderr)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
