"""The scoring policy page: the weights in force with what each component means, changing them
with a note (checked by the policy service: they must sum to 100), and who changed them when."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from market.allocations import policy
from market.allocations.models import ScoringPolicy

PAGE = "/coordinator/scoring-policy"
WEIGHTS = {"weights.quality": "50", "weights.price": "20", "weights.capacity": "10",
           "weights.local": "10", "weights.fairness": "10"}


def _policies(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(ScoringPolicy))


def test_the_page_shows_the_weights_in_force_and_what_each_component_means(browser, actors):
    browser.sign_in(actors.coordinator)
    page = browser.get(PAGE)
    assert page.status_code == 200
    assert "质量" in page.text and "公平性" in page.text
    assert "预算上限" in page.text  # the price component explained
    assert "180" in page.text  # the fairness window
    assert "尚无协调员修改" in page.text  # the programme's defaults, nobody has changed them


def test_new_weights_with_a_note_are_in_force_and_in_the_history(browser, actors, db_session):
    browser.sign_in(actors.coordinator)
    done = browser.submit(PAGE, PAGE, WEIGHTS | {"note": "提高质量权重"})
    assert done.status_code == 302
    assert policy.current_policy(db_session)["quality"] == 50.0
    page = browser.get(PAGE).text
    assert "提高质量权重" in page and actors.coordinator.name in page


def test_weights_that_do_not_sum_to_100_are_refused_beside_the_fields_and_nothing_is_stored(
        browser, actors, db_session):
    browser.sign_in(actors.coordinator)
    before = _policies(db_session)
    refused = browser.submit(PAGE, PAGE, WEIGHTS | {"weights.quality": "60", "note": "太多"})
    assert refused.status_code == 422
    assert 'id="error-weights"' in refused.text and 'href="#field-weights"' in refused.text
    assert 'value="60"' in refused.text and "太多" in refused.text  # what was typed stays
    assert _policies(db_session) == before


def test_a_weight_that_is_not_a_number_is_refused_beside_its_field(browser, actors, db_session):
    browser.sign_in(actors.coordinator)
    refused = browser.submit(PAGE, PAGE, WEIGHTS | {"weights.price": "二十"})
    assert refused.status_code == 422 and 'id="error-weights.price"' in refused.text
    assert _policies(db_session) == 0


def test_a_change_without_the_forms_token_is_refused(browser, actors, db_session):
    browser.sign_in(actors.coordinator)
    assert browser.post(PAGE, data=WEIGHTS).status_code == 400
    assert _policies(db_session) == 0


@pytest.mark.parametrize("role", ["agency", "vendor", "admin"])
def test_only_coordinators_see_and_change_the_policy(browser, actors, role, db_session):
    browser.sign_in(getattr(actors, role))
    assert browser.get(PAGE).status_code == 403
    token = browser.token(browser.get("/"))
    assert browser.post(PAGE, data={"csrf_token": token, **WEIGHTS}).status_code == 403
    assert _policies(db_session) == 0


def test_the_page_reads_in_english(english_browser, actors):
    english_browser.sign_in_in_english(actors.coordinator)
    page = english_browser.get(PAGE).text
    assert "The weights in force" in page and "Capacity fit" in page and "History of the weights" in page
