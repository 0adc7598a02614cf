"""Solve matching problems stored in files: our JSON problems or OR-Library GAP benchmarks.

The JSON schema is documented in docs/problem-file.md. ``python -m
market.matching.problem_file FILE...`` prints one JSON line per instance.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from market.matching.build import prepare_match
from market.matching.calendar import (
    RunningContract,
    WeekCalendar,
    subtract_running,
    vendor_week_capacity,
)
from market.matching.eligibility import CLEARANCE_LEVELS, Bid, Capability, Order, Vendor
from market.matching.match import solve_match
from market.matching.problem import AllocationProblem
from market.matching.scoring import validate_weights
from market.matching.solver.allocation import solve_allocation

__all__ = ["detect_format", "solve_file"]

RESULT_KEYS = ("instance", "objective", "bound", "gap_pct", "seconds", "status", "solver")


def detect_format(path: str | Path, text: str | None = None) -> str:
    """"json" or "orlib": by extension (.json, .txt), else by the first character."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        return "json"
    if suffix == ".txt":
        return "orlib"
    if text is None:
        text = _read(path)
    head = text.lstrip()[:1]
    if head in ("{", "["):
        return "json"
    if head.isdigit():
        return "orlib"
    raise ValueError(
        f"{path}: cannot tell the format: expected a JSON problem (.json) "
        f"or an OR-Library GAP file (.txt)"
    )


def solve_file(
    path: str | Path, time_limit: float = 10.0, sense: str | None = None
) -> Iterator[dict[str, Any]]:
    """Solve every instance in the file, yielding one result per instance as it is solved.

    Each result has ``instance``, ``objective``, ``bound``, ``gap_pct``, ``seconds``,
    ``status`` and ``solver``. `sense` ("max" or "min") is for OR-Library files whose name does
    not tell it (gap1-gap12 maximise, gapa-gapd minimise); JSON problems ignore it. A file that
    cannot be read or does not follow its format
    raises ValueError with a message naming the file and the place of the problem (before
    anything is yielded for JSON files, which are checked whole first).
    """
    path = Path(path)
    text = _read(path)
    kind = detect_format(path, text)
    if kind == "orlib":
        yield from _solve_orlib(path, time_limit, sense)
        return
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"{path}: not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    if isinstance(data, list):
        problems = [(f"[{i}]", item) for i, item in enumerate(data)]
        default_names = [f"{path.stem}-{i + 1}" for i in range(len(data))]
    elif isinstance(data, dict):
        problems = [("", data)]
        default_names = [path.stem]
    else:
        raise ValueError(f"{path}: the top level must be a problem object or a list of them")
    if not problems:
        raise ValueError(f"{path}: the list of problems is empty")
    # Check every problem before solving any, so a bad file fails fast and whole.
    built = [
        _build(_Ctx(f"{path}: {where}" if where else f"{path}:"), item, name)
        for (where, item), name in zip(problems, default_names)
    ]
    for solve in built:
        yield solve(time_limit)


# ---------------------------------------------------------------------------------------


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ValueError(f"{path}: is a directory, not a problem file") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a UTF-8 text file") from None
    except OSError as exc:
        raise ValueError(f"{path}: cannot be read ({exc.strerror})") from None


def _solve_orlib(path: Path, time_limit: float, sense: str | None = None) -> Iterator[dict[str, Any]]:
    # Imported on first use, not for a cycle: the GAP solver brings numba and OR-Tools (with
    # pandas), about 0.4 s of start-up that a run on JSON problems alone does not need.
    from market.matching.gap.orlib import read_orlib
    from market.matching.gap.solver import solve_gap, warm_up

    instances = read_orlib(path, sense=sense)
    # The compiled kernels load (or, the first time on a machine, compile) before any instance
    # is timed, so `seconds` is the solve alone.
    warm_up()
    for inst in instances:
        res = solve_gap(inst, time_limit=time_limit)
        yield {
            "instance": inst.name,
            "objective": _finite(res.objective),
            "bound": _finite(res.bound),
            "gap_pct": _finite(res.gap_pct),
            "seconds": float(res.seconds),
            "status": res.status,
            "solver": res.solver,
        }


def _finite(value: float) -> float | None:
    # JSON has no NaN or infinity: "no solution" or "no bound" become null.
    value = float(value)
    return value if math.isfinite(value) else None


class _Ctx:
    """Where we are in the file, to say precisely what is wrong."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def error(self, where: str, message: str) -> ValueError:
        place = f" {where}:" if where else ""
        return ValueError(f"{self.prefix}{place} {message}")

    def obj(self, value: Any, where: str) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.error(where, "must be an object")
        return value

    def list(self, value: Any, where: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.error(where, "must be a list")
        return value

    def number(
        self, value: Any, where: str, *, minimum: float | None = None, positive: bool = False
    ) -> float:
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not numeric or not math.isfinite(value):
            raise self.error(where, f"must be a number, got {json.dumps(value)}")
        if positive and value <= 0:
            raise self.error(where, f"must be positive, got {value}")
        if minimum is not None and value < minimum:
            raise self.error(where, f"must be at least {minimum:g}, got {value}")
        return float(value)

    def integer(self, value: Any, where: str, minimum: int = 0) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.error(where, f"must be an integer >= {minimum}, got {json.dumps(value)}")
        return value

    def boolean(self, value: Any, where: str) -> bool:
        if not isinstance(value, bool):
            raise self.error(where, f"must be true or false, got {json.dumps(value)}")
        return value

    def text(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not value:
            raise self.error(where, f"must be a non-empty string, got {json.dumps(value)}")
        return value

    def ident(self, value: Any, where: str) -> str | int:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise self.error(where, f"must be a string or an integer, got {json.dumps(value)}")
        return value

    def day(self, value: Any, where: str) -> date:
        if not isinstance(value, str):
            raise self.error(where, f"must be a date like \"2026-12-01\", got {json.dumps(value)}")
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise self.error(
                where, f"must be a date like \"2026-12-01\", got {json.dumps(value)}"
            ) from None

    def level(self, value: Any, where: str) -> str:
        if value not in CLEARANCE_LEVELS:
            levels = ", ".join(CLEARANCE_LEVELS)
            raise self.error(where, f"must be one of {levels}, got {json.dumps(value)}")
        return str(value)

    def unknown_keys(self, item: Mapping[str, Any], allowed: set[str], where: str) -> None:
        extra = sorted(set(item) - allowed)
        if extra:
            plural = "s" if len(extra) > 1 else ""
            raise self.error(where, f"unknown field{plural} {', '.join(extra)}")


_TOP = {"format", "name", "weights", "orders", "vendors", "bids", "running", "excluded"}
_ORDER = {
    "id", "volume", "start", "deadline", "splittable", "max_vendors", "min_lot", "modality",
    "annotation_type", "budget_ceiling", "data_classification", "onsite_required",
    "required_certifications", "unit", "reference_unit_price", "weights", "title",
}
_VENDOR = {
    "id", "seats", "capacity", "verification", "clearance", "certifications", "onsite_possible",
    "local", "recent_award_share", "capabilities", "name",
}
_CAPABILITY = {
    "modality", "annotation_type", "throughput_per_seat_day", "proficiency", "unit_price",
}
_BID = {
    "id", "order", "vendor", "volume", "score", "throughput_per_seat_day", "unit_price", "quality",
}
_RUNNING = {"vendor", "seat_days", "start", "end"}


def _build(ctx: _Ctx, raw: Any, default_name: str) -> Any:
    """Validate one problem and return a function that solves it (time limit -> result)."""
    top = ctx.obj(raw, "")
    ctx.unknown_keys(top, _TOP, "problem")
    fmt = top.get("format", "market-matching-problem/1")
    if fmt != "market-matching-problem/1":
        raise ctx.error("format", f"expected \"market-matching-problem/1\", got {json.dumps(fmt)}")
    name = ctx.text(top.get("name", default_name), "name")
    for key in ("orders", "vendors", "bids"):
        if key not in top:
            raise ctx.error("", f"missing \"{key}\"")
    orders_raw = ctx.list(top["orders"], "orders")
    vendors_raw = ctx.list(top["vendors"], "vendors")
    bids_raw = ctx.list(top["bids"], "bids")
    if not orders_raw:
        raise ctx.error("orders", "must not be empty")
    scored = [isinstance(b, dict) and "score" in b for b in bids_raw]
    if any(scored) and not all(scored):
        first = scored.index(not scored[0])
        raise ctx.error(
            f"bids[{first}]",
            "either every bid has a \"score\" (scored problem) or none has (scored from facts)",
        )
    by_scores = bool(bids_raw) and all(scored)
    weights = None
    if "weights" in top:
        try:
            weights = validate_weights(ctx.obj(top["weights"], "weights"))
        except ValueError as exc:
            raise ctx.error("weights", str(exc)) from None

    orders = [_order(ctx, o, i, by_scores) for i, o in enumerate(orders_raw)]
    _unique(ctx, [o.id for o in orders], "orders")
    vendors, weekly = [], {}
    for i, v in enumerate(vendors_raw):
        vendor, capacity = _vendor(ctx, v, i, by_scores)
        vendors.append(vendor)
        if capacity:
            weekly[vendor.id] = capacity
    _unique(ctx, [v.id for v in vendors], "vendors")
    order_ids = {o.id for o in orders}
    vendor_ids = {v.id for v in vendors}
    running_raw = ctx.list(top.get("running", []), "running")
    running = [_running(ctx, r, i, vendor_ids) for i, r in enumerate(running_raw)]
    excluded = set()
    for i, pair in enumerate(ctx.list(top.get("excluded", []), "excluded")):
        where = f"excluded[{i}]"
        if not (isinstance(pair, list) and len(pair) == 2):
            raise ctx.error(where, "must be a pair [order id, vendor id]")
        excluded.add((ctx.ident(pair[0], where), ctx.ident(pair[1], where)))

    if by_scores:
        problem = _scored_problem(ctx, orders, vendors, weekly, running, bids_raw)

        def solve(time_limit: float) -> dict[str, Any]:
            res = solve_allocation(problem, time_limit=time_limit)
            return _result(name, res.objective, res.bound, res.gap_pct, res.seconds, res)

        return solve

    bids = []
    seen_bids: set[Any] = set()
    for i, b in enumerate(bids_raw):
        bid = _fact_bid(ctx, b, i, order_ids, vendor_ids)
        if bid.id in seen_bids:
            raise ctx.error(f"bids[{i}].id", f"duplicate bid id {json.dumps(bid.id)}")
        seen_bids.add(bid.id)
        bids.append(bid)
    try:
        prepared = prepare_match(
            orders, vendors, bids, running=running, excluded_pairs=excluded,
            weights=weights, weekly_capacity=weekly,
        )
    except ValueError as exc:
        raise ctx.error("", str(exc)) from None

    def solve_facts(time_limit: float) -> dict[str, Any]:
        res = solve_match(prepared, time_limit=time_limit)
        return _result(name, res.objective, res.bound, res.gap_pct, res.seconds, res)

    return solve_facts


def _result(
    name: str, objective: float, bound: float, gap: float, seconds: float, run: Any
) -> dict[str, Any]:
    values = (name, objective, bound, gap, seconds, run.status, run.solver)
    return dict(zip(RESULT_KEYS, values))


def _unique(ctx: _Ctx, ids: list[Any], what: str) -> None:
    seen: set[Any] = set()
    for i, ident in enumerate(ids):
        if ident in seen:
            raise ctx.error(f"{what}[{i}].id", f"duplicate id {json.dumps(ident)}")
        seen.add(ident)


def _texts(ctx: _Ctx, raw: Any, where: str) -> frozenset[str]:
    return frozenset(ctx.text(c, f"{where}[{k}]") for k, c in enumerate(ctx.list(raw, where)))


def _order(ctx: _Ctx, raw: Any, i: int, by_scores: bool) -> Order:
    w = f"orders[{i}]"
    o = ctx.obj(raw, w)
    ctx.unknown_keys(o, _ORDER, w)
    for key in ("id", "volume", "start", "deadline"):
        if key not in o:
            raise ctx.error(w, f"missing \"{key}\"")
    volume = ctx.number(o["volume"], f"{w}.volume", positive=True)
    start = ctx.day(o["start"], f"{w}.start")
    deadline = ctx.day(o["deadline"], f"{w}.deadline")
    if deadline < start:
        raise ctx.error(f"{w}.deadline", f"{deadline} is before the start {start}")
    if not by_scores:
        for key in ("modality", "annotation_type", "budget_ceiling"):
            if key not in o:
                raise ctx.error(w, f"missing \"{key}\" (needed to check and score bids)")
    max_vendors = o.get("max_vendors")
    min_lot = o.get("min_lot")
    weights = None
    if o.get("weights") is not None:
        try:
            weights = validate_weights(ctx.obj(o["weights"], f"{w}.weights"))
        except ValueError as exc:
            raise ctx.error(f"{w}.weights", str(exc)) from None
    return Order(
        id=ctx.ident(o["id"], f"{w}.id"),
        modality=ctx.text(o.get("modality", "any"), f"{w}.modality"),
        annotation_type=ctx.text(o.get("annotation_type", "any"), f"{w}.annotation_type"),
        volume=volume,
        budget_ceiling=ctx.number(o.get("budget_ceiling", 0), f"{w}.budget_ceiling", minimum=0),
        start=start,
        deadline=deadline,
        data_classification=ctx.level(
            o.get("data_classification", "general"), f"{w}.data_classification"
        ),
        onsite_required=ctx.boolean(o.get("onsite_required", False), f"{w}.onsite_required"),
        required_certifications=_texts(
            ctx, o.get("required_certifications", []), f"{w}.required_certifications"
        ),
        splittable=ctx.boolean(o.get("splittable", False), f"{w}.splittable"),
        max_vendors=None if max_vendors is None else ctx.integer(max_vendors, f"{w}.max_vendors"),
        min_lot=None if min_lot is None else ctx.number(min_lot, f"{w}.min_lot", minimum=0),
        unit=ctx.text(o.get("unit", "item"), f"{w}.unit"),
        reference_unit_price=(
            None
            if o.get("reference_unit_price") is None
            else ctx.number(o["reference_unit_price"], f"{w}.reference_unit_price", positive=True)
        ),
        weights=weights,
    )


def _vendor(ctx: _Ctx, raw: Any, i: int, by_scores: bool) -> tuple[Vendor, dict[str, float]]:
    w = f"vendors[{i}]"
    v = ctx.obj(raw, w)
    ctx.unknown_keys(v, _VENDOR, w)
    for key in ("id", "seats"):
        if key not in v:
            raise ctx.error(w, f"missing \"{key}\"")
    capabilities = {}
    for k, c in enumerate(ctx.list(v.get("capabilities", []), f"{w}.capabilities")):
        cw = f"{w}.capabilities[{k}]"
        c = ctx.obj(c, cw)
        ctx.unknown_keys(c, _CAPABILITY, cw)
        for key in ("modality", "annotation_type", "throughput_per_seat_day"):
            if key not in c:
                raise ctx.error(cw, f"missing \"{key}\"")
        key = (ctx.text(c["modality"], f"{cw}.modality"),
               ctx.text(c["annotation_type"], f"{cw}.annotation_type"))
        proficiency = ctx.number(c.get("proficiency", 0.5), f"{cw}.proficiency", minimum=0)
        if proficiency > 1:
            raise ctx.error(f"{cw}.proficiency", "must be between 0 and 1")
        price = c.get("unit_price")
        capabilities[key] = Capability(
            throughput_per_seat_day=ctx.number(
                c["throughput_per_seat_day"], f"{cw}.throughput_per_seat_day", positive=True
            ),
            proficiency=proficiency,
            unit_price=None if price is None else ctx.number(price, f"{cw}.unit_price", minimum=0),
        )
    capacity: dict[str, float] = {}
    for label, value in ctx.obj(v.get("capacity", {}), f"{w}.capacity").items():
        if not _is_week_label(label):
            raise ctx.error(
                f"{w}.capacity", f"{json.dumps(label)} is not an ISO week like \"2026-W49\""
            )
        capacity[label] = ctx.number(value, f"{w}.capacity.{label}", minimum=0)
    share = ctx.number(v.get("recent_award_share", 0.0), f"{w}.recent_award_share", minimum=0)
    if share > 1:
        raise ctx.error(f"{w}.recent_award_share", "must be between 0 and 1")
    vendor = Vendor(
        id=ctx.ident(v["id"], f"{w}.id"),
        seats=ctx.integer(v["seats"], f"{w}.seats"),
        verification=ctx.text(v.get("verification", "verified"), f"{w}.verification"),
        clearance=ctx.level(v.get("clearance", "general"), f"{w}.clearance"),
        certifications=_texts(ctx, v.get("certifications", []), f"{w}.certifications"),
        onsite_possible=ctx.boolean(v.get("onsite_possible", False), f"{w}.onsite_possible"),
        local=ctx.boolean(v.get("local", False), f"{w}.local"),
        recent_award_share=share,
        capabilities=capabilities,
        name=str(v.get("name", "")),
    )
    return vendor, capacity


def _is_week_label(label: str) -> bool:
    try:
        year, week = label.split("-W")
        date.fromisocalendar(int(year), int(week), 1)
    except ValueError:
        return False
    return len(week) == 2


def _running(ctx: _Ctx, raw: Any, i: int, vendor_ids: set[Any]) -> RunningContract:
    w = f"running[{i}]"
    r = ctx.obj(raw, w)
    ctx.unknown_keys(r, _RUNNING, w)
    for key in _RUNNING:
        if key not in r:
            raise ctx.error(w, f"missing \"{key}\"")
    vendor = ctx.ident(r["vendor"], f"{w}.vendor")
    if vendor not in vendor_ids:
        raise ctx.error(f"{w}.vendor", f"unknown vendor {json.dumps(vendor)}")
    return RunningContract(
        vendor=vendor,
        seat_days=ctx.number(r["seat_days"], f"{w}.seat_days", minimum=0),
        start=ctx.day(r["start"], f"{w}.start"),
        end=ctx.day(r["end"], f"{w}.end"),
    )


def _bid_refs(
    ctx: _Ctx, b: Mapping[str, Any], w: str, order_ids: set[Any], vendor_ids: set[Any]
) -> tuple[Any, Any]:
    for key in ("order", "vendor", "volume"):
        if key not in b:
            raise ctx.error(w, f"missing \"{key}\"")
    order = ctx.ident(b["order"], f"{w}.order")
    vendor = ctx.ident(b["vendor"], f"{w}.vendor")
    if order not in order_ids:
        raise ctx.error(f"{w}.order", f"unknown order {json.dumps(order)}")
    if vendor not in vendor_ids:
        raise ctx.error(f"{w}.vendor", f"unknown vendor {json.dumps(vendor)}")
    return order, vendor


def _fact_bid(ctx: _Ctx, raw: Any, i: int, order_ids: set[Any], vendor_ids: set[Any]) -> Bid:
    w = f"bids[{i}]"
    b = ctx.obj(raw, w)
    ctx.unknown_keys(b, _BID - {"score", "throughput_per_seat_day"}, w)
    order, vendor = _bid_refs(ctx, b, w, order_ids, vendor_ids)
    if "unit_price" not in b:
        raise ctx.error(w, "missing \"unit_price\" (or give every bid a \"score\")")
    quality = b.get("quality")
    if quality is not None:
        quality = ctx.number(quality, f"{w}.quality", minimum=0)
        if quality > 1:
            raise ctx.error(f"{w}.quality", "must be a probability between 0 and 1")
    return Bid(
        id=ctx.ident(b.get("id", i), f"{w}.id"),
        order_id=order,
        vendor_id=vendor,
        unit_price=ctx.number(b["unit_price"], f"{w}.unit_price", minimum=0),
        volume=ctx.number(b["volume"], f"{w}.volume", minimum=0),
        quality=quality,
    )


def _scored_problem(
    ctx: _Ctx,
    orders: list[Order],
    vendors: list[Vendor],
    weekly: Mapping[Any, Mapping[str, float]],
    running: list[RunningContract],
    bids_raw: list[Any],
) -> AllocationProblem:
    """Bids with given scores: every bid is a candidate, loads from the calendar."""
    order_ix = {o.id: i for i, o in enumerate(orders)}
    vendor_ix = {v.id: i for i, v in enumerate(vendors)}
    calendar = WeekCalendar.covering(min(o.start for o in orders), max(o.deadline for o in orders))
    capacity = vendor_week_capacity([v.seats for v in vendors], calendar)
    week_ix = {label: k for k, label in enumerate(calendar.labels)}
    for vendor_id, weeks in weekly.items():
        for label, seat_days in weeks.items():
            if label in week_ix:
                capacity[vendor_ix[vendor_id], week_ix[label]] = seat_days
    free = subtract_running(capacity, running, calendar, vendor_index=vendor_ix)
    spreads = {}
    for i, o in enumerate(orders):
        try:
            spreads[i] = calendar.spread(o.start, o.deadline)
        except ValueError:
            raise ctx.error(
                f"orders[{i}]", f"the window {o.start}..{o.deadline} has no working day"
            ) from None
    c_order, c_vendor, c_score, c_volume = [], [], [], []
    rows, cols, vals = [], [], []
    pairs: set[tuple[Any, Any]] = set()
    for i, raw in enumerate(bids_raw):
        w = f"bids[{i}]"
        b = ctx.obj(raw, w)
        ctx.unknown_keys(b, _BID - {"unit_price", "quality"}, w)
        order, vendor = _bid_refs(ctx, b, w, set(order_ix), set(vendor_ix))
        if (order, vendor) in pairs:
            raise ctx.error(
                w, f"vendor {json.dumps(vendor)} already bid for order {json.dumps(order)}"
            )
        pairs.add((order, vendor))
        score = ctx.number(b["score"], f"{w}.score", minimum=0)
        if score > 100:
            raise ctx.error(f"{w}.score", f"must be between 0 and 100, got {score:g}")
        oi, vi = order_ix[order], vendor_ix[vendor]
        if "throughput_per_seat_day" in b:
            throughput = ctx.number(
                b["throughput_per_seat_day"], f"{w}.throughput_per_seat_day", positive=True
            )
        else:
            cap = vendors[vi].capabilities.get((orders[oi].modality, orders[oi].annotation_type))
            if cap is None:
                raise ctx.error(
                    w,
                    "needs \"throughput_per_seat_day\", or a vendor capability for the order's "
                    "modality and annotation type",
                )
            throughput = cap.throughput_per_seat_day
        spread = spreads[oi]
        c = len(c_order)
        c_order.append(oi)
        c_vendor.append(vi)
        c_score.append(score)
        c_volume.append(ctx.number(b["volume"], f"{w}.volume", minimum=0))
        rows.extend([c] * spread.weeks.size)
        cols.extend(spread.weeks.tolist())
        vals.extend((spread.fraction / throughput).tolist())
    load = sp.csr_matrix((vals, (rows, cols)), shape=(len(c_order), calendar.n_weeks))
    return AllocationProblem(
        order_volume=np.array([o.volume for o in orders]),
        order_splittable=np.array([o.splittable for o in orders], dtype=bool),
        order_max_vendors=np.array([o.max_vendors or 0 for o in orders], dtype=np.int64),
        order_min_lot=np.array([o.min_lot or 0.0 for o in orders]),
        cand_order=np.array(c_order, dtype=np.int64),
        cand_vendor=np.array(c_vendor, dtype=np.int64),
        cand_score=np.array(c_score),
        cand_max_volume=np.array(c_volume),
        cand_load=load,
        capacity=free,
        week_labels=calendar.labels,
    )


@contextmanager
def _stdout_for_results() -> Iterator[Callable[[str], None]]:
    """Keep stdout for result lines: native code's chatter goes to stderr meanwhile.

    HiGHS occasionally prints a debug line straight to file descriptor 1, which would break
    "one JSON line per instance". When stdout is a real file descriptor, point it at stderr
    while solving and write results to a duplicate of the original.
    """
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # e.g. captured by a test harness
        yield lambda line: print(line, flush=True)
        return
    sys.stdout.flush()
    saved = os.dup(fd)
    os.dup2(sys.stderr.fileno(), fd)
    try:
        yield lambda line: os.write(saved, (line + "\n").encode())
    finally:
        sys.stdout.flush()
        os.dup2(saved, fd)
        os.close(saved)


def main(argv: list[str] | None = None) -> int:
    """Print one JSON line per instance of each file; a bad file prints its error and exits 2."""
    import argparse

    ap = argparse.ArgumentParser(
        description="Solve matching problem files (JSON or OR-Library GAP)."
    )
    ap.add_argument("files", nargs="+")
    ap.add_argument("--time-limit", type=float, default=10.0)
    ap.add_argument("--sense", choices=("max", "min"), default=None,
                    help="objective of OR-Library files whose name does not tell it")
    args = ap.parse_args(argv)
    try:
        with _stdout_for_results() as emit:
            for name in args.files:
                for result in solve_file(name, time_limit=args.time_limit, sense=args.sense):
                    emit(json.dumps(result))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader (e.g. head) has had enough: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
