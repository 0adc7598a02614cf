"""Features and labels of the quality model, computed from the database as of a point in time.

Everything is batch-oriented: the history of the vendors concerned is read in three queries and
the features of any number of (work, vendor) pairs are computed in memory from it.

No leakage: the features of a piece of work use only what was known at its `as_of` time.
History (rates, experience, earlier texts) counts contracts completed strictly before it;
load counts contracts known by then and not yet finished, over their planned (not actual)
spans. Two inputs are today's values because the database keeps no history of them: a
capability's assessed proficiency and a vendor's seats. The TF-IDF vocabulary is fitted on all
the orders' texts, which carries no outcome.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from market.contracts.models import Contract
from market.matching.quality import (
    FEATURE_NAMES,
    LOAD_CAP,
    NEUTRAL_PROFICIENCY,
    make_text_vectorizer,
    smoothed_rate,
)
from market.orders.models import Order
from market.organizations.models import Capability, VendorProfile

_DAY = 86400.0
_FEATURE = {name: i for i, name in enumerate(FEATURE_NAMES)}


def reached_target(accuracy_achieved: float, accuracy_target: float) -> bool:
    # Accuracies are floats stored by two databases; a hair below the target still reached it.
    return accuracy_achieved >= accuracy_target - 1e-9


def outcome_label(delivered_on_time: bool, accuracy_achieved: float, accuracy_target: float) -> int:
    """1 when the contract was delivered on time at its order's accuracy target, else 0."""
    return int(bool(delivered_on_time) and reached_target(accuracy_achieved, accuracy_target))


def order_text(title: str | None, description: str | None) -> str:
    return f"{title or ''}\n{description or ''}".strip()


@dataclass(frozen=True)
class Work:
    """What a vendor is asked to do: a past contract when training, an (order, bid) pair when matching."""

    vendor_id: int
    modality: str
    annotation_type: str
    accuracy_target: float
    text: str
    as_of: dt.datetime  # only what was known before this moment counts
    window_start: dt.datetime
    window_end: dt.datetime
    seats: int
    contract_id: int | None = None  # a training contract is not part of its own load


@dataclass(frozen=True)
class PastContract:
    id: int
    vendor_id: int
    modality: str
    annotation_type: str
    accuracy_target: float
    text: str
    volume: int
    seats: int
    starts_at: dt.datetime
    deadline: dt.datetime
    known_at: dt.datetime
    finished_at: dt.datetime | None  # None: still running
    completed_at: dt.datetime | None  # set only for completed contracts
    delivered_on_time: bool | None
    accuracy_achieved: float | None

    @property
    def has_outcome(self) -> bool:
        return (self.completed_at is not None and self.delivered_on_time is not None
                and self.accuracy_achieved is not None)

    @property
    def label(self) -> int:
        return outcome_label(self.delivered_on_time, self.accuracy_achieved, self.accuracy_target)

    def as_work(self) -> Work:
        """The contract as the work it was when it started, for a training example."""
        return Work(
            vendor_id=self.vendor_id,
            modality=self.modality,
            annotation_type=self.annotation_type,
            accuracy_target=self.accuracy_target,
            text=self.text,
            as_of=self.starts_at,
            window_start=self.starts_at,
            window_end=self.deadline,
            seats=self.seats,
            contract_id=self.id,
        )


def _ts(moment: dt.datetime) -> float:
    return moment.timestamp()


class _VendorHistory:
    """One vendor's contracts as arrays, so each piece of work costs a few vectorised operations."""

    def __init__(self, contracts: list[PastContract]) -> None:
        done = sorted((c for c in contracts if c.completed_at is not None),
                      key=lambda c: (c.completed_at, c.id))
        self.done = done
        self.done_at = np.array([_ts(c.completed_at) for c in done], dtype=float)
        on_time_known = np.array([c.delivered_on_time is not None for c in done], dtype=float)
        on_time = np.array([bool(c.delivered_on_time) for c in done], dtype=float)
        acc_known = np.array([c.accuracy_achieved is not None for c in done], dtype=float)
        acc_ok = np.array(
            [
                c.accuracy_achieved is not None
                and reached_target(c.accuracy_achieved, c.accuracy_target)
                for c in done
            ],
            dtype=float,
        )
        # Prefix sums with a leading 0: the totals over the first i completed contracts are at [i].
        self.on_time_known = np.concatenate([[0.0], np.cumsum(on_time_known)])
        self.on_time = np.concatenate([[0.0], np.cumsum(on_time)])
        self.acc_known = np.concatenate([[0.0], np.cumsum(acc_known)])
        self.acc_ok = np.concatenate([[0.0], np.cumsum(acc_ok)])
        self.volume_by_modality = {
            modality: np.concatenate(
                [[0.0], np.cumsum([c.volume if c.modality == modality else 0 for c in done])]
            )
            for modality in {c.modality for c in done}
        }
        self.ids = np.array([c.id for c in contracts], dtype=np.int64)
        self.known_at = np.array([_ts(c.known_at) for c in contracts], dtype=float)
        self.finished_at = np.array(
            [_ts(c.finished_at) if c.finished_at else math.inf for c in contracts]
        )
        self.starts_at = np.array([_ts(c.starts_at) for c in contracts], dtype=float)
        self.deadline = np.array([_ts(c.deadline) for c in contracts], dtype=float)
        self.seats = np.array([c.seats for c in contracts], dtype=float)

    def completed_before(self, moment: dt.datetime) -> int:
        return int(np.searchsorted(self.done_at, _ts(moment), side="left"))

    def committed_seat_days(self, work: Work) -> float:
        """Seat-days of the other contracts known and unfinished at `as_of`, inside the work's window."""
        t, w0, w1 = _ts(work.as_of), _ts(work.window_start), _ts(work.window_end)
        active = (
            (self.known_at <= t) & (self.finished_at > t) & (self.ids != (work.contract_id or -1))
        )
        overlap = np.clip(np.minimum(self.deadline, w1) - np.maximum(self.starts_at, w0), 0.0, None)
        return float(np.sum(self.seats * overlap * active) / _DAY)


class History:
    """The past contracts, assessed proficiencies and seats of a set of vendors, read in three queries."""

    def __init__(
        self,
        contracts: Iterable[PastContract],
        proficiency: dict[tuple[int, str, str], float | None],
        seats: dict[int, int],
    ) -> None:
        self.contracts = sorted(contracts, key=lambda c: c.id)
        self.proficiency = proficiency
        self.seats = seats
        by_vendor: dict[int, list[PastContract]] = defaultdict(list)
        for c in self.contracts:
            by_vendor[c.vendor_id].append(c)
        self._by_vendor = {v: _VendorHistory(cs) for v, cs in by_vendor.items()}
        self._empty = _VendorHistory([])

    @classmethod
    def load(cls, session: Session, vendor_ids: Iterable[int] | None = None) -> History:
        """Read the history of `vendor_ids` (all vendors when None)."""
        ids = None if vendor_ids is None else sorted(set(vendor_ids))
        contract_stmt = (
            select(
                Contract.id,
                Contract.vendor_id,
                Contract.volume,
                Contract.seats,
                Contract.starts_at,
                Contract.deadline,
                Contract.created_at,
                Contract.status,
                Contract.completed_at,
                Contract.terminated_at,
                Contract.delivered_on_time,
                Contract.accuracy_achieved,
                Order.modality,
                Order.annotation_type,
                Order.accuracy_target,
                Order.title,
                Order.description,
            )
            .join(Order, Order.id == Contract.order_id)
            .order_by(Contract.id)
        )
        capability_stmt = select(
            Capability.vendor_id,
            Capability.modality,
            Capability.annotation_type,
            Capability.assessed_proficiency,
        )
        seats_stmt = select(VendorProfile.organization_id, VendorProfile.seats)
        if ids is not None:
            contract_stmt = contract_stmt.where(Contract.vendor_id.in_(ids))
            capability_stmt = capability_stmt.where(Capability.vendor_id.in_(ids))
            seats_stmt = seats_stmt.where(VendorProfile.organization_id.in_(ids))
        contracts = [_past_contract(row) for row in session.execute(contract_stmt)]
        proficiency = {(row.vendor_id, row.modality, row.annotation_type): row.assessed_proficiency
                       for row in session.execute(capability_stmt)}
        seats = {row.organization_id: row.seats for row in session.execute(seats_stmt)}
        return cls(contracts, proficiency, seats)

    def training_contracts(self) -> list[PastContract]:
        """Completed contracts with both outcomes recorded: the examples the model learns from.

        A contract completed no later than it started is a data error; learning from it would
        put its own outcome among its features.
        """
        return [c for c in self.contracts if c.has_outcome and c.completed_at > c.starts_at]

    def texts(self) -> list[str]:
        return [c.text for c in self.contracts if c.text]

    def features(self, works: Sequence[Work], vectorizer=None) -> np.ndarray:
        """One row of FEATURES per piece of work. `vectorizer`: the model's TF-IDF (fitted here if None)."""
        X = np.zeros((len(works), len(FEATURE_NAMES)), dtype=float)
        if not works:
            return X
        if vectorizer is None:
            vectorizer = fit_text_vectorizer(self.texts())
        by_vendor: dict[int, list[int]] = defaultdict(list)
        for i, work in enumerate(works):
            by_vendor[work.vendor_id].append(i)
        for vendor_id, rows in by_vendor.items():
            vendor = self._by_vendor.get(vendor_id, self._empty)
            similarity = self._similarities(vendor, [works[i] for i in rows], vectorizer)
            for k, i in enumerate(rows):
                X[i] = self._row(vendor, works[i], similarity[k])
        return X

    def _row(self, vendor: _VendorHistory, work: Work, similarity: float) -> np.ndarray:
        n = vendor.completed_before(work.as_of)
        proficiency = self.proficiency.get((work.vendor_id, work.modality, work.annotation_type))
        modality_volume = vendor.volume_by_modality.get(work.modality)
        window_days = max((work.window_end - work.window_start).total_seconds() / _DAY, 1.0)
        own_seat_days = work.seats * window_days
        capacity = self.seats.get(work.vendor_id, 0) * window_days
        committed = vendor.committed_seat_days(work) + own_seat_days
        load = committed / capacity if capacity > 0 else (LOAD_CAP if committed > 0 else 0.0)
        row = np.zeros(len(FEATURE_NAMES))
        row[_FEATURE["proficiency"]] = NEUTRAL_PROFICIENCY if proficiency is None else proficiency
        row[_FEATURE["on_time_rate"]] = smoothed_rate(vendor.on_time[n], vendor.on_time_known[n])
        row[_FEATURE["acceptance_rate"]] = smoothed_rate(vendor.acc_ok[n], vendor.acc_known[n])
        row[_FEATURE["past_contracts"]] = math.log1p(n)
        row[_FEATURE["experience"]] = math.log1p(
            modality_volume[n] if modality_volume is not None else 0.0
        )
        row[_FEATURE["load"]] = min(load, LOAD_CAP)
        row[_FEATURE["accuracy_target"]] = work.accuracy_target
        row[_FEATURE["text_similarity"]] = similarity
        return row

    @staticmethod
    def _similarities(vendor: _VendorHistory, works: list[Work], vectorizer) -> np.ndarray:
        """Highest cosine similarity of each work's text to the vendor's orders completed before it."""
        out = np.zeros(len(works))
        if vectorizer is None or not vendor.done:
            return out
        past = vectorizer.transform([c.text for c in vendor.done])
        current = vectorizer.transform([w.text for w in works])
        # TF-IDF rows are L2-normalised, so the dot product is the cosine similarity.
        similarity = (current @ past.T).toarray()
        for k, work in enumerate(works):
            n = vendor.completed_before(work.as_of)
            if n:
                out[k] = float(similarity[k, :n].max())
        return np.clip(out, 0.0, 1.0)


def fit_text_vectorizer(texts: Sequence[str]):
    """A TF-IDF vectorizer fitted on `texts`, or None when there is no text to learn a vocabulary from."""
    texts = [t for t in texts if t.strip()]
    if not texts:
        return None
    return make_text_vectorizer().fit(texts)


def _past_contract(row) -> PastContract:
    if row.status == "completed":
        finished = row.completed_at
    elif row.status == "terminated":
        finished = row.terminated_at or row.deadline
    else:
        finished = None
    # A contract imported or seeded after the fact has a late created_at; it was known once it started.
    known_at = min(row.created_at, row.starts_at) if row.created_at else row.starts_at
    return PastContract(
        id=row.id,
        vendor_id=row.vendor_id,
        modality=row.modality,
        annotation_type=row.annotation_type,
        accuracy_target=float(row.accuracy_target),
        text=order_text(row.title, row.description),
        volume=int(row.volume),
        seats=int(row.seats or 0),
        starts_at=row.starts_at,
        deadline=row.deadline,
        known_at=known_at,
        finished_at=finished,
        completed_at=row.completed_at if row.status == "completed" else None,
        delivered_on_time=row.delivered_on_time,
        accuracy_achieved=row.accuracy_achieved,
    )


@dataclass(frozen=True)
class TrainingSet:
    X: np.ndarray
    y: np.ndarray
    contract_ids: list[int]
    vectorizer: object | None


def training_set(session: Session) -> TrainingSet:
    """Features and labels of every completed contract with recorded outcomes, in contract id order."""
    history = History.load(session)
    examples = history.training_contracts()
    vectorizer = fit_text_vectorizer(history.texts())
    X = history.features([c.as_work() for c in examples], vectorizer)
    y = np.array([c.label for c in examples], dtype=int)
    return TrainingSet(X, y, [c.id for c in examples], vectorizer)


def work_for_bid(order: Order, bid, now: dt.datetime) -> Work:
    """The work a bid proposes: the order's text and target, the bid's seats, from now to the deadline."""
    start = max(now, order.bidding_closes_at)
    return Work(
        vendor_id=bid.vendor_id,
        modality=order.modality,
        annotation_type=order.annotation_type,
        accuracy_target=float(order.accuracy_target),
        text=order_text(order.title, order.description),
        as_of=now,
        window_start=start,
        window_end=max(order.delivery_deadline, start),
        seats=int(bid.seats_committed),
    )
