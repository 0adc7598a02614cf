"""The array contract of the allocation solver: the problem it takes and the result it gives."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from market.matching.solver.status import Status

__all__ = ["AllocationProblem", "AllocationResult"]

@dataclass(frozen=True)
class AllocationProblem:
    """Orders, candidate (order, bid) pairs and vendors' free seat-days, as arrays.

    Orders (index o):
      ``order_volume[o]`` > 0; ``order_splittable[o]``; ``order_max_vendors[o]`` (0 means
      unlimited); ``order_min_lot[o]`` (0 means none).
    Candidates (index c), one per eligible bid:
      ``cand_order[c]``, ``cand_vendor[c]``; ``cand_score[c]`` (0-100, objective weight per
      unit of volume); ``cand_max_volume[c]`` (the volume the bid offers);
      ``cand_load`` a sparse (candidates x weeks) matrix: seat-days one unit of volume takes
      from the candidate's vendor in each week.
    Vendors (index v) x weeks (index w):
      ``capacity[v, w]`` free seat-days.
    ``week_labels`` (e.g. "2026-W49") only serve messages.
    """

    order_volume: np.ndarray
    order_splittable: np.ndarray
    order_max_vendors: np.ndarray
    order_min_lot: np.ndarray
    cand_order: np.ndarray
    cand_vendor: np.ndarray
    cand_score: np.ndarray
    cand_max_volume: np.ndarray
    cand_load: sp.csr_matrix
    capacity: np.ndarray
    week_labels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        def arr(name: str, dtype: type) -> np.ndarray:
            value = np.ascontiguousarray(np.asarray(getattr(self, name)), dtype=dtype)
            object.__setattr__(self, name, value)
            return value

        vol = arr("order_volume", np.float64)
        n_orders = vol.shape[0]
        for name, dtype in (
            ("order_splittable", np.bool_),
            ("order_max_vendors", np.int64),
            ("order_min_lot", np.float64),
        ):
            if arr(name, dtype).shape != (n_orders,):
                raise ValueError(f"{name} must have shape ({n_orders},)")
        cap = arr("capacity", np.float64)
        if cap.ndim != 2:
            raise ValueError("capacity must be a (vendors, weeks) matrix")
        n_vendors, n_weeks = cap.shape
        c_order = arr("cand_order", np.int64)
        n_cand = c_order.shape[0]
        for name, dtype in (
            ("cand_vendor", np.int64),
            ("cand_score", np.float64),
            ("cand_max_volume", np.float64),
        ):
            if arr(name, dtype).shape != (n_cand,):
                raise ValueError(f"{name} must have shape ({n_cand},)")
        load = sp.csr_matrix(self.cand_load, dtype=np.float64)
        load.sum_duplicates()
        object.__setattr__(self, "cand_load", load)
        if load.shape != (n_cand, n_weeks):
            raise ValueError(f"cand_load must have shape ({n_cand}, {n_weeks}), got {load.shape}")
        if self.week_labels and len(self.week_labels) != n_weeks:
            raise ValueError(f"week_labels must have {n_weeks} entries")
        def bad(values: np.ndarray, positive: bool = False) -> bool:
            too_small = values <= 0 if positive else values < 0
            return bool(not np.isfinite(values).all() or too_small.any())

        def out_of_range(index: np.ndarray, size: int) -> bool:
            return bool(index.size and (index.min() < 0 or index.max() >= size))

        checks = (
            (bad(vol, positive=True), "order volumes must be positive"),
            ((self.order_max_vendors < 0).any(), "max vendors must be >= 0"),
            (bad(self.order_min_lot), "min lots must be >= 0"),
            (out_of_range(c_order, n_orders), "cand_order out of range"),
            (out_of_range(self.cand_vendor, n_vendors), "cand_vendor out of range"),
            (not np.isfinite(self.cand_score).all(), "scores must be finite"),
            (bad(self.cand_max_volume), "candidate volumes must be >= 0"),
            (bad(load.data), "loads must be finite and >= 0"),
            (bad(cap), "capacities must be finite and >= 0"),
        )
        for failed, message in checks:
            if failed:
                raise ValueError(message)

    @property
    def n_orders(self) -> int:
        return int(self.order_volume.shape[0])

    @property
    def n_candidates(self) -> int:
        return int(self.cand_order.shape[0])

    @property
    def n_vendors(self) -> int:
        return int(self.capacity.shape[0])

    @property
    def n_weeks(self) -> int:
        return int(self.capacity.shape[1])


@dataclass(frozen=True)
class AllocationResult:
    """The allocation and how good it is.

    ``volume[c]``: volume given to candidate c. ``objective``: sum of score x volume.
    ``bound``: proven upper bound on the best possible objective (the LP relaxation of the
    whole problem, or the branch-and-cut bound when tighter); ``gap_pct`` = 100 x (bound -
    objective) / bound. ``status``: "optimal" (gap within 1e-4 %), "feasible" (stopped by
    the work limit with a larger gap) or "time_limit" (stopped by the wall-clock safety net).
    ``solver``: "highs-lp" (an LP was enough), "highs-relax-and-fix" (with its local search),
    "highs-relax-and-fix+whole-orders-gap" or "...+whole-orders-cp-sat" (the whole orders were
    decided again by the GAP solver or by CP-SAT), "highs-milp" (branch and cut on the whole
    problem won) or "lagrangian-greedy" (the LP relaxation did not finish within the time
    limit: a greedy allocation on Lagrangian prices, ``bound`` and ``lp_bound`` the
    Lagrangian bound, ``splittable_lp_optimum`` nan), with the scipy version.
    ``splittable_objective``: the part of the objective earned by splittable orders;
    ``splittable_lp_optimum``: the LP optimum of the splittable orders on the capacity the
    unsplittable ones leave (and with the vendor choices fixed where max vendors or min lot
    bite); the two are equal, which is what "the splittable part is solved to optimality"
    means.
    """

    volume: np.ndarray
    objective: float
    bound: float
    gap_pct: float
    seconds: float
    status: Status
    solver: str
    splittable_objective: float
    splittable_lp_optimum: float
    lp_bound: float
    stats: dict[str, float] = field(default_factory=dict)

