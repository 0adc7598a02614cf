"""One matching run: build the problem, solve it, and explain the outcome of every bid."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from market.matching.build import PreparedMatch, prepare_match
from market.matching.calendar import RunningContract
from market.matching.eligibility import Bid, Id, Order, Refusal, Vendor
from market.matching.explain import LossReason, explain_losses
from market.matching.problem import AllocationResult
from market.matching.scoring import DEFAULT_PARAMS, ScoreBreakdown, ScoreParams
from market.matching.solver.allocation import solve_allocation
from market.matching.solver.status import Status

__all__ = ["BidOutcome", "MatchResult", "match", "solve_match"]


@dataclass(frozen=True)
class BidOutcome:
    """Everything a coordinator needs about one bid after a run.

    ``eligible`` with its ``refusals`` (empty when eligible); ``score`` with its breakdown
    (None when ineligible); ``volume`` allocated (0 when ineligible or losing); ``reason``
    why an eligible bid got less than it offered (None when it got all it could: its offer,
    or the whole order).
    """

    bid_id: Id
    order_id: Id
    vendor_id: Id
    eligible: bool
    refusals: tuple[Refusal, ...]
    score: ScoreBreakdown | None
    volume: float
    reason: LossReason | None


@dataclass(frozen=True)
class MatchResult:
    """A whole matching run: one outcome per bid (in input order) and the run's figures.

    ``weights`` is the policy used for orders without their own; ``build_seconds`` and
    ``allocation.seconds`` split ``seconds``. The run's stored figures are
    ``objective``, ``bound``, ``gap_pct``, ``seconds``, ``status`` and ``solver``.
    """

    outcomes: tuple[BidOutcome, ...]
    objective: float
    bound: float
    gap_pct: float
    seconds: float
    status: Status
    solver: str
    weights: dict[str, float]
    build_seconds: float
    allocation: AllocationResult
    week_labels: tuple[str, ...]

    def allocated(self) -> list[BidOutcome]:
        """The proposed matches: outcomes with a positive volume."""
        return [o for o in self.outcomes if o.volume > 0]


def solve_match(prepared: PreparedMatch, time_limit: float = 10.0) -> MatchResult:
    """Solve a prepared match and explain the outcome of every bid."""
    result = solve_allocation(prepared.problem, time_limit=time_limit)
    reasons = explain_losses(prepared.problem, result.volume)
    outcomes = []
    volumes = result.volume.tolist()  # plain floats: indexing numpy per bid costs more
    candidates = prepared.candidate_of_bid.tolist()
    for b, bid in enumerate(prepared.bids):
        c = candidates[b]
        outcomes.append(
            BidOutcome(
                bid_id=bid.id,
                order_id=bid.order_id,
                vendor_id=bid.vendor_id,
                eligible=c >= 0,
                refusals=prepared.refusals[b],
                score=prepared.scores[b],
                volume=volumes[c] if c >= 0 else 0.0,
                reason=reasons.get(c) if c >= 0 else None,
            )
        )
    return MatchResult(
        outcomes=tuple(outcomes),
        objective=result.objective,
        bound=result.bound,
        gap_pct=result.gap_pct,
        seconds=prepared.seconds + result.seconds,
        status=result.status,
        solver=result.solver,
        weights=dict(prepared.weights),
        build_seconds=prepared.seconds,
        allocation=result,
        week_labels=prepared.calendar.labels,
    )


def match(
    orders: Sequence[Order],
    vendors: Sequence[Vendor],
    bids: Sequence[Bid],
    *,
    running: Iterable[RunningContract] = (),
    excluded_pairs: Collection[tuple[Id, Id]] = frozenset(),
    weights: Mapping[str, Any] | None = None,
    params: ScoreParams = DEFAULT_PARAMS,
    weekly_capacity: Mapping[Id, Mapping[str, float]] | None = None,
    time_limit: float = 10.0,
) -> MatchResult:
    """One matching run over all orders at once: eligibility, scores, allocation, reasons.

    See ``prepare_match`` for the arguments and ``solve_allocation`` for the method.
    """
    prepared = prepare_match(
        orders, vendors, bids,
        running=running, excluded_pairs=excluded_pairs, weights=weights, params=params,
        weekly_capacity=weekly_capacity,
    )
    return solve_match(prepared, time_limit=time_limit)
