"""Acceptance sampling of delivery lots: ISO 2859-1:1999 (GB/T 2828.1-2012) single sampling by attributes.

Pure: no Flask, no session. The standard's tables ship as data (market/data/iso2859_1.json, printed
as the standard prints them, arrows included); this module looks a plan up in them, draws the items
to inspect, and applies the switching rules of clause 9 between normal, tightened and reduced
inspection.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

LEVELS = ("I", "II", "III", "S-1", "S-2", "S-3", "S-4")
SEVERITIES = ("normal", "tightened", "reduced")

_DATA = Path(__file__).resolve().parent.parent / "data" / "iso2859_1.json"
_DOWN, _UP = "↓", "↑"

# 9.3.2: tightened when 2 of 5 or fewer consecutive lots are not accepted; 9.3.4: normal again after 5
# accepted in a row; 9.3.3: reduced from a switching score of 30; 9.4: discontinued at 5 lots not
# accepted in one stretch of tightened inspection.
WINDOW = 5
REJECTIONS_TO_TIGHTEN = 2
ACCEPTED_TO_RELAX = 5
SCORE_TO_REDUCE = 30
REJECTIONS_TO_DISCONTINUE = 5


@cache
def tables() -> dict:
    """The standard's tables as shipped (read once)."""
    with _DATA.open(encoding="utf-8") as data:
        return json.load(data)


# The preferred AQLs, in percent nonconforming up to 10 and nonconformities per 100 items above; the
# master tables' columns in this order (the data file lists them too, and a test checks they agree).
PREFERRED_AQLS: tuple[Decimal, ...] = tuple(Decimal(a) for a in (
    "0.010", "0.015", "0.025", "0.040", "0.065", "0.10", "0.15", "0.25", "0.40", "0.65",
    "1.0", "1.5", "2.5", "4.0", "6.5", "10", "15", "25", "40", "65",
    "100", "150", "250", "400", "650", "1000",
))


@dataclass(frozen=True)
class SamplingPlan:
    lot_size: int
    aql: Decimal
    level: str
    severity: str
    size_code: str  # the code letter of Table 1 for the lot size and level
    code_letter: str  # the letter of the plan used, once the master table's arrows are followed
    sample_size: int  # the lot size itself when the plan's sample would be as large: inspect_all
    accept: int  # Ac: the lot is accepted with at most this many nonconforming items
    reject: int  # Re: and rejected with at least this many
    inspect_all: bool  # the plan's sample is at least the lot: 100 % inspection

    def accepts(self, nonconforming: int) -> bool:
        """Whether a lot with `nonconforming` items found in the sample is accepted (d <= Ac)."""
        return nonconforming <= self.accept


def preferred_aql(aql: Decimal | str | int | float) -> Decimal:
    """The preferred AQL equal to `aql` ("1", "1.0" and 1 are all 1.0), as the standard writes it."""
    try:
        value = aql if isinstance(aql, Decimal) else Decimal(str(aql).strip())
    except InvalidOperation:
        value = None
    if value is not None and value.is_finite():
        for preferred in PREFERRED_AQLS:
            if preferred == value:
                return preferred
    raise ValueError(
        f"AQL {aql!r} is not one of the standard's preferred AQLs: "
        + ", ".join(str(a) for a in PREFERRED_AQLS)
    )


def default_aql(accuracy_target: float) -> Decimal:
    """The largest preferred AQL not above 100 × (1 − accuracy target); the smallest if none is.

    At most 10: above 10 the standard's AQLs count nonconformities per 100 items, and a lot of
    annotations is judged by its nonconforming items (percent nonconforming, 5.2 of the standard).
    """
    try:
        target = Decimal(repr(float(accuracy_target)))
    except (TypeError, ValueError, InvalidOperation):
        raise ValueError(f"accuracy target {accuracy_target!r} is not a number") from None
    if not target.is_finite() or not 0 <= target <= 1:
        raise ValueError(f"accuracy target {accuracy_target!r} is not between 0 and 1")
    limit = min(100 * (1 - target), Decimal(10))
    fitting = [a for a in PREFERRED_AQLS if a <= limit]
    return fitting[-1] if fitting else PREFERRED_AQLS[0]


def size_code(lot_size: int, level: str = "II") -> str:
    """Table 1: the sample size code letter of a lot (a lot of 1 counts with the smallest band)."""
    _check_level(level)
    _check_lot_size(lot_size)
    for band in tables()["table_1"]:
        if band["max"] is None or lot_size <= band["max"]:
            return band[level]
    raise AssertionError("Table 1's last band has no upper bound")


def master_plan(severity: str, letter: str, aql: Decimal | str) -> tuple[str, int, int, int]:
    """(code letter, sample size, Ac, Re) of the plan the master table gives `letter` at `aql`,
    following the table's arrows: ↓ the first plan below in the column, ↑ the first above."""
    _check_severity(severity)
    table = tables()["master_tables"][severity]
    column = PREFERRED_AQLS.index(preferred_aql(aql))
    letters = list(table["rows"])
    if letter not in letters:
        raise ValueError(f"code letter {letter!r} is not in Table {table['table']}")
    index = letters.index(letter)
    cell = table["rows"][letter][column]
    step = {_DOWN: 1, _UP: -1}.get(cell, 0)
    while cell in (_DOWN, _UP, None):
        index += step
        if step == 0 or not 0 <= index < len(letters):
            raise AssertionError(f"no plan at {letter}/{aql} in Table {table['table']}")
        cell = table["rows"][letters[index]][column]
    accept, reject = (int(number) for number in cell.split("/"))
    used = letters[index]
    return used, table["sample_sizes"][used], accept, reject


def plan_for(lot_size: int, aql: Decimal | str, level: str = "II", severity: str = "normal") -> SamplingPlan:
    """The single sampling plan for a lot: Table 1's code letter, then the master table of the severity.

    Raises ValueError, saying what is wrong, for a lot size below 1, an AQL that is not a preferred
    one, or an unknown inspection level or severity.
    """
    _check_lot_size(lot_size)
    _check_level(level)
    _check_severity(severity)
    aql = preferred_aql(aql)
    letter = size_code(lot_size, level)
    used, sample_size, accept, reject = master_plan(severity, letter, aql)
    # "If the sample size equals or exceeds the lot size, carry out 100 % inspection" (2-A, 2-B, 2-C).
    inspect_all = sample_size >= lot_size
    return SamplingPlan(
        lot_size=lot_size,
        aql=aql,
        level=level,
        severity=severity,
        size_code=letter,
        code_letter=used,
        sample_size=lot_size if inspect_all else sample_size,
        accept=accept,
        reject=reject,
        inspect_all=inspect_all,
    )


def draw_sample(lot_size: int, sample_size: int, seed: int) -> list[int]:
    """The items to inspect: `sample_size` of the positions 1..lot_size, sorted, the same for the same
    seed, so that the service draws them and anyone can check the draw from the recorded seed."""
    _check_lot_size(lot_size)
    if isinstance(sample_size, bool) or not isinstance(sample_size, int) or not 0 <= sample_size <= lot_size:
        raise ValueError(f"sample size {sample_size!r} is not between 0 and the lot size {lot_size}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed {seed!r} is not an integer")
    return sorted(position + 1 for position in random.Random(seed).sample(range(lot_size), sample_size))


@dataclass(frozen=True)
class SwitchingState:
    """Where a contract's lots stand under the switching rules (clause 9 of ISO 2859-1:1999)."""

    severity: str = "normal"
    switching_score: int = 0  # 9.3.3.2, counted on normal inspection only
    recent: tuple[bool, ...] = ()  # accepted? for the last lots (at most 5) under the current severity
    tightened_rejections: int = 0  # lots not accepted in the current stretch of tightened inspection
    consecutive_accepted: int = 0  # lots accepted in a row under the current severity
    discontinued: bool = False  # 9.4: no more acceptance inspection until the supplier has acted


def tighter_aql(aql: Decimal | str) -> Decimal | None:
    """The preferred AQL one step tighter (smaller) than `aql`, or None below 0.010."""
    index = PREFERRED_AQLS.index(preferred_aql(aql))
    return PREFERRED_AQLS[index - 1] if index else None


def switching_score(score: int, plan: SamplingPlan, accepted: bool, defects: int) -> int:
    """9.3.3.2 for single sampling, after one lot on normal inspection.

    With Ac 2 or more: add 3 if the lot would have been accepted at the AQL one step tighter (the
    plan of the same code letter, so the same sample, in that column of Table 2-A), else reset to 0.
    With Ac 0 or 1: add 2 if the lot was accepted, else reset to 0.
    """
    if plan.accept >= 2:
        tighter = tighter_aql(plan.aql)
        # Table 2-A has no plan with Ac >= 2 under 0.010; should one appear, the lot counts at its own AQL.
        tighter_accept = (
            plan.accept if tighter is None else master_plan("normal", plan.code_letter, tighter)[2]
        )
        return score + 3 if defects <= tighter_accept else 0
    return score + 2 if accepted else 0


def after_lot(
    state: SwitchingState,
    plan: SamplingPlan,
    accepted: bool,
    defects: int,
    *,
    reduced_agreed: bool = False,
) -> SwitchingState:
    """The state after one more lot on original inspection (a resubmitted lot does not count).

    `plan` is the plan the lot was inspected by (its severity is the state's), `defects` the
    nonconforming items found. `reduced_agreed` says the responsible authority (the agency) wants
    reduced inspection and production is steady: with a switching score of 30 that moves normal
    to reduced inspection (9.3.3).
    """
    if state.discontinued:
        raise ValueError("acceptance inspection is discontinued (9.4): resume it first")
    if plan.severity != state.severity:
        raise ValueError(f"the lot was inspected {plan.severity}, but inspection is {state.severity}")
    if isinstance(defects, bool) or not isinstance(defects, int) or defects < 0:
        raise ValueError(f"defects {defects!r} is not a count of nonconforming items")
    if accepted != plan.accepts(defects):
        raise ValueError(
            f"{defects} nonconforming with Ac {plan.accept}, Re {plan.reject} "
            f"means the lot is {'accepted' if plan.accepts(defects) else 'rejected'}"
        )
    recent = (*state.recent, accepted)[-WINDOW:]
    in_a_row = state.consecutive_accepted + 1 if accepted else 0

    if state.severity == "normal":
        if recent.count(False) >= REJECTIONS_TO_TIGHTEN:
            return SwitchingState(severity="tightened")
        score = switching_score(state.switching_score, plan, accepted, defects)
        if score >= SCORE_TO_REDUCE and reduced_agreed:
            return SwitchingState(severity="reduced")
        return SwitchingState("normal", score, recent, 0, in_a_row)

    if state.severity == "tightened":
        rejections = state.tightened_rejections + (0 if accepted else 1)
        if rejections >= REJECTIONS_TO_DISCONTINUE:
            return SwitchingState("tightened", 0, recent, rejections, in_a_row, discontinued=True)
        if in_a_row >= ACCEPTED_TO_RELAX:
            return SwitchingState(severity="normal")
        return SwitchingState("tightened", 0, recent, rejections, in_a_row)

    # Reduced (9.3.5 a): a lot not accepted brings normal inspection back.
    if not accepted:
        return SwitchingState(severity="normal")
    return SwitchingState("reduced", 0, recent, 0, in_a_row)


def reinstate_normal(state: SwitchingState) -> SwitchingState:
    """9.3.5 b) and c): back to normal from reduced inspection when production is irregular or
    delayed, or other conditions warrant it."""
    if state.severity != "reduced":
        raise ValueError(f"inspection is {state.severity}, not reduced")
    return SwitchingState(severity="normal")


def resume(state: SwitchingState) -> SwitchingState:
    """9.4: once the supplier has improved the quality, inspection resumes, tightened."""
    if not state.discontinued:
        raise ValueError("acceptance inspection is not discontinued")
    return SwitchingState(severity="tightened")


def _check_lot_size(lot_size) -> None:
    if isinstance(lot_size, bool) or not isinstance(lot_size, int) or lot_size < 1:
        raise ValueError(f"lot size {lot_size!r} is not a whole number of at least 1")


def _check_level(level) -> None:
    if level not in LEVELS:
        raise ValueError(f"inspection level {level!r} is not one of {', '.join(LEVELS)}")


def _check_severity(severity) -> None:
    if severity not in SEVERITIES:
        raise ValueError(f"severity {severity!r} is not one of {', '.join(SEVERITIES)}")
