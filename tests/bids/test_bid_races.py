"""Racing bids: however requests interleave, a firm never holds two live bids on one order.

The database constraint is tested on every database. The truly concurrent requests need PostgreSQL
(row locks) and committed data seen from separate connections, so they run against an app of their
own behind a threaded server, outside the rolled-back per-test transaction, in a schema of their own
with organisations of their own per test.
"""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from market.bids import services as bids
from market.bids.models import Bid
from market.db import utcnow
from market.errors import Conflict
from tests.bids.conftest import valid_bid
from tests.factories import BidFactory, OrderFactory
from tests.racing import RACERS, Committed, all_at_once


def _bid_row(order, vendor, status="submitted", **extra) -> Bid:
    return Bid(
        order_id=order.id,
        vendor_id=vendor.id,
        unit_price=Decimal("0.40"),
        volume=order.volume,
        seats_committed=10,
        proposed_finish_date=order.delivery_deadline.date(),
        status=status,
        **extra,
    )


# The constraint itself, on SQLite and PostgreSQL alike

def test_two_live_bids_of_one_firm_on_one_order_break_the_database_constraint(
    db_session, factories
):
    bid = BidFactory()
    with pytest.raises(IntegrityError, match="(?i)unique|uq_bids_one_live_per_vendor"):
        with db_session.begin_nested():
            db_session.add(_bid_row(bid.order, bid.vendor))
            db_session.flush()


def test_an_awarded_bid_counts_as_live_for_the_constraint(db_session, factories):
    bid = BidFactory(status="awarded", awarded_at=utcnow())
    with pytest.raises(IntegrityError):
        with db_session.begin_nested():
            db_session.add(_bid_row(bid.order, bid.vendor))
            db_session.flush()


def test_withdrawn_bids_leave_room_for_a_new_live_one(db_session, factories):
    bid = BidFactory(status="withdrawn", withdrawn_at=utcnow())
    db_session.add(_bid_row(bid.order, bid.vendor, status="withdrawn", withdrawn_at=utcnow()))
    db_session.add(_bid_row(bid.order, bid.vendor))
    db_session.flush()
    assert (
        db_session.scalar(select(func.count()).select_from(Bid).where(Bid.order_id == bid.order_id))
        == 3
    )


def test_a_duplicate_that_slips_past_the_check_is_a_409_and_the_transaction_lives_on(
    db_session, actors, monkeypatch
):
    vendor = actors.vendor
    order = OrderFactory()
    # As if another request had inserted its bid between this one's check and its insert.
    monkeypatch.setattr(bids, "live_bid_of", lambda *args: None)
    body = valid_bid(order)
    data = {**body, "unit_price": Decimal(body["unit_price"]),
            "proposed_finish_date": dt.date.fromisoformat(body["proposed_finish_date"])}
    first = bids.submit_bid(db_session, order.id, data, actor=vendor)
    with pytest.raises(Conflict, match="withdraw your bid first"):
        bids.submit_bid(db_session, order.id, data, actor=vendor)
    db_session.flush()
    live = db_session.scalars(select(Bid).where(Bid.order_id == order.id)).all()
    assert [b.id for b in live] == [first.id]


# Truly concurrent requests, on PostgreSQL

def _live_bids(app, order_id: int) -> list[Bid]:
    with app.app_context():
        with app.extensions["market.db"].sessionmaker() as session:
            return list(
                session.scalars(
                    select(Bid).where(
                        Bid.order_id == order_id, Bid.status.in_(("submitted", "awarded"))
                    )
                )
            )


def _post(url, token, json=None):
    return lambda: requests.post(
        url, json=json, headers={"Authorization": f"Bearer {token}"}, timeout=60
    )


@pytest.mark.postgres_only
def test_one_firm_double_submitting_from_several_accounts_gets_exactly_one_bid(
    race_app, race_server
):
    with Committed(race_app) as data:
        firm = data.firm()
        tokens = [data.token(firm) for _ in range(3)]
        order = data.order()
        body = valid_bid(order)
    url = f"{race_server}/api/v1/orders/{order.id}/bids"
    codes = all_at_once([_post(url, tokens[i % len(tokens)], body) for i in range(RACERS)])
    assert sorted(codes) == [201] + [409] * (RACERS - 1), codes
    assert len(_live_bids(race_app, order.id)) == 1


@pytest.mark.postgres_only
def test_several_firms_racing_for_one_order_each_get_exactly_one_bid(race_app, race_server):
    with Committed(race_app) as data:
        firms = [data.firm() for _ in range(3)]
        tokens = [data.token(firm) for firm in firms]
        order = data.order(splittable=True)
        body = valid_bid(order, volume=order.volume // 3)
    url = f"{race_server}/api/v1/orders/{order.id}/bids"
    codes = all_at_once([_post(url, tokens[i % len(tokens)], body) for i in range(12)])
    assert sorted(codes) == [201] * 3 + [409] * 9, codes
    live = _live_bids(race_app, order.id)
    assert sorted(b.vendor_id for b in live) == sorted(f.id for f in firms)


@pytest.mark.postgres_only
def test_a_withdrawal_racing_resubmissions_never_leaves_two_live_bids(race_app, race_server):
    with Committed(race_app) as data:
        firm = data.firm()
        token = data.token(firm)
        order = data.order()
        first = BidFactory(order=order, vendor=firm)
        body = valid_bid(order, unit_price="0.30")
    submit_url = f"{race_server}/api/v1/orders/{order.id}/bids"
    withdraw_url = f"{race_server}/api/v1/bids/{first.id}/withdraw"
    calls = [_post(submit_url, token, body) for _ in range(RACERS - 1)]
    calls.insert(RACERS // 2, _post(withdraw_url, token))
    codes = all_at_once(calls)
    withdrawal, submissions = codes[RACERS // 2], codes[:RACERS // 2] + codes[RACERS // 2 + 1:]
    assert withdrawal == 200, codes
    # Resubmissions queued before the withdrawal are refused; after it, exactly one gets through.
    assert set(submissions) <= {201, 409}, codes
    assert submissions.count(201) <= 1, codes
    live = _live_bids(race_app, order.id)
    assert len(live) == submissions.count(201)
    assert all(b.id != first.id for b in live)


@pytest.mark.postgres_only
def test_firms_withdrawing_and_resubmitting_in_a_loop_never_hold_two_live_bids(
    race_app, race_server
):
    with Committed(race_app) as data:
        firm = data.firm()
        token = data.token(firm)
        order = data.order()
        body = valid_bid(order)
    submit_url = f"{race_server}/api/v1/orders/{order.id}/bids"
    headers = {"Authorization": f"Bearer {token}"}
    barrier = threading.Barrier(5)

    def dance() -> list[int]:
        codes = []
        barrier.wait(timeout=30)
        for _ in range(4):
            submitted = requests.post(submit_url, json=body, headers=headers, timeout=60)
            codes.append(submitted.status_code)
            if submitted.status_code == 201:
                withdrawn = requests.post(
                    f"{race_server}/api/v1/bids/{submitted.json()['id']}/withdraw",
                    headers=headers,
                    timeout=60,
                )
                codes.append(withdrawn.status_code)
        return codes

    with ThreadPoolExecutor(max_workers=5) as pool:
        codes = [code for result in pool.map(lambda _: dance(), range(5)) for code in result]
    assert set(codes) <= {200, 201, 409}, codes
    assert codes.count(201) >= 1
    # Every successful submission was withdrawn by the thread that made it.
    assert codes.count(200) == codes.count(201)
    assert _live_bids(race_app, order.id) == []
