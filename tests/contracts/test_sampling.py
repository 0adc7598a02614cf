"""ISO 2859-1:1999 (GB/T 2828.1-2012) single sampling: the tables, the plans, the draw, the switching rules
and the public look-up."""

from __future__ import annotations

import random
from decimal import Decimal
from math import comb

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from market.contracts import sampling
from market.contracts.sampling import (
    LEVELS,
    PREFERRED_AQLS,
    SEVERITIES,
    SwitchingState,
    after_lot,
    default_aql,
    draw_sample,
    plan_for,
    reinstate_normal,
    resume,
    size_code,
)
from tests.conftest import assert_error

PROPERTY = settings(max_examples=300, deadline=None)
lot_sizes = st.integers(min_value=1, max_value=2_000_000)
aqls = st.sampled_from(PREFERRED_AQLS)
levels = st.sampled_from(LEVELS)
severities = st.sampled_from(SEVERITIES)

# Table 1 as the standard prints it: lot size band, then S-1, S-2, S-3, S-4, I, II, III.
TABLE_1 = [
    (2, 8, "A A A A A A B"),
    (9, 15, "A A A A A B C"),
    (16, 25, "A A B B B C D"),
    (26, 50, "A B B C C D E"),
    (51, 90, "B B C C C E F"),
    (91, 150, "B B C D D F G"),
    (151, 280, "B C D E E G H"),
    (281, 500, "B C D E F H J"),
    (501, 1200, "C C E F G J K"),
    (1201, 3200, "C D E G H K L"),
    (3201, 10000, "C D F G J L M"),
    (10001, 35000, "C D F H K M N"),
    (35001, 150000, "D E G J L N P"),
    (150001, 500000, "D E G J M P Q"),
    (500001, 10**9, "D E H K N Q R"),
]
TABLE_1_LEVELS = ("S-1", "S-2", "S-3", "S-4", "I", "II", "III")


@pytest.mark.parametrize(("low", "high", "letters"), TABLE_1)
def test_every_lot_size_band_has_the_code_letter_of_table_1_at_every_level(low, high, letters):
    for level, letter in zip(TABLE_1_LEVELS, letters.split(), strict=True):
        assert size_code(low, level) == letter, (low, level)
        assert size_code(high, level) == letter, (high, level)
        assert size_code((low + high) // 2, level) == letter, (low, high, level)


def test_a_lot_of_one_item_counts_with_the_smallest_band():
    assert [size_code(1, level) for level in TABLE_1_LEVELS] == ["A"] * 6 + ["B"]


# (lot size, AQL, level, severity) -> (Table 1 letter, letter used, n, Ac, Re, 100 % inspection)
KNOWN_PLANS = [
    # Table 2-A, normal inspection.
    ((1000, "1.0", "II", "normal"), ("J", "J", 80, 2, 3, False)),
    ((500, "1.0", "II", "normal"), ("H", "H", 50, 1, 2, False)),
    ((2000, "1.0", "II", "normal"), ("K", "K", 125, 3, 4, False)),
    ((2000, "0.65", "II", "normal"), ("K", "K", 125, 2, 3, False)),
    ((5000, "2.5", "II", "normal"), ("L", "L", 200, 10, 11, False)),
    ((150, "0.65", "II", "normal"), ("F", "F", 20, 0, 1, False)),
    ((100, "10", "II", "normal"), ("F", "F", 20, 5, 6, False)),
    ((60000, "0.40", "I", "normal"), ("L", "L", 200, 2, 3, False)),
    ((5, "6.5", "I", "normal"), ("A", "A", 2, 0, 1, False)),
    ((10, "1000", "II", "normal"), ("B", "B", 3, 44, 45, False)),
    ((600000, "0.010", "II", "normal"), ("Q", "Q", 1250, 0, 1, False)),
    # Arrows: up to the first plan above, down to the first plan below.
    ((200, "0.65", "II", "normal"), ("G", "F", 20, 0, 1, False)),
    ((400, "0.65", "II", "normal"), ("H", "J", 80, 1, 2, False)),
    ((50, "1000", "II", "normal"), ("D", "B", 3, 44, 45, False)),
    ((100, "100", "II", "normal"), ("F", "E", 13, 21, 22, False)),
    ((600000, "0.015", "III", "normal"), ("R", "P", 800, 0, 1, False)),
    ((5, "10", "II", "normal"), ("A", "C", 5, 1, 2, True)),
    # The sample would be the whole lot or more: 100 % inspection.
    ((8, "0.65", "II", "normal"), ("A", "F", 8, 0, 1, True)),
    ((10, "1.0", "II", "normal"), ("B", "E", 10, 0, 1, True)),
    ((13, "1.0", "II", "normal"), ("B", "E", 13, 0, 1, True)),
    ((1, "1.0", "II", "normal"), ("A", "E", 1, 0, 1, True)),
    # Table 2-B, tightened inspection (with its row S of 3150 under AQL 0.025 only).
    ((1000, "1.0", "II", "tightened"), ("J", "J", 80, 1, 2, False)),
    ((2000, "1.0", "II", "tightened"), ("K", "K", 125, 2, 3, False)),
    ((2000, "2.5", "II", "tightened"), ("K", "K", 125, 5, 6, False)),
    ((5000, "4.0", "II", "tightened"), ("L", "L", 200, 12, 13, False)),
    ((300000, "0.025", "II", "tightened"), ("P", "P", 800, 0, 1, False)),
    ((600000, "0.025", "III", "tightened"), ("R", "S", 3150, 1, 2, False)),
    ((600000, "0.015", "III", "tightened"), ("R", "Q", 1250, 0, 1, False)),
    ((400, "0.65", "II", "tightened"), ("H", "K", 125, 1, 2, False)),
    ((20, "1.0", "II", "tightened"), ("C", "F", 20, 0, 1, True)),
    ((5, "10", "II", "tightened"), ("A", "D", 5, 1, 2, True)),
    ((10, "1000", "II", "tightened"), ("B", "B", 3, 41, 42, False)),
    # Table 2-C, reduced inspection: the 1999 edition's plans, Re = Ac + 1.
    ((2000, "1.0", "II", "reduced"), ("K", "K", 50, 2, 3, False)),
    ((2000, "2.5", "II", "reduced"), ("K", "K", 50, 5, 6, False)),
    ((2000, "4.0", "II", "reduced"), ("K", "K", 50, 6, 7, False)),
    ((2000, "6.5", "II", "reduced"), ("K", "K", 50, 8, 9, False)),
    ((2000, "10", "II", "reduced"), ("K", "K", 50, 10, 11, False)),
    ((20000, "6.5", "II", "reduced"), ("M", "L", 80, 10, 11, False)),
    ((1000, "0.65", "II", "reduced"), ("J", "K", 50, 1, 2, False)),
    ((600000, "0.025", "III", "reduced"), ("R", "N", 200, 0, 1, False)),
    ((10, "0.10", "II", "reduced"), ("B", "K", 10, 0, 1, True)),
    ((100, "150", "II", "reduced"), ("F", "E", 5, 14, 15, False)),
]


@pytest.mark.parametrize(("args", "expected"), KNOWN_PLANS, ids=lambda v: "-".join(map(str, v)))
def test_known_plans_of_the_master_tables(args, expected):
    plan = plan_for(*args)
    assert (
        plan.size_code, plan.code_letter, plan.sample_size, plan.accept, plan.reject, plan.inspect_all
    ) == expected
    lot_size, aql, level, severity = args
    assert (plan.lot_size, plan.aql, plan.level, plan.severity) == (lot_size, Decimal(aql), level, severity)


def test_the_aql_is_read_by_value_and_given_back_as_the_standard_writes_it():
    assert plan_for(1000, "1").aql == plan_for(1000, Decimal("1.00")).aql == Decimal("1.0")
    assert str(plan_for(1000, "1").aql) == "1.0"
    assert str(plan_for(1000, "0.1").aql) == "0.10"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ((0, "1.0"), "lot size"),
        ((-5, "1.0"), "lot size"),
        ((True, "1.0"), "lot size"),
        (("100", "1.0"), "lot size"),
        ((100, "1.1"), "preferred AQL"),
        ((100, "abc"), "preferred AQL"),
        ((100, "NaN"), "preferred AQL"),
        ((100, "1.0", "IV"), "inspection level"),
        ((100, "1.0", "II", "loose"), "severity"),
    ],
)
def test_bad_input_is_refused_with_a_message_saying_what_is_wrong(args, says):
    with pytest.raises(ValueError, match=says):
        plan_for(*args)


def test_the_data_file_lists_the_preferred_aqls_and_every_cell_of_the_three_tables():
    data = sampling.tables()
    assert [Decimal(a) for a in data["aqls"]] == list(PREFERRED_AQLS)
    assert len(PREFERRED_AQLS) == 26 and PREFERRED_AQLS[0] == Decimal("0.010")
    tables = data["master_tables"]
    assert [tables[s]["table"] for s in SEVERITIES] == ["2-A", "2-B", "2-C"]
    for severity in SEVERITIES:
        rows = tables[severity]["rows"]
        assert set(rows) == set(tables[severity]["sample_sizes"])
        for letter, row in rows.items():
            assert len(row) == 26, (severity, letter)
            for cell in row:
                if cell not in ("↓", "↑", None):
                    accept, reject = map(int, cell.split("/"))
                    # The 1999 edition has no gap between Ac and Re, in 2-C as in 2-A and 2-B.
                    assert reject == accept + 1, (severity, letter, cell)
    assert [v for v in tables["tightened"]["rows"]["S"] if v] == ["1/2"]


@pytest.mark.parametrize("severity", SEVERITIES)
def test_every_cell_leads_to_a_plan_and_the_sample_grows_with_the_code_letter(severity):
    sizes = sampling.tables()["master_tables"][severity]["sample_sizes"]
    assert list(sizes.values()) == sorted(sizes.values())
    letters = [letter for letter in sizes if letter != "S"]
    for aql in PREFERRED_AQLS:
        resolved = [sampling.master_plan(severity, letter, aql)[1] for letter in letters]
        assert resolved == sorted(resolved), (severity, aql)


def test_reduced_samples_are_smaller_than_normal_ones_of_the_same_letter():
    tables = sampling.tables()["master_tables"]
    normal, reduced = tables["normal"]["sample_sizes"], tables["reduced"]["sample_sizes"]
    assert all(reduced[letter] <= normal[letter] for letter in reduced)
    assert (reduced["K"], normal["K"]) == (50, 125)


@PROPERTY
@given(lot_sizes, aqls, levels, severities)
def test_a_plan_exists_for_every_valid_input_and_never_asks_more_than_the_lot(lot_size, aql, level, severity):
    plan = plan_for(lot_size, aql, level, severity)
    assert 0 <= plan.accept < plan.reject == plan.accept + 1
    assert 1 <= plan.sample_size <= lot_size
    table_sample = sampling.master_plan(severity, plan.size_code, aql)[1]
    assert plan.inspect_all == (table_sample >= lot_size)
    assert plan.sample_size == (lot_size if plan.inspect_all else table_sample)


@PROPERTY
@given(lot_sizes, lot_sizes, aqls, levels, severities)
def test_a_larger_lot_never_gets_a_smaller_sample(a, b, aql, level, severity):
    small, large = sorted((a, b))
    assert plan_for(small, aql, level, severity).sample_size <= plan_for(large, aql, level, severity).sample_size


def acceptance_probability(plan, p: float) -> float:
    n = plan.sample_size
    return sum(comb(n, d) * p**d * (1 - p) ** (n - d) for d in range(min(plan.accept, n) + 1))


@PROPERTY
@given(lot_sizes, aqls, levels, st.floats(min_value=0.001, max_value=0.6))
def test_tightened_inspection_is_never_looser_than_normal(lot_size, aql, level, p):
    normal = plan_for(lot_size, aql, level, "normal")
    tightened = plan_for(lot_size, aql, level, "tightened")
    assert acceptance_probability(tightened, p) <= acceptance_probability(normal, p) + 1e-12
    if tightened.sample_size == normal.sample_size:
        assert tightened.accept <= normal.accept


@pytest.mark.parametrize(
    ("target", "aql"),
    [
        (0.99, "1.0"), (0.985, "1.5"), (0.975, "2.5"), (0.95, "4.0"), (0.9, "10"), (0.999, "0.10"),
        (0.98, "1.5"), (0.9999, "0.010"), (1.0, "0.010"), (0.5, "10"), (0, "10"),
    ],
)
def test_the_default_aql_is_the_largest_preferred_one_the_accuracy_target_allows(target, aql):
    assert default_aql(target) == Decimal(aql)
    assert str(default_aql(target)) == aql


@pytest.mark.parametrize("target", [-0.1, 1.5, float("nan"), "high", None])
def test_an_accuracy_target_outside_0_and_1_has_no_default_aql(target):
    with pytest.raises(ValueError, match="accuracy target"):
        default_aql(target)


def test_the_sample_is_drawn_from_the_seed_and_the_same_seed_draws_it_again():
    drawn = draw_sample(1000, 80, seed=20261202)
    assert drawn == draw_sample(1000, 80, seed=20261202)
    assert drawn == sorted(p + 1 for p in random.Random(20261202).sample(range(1000), 80))
    assert len(set(drawn)) == 80 and drawn == sorted(drawn) and 1 <= drawn[0] and drawn[-1] <= 1000
    assert drawn != draw_sample(1000, 80, seed=20261203)


def test_a_sample_of_the_whole_lot_is_every_item_and_huge_lots_are_drawn_without_a_list():
    assert draw_sample(8, 8, seed=1) == list(range(1, 9))
    assert len(draw_sample(10**12, 5, seed=7)) == 5


@pytest.mark.parametrize(("lot", "n", "seed"), [(10, 11, 1), (10, -1, 1), (0, 0, 1), (10, 2, "x")])
def test_an_impossible_sample_is_refused(lot, n, seed):
    with pytest.raises(ValueError):
        draw_sample(lot, n, seed)


# The switching rules (clause 9).

ACC2 = plan_for(1000, "1.0")  # J, n 80, Ac 2: the AQL one step tighter (0.65) gives J Ac 1
ACC1 = plan_for(500, "1.0")  # H, n 50, Ac 1


def run(state, lots, plan=None, **kwargs):
    """Apply lots given as defects counts under the plan of the state's severity."""
    for defects in lots:
        current = plan or plan_for(1000, "1.0", "II", state.severity)
        state = after_lot(state, current, current.accepts(defects), defects, **kwargs)
    return state


def test_two_rejections_within_five_lots_tighten_inspection():
    state = run(SwitchingState(), [3, 0, 0, 0])
    assert (state.severity, state.recent) == ("normal", (False, True, True, True))
    state = run(state, [3])
    assert state == SwitchingState(severity="tightened")


def test_two_rejections_six_lots_apart_do_not_tighten_inspection():
    state = run(SwitchingState(), [3, 0, 0, 0, 0, 3])
    assert state.severity == "normal"
    assert state.recent == (True, True, True, True, False)


def test_two_rejections_in_a_row_tighten_inspection():
    assert run(SwitchingState(), [5, 5]).severity == "tightened"


def test_five_accepted_lots_in_a_row_bring_normal_inspection_back():
    state = run(SwitchingState(severity="tightened"), [0, 0, 0, 5, 0, 0, 0, 0])
    assert (state.severity, state.consecutive_accepted, state.tightened_rejections) == ("tightened", 4, 1)
    assert run(state, [0]) == SwitchingState(severity="normal")


def test_five_rejected_lots_in_one_stretch_of_tightened_inspection_discontinue_it():
    state = run(SwitchingState(severity="tightened"), [5, 0, 5, 5, 0, 0, 5])
    assert (state.tightened_rejections, state.discontinued) == (4, False)
    state = run(state, [5])
    assert state.discontinued and state.tightened_rejections == 5
    with pytest.raises(ValueError, match="discontinued"):
        after_lot(state, plan_for(1000, "1.0", "II", "tightened"), True, 0)
    assert resume(state) == SwitchingState(severity="tightened")


def test_rejections_of_an_earlier_stretch_of_tightened_inspection_do_not_count():
    state = run(SwitchingState(severity="tightened"), [5, 5, 5, 5, 0, 0, 0, 0, 0])
    assert state == SwitchingState(severity="normal")
    state = run(state, [5, 5])  # tightened again: a new stretch
    assert (state.severity, state.tightened_rejections) == ("tightened", 0)
    state = run(state, [5])
    assert (state.tightened_rejections, state.discontinued) == (1, False)


def test_the_switching_score_adds_three_when_the_lot_passes_one_aql_step_tighter():
    assert ACC2.accept == 2 and sampling.master_plan("normal", "J", "0.65")[2] == 1
    state = run(SwitchingState(), [0, 1], plan=ACC2)
    assert state.switching_score == 6
    state = run(state, [2], plan=ACC2)  # accepted at 1.0, but not at 0.65
    assert (state.switching_score, state.severity, state.consecutive_accepted) == (0, "normal", 3)


def test_the_switching_score_adds_two_for_an_accepted_lot_with_ac_0_or_1_and_resets_on_a_rejection():
    state = run(SwitchingState(), [1, 0, 1], plan=ACC1)
    assert state.switching_score == 6
    state = run(state, [2], plan=ACC1)
    assert (state.switching_score, state.severity) == (0, "normal")


def test_reduced_inspection_needs_a_score_of_30_and_the_agency_agreeing():
    state = run(SwitchingState(), [0] * 10, plan=ACC2)
    assert (state.severity, state.switching_score) == ("normal", 30)
    state = run(state, [0], plan=ACC2, reduced_agreed=True)
    assert state == SwitchingState(severity="reduced")
    almost = run(SwitchingState(), [0] * 9, plan=ACC2, reduced_agreed=True)
    assert (almost.severity, almost.switching_score) == ("normal", 27)
    assert run(almost, [0], plan=ACC2, reduced_agreed=True).severity == "reduced"


def test_a_rejected_lot_on_reduced_inspection_brings_normal_inspection_back():
    reduced = plan_for(1000, "1.0", "II", "reduced")
    state = run(SwitchingState(severity="reduced"), [0, 0], plan=reduced)
    assert (state.severity, state.consecutive_accepted) == ("reduced", 2)
    assert run(state, [reduced.reject], plan=reduced) == SwitchingState(severity="normal")
    assert reinstate_normal(state) == SwitchingState(severity="normal")
    with pytest.raises(ValueError):
        reinstate_normal(SwitchingState())


def test_a_lot_outcome_that_contradicts_its_plan_or_severity_is_refused():
    with pytest.raises(ValueError, match="means the lot is accepted"):
        after_lot(SwitchingState(), ACC2, False, 1)
    with pytest.raises(ValueError, match="inspected normal"):
        after_lot(SwitchingState(severity="tightened"), ACC2, True, 0)
    with pytest.raises(ValueError, match="defects"):
        after_lot(SwitchingState(), ACC2, True, -1)
    with pytest.raises(ValueError, match="not discontinued"):
        resume(SwitchingState())


def test_every_table_2a_plan_with_ac_2_or_more_has_a_plan_one_aql_step_tighter_in_its_row():
    rows = sampling.tables()["master_tables"]["normal"]["rows"]
    for letter, row in rows.items():
        for column, cell in enumerate(row):
            if cell not in ("↓", "↑") and int(cell.split("/")[0]) >= 2:
                assert row[column - 1] not in ("↓", "↑"), (letter, PREFERRED_AQLS[column])


# The public look-up.

def test_anyone_looks_up_a_plan_without_logging_in(api):
    response = api.get("/api/v1/sampling-plan", params={"lot_size": 400, "aql": "0.65"})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "lot_size": 400, "aql": "0.65", "level": "II", "severity": "normal", "size_code": "H",
        "code_letter": "J", "sample_size": 80, "accept": 1, "reject": 2, "inspect_all": False,
    }


@pytest.mark.parametrize("role", ["agency", "vendor", "coordinator"])
def test_every_role_gets_the_same_plan(api, actors, role):
    params = {"lot_size": 8, "aql": "1", "level": "S-2", "severity": "tightened"}
    response = api.get("/api/v1/sampling-plan", params=params, token=actors.token(getattr(actors, role)))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "lot_size": 8, "aql": "1.0", "level": "S-2", "severity": "tightened", "size_code": "A",
        "code_letter": "F", "sample_size": 8, "accept": 0, "reject": 1, "inspect_all": True,
    }


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({}, ("lot_size", "aql")),
        ({"lot_size": 0, "aql": "1.0"}, ("lot_size",)),
        ({"lot_size": "many", "aql": "1.0"}, ("lot_size",)),
        ({"lot_size": 2**31, "aql": "1.0"}, ("lot_size",)),
        ({"lot_size": 100, "aql": "3"}, ("aql",)),
        ({"lot_size": 100, "aql": "1e400"}, ("aql",)),
        ({"lot_size": 100, "aql": "1.0", "level": "IV"}, ("level",)),
        ({"lot_size": 100, "aql": "1.0", "severity": "loose"}, ("severity",)),
        ({"lot_size": 100, "aql": "1.0", "lot": 5}, ("lot",)),
    ],
)
def test_bad_input_is_422_with_the_fields_that_are_wrong(api, params, fields):
    body = assert_error(api.get("/api/v1/sampling-plan", params=params), 422, *fields)
    if "aql" in fields and "aql" in params:
        assert body["errors"]["aql"][0].startswith("Must be one of: 0.010, 0.015")


def test_the_look_up_is_documented_as_public_in_the_openapi_document(api):
    operation = api.get("/api/v1/openapi.json").json()["paths"]["/api/v1/sampling-plan"]["get"]
    assert operation["security"] == []
    names = {p["name"]: p for p in operation["parameters"]}
    assert set(names) == {"lot_size", "aql", "level", "severity"}
    assert names["lot_size"]["required"] and names["aql"]["required"]
    assert names["aql"]["schema"]["enum"][0] == "0.010"
