"""The hidden model the demo's outcomes are drawn from behaves as it documents."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random

from market.demo.history import OutcomeModel

_firms = itertools.count()


def _draws(model: OutcomeModel, n: int, **kwargs) -> float:
    """The share of n independent first contracts (a new firm each, so no experience) that succeed."""
    start = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    wins = 0
    for _ in range(n):
        values = {"vendor_seats": 100, "skill": ("image", "bbox"), "assessed": 0.8, "suspended": False,
                  "accuracy_target": 0.95, "seats": 20}
        values.update(kwargs)
        outcome = model.draw(vendor=f"firm-{next(_firms)}", starts_at=start,
                             deadline=start + dt.timedelta(days=40), not_after=start + dt.timedelta(days=400),
                             **values)
        wins += outcome.delivered_on_time and outcome.accuracy_achieved >= values["accuracy_target"]
    return wins / n


def test_the_hidden_model_behaves_as_its_docstring_says():
    model = OutcomeModel(random.Random(1))
    base = _draws(model, 600)
    assert _draws(model, 600, assessed=0.6) < base - 0.15
    assert _draws(model, 600, seats=120) < base - 0.15  # 120 % of the firm's seats
    assert _draws(model, 600, accuracy_target=0.99) < base - 0.3
    assert _draws(model, 600, assessed=0.95) > base


def test_experience_counts_earlier_finished_contracts_of_the_same_modality():
    model = OutcomeModel(random.Random(2))
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    common = {"vendor": "firm", "vendor_seats": 100, "assessed": 0.8, "suspended": False,
              "accuracy_target": 0.95, "seats": 10, "not_after": start + dt.timedelta(days=1000)}
    for i in range(3):
        first = start + dt.timedelta(days=100 * i)
        outcome = model.draw(skill=("image", "bbox"), starts_at=first, deadline=first + dt.timedelta(days=30),
                             **common)
        assert outcome.experience == i
    later = start + dt.timedelta(days=400)
    assert model.draw(skill=("audio", "transcription"), starts_at=later, deadline=later + dt.timedelta(days=30),
                      **common).experience == 0
    # The audio contract just drawn is running, so it counts towards the load at its start.
    assert math.isclose(model.load("firm", later, 30, 100), 0.4)
