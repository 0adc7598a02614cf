"""Why an eligible bid got less than it offered: one short reason per losing candidate."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from market.matching.problem import AllocationProblem

__all__ = ["LossReason", "explain_losses"]

_TOL = 1e-6


@dataclass(frozen=True)
class LossReason:
    """Why an eligible bid got less than it offered: a machine ``code`` and a ``message``.

    Codes: ``outscored`` (the order went to higher-scoring bids), ``vendor_capacity`` (the
    vendor's free seat-days ran out in the week named), ``max_vendors`` (the order already
    has its maximum of vendors), ``min_lot`` (what is left of the order is below its
    minimum lot), ``better_fit`` (lower-scoring bids were chosen because together they fit
    the vendors' capacity better). A partly allocated bid's message starts with "partly
    allocated: " and its ``params`` say ``partly: true``. ``params`` hold what the message is made
    of, so the product can say it again in the user's language.
    """

    code: str
    message: str
    params: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)


def explain_losses(p: AllocationProblem, volume: np.ndarray) -> dict[int, LossReason]:
    """A short reason for every candidate that got less than it could have.

    "Could have" is the bid's offer capped at the order's volume. Checked in this order:
    the order is covered (by higher-scoring bids, or by others); the order already has its
    maximum of vendors; the vendor's capacity is exhausted in some week; the order's
    remaining volume is below the minimum lot; otherwise it lost to a better overall fit.
    """
    reasons: dict[int, LossReason] = {}
    if p.n_candidates == 0:
        return reasons
    vol_c = p.order_volume[p.cand_order]
    want = np.minimum(p.cand_max_volume, vol_c)
    short = np.flatnonzero(volume < want * (1 - _TOL) - _TOL)
    if short.size == 0:
        return reasons
    given = np.bincount(p.cand_order, weights=volume, minlength=p.n_orders)
    used = np.bincount(p.cand_order, weights=(volume > 0).astype(np.float64), minlength=p.n_orders)
    load = p.cand_load
    used_cap = np.zeros_like(p.capacity)
    coo = load.tocoo()
    np.add.at(used_cap, (p.cand_vendor[coo.row], coo.col), coo.data * volume[coo.row])
    residual = p.capacity - used_cap
    # The winners of each order, to tell "outscored" from "displaced".
    winners: dict[int, list[int]] = {}
    for w in np.flatnonzero(volume > 0).tolist():
        winners.setdefault(int(p.cand_order[w]), []).append(w)
    labels = p.week_labels or tuple(f"week {w}" for w in range(p.n_weeks))

    def capacity_reason(c: int, o: int) -> LossReason | None:
        """The most exhausted week this candidate would need for its next unit of work."""
        lo, hi = load.indptr[c], load.indptr[c + 1]
        weeks, per_unit = load.indices[lo:hi], load.data[lo:hi]
        if not weeks.size:
            return None
        res = np.maximum(residual[p.cand_vendor[c], weeks], 0.0)
        more = p.order_volume[o] if not p.order_splittable[o] else want[c] - volume[c]
        need = per_unit * max(more, 0.0)
        lacking = res < need * (1 - _TOL) - _TOL
        if not lacking.any():
            return None
        ratio = np.where(lacking, res / np.maximum(need, 1e-300), np.inf)
        # The most lacking week; the earliest one among equals (ties are common).
        k = int(np.flatnonzero(ratio <= ratio.min() * (1 + 1e-9) + 1e-12)[0])
        week = labels[int(weeks[k])]
        params: dict[str, Any] = {"week": week}
        if res[k] <= _TOL * max(1.0, float(p.capacity[p.cand_vendor[c], weeks[k]])):
            text = f"vendor capacity exhausted in week {week}"
        else:
            text = (
                f"not enough vendor capacity in week {week} "
                f"({res[k]:.3g} of {need[k]:.3g} seat-days free)"
            )
            params |= {"free_seat_days": float(f"{res[k]:.3g}"),
                       "needed_seat_days": float(f"{need[k]:.3g}")}
        return LossReason("vendor_capacity", text, params)

    # Capacity is looked at only when the order's cover and its vendor count do not explain the
    # loss: most losers were simply outscored, and the week-by-week check is the costly part.
    for c in short.tolist():
        o = int(p.cand_order[c])
        partly = volume[c] > 0
        remaining = p.order_volume[o] - given[o]
        if remaining <= p.order_volume[o] * _TOL:
            others = [w for w in winners.get(o, []) if w != c]
            if all(p.cand_score[w] >= p.cand_score[c] for w in others):
                if partly:
                    message = "the rest of the order went to higher-scoring bids"
                elif not p.order_splittable[o]:
                    message = "outscored: order awarded whole to a higher-scoring bid"
                else:
                    message = "outscored: order covered by higher-scoring bids"
                reason = LossReason("outscored", message)
            elif (by_capacity := capacity_reason(c, o)) is not None:
                reason = by_capacity
            else:
                reason = LossReason(
                    "better_fit",
                    "order covered by lower-scoring bids that fit the vendors' capacity "
                    "better overall",
                )
        elif (
            p.order_splittable[o]
            and p.order_max_vendors[o] > 0
            and not partly
            and used[o] >= p.order_max_vendors[o]
        ):
            k = int(p.order_max_vendors[o])
            reason = LossReason(
                "max_vendors", f"order already has its maximum of {k} vendor{'s' if k > 1 else ''}",
                {"max_vendors": k},
            )
        elif (by_capacity := capacity_reason(c, o)) is not None:
            reason = by_capacity
        elif p.order_splittable[o] and not partly and remaining < p.order_min_lot[o] * (1 - _TOL):
            reason = LossReason(
                "min_lot",
                f"remaining volume {remaining:g} is below the minimum lot {p.order_min_lot[o]:g}",
                {"remaining": float(remaining), "min_lot": float(p.order_min_lot[o])},
            )
        else:
            reason = LossReason(
                "better_fit",
                "not selected: other bids give a higher total score within the vendors' capacity",
            )
        if partly:
            reason = LossReason(reason.code, "partly allocated: " + reason.message,
                                {**reason.params, "partly": True})
        reasons[c] = reason
    return reasons
