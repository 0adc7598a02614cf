"""The hidden model that decides how the demo's contracts turned out, so a quality model has a truth to find."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from dataclasses import dataclass

from market.demo.catalogue import RATING_COMMENTS

# The coefficients of the hidden model; see OutcomeModel for what each one means.
INTERCEPT = -1.0
SKILL_WEIGHT = 3.6
EXPERIENCE_WEIGHT = 0.45
LOAD_KNEE = 0.4
LOAD_WEIGHT = 4.0
GAP_WEIGHT = 15.0
TIME_NOISE = 0.4
ACCURACY_BASE = 0.88
ACCURACY_SKILL = 0.11
ACCURACY_EXPERIENCE = 0.004
ACCURACY_LOAD_KNEE = 0.6
ACCURACY_LOAD = 0.04
ACCURACY_NOISE = 0.012
# Spread of a firm's true skill around what coordinators assessed: wide enough that a firm's track
# record tells more than its assessment, which is the point of learning from history.
ASSESSMENT_ERROR = 0.15
SUSPENDED_SHORTFALL = 0.12  # the firm later suspended really was weaker than assessed


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


@dataclass(frozen=True)
class Outcome:
    delivered_on_time: bool
    accuracy_achieved: float
    completed_at: dt.datetime
    rating: int
    rating_comment: str
    # The hidden model's inputs, kept for tests and for anyone checking the generator.
    true_skill: float
    experience: int
    load: float
    on_time_probability: float


@dataclass
class _Past:
    starts_at: dt.datetime
    ends_at: dt.datetime
    seats: int
    modality: str


class OutcomeModel:
    """Draws each past contract's outcome from a documented hidden model, in order of start.

    A quality model trained on the demo history should rediscover these effects. For a contract of
    vendor v on an order of modality m and annotation type t, with accuracy target a:

    * **true skill** ``s``: the coordinators' assessed proficiency of v for (m, t) plus a per-firm
      assessment error drawn once from N(0, 0.15) and a per-capability N(0, 0.03), clipped to
      [0.05, 0.99]. The one suspended firm's true skill is a further 0.12 below its assessment (its
      history is why it was suspended). The true skill is never stored.
    * **experience** ``e``: how many of v's earlier contracts of the same modality had finished
      before this one started (the stored contracts give it back exactly).
    * **load** ``L``: seats v had in use when the contract started, counting every contract of v
      that had started and not yet finished, plus this one's seats, divided by v's seats.
    * **typical accuracy** of v for this work: ``0.88 + 0.11 s`` (0.97 for s = 0.8); the
      **accuracy gap** ``g = a - typical accuracy``.

    Then

    * ``P(on time) = sigmoid(-1.0 + 3.6 s + 0.45 ln(1 + e) - 4.0 max(0, L - 0.4) - 15 max(0, g) + n)``
      with ``n ~ N(0, 0.4)`` per contract, and ``delivered_on_time ~ Bernoulli(P)``;
    * ``accuracy_achieved = typical accuracy + 0.004 ln(1 + e) - 0.04 max(0, L - 0.6) + N(0, 0.012)``,
      clipped to [0.70, 0.995].

    So success (on time at or above the target) rises with proficiency and experience and falls
    with load and with targets above what the firm usually reaches. A contract on time finishes up
    to a quarter of its window early; a late one 1 to 20 days after its deadline. The rating (1-5)
    follows from the two outcomes: 5 on time and at least one point above target, 4 on time at
    target, 3 one of the two, 2 neither but within three points, 1 otherwise.
    """

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._firm_error: dict[str, float] = {}
        self._skill: dict[tuple[str, str, str], float] = {}
        self._ledger: dict[str, list[_Past]] = defaultdict(list)

    def true_skill(self, vendor: str, skill: tuple[str, str], assessed: float, *, suspended: bool) -> float:
        key = (vendor, *skill)
        if key not in self._skill:
            if vendor not in self._firm_error:
                self._firm_error[vendor] = self.rng.gauss(0.0, ASSESSMENT_ERROR) - (
                    SUSPENDED_SHORTFALL if suspended else 0.0
                )
            value = assessed + self._firm_error[vendor] + self.rng.gauss(0.0, 0.03)
            self._skill[key] = min(0.99, max(0.05, value))
        return self._skill[key]

    def experience(self, vendor: str, modality: str, at: dt.datetime) -> int:
        return sum(1 for past in self._ledger[vendor] if past.modality == modality and past.ends_at <= at)

    def load(self, vendor: str, starts_at: dt.datetime, seats: int, vendor_seats: int) -> float:
        busy = sum(p.seats for p in self._ledger[vendor] if p.starts_at <= starts_at < p.ends_at)
        return (busy + seats) / max(vendor_seats, 1)

    def draw(
        self,
        *,
        vendor: str,
        vendor_seats: int,
        skill: tuple[str, str],
        assessed: float,
        suspended: bool,
        accuracy_target: float,
        starts_at: dt.datetime,
        deadline: dt.datetime,
        seats: int,
        not_after: dt.datetime,
    ) -> Outcome:
        """The outcome of one contract; contracts must be drawn in order of their start."""
        rng = self.rng
        s = self.true_skill(vendor, skill, assessed, suspended=suspended)
        e = self.experience(vendor, skill[0], starts_at)
        load = self.load(vendor, starts_at, seats, vendor_seats)
        typical = ACCURACY_BASE + ACCURACY_SKILL * s
        gap = accuracy_target - typical
        z = (INTERCEPT + SKILL_WEIGHT * s + EXPERIENCE_WEIGHT * math.log1p(e)
             - LOAD_WEIGHT * max(0.0, load - LOAD_KNEE) - GAP_WEIGHT * max(0.0, gap)
             + rng.gauss(0.0, TIME_NOISE))
        p = sigmoid(z)
        on_time = rng.random() < p
        accuracy = (typical + ACCURACY_EXPERIENCE * math.log1p(e)
                    - ACCURACY_LOAD * max(0.0, load - ACCURACY_LOAD_KNEE) + rng.gauss(0.0, ACCURACY_NOISE))
        accuracy = round(min(0.995, max(0.70, accuracy)), 4)
        window = deadline - starts_at
        if on_time:
            completed_at = deadline - window * rng.uniform(0.0, 0.25)
        else:
            completed_at = deadline + dt.timedelta(days=rng.uniform(1.0, 20.0))
        completed_at = min(completed_at, not_after)
        rating = _rating(on_time, accuracy, accuracy_target)
        self._ledger[vendor].append(_Past(starts_at, completed_at, seats, skill[0]))
        return Outcome(on_time, accuracy, completed_at, rating, RATING_COMMENTS[rating], s, e, load, p)

    def occupy(self, vendor: str, starts_at: dt.datetime, ends_at: dt.datetime, seats: int, modality: str) -> None:
        """Record a contract still running, so later draws see the seats it takes."""
        self._ledger[vendor].append(_Past(starts_at, ends_at, seats, modality))


def _rating(on_time: bool, accuracy: float, target: float) -> int:
    at_target = accuracy >= target
    if on_time and accuracy >= target + 0.01:
        return 5
    if on_time and at_target:
        return 4
    if on_time or at_target:
        return 3
    if accuracy >= target - 0.03:
        return 2
    return 1
