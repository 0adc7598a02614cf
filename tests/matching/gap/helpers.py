"""Shared by the GAP tests: where the OR-Library data is, and checks of a result."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import numpy as np
import pytest

from market.matching.gap.orlib import GapInstance
from market.matching.gap.solver import GapResult

ROOT = Path(__file__).resolve().parents[3]


def _data_dir() -> Path:
    candidate = ROOT.parent / "shared/benchmarks/orlib-gap"
    if candidate.is_dir():
        return candidate
    return Path(os.environ.get("MARKET_ORLIB_DIR", str(candidate)))


DATA = _data_dir()
needs_data = pytest.mark.skipif(
    not (DATA / "gap1.txt").is_file(), reason="OR-Library GAP data not available"
)


def assert_feasible(inst: GapInstance, result: GapResult) -> None:
    a = result.assignment
    assert a.shape == (inst.value.shape[1],)
    assert (a >= 0).all() and (a < inst.value.shape[0]).all()
    jobs = np.arange(len(a))
    load = np.bincount(a, weights=inst.weight[a, jobs], minlength=inst.value.shape[0])
    assert (load <= inst.capacity + 1e-9).all()
    assert result.objective == pytest.approx(float(inst.value[a, jobs].sum()))


def brute_force(inst: GapInstance) -> float | None:
    m, n = inst.value.shape
    best = None
    jobs = np.arange(n)
    for combo in itertools.product(range(m), repeat=n):
        a = np.array(combo)
        load = np.bincount(a, weights=inst.weight[a, jobs], minlength=m)
        if (load <= inst.capacity).all():
            v = float(inst.value[a, jobs].sum())
            if best is None or (v > best if inst.sense == "max" else v < best):
                best = v
    return best
