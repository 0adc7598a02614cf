"""Matching runs through the API: who may run them, what they store, why each bid won or lost."""

from __future__ import annotations

from sqlalchemy import select

from market.allocations.models import Allocation, BidEvaluation
from tests.conftest import assert_error, match


def _run(api, actors, json=None):
    run = match(api, actors.token(actors.coordinator), json)
    assert run["status"] == "completed", run
    return run


def test_a_coordinator_runs_matching_and_gets_the_figures(api, actors, market):
    run = _run(api, actors)
    assert run["status"] == "completed"
    assert set(run["order_ids"]) == {market["whole"].id, market["split"].id}
    assert run["objective"] > 0
    assert run["bound"] >= run["objective"] - 1e-6
    assert run["gap_pct"] >= 0
    assert run["solver"]
    assert run["stats"]["bids"] == 7
    assert run["stats"]["eligible_bids"] == 6
    again = api.get(f"/api/v1/match-runs/{run['id']}", token=actors.token(actors.coordinator))
    assert again.json()["id"] == run["id"]


def test_only_coordinators_run_matching(api, actors, market):
    for role in ("agency", "vendor", "admin"):
        assert_error(
            api.post("/api/v1/match-runs", json={}, token=actors.token(getattr(actors, role))), 403
        )
    assert_error(api.post("/api/v1/match-runs", json={}), 401)


def test_a_run_never_allocates_more_than_an_order_or_an_ineligible_bid(
    api, actors, market, db_session
):
    run = _run(api, actors)
    allocations = db_session.scalars(select(Allocation).where(Allocation.run_id == run["id"])).all()
    assert allocations
    by_order = {}
    for a in allocations:
        by_order.setdefault(a.order_id, []).append(a)
    whole = by_order[market["whole"].id]
    assert len(whole) == 1 and whole[0].volume == market["whole"].volume
    # The split order has three eligible bids, so it is allocated; the checks below must not pass
    # vacuously on an empty list.
    split = by_order[market["split"].id]
    assert sum(a.volume for a in split) <= market["split"].volume
    assert 1 <= len(split) <= 2
    assert all(a.volume >= 2000 for a in split)
    pricey = market["vendors"][3]
    assert all(a.vendor_id != pricey.id for a in allocations)
    refused = db_session.scalar(select(BidEvaluation).where(BidEvaluation.run_id == run["id"],
                                                            BidEvaluation.vendor_id == pricey.id))
    assert refused.eligible is False
    assert refused.refusals and "budget" in refused.refusals[0]["code"]


def test_allocations_explain_the_score_and_the_competition(api, actors, market):
    run = _run(api, actors)
    listing = api.get(
        "/api/v1/allocations",
        params={"run_id": run["id"], "order_id": market["whole"].id},
        token=actors.token(actors.coordinator),
    ).json()
    (summary,) = listing["items"]
    assert "competing" not in summary and "breakdown" not in summary
    proposal = api.get(f"/api/v1/allocations/{summary['id']}", token=actors.token(actors.coordinator)).json()
    assert summary["contributions"] == {name: c["contribution"]
                                        for name, c in proposal["breakdown"]["components"].items()}
    components = proposal["breakdown"]["components"]
    assert set(components) == {"quality", "price", "capacity", "local", "fairness"}
    total = sum(c["contribution"] for c in components.values())
    assert abs(total - proposal["score"]) < 1e-6
    assert proposal["breakdown"]["quality_model"]
    competing = proposal["competing"]
    assert len(competing) == 4
    losers = [c for c in competing if c["bid_id"] != proposal["bid_id"]]
    assert all(c["outcome"] for c in losers)
    assert all(c["vendor_name"] for c in competing)
    assert any(not c["eligible"] and c["refusals"] for c in losers)


def test_vendors_see_only_their_own_allocations_without_the_competition(
    api, actors, market, db_session
):
    run = _run(api, actors)
    winner_id = db_session.scalar(
        select(Allocation.vendor_id).where(Allocation.run_id == run["id"]).limit(1)
    )
    vendor_user = actors.user(
        "vendor", organization=next(v for v in market["vendors"] if v.id == winner_id)
    )
    items = api.get("/api/v1/allocations", token=actors.token(vendor_user)).json()["items"]
    assert items and all(i["vendor_id"] == winner_id for i in items)
    own = api.get(f"/api/v1/allocations/{items[0]['id']}", token=actors.token(vendor_user)).json()
    assert own["competing"] == []
    stranger = actors.token(actors.vendor)
    assert api.get("/api/v1/allocations", token=stranger).json()["items"] == []
    assert_error(api.get(f"/api/v1/allocations/{items[0]['id']}", token=stranger), 404)


def test_a_newer_run_supersedes_open_proposals(api, actors, market, db_session):
    first = _run(api, actors)
    second = _run(api, actors)
    assert second["stats"]["superseded"] >= 1
    statuses = db_session.scalars(
        select(Allocation.status).where(Allocation.run_id == first["id"])
    ).all()
    assert statuses and set(statuses) == {"superseded"}


def test_an_order_with_no_eligible_bid_becomes_unsuccessful(api, actors, market, db_session):
    from tests.allocations.conftest import evaluating_order

    lonely = evaluating_order(market["agency"].organization, title="无人投标的订单")
    db_session.flush()
    run = _run(api, actors)
    assert lonely.id in run["stats"]["unsuccessful_orders"]
    order = api.get(f"/api/v1/orders/{lonely.id}", token=actors.token(market["agency"])).json()
    assert order["status"] == "unsuccessful"


def test_a_bad_time_limit_is_422(api, actors):
    assert_error(
        api.post(
            "/api/v1/match-runs", json={"time_limit": -1}, token=actors.token(actors.coordinator)
        ),
        422,
        "time_limit",
    )


def test_the_scoring_policy_must_sum_to_100(api, actors):
    token = actors.token(actors.coordinator)
    bad = api.put(
        "/api/v1/scoring-policy",
        token=token,
        json={"weights": {"quality": 50, "price": 50, "capacity": 10, "local": 0, "fairness": 0}},
    )
    assert_error(bad, 422)
    good = api.put(
        "/api/v1/scoring-policy",
        token=token,
        json={"weights": {"quality": 50, "price": 20, "capacity": 10, "local": 10, "fairness": 10}},
    )
    assert good.status_code == 200, good.text
    assert api.get("/api/v1/scoring-policy", token=token).json()["weights"]["quality"] == 50
    assert_error(
        api.put(
            "/api/v1/scoring-policy",
            token=actors.token(actors.agency),
            json=good.json() | {"id": None},
        ),
        422,
    )


def test_a_run_with_nothing_to_match_is_still_recorded(api, actors):
    run = _run(api, actors)
    assert run["stats"]["orders"] == 0
    assert run["stats"]["proposals"] == 0


def test_a_run_over_named_orders_supersedes_only_their_proposals(
    api, actors, market, db_session
):
    first = _run(api, actors)
    whole, split = market["whole"].id, market["split"].id
    before = {a.id: a.order_id for a in db_session.scalars(
        select(Allocation).where(Allocation.run_id == first["id"]))}
    assert set(before.values()) == {whole, split}
    run = _run(api, actors, {"order_ids": [split]})
    assert run["order_ids"] == [split]
    replaced = sorted(i for i, order_id in before.items() if order_id == split)
    assert sorted(run["stats"]["superseded_ids"]) == replaced and run["stats"]["superseded"] == len(
        replaced
    )
    db_session.expire_all()
    for allocation_id, order_id in before.items():
        status = db_session.get(Allocation, allocation_id).status
        assert status == ("superseded" if order_id == split else "proposed"), (
            allocation_id,
            status,
        )


def test_a_run_over_an_order_not_under_evaluation_is_refused_and_stores_nothing(
    api, actors, market, db_session
):
    from tests.factories import OrderFactory

    open_order = OrderFactory(agency=market["agency"].organization)
    response = api.post(
        "/api/v1/match-runs",
        json={"order_ids": [market["whole"].id, open_order.id]},
        token=actors.token(actors.coordinator),
    )
    body = assert_error(response, 422, "order_ids")
    assert str(open_order.id) in body["errors"]["order_ids"][0]
    assert db_session.scalar(select(Allocation.id).limit(1)) is None
    assert_error(api.post("/api/v1/match-runs", json={"order_ids": [market["whole"].id] * 2},
                          token=actors.token(actors.coordinator)), 422, "order_ids")
