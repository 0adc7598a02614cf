"""The allocation problem in the solver's units (shares of each order), and its capacity rows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from market.matching.problem import AllocationProblem

__all__ = [
    "EPS",
    "INT_EPS",
    "Model",
    "Rows",
    "build_model",
    "constraint_rows",
    "residual",
    "to_volume",
]

EPS = 1e-9  # shares below this are zero
INT_EPS = 1e-6  # a binary share this close to 0 or 1 counts as integral


@dataclass
class Model:
    """The problem in the solver's units: every column is a share (0-1) of its order's volume.

    Shares keep all columns on the same scale whatever the orders' units, which helps the
    simplex numerically, and make an unsplittable candidate a plain 0/1 column.
    """

    obj: np.ndarray  # score x order volume per unit share (maximised)
    ub: np.ndarray  # share upper bound; 0 for a candidate that can never be used
    lot: np.ndarray  # minimum positive share of splittable candidates (0: none)
    unsplit: np.ndarray  # column belongs to an unsplittable order
    order: np.ndarray  # column -> order
    vendor: np.ndarray  # column -> vendor
    a_cap: sp.csc_matrix  # capacity rows x columns, seat-days per unit share
    b_cap: np.ndarray  # free seat-days of each capacity row (one per vendor-week in use)
    a_ord: sp.csc_matrix  # orders x columns: the shares of an order sum to at most 1
    max_vendors: np.ndarray  # per order, 0 unlimited
    active: np.ndarray  # per order: splittable and max vendors or min lot can bite
    usable: np.ndarray  # columns with ub > 0

    @property
    def n_orders(self) -> int:
        return int(self.max_vendors.size)

    def columns_of(self, orders: np.ndarray) -> np.ndarray:
        """Usable columns of the given orders."""
        mask = np.zeros(self.n_orders, dtype=bool)
        mask[orders] = True
        return self.usable[mask[self.order[self.usable]]]


def build_model(p: AllocationProblem) -> Model:
    vol_c = p.order_volume[p.cand_order]
    split_c = p.order_splittable[p.cand_order]
    offered = np.minimum(p.cand_max_volume, vol_c)
    # An unsplittable order goes whole to one bid offering all of it; a splittable candidate
    # that cannot reach the minimum lot (within its offer and the order's volume) can never
    # be used; a bid scoring nothing adds nothing.
    whole = p.cand_max_volume >= vol_c * (1 - 1e-12)
    ub = np.where(split_c, offered / vol_c, np.where(whole, 1.0, 0.0))
    lot = np.where(split_c, p.order_min_lot[p.cand_order] / vol_c, 0.0)
    ub[split_c & (lot > ub * (1 + 1e-12))] = 0.0
    ub[p.cand_score <= 0] = 0.0
    ub[ub < EPS] = 0.0

    load = p.cand_load.tocoo()
    n_weeks = p.n_weeks
    keep = (load.data > 0) & (ub[load.row] > 0)
    cand, week, vals = load.row[keep], load.col[keep], load.data[keep]
    used_rows, row_idx = np.unique(p.cand_vendor[cand] * n_weeks + week, return_inverse=True)
    n_cand = p.n_candidates
    a_cap = sp.csc_matrix((vals * vol_c[cand], (row_idx, cand)), shape=(used_rows.size, n_cand))
    row_vendor, row_week = np.divmod(used_rows, n_weeks)
    b_cap = p.capacity[row_vendor, row_week]
    # No column can take more than fits in each of its vendor-weeks on its own: an
    # unsplittable order that does not fit whole in some week of its vendor can never go there,
    # and a splittable share is capped at what the tightest week allows. Valid for every
    # feasible allocation (loads are non-negative), and it tightens the LP bound where the LP
    # would give part of an unsplittable order to a vendor that cannot take it whole.
    fits = np.full(n_cand, np.inf)
    np.minimum.at(fits, cand, np.maximum(b_cap[row_idx], 0.0) / (vals * vol_c[cand]))
    ub = np.minimum(ub, fits)
    ub[~split_c & (ub < 1.0 - 1e-9)] = 0.0
    ub[~split_c & (ub > 0)] = 1.0
    ub[split_c & (lot > ub * (1 + 1e-12))] = 0.0
    ub[ub < EPS] = 0.0
    a_ord = sp.csc_matrix(
        (np.ones(n_cand), (p.cand_order, np.arange(n_cand))), shape=(p.n_orders, n_cand)
    )
    usable = np.flatnonzero(ub > 0)
    n_usable = np.bincount(p.cand_order[usable], minlength=p.n_orders)
    kv = p.order_max_vendors
    active = p.order_splittable & (
        ((kv > 0) & (n_usable > kv)) | ((p.order_min_lot > 0) & (n_usable > 0))
    )
    return Model(
        obj=p.cand_score * vol_c,
        ub=ub,
        lot=lot,
        unsplit=~split_c,
        order=p.cand_order,
        vendor=p.cand_vendor,
        a_cap=a_cap,
        b_cap=b_cap,
        a_ord=a_ord,
        max_vendors=kv,
        active=active,
        usable=usable,
    )


def residual(m: Model, share: np.ndarray, fixed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Capacity and order shares left once the ``fixed`` columns take ``share``."""
    x = np.where(fixed, share, 0.0)
    cap = np.maximum(m.b_cap - m.a_cap @ x, 0.0)
    ord_ = np.maximum(1.0 - m.a_ord @ x, 0.0)
    return cap, ord_


@dataclass
class Rows:
    """Constraint rows of a sub-problem: a @ share <= b."""

    a: sp.csr_matrix
    b: np.ndarray
    cap_rows: np.ndarray  # the first cap_rows.size rows of ``a`` are these capacity rows


def constraint_rows(
    m: Model,
    cols: np.ndarray,
    ub: np.ndarray,
    b_cap: np.ndarray,
    b_ord: np.ndarray,
    vendor_rows: bool = False,
) -> Rows:
    """Capacity and order rows restricted to ``cols`` (with upper bounds ``ub``).

    A row that cannot bind, because even every column at its upper bound fits, is left
    out: an exact reduction that removes a good share of the vendor-weeks in practice.
    ``vendor_rows`` adds, for each order with a max vendors K its columns could break,
    sum(share / ub) <= K: the LP relaxation of "at most K vendors" (each used vendor's share
    is at most its ub), which tightens the bound at the cost of one row per such order.
    """
    a_cap = m.a_cap[:, cols].tocsr()
    cap_rows = np.flatnonzero((a_cap @ ub) > b_cap * (1 + 1e-12))
    a_ord = m.a_ord[:, cols].tocsr()
    per_order = np.diff(a_ord.indptr)
    ord_rows = np.flatnonzero((per_order > 1) & ((a_ord @ ub) > b_ord * (1 + 1e-12)))
    blocks = [a_cap[cap_rows], a_ord[ord_rows]]
    rhs = [b_cap[cap_rows], b_ord[ord_rows]]
    if vendor_rows:
        kv = m.max_vendors
        orders = np.flatnonzero(m.active & (kv > 0) & (per_order > kv))
        if orders.size:
            positive = np.where(ub > 0, ub, 1.0)
            sub = a_ord[orders] @ sp.diags(np.where(ub > 0, 1.0 / positive, 0.0))
            blocks.append(sub.tocsr())
            rhs.append(kv[orders].astype(np.float64))
    return Rows(sp.vstack(blocks, format="csr"), np.concatenate(rhs), cap_rows)


def to_volume(p: AllocationProblem, m: Model, share: np.ndarray) -> np.ndarray:
    """Shares back to volumes, with solver noise removed: tiny values to 0, bounds clipped."""
    share = np.clip(share, 0.0, m.ub)
    share[share < EPS] = 0.0
    share[m.unsplit] = np.where(share[m.unsplit] > 0.5, 1.0, 0.0)
    return share * p.order_volume[p.cand_order]

