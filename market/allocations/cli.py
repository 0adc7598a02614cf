"""`market match ...`: run matching on the database, or solve problem files without one."""

from __future__ import annotations

import json
import sys

import click
from flask.cli import with_appcontext


@click.group("match")
def match():
    """Matching: run it over the orders under evaluation, or solve problem files."""


@match.command("run")
@click.option("--dry-run", is_flag=True, help="Compute and print the proposals, store nothing.")
@click.option("--time-limit", type=click.FloatRange(0.5, 600), default=None,
              help="Solver seconds (default MARKET_MATCH_TIME_LIMIT).")
@with_appcontext
def run(dry_run: bool, time_limit: float | None):
    """Run matching over every order whose bidding has closed."""
    from tqdm import tqdm

    from market import db
    from market.allocations import runs
    from market.allocations.models import Allocation

    bars: dict[str, tqdm] = {}

    def progress(step: str, done: int, total: int) -> None:
        bar = bars.get(step)
        if bar is None:
            # A dry run computes the rows it would store, then rolls them back.
            desc = "prepare" if (dry_run and step == "store") else step
            bar = bars[step] = tqdm(
                total=max(total, 1),
                desc=f"{desc:>8}",
                unit="",
                file=sys.stderr,
                leave=True,
                dynamic_ncols=True,
                disable=None,
            )
        bar.n = min(done, bar.total)
        bar.refresh()
        if done >= total:
            bar.close()

    session = db.session
    run_row = runs.run_matching(
        session,
        actor=None,
        trigger="cli" if not dry_run else "cli-dry-run",
        time_limit=time_limit,
        progress=progress,
    )
    session.flush()  # so the proposals can be listed before commit or rollback
    proposals = (
        session.query(Allocation)
        .filter(Allocation.run_id == run_row.id)
        .order_by(Allocation.order_id)
        .all()
    )
    for allocation in proposals:
        click.echo(
            f"order {allocation.order_id:>6}  bid {allocation.bid_id:>6}  vendor {allocation.vendor_id:>5}"
            f"  volume {allocation.volume:>9}  score {allocation.score:6.2f}"
        )
    summary = {
        "run_id": None if dry_run else run_row.id,
        "dry_run": dry_run,
        "objective": run_row.objective,
        "bound": run_row.bound,
        "gap_pct": run_row.gap_pct,
        "seconds": run_row.seconds,
        "solver": run_row.solver,
        **{k: v for k, v in run_row.stats.items() if k != "weeks"},
    }
    if dry_run:
        # Nothing was stored, so nothing was superseded: say what a real run would do.
        summary["would_supersede"] = summary.pop("superseded", 0)
        summary.pop("superseded_ids", None)
        session.rollback()
    else:
        session.commit()
    click.echo(json.dumps(summary, ensure_ascii=False))


@match.command("solve")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--time-limit", type=click.FloatRange(0.1, 3600), default=10.0, show_default=True,
              help="Seconds per instance.")
@click.option("--sense", type=click.Choice(["max", "min"]), default=None,
              help="Objective of OR-Library files whose name does not tell it "
                   "(gap1-gap12 maximise, gapa-gapd minimise).")
def solve(files: tuple[str, ...], time_limit: float, sense: str | None):
    """Solve problem files (JSON, or OR-Library GAP) and print one JSON line per instance."""
    from market.matching import problem_file

    extra = ["--sense", sense] if sense else []
    sys.exit(problem_file.main([*files, "--time-limit", str(time_limit), *extra]))
