"""The benchmark scripts run, print their figures and end with one JSON summary line.

Timings are the scripts' business (they print them); these tests only check that the scripts
work and that their answers are right on small inputs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ORLIB = ROOT.parent / "shared/benchmarks/orlib-gap"


def run_script(*args: str) -> tuple[list[str], dict]:
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=600, check=True
    )
    lines = done.stdout.strip().splitlines()
    return lines, json.loads(lines[-1])


@pytest.mark.skipif(not (ORLIB / "gap1.txt").is_file(), reason="OR-Library GAP data not available")
def test_bench_gap_reports_every_instance_and_draws_the_chart(tmp_path: Path) -> None:
    chart = tmp_path / "gap.png"
    lines, summary = run_script(
        "scripts/bench_gap.py",
        "--files",
        "gap1",
        "gapa",
        "--time-limit",
        "3",
        "--chart",
        str(chart),
    )
    assert summary["instances"] == 11 and summary["at_reference"] == 11
    assert summary["max_gap_pct"] == 0.0
    assert any(line.startswith("a20-200") for line in lines)
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bench_scale_small_province_is_exact_on_the_splittable_part(tmp_path: Path) -> None:
    chart = tmp_path / "scale.png"
    _, summary = run_script(
        "scripts/bench_scale.py",
        "--orders",
        "300",
        "--vendors",
        "40",
        "--weeks",
        "6",
        "--chart",
        str(chart),
    )
    assert summary["orders"] == 300 and summary["splittable_exact"] is True
    assert summary["max_capacity_excess_seat_days"] <= 1e-6
    assert 0 < summary["allocated_bids"] <= summary["eligible_bids"]
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.skipif(shutil.which("wrk") is None and os.geteuid() != 0, reason="wrk missing and not root to install it")
def test_bench_api_measures_a_tiny_province_against_the_reference_and_draws_the_chart(tmp_path: Path) -> None:
    chart = tmp_path / "api.png"
    lines, summary = run_script(
        "scripts/bench_api.py", "--database", "sqlite", "--orders", "450", "--vendors", "40",
        "--duration", "1", "--rounds", "1", "--connections", "4",
        "--only", "directory_first", "search_2char", "directory_order", "csv_filtered", "vendor_bid",
        "coordinator_allocations", "html_directory", "--chart", str(chart),
    )
    endpoints = summary["endpoints"]
    assert set(endpoints) == {"directory_first", "search_2char", "directory_order", "csv_filtered", "vendor_bid",
                              "coordinator_allocations", "html_directory"}
    for name, result in endpoints.items():
        assert result["requests"] > 0 and result["reference_rps"] > 0, name
        assert result["non_2xx"] == 0, (name, result["first_error"])
        assert (result["first_ms"] is None) == (result["method"] == "POST"), name
    assert summary["orders"] == 450 and summary["database"] == "sqlite"
    assert any(line.startswith("directory_first") for line in lines)
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
