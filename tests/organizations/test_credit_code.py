"""The unified social credit code (GB 32100-2015): its check character, what makes one invalid."""

from __future__ import annotations

import pytest

from market.organizations.credit_code import (
    ALPHABET,
    check_character,
    credit_code_problem,
    make_credit_code,
)

# Bodies in the real format: registration authority and type (91 enterprise, 11 government body,
# 52 social organisation), a 6-digit division code of Guizhou, and a 9-character organisation code.
REAL_FORMAT_BODIES = [
    "91520115MA6DK3XX0",  # enterprise in Guanshanhu district, Guiyang
    "91522200MA6HB5N21",  # enterprise in Tongren
    "11520000009390478",  # provincial government department
    "52522700MJ2771083",  # social organisation in Qiannan
    "91520900MA6E0Q8R4",  # enterprise in Gui'an new area
]


@pytest.mark.parametrize("body", REAL_FORMAT_BODIES)
def test_a_completed_code_is_valid(body):
    code = make_credit_code(body)
    assert len(code) == 18
    assert code.startswith(body)
    assert credit_code_problem(code) is None


@pytest.mark.parametrize("body", REAL_FORMAT_BODIES)
def test_every_other_check_character_is_refused(body):
    right = check_character(body)
    for wrong in ALPHABET.replace(right, ""):
        problem = credit_code_problem(body + wrong)
        assert problem is not None and "check character" in problem
        assert repr(right) in problem


def test_a_published_code_checks_out():
    # The example code given with GB 32100-2015's check-character algorithm.
    assert credit_code_problem("91350100M000100Y43") is None


def test_the_check_character_follows_the_weighted_sum_modulo_31():
    body = "91520115MA6DK3XX0"
    weights = [pow(3, i, 31) for i in range(17)]
    total = sum(ALPHABET.index(ch) * w for ch, w in zip(body, weights, strict=True))
    assert check_character(body) == ALPHABET[(31 - total % 31) % 31]


def test_a_check_character_of_zero_is_written_0():
    # Search a body whose weighted sum is a multiple of 31: (31 - 0) % 31 must give "0", not "Y".
    for n in range(1000):
        body = f"91520100{n:09d}"
        if check_character(body) == "0":
            assert credit_code_problem(body + "0") is None
            return
    pytest.fail("no body with check character 0 among the first thousand")


def test_lowercase_letters_are_accepted():
    assert credit_code_problem(make_credit_code("91520115MA6DK3XX0").lower()) is None


@pytest.mark.parametrize("code", ["", "9152011", make_credit_code("91520115MA6DK3XX0") + "1"])
def test_a_code_of_the_wrong_length_is_refused(code):
    assert credit_code_problem(code) == "must be exactly 18 characters"


def test_a_non_string_is_refused():
    assert credit_code_problem(915201150000000000) == "must be exactly 18 characters"


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z"])
def test_letters_left_out_of_the_alphabet_are_refused(letter):
    code = "91520115MA6DK3XX" + letter + "0"
    assert (
        credit_code_problem(code) == f"contains characters not allowed in a credit code: {letter}"
    )


def test_punctuation_is_refused():
    assert "not allowed" in credit_code_problem("91520115-A6DK3XX00")


def test_the_division_code_must_be_digits():
    body = "91A20115MA6DK3XX0"
    problem = credit_code_problem(make_credit_code(body))
    assert problem == "characters 3 to 8 must be the 6-digit administrative division code"
