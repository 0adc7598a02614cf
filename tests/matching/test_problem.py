"""The array contract of the solver: inconsistent arrays are refused."""

from __future__ import annotations

import pytest

from tests.matching.helpers import problem


def test_invalid_arrays_are_refused():
    with pytest.raises(ValueError, match="order volumes must be positive"):
        problem([(0, True, 0, 0)], [(0, 0, 90, 30, [1.0])], [[5]])
    with pytest.raises(ValueError, match="cand_vendor out of range"):
        problem([(10, True, 0, 0)], [(0, 3, 90, 30, [1.0])], [[5]])
