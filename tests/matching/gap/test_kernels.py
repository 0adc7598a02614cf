"""The GAP solver's compiled kernels: knapsacks, Lagrangian penalties, iterated search."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from market.matching.gap import kernels


@st.composite
def knapsack_rows(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    m = draw(st.integers(1, 3))
    n = draw(st.integers(1, 8))
    profit = np.array(
        draw(st.lists(st.floats(-5, 20, allow_nan=False), min_size=m * n, max_size=m * n))
    )
    weight = np.array(draw(st.lists(st.integers(1, 12), min_size=m * n, max_size=m * n)))
    capacity = np.array(draw(st.lists(st.integers(0, 30), min_size=m, max_size=m)))
    return profit.reshape(m, n), weight.reshape(m, n).astype(np.int64), capacity.astype(np.int64)


def _best_subset(
    profit: np.ndarray, weight: np.ndarray, capacity: int, forced: int | None = None
) -> float:
    n = len(profit)
    best = -np.inf
    for bits in itertools.product((0, 1), repeat=n):
        x = np.array(bits, dtype=bool)
        if forced is not None and not x[forced]:
            continue
        if weight[x].sum() <= capacity:
            best = max(best, float(profit[x].sum()))
    return best


@settings(max_examples=60, deadline=None)
@given(knapsack_rows())
def test_knapsack_kernel_matches_enumeration(
    row: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    profit, weight, capacity = row
    chosen, value = kernels.knapsacks(profit, weight, capacity)
    for i in range(len(capacity)):
        assert value[i] == pytest.approx(_best_subset(profit[i], weight[i], capacity[i]))
        assert weight[i][chosen[i]].sum() <= capacity[i]
        assert profit[i][chosen[i]].sum() == pytest.approx(value[i])


@settings(max_examples=60, deadline=None)
@given(knapsack_rows())
def test_lagrangian_penalty_is_the_loss_of_forcing_an_item(
    row: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    profit, weight, capacity = row
    penalty = kernels.lagrangian_penalties(profit, weight, capacity)
    for i in range(len(capacity)):
        best = _best_subset(profit[i], weight[i], capacity[i])
        for j in range(len(profit[i])):
            with_j = _best_subset(profit[i], weight[i], capacity[i], forced=j)
            expected = np.inf if with_j == -np.inf else max(best - with_j, 0.0)
            assert penalty[i, j] == pytest.approx(expected)


def test_iterated_search_is_reproducible_and_feasible() -> None:
    rng = np.random.default_rng(7)
    m, n = 6, 40
    weight = rng.integers(5, 25, size=(m, n)).astype(float)
    cost = rng.integers(10, 50, size=(m, n)).astype(float)
    capacity = weight.sum(axis=1) * 0.8 / m
    start = rng.integers(0, m, size=n).astype(np.int64)
    runs = [
        kernels.iterated_local_search(
            cost, weight, capacity, start, 3000, 100, 6, 10, 2.0, 0.1, 0.1, 2, 5, -np.inf,
            np.zeros(1, dtype=np.uint8),
        )
        for _ in range(2)
    ]
    (a, best, used, rounds), (b, best_b, _, _) = runs
    assert np.array_equal(a, b) and best == best_b
    assert used <= 3000 and rounds > 0
    load = np.bincount(a, weights=weight[a, np.arange(n)], minlength=m)
    assert (load <= capacity + 1e-9).all()
    assert best == pytest.approx(cost[a, np.arange(n)].sum())
