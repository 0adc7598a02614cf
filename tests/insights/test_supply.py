"""The weeks-ahead figures on a few orders, vendors and one contract whose seat-days are worked out by
hand below (the week of 30 November 2026 is week 0; today is Wednesday 2 December)."""

from __future__ import annotations

import datetime as dt

import pytest

from market.errors import Forbidden, InvalidInput
from market.insights import services
from tests.factories import (
    ContractFactory,
    OrderFactory,
    OrganizationFactory,
    VendorFactory,
    able_to,
)

UTC = dt.UTC
NOW = dt.datetime(2026, 12, 2, 4, 0, tzinfo=UTC)  # Wednesday, noon in Guiyang


def local_five_pm(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC)  # 17:00 in Asia/Shanghai


@pytest.fixture
def programme(factories):
    """Two verified firms (10 seats in Guiyang, 20 in Qiannan), a pending one (50 seats); a running
    contract of 1,000 boxes at 100 a seat-day (10 seat-days) due Friday next week; an open order of
    8,000 boxes (40 seat-days at the verified firms' mean of 200) from Monday to Friday the week
    after; an open order of 1,000 named entities only the pending firm offers (20 seat-days at its
    50), Monday to Friday next week."""
    guiyang = VendorFactory(seats=10, city="贵阳市", county="观山湖区")
    qiannan = VendorFactory(seats=20, city="黔南布依族苗族自治州", county="都匀市")
    pending = VendorFactory(pending=True, seats=50)
    able_to(guiyang, "image", "bbox", throughput_per_seat_day=100)
    able_to(qiannan, "image", "bbox", throughput_per_seat_day=300)
    able_to(qiannan, "video", "tracking", throughput_per_seat_day=30)
    able_to(pending, "image", "bbox", throughput_per_seat_day=1000)
    able_to(pending, "text", "ner", throughput_per_seat_day=50)
    tongren_agency = OrganizationFactory(city="铜仁市", county="碧江区")
    guiyang_agency = OrganizationFactory(city="贵阳市", county="南明区")
    running = OrderFactory(status="in_progress", agency=tongren_agency, sector="transport", volume=1000,
                           published_at=NOW - dt.timedelta(days=30), awarded_at=NOW - dt.timedelta(days=20),
                           bidding_closes_at=NOW - dt.timedelta(days=21),
                           delivery_deadline=local_five_pm(dt.date(2026, 12, 11)))
    ContractFactory(order=running, vendor=guiyang, volume=1000, starts_at=NOW - dt.timedelta(days=20),
                    deadline=local_five_pm(dt.date(2026, 12, 11)), created_at=NOW - dt.timedelta(days=20))
    OrderFactory(agency=guiyang_agency, sector="health", volume=8000, published_at=NOW - dt.timedelta(days=2),
                 bidding_closes_at=local_five_pm(dt.date(2026, 12, 7)),
                 delivery_deadline=local_five_pm(dt.date(2026, 12, 18)))
    OrderFactory(agency=guiyang_agency, sector="education", modality="text", annotation_type="ner",
                 unit="kchar", volume=1000, published_at=NOW - dt.timedelta(days=2),
                 bidding_closes_at=local_five_pm(dt.date(2026, 12, 7)),
                 delivery_deadline=local_five_pm(dt.date(2026, 12, 11)))
    # Not demand: a draft and a cancelled order.
    OrderFactory(draft=True, volume=50000)
    OrderFactory(cancelled=True, volume=50000)


def figures(db_session, actor, **kwargs):
    return services.dashboard(db_session, actor=actor, now=NOW, only=services.AHEAD, **kwargs)


def column(figure, key, group=None):
    return next(s.values for s in figure.series if s.key == key and s.group == group)


def test_weekly_demand_by_sector_and_free_seat_days_are_those_worked_out_by_hand(db_session, actors, programme):
    weekly = figures(db_session, actors.coordinator)["weekly"]
    assert weekly.categories[:3] == ("2026-W49", "2026-W50", "2026-W51")
    assert len(weekly.categories) == 12
    # The contract's 10 seat-days over Wed-Fri (3 days) and next week (5): 3.75 and 6.25.
    assert column(weekly, "demand", "transport")[:3] == (3.8, 6.2, 0.0)
    assert column(weekly, "demand", "health")[:4] == (0.0, 20.0, 20.0, 0.0)
    assert column(weekly, "demand", "education")[:3] == (0.0, 20.0, 0.0)
    assert column(weekly, "demand_total")[:4] == (3.8, 46.2, 20.0, 0.0)
    # Verified seats only: (10 + 20) x 5 a week; the contract's seat-days taken off.
    assert set(column(weekly, "capacity")) == {150.0}
    assert column(weekly, "free")[:3] == (146.2, 143.8, 150.0)


def test_modality_and_area_compare_demand_with_the_free_seat_days_of_the_vendors_able_and_there(
        db_session, actors, programme):
    found = figures(db_session, actors.coordinator)
    modality = found["modality"]
    image = modality.categories.index("image")
    # Both verified firms can do image work: (600 - 10) + 1200 free seat-days over 12 weeks.
    assert (column(modality, "demand")[image], column(modality, "free")[image]) == (50.0, 1790.0)
    video = modality.categories.index("video")
    assert (column(modality, "demand")[video], column(modality, "free")[video]) == (0.0, 1200.0)
    text = modality.categories.index("text")
    assert (column(modality, "demand")[text], column(modality, "free")[text]) == (20.0, 0.0)
    area = found["area"]
    assert area.categories == ("guiyang", "tongren", "qiannan", "elsewhere")
    assert column(area, "demand") == (60.0, 10.0, 0.0, 0.0)
    assert column(area, "free") == (590.0, 0.0, 1200.0, 0.0)


def test_skill_gaps_put_work_no_verified_vendor_offers_first(db_session, actors, programme):
    gaps = figures(db_session, actors.coordinator)["skill_gaps"]
    assert gaps.categories == (("text", "ner"), ("image", "bbox"))
    assert [row[1:] for row in gaps.rows()] == [(20.0, 0.0, 20.0, 0.0, 0), (50.0, 1790.0, 0.0, 35.8, 2)]
    assert gaps.facts == {"gaps": 1}


def test_an_order_partly_contracted_counts_only_its_open_volume(db_session, actors, factories):
    vendor = VendorFactory(seats=10)
    able_to(vendor, "image", "bbox", throughput_per_seat_day=100)
    order = OrderFactory(evaluating=True, volume=3000, published_at=NOW - dt.timedelta(days=9),
                         bidding_closes_at=NOW - dt.timedelta(days=1),
                         delivery_deadline=local_five_pm(dt.date(2026, 12, 4)))
    ContractFactory(order=order, vendor=vendor, volume=1000, status="completed", completed_at=NOW,
                    starts_at=NOW - dt.timedelta(days=1), deadline=local_five_pm(dt.date(2026, 12, 4)))
    weekly = figures(db_session, actors.coordinator)["weekly"]
    # 2,000 boxes left at 100 a seat-day, Wednesday to Friday of this week.
    assert column(weekly, "demand_total")[:2] == (20.0, 0.0)


def test_admins_see_the_figures_and_other_roles_are_refused(db_session, actors, programme):
    assert figures(db_session, actors.admin)["weekly"].categories
    for role in ("agency", "vendor"):
        with pytest.raises(Forbidden):
            figures(db_session, getattr(actors, role))


def test_a_period_not_offered_is_refused(db_session, actors):
    with pytest.raises(InvalidInput):
        services.dashboard(db_session, actor=actors.coordinator, now=NOW, months=7)
    with pytest.raises(InvalidInput):
        services.dashboard(db_session, actor=actors.coordinator, now=NOW, only=("nothing",))


def test_weekly_demand_splits_by_modality_or_area_instead(db_session, actors, programme):
    by_modality = figures(db_session, actors.coordinator, split="modality")["weekly"]
    assert column(by_modality, "demand", "image")[:3] == (3.8, 26.2, 20.0)
    assert column(by_modality, "demand", "text")[:3] == (0.0, 20.0, 0.0)
    assert column(by_modality, "demand_total")[:3] == (3.8, 46.2, 20.0)
    by_area = figures(db_session, actors.coordinator, split="area")["weekly"]
    assert [s.group for s in by_area.series if s.key == "demand"] == ["guiyang", "tongren", "qiannan", "elsewhere"]
    assert column(by_area, "demand", "guiyang")[:3] == (0.0, 40.0, 20.0)
    assert column(by_area, "demand", "tongren")[:3] == (3.8, 6.2, 0.0)
    with pytest.raises(InvalidInput):
        figures(db_session, actors.coordinator, split="agency")
