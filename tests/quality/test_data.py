"""Features and labels of the quality model from the database: label rule, no leakage, batching."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from sqlalchemy import event

from market.matching import quality
from market.matching.quality import FEATURE_NAMES
from market.quality.data import History, Work, training_set
from market.quality.service import models_dir, quality_for_pairs
from tests.factories import (
    BidFactory,
    CapabilityFactory,
    ContractFactory,
    OrderFactory,
    VendorFactory,
)
from tests.quality.conftest import completed, day

COL = {name: i for i, name in enumerate(FEATURE_NAMES)}


def rows_by_contract(session) -> dict[int, np.ndarray]:
    data = training_set(session)
    return {cid: data.X[i] for i, cid in enumerate(data.contract_ids)}


def work(
    vendor,
    *,
    as_of: float,
    start: float | None = None,
    end: float | None = None,
    seats: int = 10,
    modality: str = "image",
    annotation_type: str = "bbox",
    text: str = "",
    target: float = 0.95,
) -> Work:
    return Work(
        vendor_id=vendor.id,
        modality=modality,
        annotation_type=annotation_type,
        accuracy_target=target,
        text=text,
        as_of=day(as_of),
        window_start=day(as_of if start is None else start),
        window_end=day((as_of if start is None else start) + 10 if end is None else end),
        seats=seats,
    )


def test_the_label_is_one_only_when_delivered_on_time_at_the_order_accuracy_target(
    db_session, factories
):
    vendor = VendorFactory()
    target = 0.95

    def make(**outcome):
        order = OrderFactory(status="completed", completed_at=day(30), accuracy_target=target)
        return completed(vendor, order=order, start=0, end=30, **outcome)

    good = make(on_time=True, accuracy=0.97)
    exactly = make(on_time=True, accuracy=0.95)
    late = make(on_time=False, accuracy=0.99)
    sloppy = make(on_time=True, accuracy=0.94)
    unrecorded = make(on_time=None, accuracy=None)
    ContractFactory(vendor=vendor, status="active", starts_at=day(0), deadline=day(30))

    data = training_set(db_session)
    labels = dict(zip(data.contract_ids, data.y, strict=True))
    assert labels == {good.id: 1, exactly.id: 1, late.id: 0, sloppy.id: 0}
    assert unrecorded.id not in labels


def test_an_example_sees_only_contracts_completed_before_it_started(db_session, factories):
    vendor = VendorFactory()
    first = completed(vendor, start=0, end=20, on_time=True)
    overlapping = completed(
        vendor, start=10, end=40, on_time=False
    )  # started before `first` finished
    later = completed(vendor, start=50, end=70, on_time=True)

    rows = rows_by_contract(db_session)
    assert rows[first.id][COL["past_contracts"]] == 0
    # `first` was still running when `overlapping` started, so it is not yet history.
    assert rows[overlapping.id][COL["past_contracts"]] == 0
    assert rows[overlapping.id][COL["on_time_rate"]] == 0.5
    assert rows[later.id][COL["past_contracts"]] == pytest.approx(math.log1p(2))
    assert rows[later.id][COL["on_time_rate"]] == pytest.approx(2 / 4)


def test_a_later_outcome_does_not_change_an_earlier_example(db_session, factories):
    vendor = VendorFactory()
    first = completed(vendor, start=0, end=20)
    second = completed(vendor, start=25, end=45)
    later = completed(vendor, start=50, end=70, on_time=True, accuracy=0.99)
    before = rows_by_contract(db_session)

    later.delivered_on_time, later.accuracy_achieved = False, 0.5
    db_session.flush()
    after = rows_by_contract(db_session)
    np.testing.assert_array_equal(before[first.id], after[first.id])
    np.testing.assert_array_equal(before[second.id], after[second.id])


def test_past_rates_are_smoothed_towards_one_half(db_session, factories):
    vendor = VendorFactory()
    completed(
        vendor, start=0, end=10, on_time=True, accuracy=0.90
    )  # on time, below the 0.95 target
    history = History.load(db_session)
    fresh, seasoned = history.features([work(vendor, as_of=5), work(vendor, as_of=15)])
    assert fresh[COL["on_time_rate"]] == fresh[COL["acceptance_rate"]] == 0.5
    assert seasoned[COL["on_time_rate"]] == pytest.approx(2 / 3)
    assert seasoned[COL["acceptance_rate"]] == pytest.approx(1 / 3)


def test_experience_counts_units_delivered_earlier_in_the_same_modality_only(db_session, factories):
    vendor = VendorFactory()
    completed(vendor, start=0, end=10, order=OrderFactory(modality="image", volume=1000))
    completed(vendor, start=0, end=10, order=OrderFactory(modality="text", volume=5000))
    completed(vendor, start=0, end=30, order=OrderFactory(modality="image", volume=7000))
    history = History.load(db_session)
    image, text, video = history.features(
        [
            work(vendor, as_of=20),
            work(vendor, as_of=20, modality="text"),
            work(vendor, as_of=20, modality="video"),
        ]
    )
    assert image[COL["experience"]] == pytest.approx(math.log1p(1000))
    assert text[COL["experience"]] == pytest.approx(math.log1p(5000))
    assert video[COL["experience"]] == 0


def test_load_counts_seat_days_of_contracts_running_over_the_window(db_session, factories):
    vendor = VendorFactory(seats=40)
    ContractFactory(vendor=vendor, status="active", seats=20, starts_at=day(-5), deadline=day(5))
    ContractFactory(vendor=vendor, status="active", seats=40, starts_at=day(30), deadline=day(60),
                    created_at=day(1))  # approved after the moment asked about
    completed(vendor, start=-30, end=-1, seats=40)  # finished before
    history = History.load(db_session)
    (row,) = history.features([work(vendor, as_of=0, start=0, end=10, seats=10)])
    # Over 10 days of 40 seats: 20 seats x 5 days still running + 10 seats x 10 days for this work.
    assert row[COL["load"]] == pytest.approx((20 * 5 + 10 * 10) / (40 * 10))


def test_load_of_a_vendor_without_seats_is_capped(db_session, factories):
    vendor = VendorFactory(seats=0)
    (row,) = History.load(db_session).features([work(vendor, as_of=0, seats=5)])
    assert row[COL["load"]] == quality.LOAD_CAP


def test_proficiency_comes_from_the_matching_capability_or_the_neutral_prior(db_session, factories):
    vendor = VendorFactory()
    CapabilityFactory(vendor=vendor.vendor_profile, modality="image", annotation_type="bbox",
                      assessed_proficiency=0.9)
    CapabilityFactory(vendor=vendor.vendor_profile, modality="text", annotation_type="ner",
                      assessed_proficiency=None)
    history = History.load(db_session)
    bbox, ner, polygon = history.features([
        work(vendor, as_of=0), work(vendor, as_of=0, modality="text", annotation_type="ner"),
        work(vendor, as_of=0, annotation_type="polygon"),
    ])
    assert bbox[COL["proficiency"]] == 0.9
    assert ner[COL["proficiency"]] == polygon[COL["proficiency"]] == quality.NEUTRAL_PROFICIENCY


def test_text_similarity_finds_similar_chinese_work_among_earlier_orders(db_session, factories):
    vendor = VendorFactory()
    completed(
        vendor,
        start=0,
        end=10,
        order=OrderFactory(
            title="高速公路卡口车辆图像 2D 框标注",
            description="对卡口抓拍图像中的小汽车、货车、客车画框。",
        ),
    )
    completed(vendor, start=0, end=30, order=OrderFactory(
        title="儿童绘本朗读音频转写", description="普通话朗读音频逐句转写并校对。"))
    history = History.load(db_session)
    vectorizer = quality.make_text_vectorizer().fit(
        [c.text for c in history.contracts] + ["胸部 CT 肺结节分割", "城市道路卡口车辆框标注"]
    )
    similar, unrelated, too_early = history.features([
        work(vendor, as_of=20, text="城市道路卡口车辆框标注\n对抓拍图像中的货车和客车画框。"),
        work(vendor, as_of=20, text="胸部 CT 肺结节分割\n三甲医院影像科数据。"),
        work(vendor, as_of=5, text="高速公路卡口车辆图像 2D 框标注"),
    ], vectorizer)
    assert similar[COL["text_similarity"]] > 0.3
    assert similar[COL["text_similarity"]] > unrelated[COL["text_similarity"]] + 0.2
    assert too_early[COL["text_similarity"]] == 0  # identical text, but that order was not done yet


def count_queries(connection):
    statements = []

    def before(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    event.listen(connection, "before_cursor_execute", before)
    return statements, lambda: event.remove(connection, "before_cursor_execute", before)


def test_quality_for_many_pairs_takes_as_many_queries_as_for_one(
    db_session, factories, connection, tmp_path
):
    vendors = [VendorFactory() for _ in range(4)]
    for v in vendors:
        completed(v, start=0, end=10)
    orders = [OrderFactory() for _ in range(5)]
    pairs = [(o, BidFactory(order=o, vendor=v)) for o in orders for v in vendors]
    db_session.flush()

    statements, stop = count_queries(connection)
    try:
        quality_for_pairs(db_session, pairs[:1], tmp_path)
        one = len(statements)
        statements.clear()
        results = quality_for_pairs(db_session, pairs, tmp_path)
        many = len(statements)
    finally:
        stop()
    assert len(results) == 20
    assert one == many == 3


def test_without_a_trained_model_pairs_get_the_proficiency_prior(db_session, factories, tmp_path):
    vendor = VendorFactory()
    CapabilityFactory(vendor=vendor.vendor_profile, assessed_proficiency=1.0)
    bid = BidFactory(vendor=vendor)
    ((p, explanation),) = quality_for_pairs(db_session, [(bid.order, bid)], tmp_path)
    assert p == pytest.approx(0.9)
    assert explanation["source"] == "prior"
    assert "no trained model" in explanation["note"]


def test_with_a_trained_model_pairs_are_explained_by_it(
    db_session, factories, tmp_path, build_history
):
    build_history()
    data = training_set(db_session)
    model, _metrics = quality.train(data.X, data.y, seed=0, text_vectorizer=data.vectorizer)
    version = quality.save(model, models_dir(tmp_path))
    vendor = VendorFactory()
    CapabilityFactory(vendor=vendor.vendor_profile, assessed_proficiency=0.9)
    bid = BidFactory(vendor=vendor, order=OrderFactory(bidding_closes_at=dt.datetime.now(dt.UTC)
                                                        + dt.timedelta(days=1)))
    ((p, explanation),) = quality_for_pairs(db_session, [(bid.order, bid)], tmp_path)
    assert explanation["source"] == "model" and explanation["version"] == version
    assert explanation["history_weight"] == 0
    assert 0 < p < 1 and p == explanation["probability"]
    total = sum(c["contribution"] for c in explanation["contributions"])
    assert total == pytest.approx(math.log(p / (1 - p)) - explanation["intercept"])


def test_an_unusable_model_falls_back_to_the_prior_and_says_why(db_session, factories, tmp_path):
    directory = models_dir(tmp_path)
    directory.mkdir()
    (directory / "current").write_text("1\n")
    (directory / "quality-1.json").write_text('{"version": 1, "features": ["proficiency"]}')
    bid = BidFactory()
    ((p, explanation),) = quality_for_pairs(db_session, [(bid.order, bid)], tmp_path)
    assert explanation["source"] == "prior"
    assert "unusable" in explanation["note"] and "market model train" in explanation["note"]
