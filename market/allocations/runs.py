"""Matching runs: load the engine's inputs from the database, match, store the proposals with why.

The API queues a run (queue_run); the scheduler claims the oldest queued one (claim_next_run),
executes it in a transaction that keeps its row locked (execute_claimed) and records a failure
(fail_claimed); the command line runs one at once (run_matching).

The engine (market.matching) is pure; a run turns rows into its inputs (market.allocations.inputs),
calls it once, and stores every bid's evaluation and the proposed allocations.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from market.accounts.models import User
from market.allocations import inputs
from market.allocations.models import Allocation, BidEvaluation, MatchRun, MatchRunProgress
from market.allocations.policy import current_policy
from market.allocations.proposals import (
    NOTHING_APPROVED,
    Approved,
    approved_by_order,
    supersede_for_run,
)
from market.audit import services as audit
from market.bids.models import Bid
from market.bids.services import reject_open_bids
from market.db import utcnow
from market.errors import InvalidInput
from market.matching import eligibility, match
from market.matching.calendar import RunningContract
from market.notifications import services as notifications
from market.orders.lifecycle import ORDER_LIFECYCLE
from market.orders.models import Order
from market.orders.services import close_bidding
from market.permissions import not_found, require_role
from market.quality.service import quality_for_pairs
from market.settings import settings_of

Progress = Callable[[str, int, int], None]
# The trigger of a run queued when bidding closed: it skips orders decided since, instead of failing.
BIDDING_CLOSED = "bidding-closed"


def _no_progress(step: str, done: int, total: int) -> None:
    return None


@dataclass
class _Inputs:
    """What one run works on, read from the database."""

    orders: dict[int, Order]  # the orders with volume left to match, by id
    approved: dict[int, Approved]
    bids: list[Bid]  # live bids on those orders
    engine_orders: list[eligibility.Order]
    engine_vendors: list[eligibility.Vendor]
    engine_bids: list[eligibility.Bid]
    quality: dict[int, dict]  # the quality model's explanation per bid id
    running: list[RunningContract]
    excluded: set[tuple[int, int]]
    policy: dict[str, float]


def run_matching(
    session: Session,
    *,
    actor: User | None,
    order_ids: list[int] | None = None,
    time_limit: float | None = None,
    trigger: str = "api",
    progress: Progress = _no_progress,
    now: dt.datetime | None = None,
) -> MatchRun:
    """Run the engine at once over every order whose bidding has closed (or the ones of
    `order_ids`, each of which must be under evaluation) and store its proposals.

    Newer proposals supersede the open ones of the same orders, and only those; pairs a coordinator rejected
    stay out; orders with no eligible bid at all become unsuccessful. Coordinators run it; `actor`
    None is the system (the command line). The caller commits (or, for a dry run, rolls back).
    The API queues runs instead (queue_run), which the scheduler executes (execute_claimed).
    """
    if actor is not None:
        require_role(actor, "coordinator")
    now = now or utcnow()
    run = MatchRun(started_by_id=actor.id if actor else None, trigger=trigger, status="running",
                   requested_order_ids=order_ids, time_limit=time_limit, started_at=now)
    return _match(session, run, actor=actor, progress=progress, now=now, strict=True)


def _match(session: Session, run: MatchRun, *, actor: User | None, progress: Progress,
           now: dt.datetime, strict: bool) -> MatchRun:
    settings = settings_of(session)
    loaded = _load(session, actor=actor, now=now, progress=progress,
                   order_ids=run.requested_order_ids, strict=strict)
    progress("solve", 0, 1)
    result = match.match(
        loaded.engine_orders, loaded.engine_vendors, loaded.engine_bids, running=loaded.running,
        excluded_pairs=loaded.excluded, weights=loaded.policy,
        time_limit=settings.match_time_limit if run.time_limit is None else run.time_limit,
    )
    progress("solve", 1, 1)
    return _store(session, run, loaded, result, actor=actor, progress=progress, now=now)


def _not_under_evaluation(order_ids: list[int], orders: list[Order]) -> InvalidInput | None:
    missing = sorted(set(order_ids) - {o.id for o in orders})
    if not missing:
        return None
    return InvalidInput(
        "Only orders under evaluation (bidding closed, not yet decided) can be matched.",
        errors={"order_ids": [f"order {i} is not under evaluation" for i in missing]},
    )


def queue_run(
    session: Session,
    *,
    actor: User | None,
    order_ids: list[int] | None = None,
    time_limit: float | None = None,
    trigger: str = "api",
    now: dt.datetime | None = None,
) -> MatchRun:
    """Queue a run for the scheduler (coordinators; `actor` None: the system, e.g. when bidding
    closed). Named orders must be under evaluation now; the run checks them again when it runs.
    The caller commits."""
    if actor is not None:
        require_role(actor, "coordinator")
    now = now or utcnow()
    if order_ids is not None:
        refused = _not_under_evaluation(
            order_ids, inputs.orders_under_evaluation(session, now=now, order_ids=order_ids))
        if refused and trigger != BIDDING_CLOSED:
            raise refused
    run = MatchRun(started_by_id=actor.id if actor else None, trigger=trigger, status="queued",
                   requested_order_ids=order_ids, time_limit=time_limit, queued_at=now,
                   started_at=None)
    session.add(run)
    session.flush()  # the audit event names the run
    audit.record(session, "match_run.queued", actor=actor, object_type="match_run",
                 object_id=run.id, data={"order_ids": order_ids, "trigger": trigger},
                 occurred_at=now)
    return run


def claim_next_run(session: Session, *, now: dt.datetime | None = None) -> MatchRun | None:
    """Take the oldest queued run: it becomes running under a claim token of its own. Rows another
    scheduler holds are skipped (PostgreSQL). The caller commits, so that it shows as running."""
    run = session.scalar(
        select(MatchRun).where(MatchRun.status == "queued").order_by(MatchRun.id).limit(1)
        .with_for_update(skip_locked=True)
    )
    if run is None:
        return None
    run.status = "running"
    run.started_at = now or utcnow()
    run.claim_token = secrets.token_hex(16)
    return run


def execute_claimed(session: Session, run_id: int, token: str, *, progress: Progress = _no_progress,
                    now: dt.datetime | None = None) -> MatchRun | None:
    """Execute the run claimed with `token` and store its proposals; None when the claim is no
    longer this one's (the run was given up as orphaned and taken by another scheduler).

    The run's row stays locked until the caller commits, so a run is completed once: a second
    executor of the same claim waits, then finds it completed. A run over orders queued when
    bidding closed skips those decided since; a run a coordinator named fails on them.
    """
    now = now or utcnow()
    run = session.scalar(
        select(MatchRun).where(MatchRun.id == run_id, MatchRun.claim_token == token,
                               MatchRun.status == "running").with_for_update()
    )
    if run is None:
        return None
    actor = session.get(User, run.started_by_id) if run.started_by_id else None
    return _match(session, run, actor=actor, progress=progress, now=now,
                  strict=run.trigger != BIDDING_CLOSED)


def fail_claimed(session: Session, run_id: int, token: str, error: str, *,
                 now: dt.datetime | None = None) -> MatchRun | None:
    """Record why the run claimed with `token` failed (nothing of it was stored); the caller commits."""
    run = session.scalar(
        select(MatchRun).where(MatchRun.id == run_id, MatchRun.claim_token == token,
                               MatchRun.status == "running").with_for_update()
    )
    if run is None:
        return None
    run.status = "failed"
    run.error = error[:4000]
    run.finished_at = now or utcnow()
    audit.record(session, "match_run.failed", actor=None, object_type="match_run", object_id=run.id,
                 data={"error": run.error}, occurred_at=run.finished_at)
    return run


def requeue_orphans(session: Session, *, now: dt.datetime | None = None,
                    claimed_before: dt.datetime) -> list[int]:
    """Queue again the runs left running by a scheduler that died (claimed before
    `claimed_before`, and no transaction holds them: a live executor keeps its run locked)."""
    rows = session.scalars(
        select(MatchRun).where(MatchRun.status == "running", MatchRun.claim_token.is_not(None),
                               MatchRun.started_at < claimed_before)
        .order_by(MatchRun.id).with_for_update(skip_locked=True)
    ).all()
    for run in rows:
        run.status, run.claim_token, run.started_at = "queued", None, None
        audit.record(session, "match_run.requeued", actor=None, object_type="match_run",
                     object_id=run.id, data={"why": "its scheduler stopped during the run"},
                     occurred_at=now or utcnow())
    return [run.id for run in rows]


def record_progress_row(session: Session, run_id: int, step: str, done: int, total: int, *,
                        now: dt.datetime | None = None) -> None:
    """Write how far run `run_id` has got (the caller's own short transaction commits it)."""
    row = session.get(MatchRunProgress, run_id)
    if row is None:
        row = MatchRunProgress(run_id=run_id, phase=step)
        session.add(row)
    row.phase, row.done, row.total, row.updated_at = step, done, total, now or utcnow()


def live_bids(order_ids: list[int]) -> Select:
    """The bids a run takes on `order_ids`: submitted, and confirmed after any material amendment."""
    return (select(Bid).where(Bid.order_id.in_(order_ids), Bid.status == "submitted",
                              Bid.confirmation_requested_at.is_(None)).order_by(Bid.id))


def _load(session: Session, *, actor, now: dt.datetime, progress: Progress,
          order_ids: list[int] | None, strict: bool) -> _Inputs:
    settings = settings_of(session)
    today = settings.local_date(now)
    progress("load", 0, 1)
    orders = inputs.orders_under_evaluation(session, now=now, lock=True, order_ids=order_ids)
    if order_ids is not None and strict:
        refused = _not_under_evaluation(order_ids, orders)
        if refused:
            raise refused
    for order in orders:
        if order.status == "published":  # past its closing; the scheduler may not have run yet
            # Closed as the job would close it, so unconfirmed bids lapse before they are loaded.
            close_bidding(session, order, actor=actor, data={"by": "match_run"}, now=now)
    order_ids = [o.id for o in orders]
    approved = approved_by_order(session, order_ids)
    bids = list(session.scalars(live_bids(order_ids))) if order_ids else []
    progress("load", 1, 1)

    vendor_ids = {b.vendor_id for b in bids}
    vendors = inputs.vendors_with_capabilities(session, vendor_ids)
    shares = inputs.award_shares(session, now=now)
    excluded = {
        (order_id, vendor_id) for order_id, vendor_id in session.execute(
            select(Allocation.order_id, Allocation.vendor_id)
            .where(Allocation.order_id.in_(order_ids), Allocation.status == "rejected")
        )
    } if order_ids else set()

    engine_orders, open_orders = [], {}
    for order in orders:
        remaining, vendors_left = inputs.open_part(order, approved.get(order.id, NOTHING_APPROVED))
        if remaining <= 0 or (vendors_left is not None and vendors_left <= 0):
            continue
        open_orders[order.id] = order
        engine_orders.append(
            inputs.engine_order(
                order,
                remaining=remaining,
                vendors_left=vendors_left,
                today=today,
                settings=settings,
            )
        )
    open_bids = [b for b in bids if b.order_id in open_orders]

    progress("quality", 0, len(open_bids))
    qualities = quality_for_pairs(session, [(open_orders[b.order_id], b) for b in open_bids],
                                  settings.instance_path, now=now)
    progress("quality", len(open_bids), len(open_bids))
    remaining_of = {o.id: o.volume for o in engine_orders}
    return _Inputs(
        orders=open_orders,
        approved=approved,
        bids=open_bids,
        engine_orders=engine_orders,
        engine_vendors=[
            inputs.engine_vendor(v, award_share=shares.get(v.id, 0.0), settings=settings)
            for v in vendors
        ],
        engine_bids=[
            inputs.engine_bid(b, remaining=remaining_of[b.order_id], quality=q)
            for b, (q, _explanation) in zip(open_bids, qualities, strict=True)
        ],
        quality={b.id: explanation for b, (_q, explanation) in zip(open_bids, qualities, strict=True)},
        running=inputs.running_contracts(session, vendor_ids, today=today, settings=settings),
        excluded=excluded,
        policy=current_policy(session),
    )


def _store(session: Session, run: MatchRun, loaded: _Inputs, result, *, actor, progress: Progress,
           now: dt.datetime) -> MatchRun:
    open_orders = loaded.orders
    run.status = "completed"
    run.policy = loaded.policy
    run.solver = result.solver
    run.objective, run.bound, run.gap_pct = result.objective, result.bound, result.gap_pct
    run.seconds = result.seconds
    run.order_ids = sorted(open_orders)
    # The run's own clock (tests drive it) plus what the run took.
    run.finished_at = (run.started_at or now) + dt.timedelta(seconds=result.seconds or 0)
    session.add(run)
    session.flush()  # allocations and evaluations refer to the run's id
    superseded = supersede_for_run(session, list(open_orders), run_id=run.id, actor=actor, now=now)

    progress("store", 0, len(result.outcomes))
    bid_by_id = {b.id: b for b in loaded.bids}
    eligible_orders: set[int] = set()
    proposals = 0
    for n, outcome in enumerate(result.outcomes, 1):
        bid = bid_by_id[outcome.bid_id]
        breakdown = outcome.score.as_dict() if outcome.score else {}
        if breakdown:
            breakdown["quality_model"] = loaded.quality[bid.id]
            eligible_orders.add(bid.order_id)
        volume = _whole_units(outcome.volume)
        session.add(
            BidEvaluation(
                run_id=run.id,
                order_id=bid.order_id,
                bid_id=bid.id,
                vendor_id=bid.vendor_id,
                eligible=outcome.eligible,
                refusals=[{"code": r.code, "message": r.message, "params": dict(r.params)}
                          for r in outcome.refusals],
                score=outcome.score.total if outcome.score else None,
                breakdown=breakdown,
                allocated_volume=volume,
                outcome=_outcome_text(outcome, volume),
                loss_reason=({"code": outcome.reason.code, "params": dict(outcome.reason.params)}
                             if outcome.reason else None),
            )
        )
        if volume > 0:
            proposals += 1
            session.add(
                Allocation(
                    run_id=run.id,
                    order_id=bid.order_id,
                    bid_id=bid.id,
                    vendor_id=bid.vendor_id,
                    volume=volume,
                    unit_price=bid.unit_price,
                    score=outcome.score.total,
                    breakdown=breakdown,
                )
            )
        if n % 500 == 0:
            progress("store", n, len(result.outcomes))
    progress("store", len(result.outcomes), len(result.outcomes))

    unsuccessful = []
    for order_id, order in open_orders.items():
        if (
            order_id not in eligible_orders
            and loaded.approved.get(order_id, NOTHING_APPROVED).volume == 0
        ):
            ORDER_LIFECYCLE.transition(
                session,
                order,
                "unsuccessful",
                actor=actor,
                organization_id=order.agency_id,
                reason="order_unsuccessful",
                data={"match_run_id": run.id},
                now=now,
            )
            reject_open_bids(session, order, actor=actor, reason="order_unsuccessful", now=now)
            unsuccessful.append(order_id)
    run.stats = {
        "orders": len(open_orders),
        "bids": len(loaded.bids),
        "eligible_bids": sum(1 for o in result.outcomes if o.eligible),
        "proposals": proposals,
        "superseded": len(superseded),
        "superseded_ids": superseded,
        "unsuccessful_orders": unsuccessful,
        "excluded_pairs": len(loaded.excluded),
        "solver_status": result.status,
        "build_seconds": result.build_seconds,
        "weeks": [result.week_labels[0], result.week_labels[-1]] if result.week_labels else [],
    }
    audit.record(
        session,
        "match_run.completed",
        actor=actor,
        object_type="match_run",
        object_id=run.id,
        data={
            "objective": run.objective,
            "bound": run.bound,
            "gap_pct": run.gap_pct,
            "seconds": run.seconds,
            **{k: v for k, v in run.stats.items() if k != "weeks"},
        },
        occurred_at=now,
    )
    if proposals:
        notifications.notify(
            session,
            notifications.users_with_role(session, "coordinator"),
            "allocation.proposed",
            {"match_run_id": run.id, "proposals": proposals},
            now=now,
        )
    return run


def _whole_units(volume: float) -> int:
    # Volumes are counted in whole units; rounding down never breaks a capacity or the order's volume.
    if volume <= 0:
        return 0
    return int(math.floor(volume + 1e-6))


def _outcome_text(outcome, volume: int) -> str:
    if not outcome.eligible:
        return "ineligible: " + "; ".join(r.message for r in outcome.refusals)
    if volume > 0 and outcome.reason is None:
        return f"proposed for {volume} units"
    if volume > 0:
        return f"proposed for {volume} units (less than offered: {outcome.reason.message})"
    return outcome.reason.message if outcome.reason else "not selected"


def list_runs(*, actor) -> Select:
    """Matching runs, newest first (coordinators and administrators)."""
    require_role(actor, "coordinator", "admin")
    return select(MatchRun).order_by(MatchRun.id.desc())


def get_run(session: Session, run_id: int, *, actor) -> MatchRun:
    """One matching run (coordinators and administrators); a running one with how far it has got."""
    require_role(actor, "coordinator", "admin")
    run = session.get(MatchRun, run_id)
    if run is None:
        raise not_found("match run", run_id)
    run.progress = session.get(MatchRunProgress, run_id) if run.status == "running" else None
    return run
