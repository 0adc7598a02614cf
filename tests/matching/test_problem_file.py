"""Problem files: JSON problems (scored or from facts), OR-Library GAP files, bad files refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from market.matching.problem_file import RESULT_KEYS, detect_format, main, solve_file
from tests.matching.helpers import SCORED, write

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "problem.json"


def test_the_documented_example_solves_to_a_proven_optimum():
    (result,) = solve_file(EXAMPLE)
    assert tuple(result) == RESULT_KEYS
    assert result["instance"] == "guiyang-demo"
    assert result["status"] == "optimal"
    assert result["objective"] > 0
    assert result["bound"] == pytest.approx(result["objective"])
    json.dumps(result)


def test_a_scored_problem_uses_the_given_scores_and_the_vendors_seats(tmp_path):
    # Vendor a: 2 seats x 9 working days x 50 = 900 units at 80; b takes the other 100 at 60.
    (result,) = solve_file(write(tmp_path, SCORED))
    assert result["instance"] == "problem"
    assert result["objective"] == pytest.approx(900 * 80 + 100 * 60)
    assert result["gap_pct"] == pytest.approx(0.0)


def test_weekly_capacity_and_running_contracts_take_seat_days_away(tmp_path):
    data = json.loads(json.dumps(SCORED))
    data["vendors"][0]["capacity"] = {"2026-W49": 0}  # a: only week W50 (5 days x 2 seats)
    data["running"] = [{"vendor": "a", "seat_days": 5, "start": "2026-12-07", "end": "2026-12-11"}]
    (result,) = solve_file(write(tmp_path, data))
    # a's load per unit: 4/9 of 1/50 in W49 (no capacity) => a gets nothing; b gets 600.
    assert result["objective"] == pytest.approx(600 * 60)


def test_a_list_of_problems_yields_one_result_per_problem(tmp_path):
    second = {**SCORED, "name": "second"}
    results = list(solve_file(write(tmp_path, [SCORED, second], "many.json")))
    assert [r["instance"] for r in results] == ["many-1", "second"]


def test_the_format_is_detected_by_extension_or_content(tmp_path):
    assert detect_format(write(tmp_path, SCORED, "p.json")) == "json"
    assert detect_format(tmp_path / "gap1.txt", "1 2 3") == "orlib"
    assert detect_format(write(tmp_path, SCORED, "p.problem")) == "json"
    assert detect_format(write(tmp_path, "1\n2 3\n", "gap7.dat")) == "orlib"
    with pytest.raises(ValueError, match="cannot tell the format"):
        detect_format(write(tmp_path, "hello", "notes.md"))


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="no such file"):
        list(solve_file(tmp_path / "nowhere.json"))


def test_the_command_line_prints_one_json_line_per_instance(tmp_path, capsys):
    path = write(tmp_path, [SCORED, SCORED], "two.json")
    assert main([str(path), "--time-limit", "5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["instance"] for line in lines] == ["two-1", "two-2"]


def test_the_command_line_reports_a_bad_file_without_a_traceback(tmp_path, capsys):
    assert main([str(write(tmp_path, "[1, 2"))]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err


def test_an_orlib_file_is_solved_with_the_gap_solver(tmp_path):
    pytest.importorskip("market.matching.gap.solver")
    # One profit instance: 2 agents, 3 jobs; best is jobs 0 and 2 on agent 0, job 1 on agent 1.
    text = "1\n2 3\n9 1 8\n2 7 3\n5 5 5\n5 5 5\n10 10\n"
    (result,) = solve_file(write(tmp_path, text, "gap99.txt"))
    assert tuple(result) == RESULT_KEYS
    assert result["instance"] == "gap99-1"
    assert result["objective"] == pytest.approx(24)


def test_a_broken_orlib_file_is_refused(tmp_path):
    pytest.importorskip("market.matching.gap.solver")
    with pytest.raises(ValueError, match="gap98.txt"):
        list(solve_file(write(tmp_path, "1\n2 3\n9 1\n", "gap98.txt")))


def test_an_orlib_file_with_any_name_is_solved_once_its_sense_is_given(tmp_path, capsys):
    pytest.importorskip("market.matching.gap.solver")
    path = write(tmp_path, "1\n2 3\n9 1 8\n2 7 3\n5 5 5\n5 5 5\n10 10\n", "my-case.txt")
    assert main([str(path)]) == 2
    assert "--sense" in capsys.readouterr().err  # the error says how to fix it
    assert main([str(path), "--sense", "min", "--time-limit", "2"]) == 0
    (line,) = capsys.readouterr().out.strip().splitlines()
    # Minimising: job 0 and job 2 cost least on agent 1, job 1 on agent 0.
    assert json.loads(line)["objective"] == pytest.approx(1 + 2 + 3)
