"""Builders shared by the matching tests: small allocation problems and small markets."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from market.matching.eligibility import Capability, Order, Vendor
from market.matching.problem import AllocationProblem

TOL = 1e-6


def problem(
    orders: list[tuple[float, bool, int, float]],
    cands: list[tuple[int, int, float, float, list[float]]],
    capacity: list[list[float]],
) -> AllocationProblem:
    """orders: (volume, splittable, max vendors, min lot); cands: (order, vendor, score,
    max volume, seat-days per unit in each week); capacity: vendors x weeks."""
    return AllocationProblem(
        order_volume=np.array([o[0] for o in orders], dtype=float),
        order_splittable=np.array([o[1] for o in orders], dtype=bool),
        order_max_vendors=np.array([o[2] for o in orders], dtype=np.int64),
        order_min_lot=np.array([o[3] for o in orders], dtype=float),
        cand_order=np.array([c[0] for c in cands], dtype=np.int64),
        cand_vendor=np.array([c[1] for c in cands], dtype=np.int64),
        cand_score=np.array([c[2] for c in cands], dtype=float),
        cand_max_volume=np.array([c[3] for c in cands], dtype=float),
        cand_load=sp.csr_matrix(
            np.array([c[4] for c in cands], dtype=float).reshape(len(cands), len(capacity[0]))
        ),
        capacity=np.array(capacity, dtype=float),
    )


def check_hard_constraints(p: AllocationProblem, volume: np.ndarray) -> None:
    assert volume.shape == (p.n_candidates,)
    assert (volume >= 0).all()
    assert (volume <= p.cand_max_volume * (1 + TOL) + TOL).all()
    given_ = np.bincount(p.cand_order, weights=volume, minlength=p.n_orders)
    assert (given_ <= p.order_volume * (1 + TOL) + TOL).all()
    used = np.zeros_like(p.capacity)
    coo = p.cand_load.tocoo()
    np.add.at(used, (p.cand_vendor[coo.row], coo.col), coo.data * volume[coo.row])
    assert (used <= p.capacity + TOL * np.maximum(1.0, p.capacity)).all()
    for o in range(p.n_orders):
        mine = np.flatnonzero((p.cand_order == o) & (volume > 0))
        if not p.order_splittable[o]:
            assert mine.size <= 1
            if mine.size:
                assert volume[mine[0]] == pytest.approx(p.order_volume[o])
        else:
            if p.order_max_vendors[o] > 0:
                assert mine.size <= p.order_max_vendors[o]
            assert (volume[mine] >= p.order_min_lot[o] * (1 - TOL) - TOL).all()


START, END = date(2026, 12, 1), date(2026, 12, 11)  # 9 working days in 2026-W49 and W50


def order(oid: str, volume: float = 900, **kw) -> Order:
    defaults = dict(
        modality="image",
        annotation_type="bbox",
        budget_ceiling=volume * 0.3,
        start=START,
        deadline=END,
    )
    return Order(id=oid, volume=volume, **{**defaults, **kw})


def vendor(vid: str, seats: int = 10, throughput: float = 100, **kw) -> Vendor:
    return Vendor(
        id=vid, seats=seats, capabilities={("image", "bbox"): Capability(throughput, 0.8)}, **kw
    )


# --- problem files ---------------------------------------------------------------------

SCORED = {
    "orders": [
        {
            "id": 1,
            "volume": 1000,
            "start": "2026-12-01",
            "deadline": "2026-12-11",
            "splittable": True,
        }
    ],
    "vendors": [{"id": "a", "seats": 2}, {"id": "b", "seats": 5}],
    "bids": [
        {"order": 1, "vendor": "a", "volume": 1000, "score": 80, "throughput_per_seat_day": 50},
        {"order": 1, "vendor": "b", "volume": 600, "score": 60, "throughput_per_seat_day": 40},
    ],
}


def write(tmp_path: Path, data, name: str = "problem.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path
