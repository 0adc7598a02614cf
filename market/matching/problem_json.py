"""Read and check JSON problem files (the format of README.md, "Problem files") into problems.

Every mistake is a ValueError naming the file and the place, e.g.
``problem.json: bids[3].order: unknown order "TR-9"``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from market.matching.build import PreparedMatch, free_capacity, prepare_match, week_loads
from market.matching.calendar import RunningContract
from market.matching.eligibility import CLEARANCE_LEVELS, Bid, Capability, Order, Vendor
from market.matching.problem import AllocationProblem
from market.matching.scoring import validate_weights

__all__ = ["FileProblem", "read_json_problems"]


@dataclass(frozen=True)
class FileProblem:
    """One problem of a file, checked and built, ready to solve.

    ``problem`` is the allocation problem itself for a scored problem, or the match prepared
    from facts (eligibility and scores as in the product) otherwise.
    """

    name: str
    problem: AllocationProblem | PreparedMatch


def read_json_problems(path: Path, text: str) -> list[FileProblem]:
    """Every problem of a JSON problem file, all checked and built before any is returned.

    ``text`` is the file's content; ``path`` names it in messages and gives the default
    instance names (the file name without extension, with -1, -2, ... for a list).
    """
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
    return [
        _build(_Ctx(f"{path}: {where}" if where else f"{path}:"), item, name)
        for (where, item), name in zip(problems, default_names, strict=True)
    ]


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



def _build(ctx: _Ctx, raw: Any, default_name: str) -> FileProblem:
    """Validate one problem and build it."""
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
        return FileProblem(name, _scored_problem(ctx, orders, vendors, weekly, running, bids_raw))

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
    return FileProblem(name, prepared)



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
    calendar, free = free_capacity(
        orders, vendors, vendor_ix, weekly_capacity=weekly, running=running
    )
    spreads = {}
    for i, o in enumerate(orders):
        try:
            spreads[i] = calendar.spread(o.start, o.deadline)
        except ValueError:
            raise ctx.error(
                f"orders[{i}]", f"the window {o.start}..{o.deadline} has no working day"
            ) from None
    c_order, c_vendor, c_score, c_volume, c_throughput = [], [], [], [], []
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
        c_order.append(oi)
        c_vendor.append(vi)
        c_score.append(score)
        c_volume.append(ctx.number(b["volume"], f"{w}.volume", minimum=0))
        c_throughput.append(throughput)
    load = week_loads(c_order, c_throughput, spreads, calendar.n_weeks)
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
