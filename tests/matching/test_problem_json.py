"""Reading JSON problem files: every mistake is refused with the file and the place."""

from __future__ import annotations

import json

import pytest

from market.matching.problem_file import solve_file
from tests.matching.helpers import SCORED, write


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(orders=[]), r"orders: must not be empty"),
        (lambda d: d["orders"][0].update(volume=-5), r"orders\[0\]\.volume: must be positive"),
        (lambda d: d["orders"][0].update(start="1 Dec"), r"orders\[0\]\.start: must be a date"),
        (lambda d: d["orders"][0].update(colour="red"), r"orders\[0\]: unknown field colour"),
        (lambda d: d["bids"][1].update(order=2), r"bids\[1\]\.order: unknown order 2"),
        (lambda d: d["bids"][1].update(score=120), r"bids\[1\]\.score: must be between 0 and 100"),
        (lambda d: d["bids"][1].pop("score"), r"either every bid has a \"score\""),
        (
            lambda d: d["bids"][0].pop("throughput_per_seat_day"),
            r"bids\[0\]: needs \"throughput_per_seat_day\"",
        ),
        (lambda d: d["vendors"][0].update(capacity={"W49": 3}), r"is not an ISO week"),
        (lambda d: d["vendors"][1].update(id="a"), r"vendors\[1\]\.id: duplicate id \"a\""),
        (lambda d: d.update(weights={"quality": 100}), r"weights: weights must name exactly"),
        (lambda d: d.pop("bids"), r"missing \"bids\""),
    ],
)
def test_a_bad_json_problem_is_refused_with_the_place_of_the_mistake(tmp_path, change, message):
    data = json.loads(json.dumps(SCORED))
    change(data)
    path = write(tmp_path, data)
    with pytest.raises(ValueError, match=message) as info:
        list(solve_file(path))
    assert str(info.value).startswith(str(path))


def test_a_facts_problem_needs_the_facts_to_check_and_score_bids(tmp_path):
    data = {
        "orders": [{"id": 1, "volume": 10, "start": "2026-12-01", "deadline": "2026-12-11"}],
        "vendors": [{"id": "a", "seats": 1}],
        "bids": [{"order": 1, "vendor": "a", "volume": 10, "unit_price": 1}],
    }
    with pytest.raises(ValueError, match=r"orders\[0\]: missing \"modality\""):
        list(solve_file(write(tmp_path, data)))


def test_invalid_json_names_the_line_and_column(tmp_path):
    with pytest.raises(ValueError, match="not valid JSON: .* line 1, column"):
        list(solve_file(write(tmp_path, '{"orders": [}')))
