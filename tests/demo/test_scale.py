"""A province in bulk (market seed-scale): rows the services' rules hold for, read by the directory
without errors, and the same seed writing the same province."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from market import db
from market.bids.models import Bid
from market.contracts.models import Contract
from market.demo.scale import STATE_SHARES, seed_scale, vacuum
from market.orders import search
from market.orders.models import Order
from market.organizations.models import CLEARANCES, Capability, Organization, VendorProfile
from tests.fresh_database import fresh_app

NOW = dt.datetime(2026, 12, 2, 3, 0, tzinfo=dt.UTC)
SIZE = {"orders": 800, "vendors": 60, "bids_per_order": 5}


@pytest.fixture(scope="module")
def province(database_url, tmp_path_factory):
    with fresh_app(database_url, tmp_path_factory.mktemp("scale")) as app:
        with app.app_context():
            summary = seed_scale(db.session, seed=3, now=NOW, **SIZE)
            db.session.commit()
            vacuum(db.database().engine)
        yield app, summary


def fingerprint(session) -> tuple:
    orders = session.execute(select(Order.id, Order.title, Order.status, Order.volume, Order.budget_ceiling,
                                    Order.published_at).order_by(Order.id)).all()
    bids = session.execute(select(Bid.id, Bid.order_id, Bid.vendor_id, Bid.unit_price, Bid.status)
                           .order_by(Bid.id)).all()
    vendors = session.execute(select(Organization.id, Organization.name, Organization.credit_code)
                              .order_by(Organization.id)).all()
    return tuple(orders), tuple(bids), tuple(vendors)


def test_the_province_has_the_size_asked_and_orders_in_every_state(province):
    app, summary = province
    with app.app_context():
        session = db.session
        assert session.scalar(select(func.count(Order.id))) == SIZE["orders"]
        assert session.scalar(select(func.count(VendorProfile.organization_id))) == SIZE["vendors"]
        states = set(session.scalars(select(Order.status).distinct()))
        assert states == {state for state, _ in STATE_SHARES}
        assert summary.bids_added > SIZE["orders"] and summary.contracts_added > 0
        assert "Province (seed 3): 800 orders, 60 vendors" in summary.lines()[0]


def test_bids_come_from_verified_firms_that_could_win_within_the_budget(province):
    app, _ = province
    with app.app_context():
        session = db.session
        rows = session.execute(
            select(Bid, Order, VendorProfile).join(Order, Order.id == Bid.order_id)
            .join(VendorProfile, VendorProfile.organization_id == Bid.vendor_id)
            .where(Bid.submitted_by_id.is_(None))  # the bulk bids (the demo's went through submit_bid)
        ).all()
        assert rows
        skills = {(c.vendor_id, c.modality, c.annotation_type) for c in session.scalars(select(Capability))}
        for bid, order, profile in rows:
            assert profile.verification_status == "verified"
            assert CLEARANCES.index(profile.clearance) >= CLEARANCES.index(order.data_classification)
            assert set(order.required_certifications) <= set(profile.certifications)
            assert profile.onsite_possible or not order.onsite_required
            assert (bid.vendor_id, order.modality, order.annotation_type) in skills
            assert bid.unit_price * bid.volume <= order.budget_ceiling
            assert order.published_at <= bid.submitted_at <= order.bidding_closes_at
        per_order = session.execute(select(Bid.order_id, func.count(), func.count(Bid.vendor_id.distinct()))
                                    .group_by(Bid.order_id)).all()
        assert all(n == distinct for _, n, distinct in per_order)  # one bid per firm and order


def test_every_awarded_order_has_one_winning_bid_and_its_contract(province):
    app, _ = province
    with app.app_context():
        session = db.session
        awarded = session.scalars(select(Order).where(Order.status.in_(("awarded", "in_progress", "completed")),
                                                      Order.created_by_id.is_(None))).all()
        with_bids = [o for o in awarded if o.bids]
        assert with_bids
        for order in with_bids:
            winners = [b for b in order.bids if b.status == "awarded"]
            assert len(winners) == 1
            (contract,) = session.scalars(select(Contract).where(Contract.order_id == order.id)).all()
            assert (contract.bid_id, contract.vendor_id, contract.volume) == (
                winners[0].id, winners[0].vendor_id, winners[0].volume)
            assert (contract.status == "completed") == (order.status == "completed")


def test_search_terms_are_those_the_service_writes(province):
    app, _ = province
    with app.app_context():
        for order in db.session.scalars(select(Order).order_by(Order.id.desc()).limit(50)):
            assert order.search_terms == search.terms(order.title, order.description, order.hidden_fields)


def test_the_directory_reads_the_province_without_errors(province):
    app, _ = province
    client = app.test_client()
    first = client.get("/api/v1/directory?per_page=100")
    assert first.status_code == 200 and first.json["meta"]["total"] > 700
    for url in ("/api/v1/directory?page=7&per_page=100", "/api/v1/directory?q=车辆", "/api/v1/directory?q=车",
                "/api/v1/directory?sector=transport&status=completed&region=贵阳", "/directory?q=车辆",
                f"/api/v1/directory/{first.json['items'][0]['id']}", f"/orders/{first.json['items'][0]['id']}",
                "/api/v1/directory/awards"):
        assert client.get(url).status_code == 200, url
    export = client.get("/api/v1/directory.csv?sector=health")
    assert export.status_code == 200 and export.get_data().count(b"\n") > 10


def test_the_same_seed_writes_the_same_province(province, database_url, tmp_path_factory):
    app, _ = province
    with app.app_context():
        first = fingerprint(db.session)
    with fresh_app(database_url, tmp_path_factory.mktemp("scale-again")) as again, again.app_context():
        seed_scale(db.session, seed=3, now=NOW, **SIZE)
        db.session.commit()
        assert fingerprint(db.session) == first
