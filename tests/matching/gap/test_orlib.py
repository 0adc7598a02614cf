"""The OR-Library GAP file reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from market.matching.gap.orlib import read_orlib
from tests.matching.gap.helpers import DATA, needs_data


@needs_data
def test_parser_reads_gap1() -> None:
    instances = read_orlib(DATA / "gap1.txt")
    assert len(instances) == 5
    assert [i.name for i in instances] == [f"gap1-{k}" for k in range(1, 6)]
    for inst in instances:
        assert inst.sense == "max"
        assert inst.value.shape == (5, 15) and inst.weight.shape == (5, 15)
        assert inst.capacity.shape == (5,)
    assert instances[0].value[0, :3].tolist() == [17, 21, 22]


@needs_data
def test_parser_reads_gapd_shapes() -> None:
    instances = read_orlib(DATA / "gapd.txt")
    assert [i.name for i in instances] == [
        "d5-100",
        "d5-200",
        "d10-100",
        "d10-200",
        "d20-100",
        "d20-200",
    ]
    assert all(i.sense == "min" for i in instances)
    assert instances[5].value.shape == (20, 200) and instances[5].capacity.shape == (20,)


def test_parser_wrapped_tokens_and_explicit_sense(tmp_path: Path) -> None:
    path = tmp_path / "custom.txt"
    path.write_text("1\n2 3\n1 2\n3 4 5 6\n1 1 1 1\n1 1\n5 5\n")
    (inst,) = read_orlib(path, sense="min")
    assert inst.name == "custom-1" and inst.sense == "min"
    assert inst.value.tolist() == [[1, 2, 3], [4, 5, 6]]
    assert inst.capacity.tolist() == [5, 5]


@pytest.mark.parametrize(
    "text, message",
    [
        ("1\n2 2\n1 2 3 4\n1 1 1 1\n5\n", "ends early"),
        ("1\n1 2\n1 2\n1 1\n5 9\n", "trailing"),
        ("1\n1 2\n1 x\n1 1\n5\n", "not an integer"),
    ],
)
def test_parser_rejects_malformed(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "gapz.txt"
    path.write_text(text)
    with pytest.raises(ValueError, match=message) as err:
        read_orlib(path)
    assert "gapz.txt" in str(err.value)


def test_parser_needs_sense_for_unknown_names(tmp_path: Path) -> None:
    path = tmp_path / "orders.txt"
    path.write_text("1\n1 1\n1\n1\n1\n")
    with pytest.raises(ValueError, match="sense"):
        read_orlib(path)
