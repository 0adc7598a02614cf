"""The months-back figures (pipeline, awards, prices, decisions) on a handful of orders, bids and
contracts whose numbers are counted by hand below. Today is 2 December 2026; the period is the last
three months: October, November and December."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from market.allocations.models import Allocation, BidEvaluation, MatchRun
from market.insights import services
from tests.factories import BidFactory, ContractFactory, OrderFactory, VendorFactory

UTC = dt.UTC
NOW = dt.datetime(2026, 12, 2, 4, 0, tzinfo=UTC)


def at(month: int, day: int) -> dt.datetime:
    return dt.datetime(2026, month, day, 4, 0, tzinfo=UTC)


def closed_order(closes: dt.datetime, **kwargs):
    return OrderFactory(status="evaluating", published_at=closes - dt.timedelta(days=10), bidding_closes_at=closes,
                        evaluating_at=closes, delivery_deadline=closes + dt.timedelta(days=40), **kwargs)


def figures(db_session, actor, months=3):
    return services.dashboard(db_session, actor=actor, now=NOW, months=months, only=services.BACK)


def values(figure, key):
    return next(s.values for s in figure.series if s.key == key)


@pytest.fixture
def pipeline(factories, db_session):
    """Orders closed in October (one bid, and one withdrawn), November (none) and November (three,
    none eligible in the run that judged them); awarded orders; an order published last summer."""
    single = closed_order(at(10, 20))
    BidFactory(order=single, unit_price=Decimal("0.30"))
    BidFactory(order=single, status="withdrawn", withdrawn_at=at(10, 15))
    closed_order(at(11, 5))
    judged = closed_order(at(11, 25))
    bids = [BidFactory(order=judged, unit_price=Decimal(p)) for p in ("0.40", "0.45", "0.50")]
    run = MatchRun(status="completed", order_ids=[judged.id])
    db_session.add(run)
    db_session.flush()
    db_session.add_all(BidEvaluation(run_id=run.id, order_id=judged.id, bid_id=b.id, vendor_id=b.vendor_id,
                                     eligible=False) for b in bids)
    OrderFactory(status="awarded", published_at=at(11, 1), bidding_closes_at=at(11, 3), evaluating_at=at(11, 3),
                 awarded_at=at(11, 6), delivery_deadline=at(12, 30))  # 5 days: 0-7
    OrderFactory(status="awarded", published_at=at(10, 1), bidding_closes_at=at(10, 10), evaluating_at=at(10, 10),
                 awarded_at=at(10, 21), delivery_deadline=at(12, 30))  # 20 days: 15-30
    OrderFactory(status="completed", published_at=at(6, 1), bidding_closes_at=at(6, 10), awarded_at=at(6, 20),
                 completed_at=at(8, 1))  # before the period
    OrderFactory(draft=True, published_at=None, created_at=at(11, 30))
    OrderFactory(published=True, published_at=at(11, 28), bidding_closes_at=at(12, 9),
                 delivery_deadline=at(12, 30))  # open: counted by status, not as closed
    return {"run": run, "bids": bids, "judged": judged}


def test_orders_by_status_count_those_published_or_drafted_in_the_period(db_session, actors, pipeline):
    statuses = figures(db_session, actors.coordinator)["statuses"]
    counts = dict(zip(statuses.categories, values(statuses, "orders"), strict=True))
    assert counts == {"draft": 1, "published": 1, "evaluating": 3, "awarded": 2, "in_progress": 0,
                      "completed": 0, "cancelled": 0, "unsuccessful": 0}
    assert dict(zip(statuses.categories, values(figures(db_session, actors.coordinator, 12)["statuses"], "orders"),
                    strict=True))["completed"] == 1


def test_time_to_award_buckets_the_days_from_publishing_to_award(db_session, actors, pipeline):
    found = figures(db_session, actors.coordinator)["time_to_award"]
    assert dict(zip(found.categories, values(found, "orders"), strict=True)) == {
        "0-7": 1, "8-14": 0, "15-30": 1, "31-60": 0, "61+": 0}
    assert found.facts == {"mean_days": 12.5}


def test_bids_per_order_and_thin_competition_count_the_orders_that_closed(db_session, actors, pipeline):
    found = figures(db_session, actors.coordinator)
    bids = found["bids_per_order"]
    # Closed in the period: the single-bid order, the one with none, the judged one with three, and
    # the two awarded ones (no bids of their own here).
    assert dict(zip(bids.categories, values(bids, "orders"), strict=True)) == {
        "0": 3, "1": 1, "2": 0, "3-5": 1, "6+": 0}
    assert bids.facts == {"mean_bids": 0.8}
    thin = found["thin_competition"]
    assert thin.categories == ("2026-10", "2026-11", "2026-12")
    assert values(thin, "closed") == (2, 3, 0)
    assert values(thin, "single_bid") == (1, 0, 0)
    # No bid: the November order with none and the two awarded ones; none eligible: the judged one.
    assert values(thin, "none_eligible") == (1, 3, 0)


def test_an_order_with_one_eligible_bid_is_not_counted_as_none_eligible(db_session, actors, pipeline):
    evaluation = db_session.query(BidEvaluation).filter_by(bid_id=pipeline["bids"][0].id).one()
    evaluation.eligible = True
    db_session.flush()
    thin = figures(db_session, actors.coordinator)["thin_competition"]
    assert values(thin, "none_eligible") == (1, 2, 0)


def test_prices_are_the_mean_share_of_the_ceiling_per_unit_by_modality(db_session, actors, pipeline):
    # Ceiling per unit 50,000 / 100,000 = 0.50: bids 0.30, 0.40, 0.45, 0.50 are 60, 80, 90, 100 %.
    order = OrderFactory(status="in_progress", modality="video", annotation_type="tracking", unit="frame",
                         published_at=at(10, 1), bidding_closes_at=at(10, 10), awarded_at=at(10, 20))
    ContractFactory(order=order, unit_price=Decimal("0.35"), created_at=at(10, 20))
    ContractFactory(order=order, unit_price=Decimal("0.45"), created_at=at(10, 21))
    prices = figures(db_session, actors.coordinator)["prices"]
    image, video = prices.categories.index("image"), prices.categories.index("video")
    assert values(prices, "bids")[image] == 4
    assert values(prices, "bid_share")[image] == pytest.approx(0.825)
    assert values(prices, "contracts")[video] == 2
    assert values(prices, "awarded_share")[video] == pytest.approx(0.8)
    assert values(prices, "contracts")[image] == 0 and values(prices, "awarded_share")[image] is None


def test_decisions_count_each_decision_and_reason_in_the_period(db_session, actors, pipeline):
    run, bid = pipeline["run"], pipeline["bids"][0]

    def decided(status, reason, when):
        db_session.add(Allocation(run_id=run.id, order_id=bid.order_id, bid_id=bid.id, vendor_id=bid.vendor_id,
                                  volume=10, unit_price=Decimal("0.40"), score=70.0, status=status,
                                  reason=reason, decided_at=when))
    decided("approved", "评分最高", at(11, 2))
    decided("approved", "评分最高", at(11, 3))
    decided("rejected", "报价过低", at(11, 4))
    decided("rejected", "报价过低", at(6, 4))  # before the period
    db_session.add(Allocation(run_id=run.id, order_id=bid.order_id, bid_id=bid.id, vendor_id=bid.vendor_id,
                              volume=10, unit_price=Decimal("0.40"), score=70.0, status="proposed"))
    db_session.flush()
    found = figures(db_session, actors.coordinator)["decisions"]
    assert found.rows() == [(("approved", "评分最高"), 2), (("rejected", "报价过低"), 1)]


@pytest.fixture
def awards(factories):
    """Value awarded: a Guiyang firm 300 (October) + 100 (November), a Qiannan firm 100 (100 days
    ago, so idle), a Chengdu firm 500 (November); a verified firm never awarded, verified 30 days
    ago; a suspended firm never awarded (not listed)."""
    guiyang = VendorFactory(name="筑数", city="贵阳市", county="观山湖区")
    qiannan = VendorFactory(name="黔南", city="黔南布依族苗族自治州", county="都匀市")
    chengdu = VendorFactory(name="天府", province="四川省", city="成都市", county="武侯区")
    never = VendorFactory(name="新企")
    never.vendor_profile.verified_at = NOW - dt.timedelta(days=30)
    VendorFactory(suspended=True)

    def award(vendor, value, when):
        ContractFactory(vendor=vendor, volume=1000, unit_price=Decimal(value) / 1000, value=Decimal(value),
                        created_at=when)
    award(guiyang, "300.00", at(10, 5))
    award(guiyang, "100.00", at(11, 25))
    award(qiannan, "100.00", NOW - dt.timedelta(days=100))  # 24 August: before the period too
    award(chengdu, "500.00", at(11, 10))
    return {"never": never}


def test_awards_by_place_sum_the_period_s_contracts(db_session, actors, awards):
    places = figures(db_session, actors.coordinator)["places"]
    assert places.rows() == [(("成都市", "武侯区"), 1, 1000, Decimal("500.00")),
                             (("贵阳市", "观山湖区"), 2, 2000, Decimal("400.00"))]


def test_local_share_per_month_is_the_value_to_vendors_in_the_home_province(db_session, actors, awards):
    local = figures(db_session, actors.coordinator)["local_share"]
    assert values(local, "value") == (Decimal("300.00"), Decimal("600.00"), 0)
    assert values(local, "local_value") == (Decimal("300.00"), Decimal("100.00"), 0)
    assert values(local, "local_share") == (1.0, round(100 / 600, 4), None)


def test_concentration_gives_the_top_shares_and_the_hhi(db_session, actors, awards):
    found = figures(db_session, actors.coordinator, 6)["concentration"]
    # Six months: 500 + 400 + 100 = 1,000; shares 50 %, 40 %, 10 %; HHI 2,500 + 1,600 + 100.
    assert found.categories == ("天府", "筑数", "黔南")
    assert values(found, "share") == (0.5, 0.4, 0.1)
    assert found.facts == {"vendors": 3, "top1_share": 0.5, "top3_share": 1.0, "hhi": 4200}


def test_idle_vendors_are_the_verified_ones_without_an_award_in_90_days(db_session, actors, awards):
    idle = figures(db_session, actors.coordinator)["idle_vendors"]
    assert idle.categories == ("黔南", "新企")
    assert values(idle, "days") == (100, 30)
    assert values(idle, "last_award") == (NOW - dt.timedelta(days=100), None)


def test_an_empty_programme_has_empty_figures_and_no_error(db_session, actors):
    found = services.dashboard(db_session, actor=actors.coordinator, now=NOW)
    assert [key for key, figure in found.items() if not figure.empty] == []
    assert found["concentration"].facts["hhi"] is None
    assert found["time_to_award"].facts == {"mean_days": None}
