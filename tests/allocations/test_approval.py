"""Approving and rejecting proposals, and everything that follows from it."""

from __future__ import annotations

from sqlalchemy import func, select

from market.allocations.models import Allocation
from market.audit.models import AuditEvent
from market.bids.models import Bid
from market.contracts.models import Contract
from market.notifications.models import Notification
from market.organizations.models import Organization
from tests.allocations.conftest import capable_vendor, evaluating_order
from tests.conftest import assert_error, match
from tests.factories import BidFactory


def _proposals(api, actors, order_id):
    run = match(api, actors.token(actors.coordinator))
    token = actors.token(actors.coordinator)
    items = api.get(
        "/api/v1/allocations",
        params={"run_id": run["id"], "order_id": order_id, "status": "proposed"},
        token=token,
    ).json()["items"]
    # The list gives summaries; each proposal's detail has the competing bids.
    return run, [api.get(f"/api/v1/allocations/{item['id']}", token=token).json() for item in items]


def test_approving_awards_the_bid_creates_the_contract_and_awards_a_covered_order(
    api, actors, market, db_session
):
    whole = market["whole"]
    _run, (proposal,) = _proposals(api, actors, whole.id)
    response = api.post(
        f"/api/v1/allocations/{proposal['id']}/approve",
        json={"reason": "综合评分最高"},
        token=actors.token(actors.coordinator),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["allocation"]["status"] == "approved"
    contract = body["contract"]
    assert contract["volume"] == whole.volume and contract["vendor_id"] == proposal["vendor_id"]
    db_session.expire_all()
    assert db_session.get(Bid, proposal["bid_id"]).status == "awarded"
    order = api.get(f"/api/v1/orders/{whole.id}", token=actors.token(market["agency"])).json()
    assert order["status"] == "awarded"
    others = db_session.scalars(
        select(Bid.status).where(Bid.order_id == whole.id, Bid.id != proposal["bid_id"])
    ).all()
    assert others and set(others) == {"rejected"}
    actions = set(db_session.scalars(select(AuditEvent.action)))
    assert {
        "allocation.approved",
        "bid.awarded",
        "contract.created",
        "order.awarded",
        "bid.rejected",
    } <= actions
    kinds = set(db_session.scalars(select(Notification.kind)))
    assert {"allocation.approved", "order.awarded", "bid.rejected"} <= kinds
    contracts = api.get("/api/v1/contracts", token=actors.token(market["agency"])).json()["items"]
    assert [c["id"] for c in contracts] == [contract["id"]]
    assert len(contracts[0]["milestones"]) == 3


def test_approving_twice_is_409_and_makes_one_contract(api, actors, market, db_session):
    _run, (proposal,) = _proposals(api, actors, market["whole"].id)
    token = actors.token(actors.coordinator)
    assert (
        api.post(
            f"/api/v1/allocations/{proposal['id']}/approve",
            json={"reason": "综合评分最高"},
            token=token,
        ).status_code
        == 200
    )
    assert_error(
        api.post(
            f"/api/v1/allocations/{proposal['id']}/approve",
            json={"reason": "综合评分最高"},
            token=token,
        ),
        409,
    )
    assert (
        db_session.scalar(
            select(func.count(Contract.id)).where(Contract.allocation_id == proposal["id"])
        )
        == 1
    )


def test_only_coordinators_decide(api, actors, market):
    _run, (proposal,) = _proposals(api, actors, market["whole"].id)
    for role in ("agency", "vendor", "admin"):
        token = actors.token(getattr(actors, role))
        assert_error(
            api.post(
                f"/api/v1/allocations/{proposal['id']}/approve",
                json={"reason": "综合评分最高"},
                token=token,
            ),
            403,
        )
        assert_error(
            api.post(
                f"/api/v1/allocations/{proposal['id']}/reject", json={"reason": "x"}, token=token
            ),
            403,
        )


def test_a_coordinator_never_decides_on_an_order_of_their_own_organisation(api, actors, db_session):
    coordinator = actors.coordinator
    own = evaluating_order(coordinator.organization, title="平台自有订单")
    BidFactory(order=own, vendor=capable_vendor(), unit_price=own.budget_ceiling / own.volume / 2)
    db_session.flush()
    _run, (proposal,) = _proposals(api, actors, own.id)
    assert_error(
        api.post(
            f"/api/v1/allocations/{proposal['id']}/approve",
            json={"reason": "综合评分最高"},
            token=actors.token(coordinator),
        ),
        403,
    )
    colleague = actors.user("coordinator", organization=actors.admin.organization)
    assert api.post(
        f"/api/v1/allocations/{proposal['id']}/approve",
        json={"reason": "综合评分最高"},
        token=actors.token(colleague),
    ).status_code in (200, 403)


def test_rejecting_needs_a_reason_and_keeps_the_pair_out_of_later_runs(
    api, actors, market, db_session
):
    token = actors.token(actors.coordinator)
    _run, (proposal,) = _proposals(api, actors, market["whole"].id)
    assert_error(
        api.post(f"/api/v1/allocations/{proposal['id']}/reject", json={}, token=token),
        422,
        "reason",
    )
    assert_error(
        api.post(
            f"/api/v1/allocations/{proposal['id']}/reject", json={"reason": " \t "}, token=token
        ),
        422,
        "reason",
    )
    rejected = api.post(
        f"/api/v1/allocations/{proposal['id']}/reject",
        json={"reason": "该企业近期质检不合格"},
        token=token,
    )
    assert rejected.status_code == 200, rejected.text
    assert (
        rejected.json()["status"] == "rejected"
        and rejected.json()["reason"] == "该企业近期质检不合格"
    )
    _run2, (second,) = _proposals(api, actors, market["whole"].id)
    assert second["vendor_id"] != proposal["vendor_id"]
    excluded = next(c for c in second["competing"] if c["vendor_id"] == proposal["vendor_id"])
    assert not excluded["eligible"]
    assert any(r["code"] == "excluded" or "reject" in r["message"] for r in excluded["refusals"])


def test_a_split_order_is_awarded_once_its_volume_is_covered(api, actors, market, db_session):
    split = market["split"]
    token = actors.token(actors.coordinator)
    _run, proposals = _proposals(api, actors, split.id)
    assert proposals
    for n, proposal in enumerate(proposals, 1):
        assert (
            api.post(
                f"/api/v1/allocations/{proposal['id']}/approve",
                json={"reason": "综合评分最高"},
                token=token,
            ).status_code
            == 200
        )
        status = api.get(f"/api/v1/orders/{split.id}", token=actors.token(market["agency"])).json()[
            "status"
        ]
        covered = sum(p["volume"] for p in proposals[:n]) >= split.volume or n >= 2
        assert status == ("awarded" if covered else "evaluating")


def test_unknown_allocation_is_404(api, actors):
    assert_error(
        api.post(
            "/api/v1/allocations/999999/approve",
            json={"reason": "综合评分最高"},
            token=actors.token(actors.coordinator),
        ),
        404,
    )


def test_cancelling_an_order_rejects_its_live_bids_and_closes_its_proposals(
    api, actors, market, db_session
):
    split = market["split"]
    _run, proposals = _proposals(api, actors, split.id)
    assert proposals
    response = api.post(f"/api/v1/orders/{split.id}/cancel", json={"reason": "项目预算调整"},
                        token=actors.token(actors.coordinator))
    assert response.status_code == 200, response.text
    db_session.expire_all()
    statuses = set(db_session.scalars(select(Bid.status).where(Bid.order_id == split.id)))
    assert statuses == {"rejected"}
    assert set(
        db_session.scalars(select(Allocation.status).where(Allocation.order_id == split.id))
    ) == {"superseded"}


def test_an_order_with_an_approved_match_cannot_be_cancelled(api, actors, db_session):
    order = evaluating_order(actors.agency.organization, splittable=True, volume=20000)
    for _ in range(2):  # two half offers: approving one leaves the order under evaluation
        BidFactory(
            order=order,
            vendor=capable_vendor(),
            unit_price=order.budget_ceiling / order.volume / 2,
            volume=10000,
        )
    db_session.flush()
    token = actors.token(actors.coordinator)
    _run, proposals = _proposals(api, actors, order.id)
    assert len(proposals) == 2
    assert (
        api.post(
            f"/api/v1/allocations/{proposals[0]['id']}/approve",
            json={"reason": "综合评分最高"},
            token=token,
        ).status_code
        == 200
    )
    assert api.get(f"/api/v1/orders/{order.id}", token=token).json()["status"] == "evaluating"
    refused = assert_error(
        api.post(f"/api/v1/orders/{order.id}/cancel", json={"reason": "x"}, token=token), 409
    )
    assert "已有经批准并签订合同的匹配" in refused["message"]


def test_a_proposal_of_a_vendor_suspended_since_the_run_cannot_be_approved(
    api, actors, market, db_session
):
    _run, (proposal,) = _proposals(api, actors, market["whole"].id)
    token = actors.token(actors.coordinator)
    suspended = api.post(
        f"/api/v1/organizations/{proposal['vendor_id']}/suspend",
        json={"reason": "资质过期"},
        token=token,
    )
    assert suspended.status_code == 200, suspended.text
    db_session.expire_all()
    assert db_session.get(Allocation, proposal["id"]).status == "superseded"
    assert_error(
        api.post(
            f"/api/v1/allocations/{proposal['id']}/approve",
            json={"reason": "综合评分最高"},
            token=token,
        ),
        409,
    )


def test_a_proposal_whose_delivery_deadline_has_passed_cannot_be_approved(
    api, actors, market, db_session
):
    import datetime as dt

    from market.db import utcnow

    whole = market["whole"]
    _run, (proposal,) = _proposals(api, actors, whole.id)
    whole.delivery_deadline = utcnow() - dt.timedelta(minutes=5)
    db_session.flush()
    refused = assert_error(
        api.post(
            f"/api/v1/allocations/{proposal['id']}/approve",
            json={"reason": "综合评分最高"},
            token=actors.token(actors.coordinator),
        ),
        409,
    )
    assert "交付期限已过" in refused["message"]


def test_approval_rechecks_every_hard_rule_with_the_engines_eligibility(
    api, actors, market, db_session
):
    from market.organizations.models import VendorProfile

    whole = market["whole"]
    _run, (proposal,) = _proposals(api, actors, whole.id)
    # Since the run, the order's data was reclassified above the winner's clearance and it now
    # needs a certification the winner lacks.
    whole.data_classification = "core"
    whole.required_certifications = ["ISO 27701"]
    db_session.get(VendorProfile, proposal["vendor_id"]).clearance = "general"
    db_session.flush()
    refused = assert_error(
        api.post(
            f"/api/v1/allocations/{proposal['id']}/approve",
            json={"reason": "综合评分最高"},
            token=actors.token(actors.coordinator),
        ),
        409,
        "eligibility",
    )
    assert set(refused["errors"]["eligibility"]) == {"clearance_too_low", "certification_missing"}
    db_session.expire_all()
    assert db_session.get(Allocation, proposal["id"]).status == "proposed"
    assert db_session.scalar(select(func.count(Contract.id))) == 0


def test_approving_needs_a_reason_and_nothing_changes_without_one(api, actors, market, db_session):
    _run, (proposal,) = _proposals(api, actors, market["whole"].id)
    token = actors.token(actors.coordinator)
    for body in ({}, {"reason": " \u200b "}):
        assert_error(
            api.post(f"/api/v1/allocations/{proposal['id']}/approve", json=body, token=token),
            422,
            "reason",
        )
    db_session.expire_all()
    assert db_session.get(Allocation, proposal["id"]).status == "proposed"
    assert db_session.scalar(select(func.count(Contract.id))) == 0


def test_the_internal_note_is_for_coordinators_and_the_reason_for_everyone(
    api, actors, market, db_session
):
    _run, (proposal,) = _proposals(api, actors, market["whole"].id)
    coordinator = actors.token(actors.coordinator)
    decided = api.post(f"/api/v1/allocations/{proposal['id']}/reject", token=coordinator,
                       json={"reason": "近期质检不合格", "note": "质检科反馈两次返工"})
    assert decided.status_code == 200, decided.text
    assert decided.json()["note"] == "质检科反馈两次返工"
    vendor_user = actors.user(
        "vendor", organization=db_session.get(Organization, proposal["vendor_id"])
    )
    for token in (actors.token(vendor_user), actors.token(market["agency"])):
        seen = api.get(f"/api/v1/allocations/{proposal['id']}", token=token).json()
        assert seen["reason"] == "近期质检不合格" and seen["note"] is None
        events = api.get(
            "/api/v1/audit-events",
            params={"object_type": "allocation", "object_id": proposal["id"]},
            token=token,
        ).json()["items"]
        assert all("质检科" not in str(event["data"]) for event in events)
    events = api.get(
        "/api/v1/audit-events",
        params={"object_type": "allocation", "object_id": proposal["id"]},
        token=coordinator,
    ).json()["items"]
    assert any(event["data"].get("note") == "质检科反馈两次返工" for event in events)
    agency_news = db_session.scalars(
        select(Notification).where(
            Notification.recipient_id == market["agency"].id,
            Notification.kind == "allocation.rejected_on_order",
        )
    ).all()
    assert [n.payload["reason"] for n in agency_news] == ["近期质检不合格"]
