"""The hard eligibility rules: each refusal with its code and a message a coordinator can read."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from market.matching.eligibility import Bid, Capability, Order, Vendor, check_eligibility

ORDER = Order(
    id="o1",
    modality="image",
    annotation_type="bbox",
    volume=10000,
    budget_ceiling=Decimal("3000"),  # 0.30 per box
    start=date(2026, 12, 1),
    deadline=date(2026, 12, 18),
    unit="box",
)
VENDOR = Vendor(
    id="v1",
    seats=20,
    capabilities={("image", "bbox"): Capability(throughput_per_seat_day=400, proficiency=0.8)},
)
BID = Bid(id="b1", order_id="o1", vendor_id="v1", unit_price=Decimal("0.28"), volume=10000)


def codes(
    order: Order = ORDER, vendor: Vendor = VENDOR, bid: Bid = BID, excluded=frozenset()
) -> list[str]:
    return [r.code for r in check_eligibility(order, vendor, bid, excluded)]


def message(
    code: str, order: Order = ORDER, vendor: Vendor = VENDOR, bid: Bid = BID, excluded=frozenset()
) -> str:
    (found,) = [
        r.message for r in check_eligibility(order, vendor, bid, excluded) if r.code == code
    ]
    return found


def test_a_bid_meeting_every_rule_is_eligible():
    assert check_eligibility(ORDER, VENDOR, BID) == ()


@pytest.mark.parametrize("status", ["pending", "suspended"])
def test_a_vendor_that_is_not_verified_is_refused(status):
    vendor = replace(VENDOR, verification=status)
    assert codes(vendor=vendor) == ["vendor_not_verified"]
    assert message("vendor_not_verified", vendor=vendor) == f"vendor is {status}, not verified"


@pytest.mark.parametrize(
    ("clearance", "classification", "refused"),
    [
        ("general", "general", False),
        ("general", "important", True),
        ("important", "important", False),
        ("important", "core", True),
        ("core", "core", False),
        ("core", "general", False),
    ],
)
def test_clearance_must_reach_the_orders_data_classification(clearance, classification, refused):
    order = replace(ORDER, data_classification=classification)
    vendor = replace(VENDOR, clearance=clearance)
    assert ("clearance_too_low" in codes(order, vendor)) is refused


def test_the_clearance_message_names_both_levels():
    order = replace(ORDER, data_classification="important")
    assert (
        message("clearance_too_low", order=order)
        == "clearance 'general' is below the order's data classification 'important'"
    )


def test_an_unknown_clearance_level_is_bad_data_not_a_refusal():
    with pytest.raises(ValueError, match="unknown clearance 'secret'"):
        check_eligibility(ORDER, replace(VENDOR, clearance="secret"), BID)


def test_every_missing_certification_is_named_once():
    order = replace(ORDER, required_certifications=frozenset({"ISO 27001", "ISO 9001"}))
    assert codes(order) == ["certification_missing"]
    assert message("certification_missing", order=order) == (
        "missing required certifications: ISO 27001, ISO 9001"
    )


def test_certifications_match_ignoring_case_and_spacing():
    order = replace(ORDER, required_certifications=frozenset({"ISO 27001"}))
    vendor = replace(VENDOR, certifications=frozenset({"iso  27001"}))
    assert codes(order, vendor) == []


def test_on_site_work_needs_a_vendor_that_can_work_on_site():
    order = replace(ORDER, onsite_required=True)
    assert codes(order) == ["onsite_not_possible"]
    assert codes(order, replace(VENDOR, onsite_possible=True)) == []


def test_a_vendor_without_the_capability_is_refused():
    order = replace(ORDER, modality="video", annotation_type="tracking")
    assert codes(order) == ["no_capability"]
    assert message("no_capability", order=order) == "no capability for video/tracking"


def test_a_capability_without_throughput_does_not_count():
    vendor = replace(
        VENDOR, capabilities={("image", "bbox"): Capability(throughput_per_seat_day=0)}
    )
    assert codes(vendor=vendor) == ["no_capability"]


def test_a_unit_price_above_the_ceiling_per_unit_is_over_budget():
    bid = replace(BID, unit_price=Decimal("0.31"))
    assert codes(bid=bid) == ["over_budget"]
    assert message("over_budget", bid=bid) == (
        "unit price 0.31 is above the budget ceiling per box of 0.3 (3000 / 10000)"
    )


def test_the_budget_is_pro_rata_so_a_partial_bid_at_the_ceiling_price_is_within_it():
    order = replace(ORDER, splittable=True)
    bid = replace(BID, unit_price=Decimal("0.30"), volume=4000)
    assert codes(order, bid=bid) == []


def test_the_budget_check_is_exact_at_the_limit():
    # 100 / 3 per unit: 33.33 fits, 33.34 does not, with no float rounding either way.
    order = replace(ORDER, volume=3, budget_ceiling=100)
    assert codes(order, bid=replace(BID, unit_price=33.33, volume=3)) == []
    assert codes(order, bid=replace(BID, unit_price=33.34, volume=3)) == ["over_budget"]
    exact = replace(ORDER, volume=10, budget_ceiling=Decimal("3.3"))
    assert codes(exact, bid=replace(BID, unit_price=0.33, volume=10)) == []


def test_a_negative_price_is_refused():
    assert codes(bid=replace(BID, unit_price=-1)) == ["invalid_price"]


def test_an_unsplittable_order_needs_a_bid_for_the_full_volume():
    bid = replace(BID, volume=8000)
    assert codes(bid=bid) == ["partial_bid_not_splittable"]
    assert message("partial_bid_not_splittable", bid=bid) == (
        "the order is not splittable but the bid offers only 8000 of 10000"
    )


def test_a_bid_for_more_than_the_order_volume_is_fine():
    assert codes(bid=replace(BID, volume=12000)) == []


def test_a_splittable_order_needs_at_least_the_minimum_lot():
    order = replace(ORDER, splittable=True, min_lot=2000)
    assert codes(order, bid=replace(BID, volume=1500)) == ["below_min_lot"]
    assert message("below_min_lot", order=order, bid=replace(BID, volume=1500)) == (
        "the bid offers 1500, below the minimum lot of 2000"
    )
    assert codes(order, bid=replace(BID, volume=2000)) == []


def test_an_empty_bid_is_refused():
    assert codes(replace(ORDER, splittable=True), bid=replace(BID, volume=0)) == ["empty_bid"]


def test_a_pair_a_coordinator_rejected_earlier_is_excluded():
    assert codes(excluded={("o1", "v1")}) == ["excluded_by_coordinator"]
    assert codes(excluded={("o1", "v2"), ("o2", "v1")}) == []


def test_an_order_window_without_a_working_day_refuses_every_bid():
    weekend = replace(ORDER, start=date(2026, 12, 5), deadline=date(2026, 12, 6))
    assert codes(weekend) == ["no_working_day"]
    assert codes(replace(ORDER, start=date(2026, 12, 5), deadline=date(2026, 12, 7))) == []


def test_all_refusals_are_returned_not_just_the_first():
    order = replace(
        ORDER,
        data_classification="core",
        onsite_required=True,
        required_certifications=frozenset({"ISO 27001"}),
        modality="audio",
        annotation_type="transcription",
    )
    vendor = replace(VENDOR, verification="suspended")
    bid = replace(BID, unit_price=1, volume=10)
    assert codes(order, vendor, bid, excluded={("o1", "v1")}) == [
        "vendor_not_verified",
        "clearance_too_low",
        "certification_missing",
        "onsite_not_possible",
        "no_capability",
        "over_budget",
        "partial_bid_not_splittable",
        "excluded_by_coordinator",
    ]


def test_a_bid_checked_against_the_wrong_order_is_a_programming_error():
    with pytest.raises(ValueError, match="is for order 'o1'"):
        check_eligibility(replace(ORDER, id="o2"), VENDOR, BID)
