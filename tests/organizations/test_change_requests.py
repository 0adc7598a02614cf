"""Change requests: a verified vendor's raise of what eligibility trusts waits for a coordinator."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from market.allocations.models import Allocation, BidEvaluation
from market.audit.models import AuditEvent
from market.db import utcnow
from market.errors import Forbidden
from market.notifications.models import Notification
from market.organizations import change_requests, services
from market.organizations.models import ChangeRequest
from market.settings import SESSION_KEY
from tests.conftest import assert_error, match
from tests.factories import (
    BidFactory,
    CapabilityFactory,
    ChangeRequestFactory,
    OrderFactory,
    VendorFactory,
)

ORGS = "/api/v1/organizations"
URL = "/api/v1/change-requests"


@pytest.fixture
def firm(actors):
    """A verified vendor cleared for `important` data, no on-site work, ISO 27001, 100 seats."""
    org = VendorFactory(clearance="important", onsite_possible=False, seats=100)
    # The coordinator is made first, as someone to tell of the firm's requests.
    return {"coordinator": actors.coordinator, "org": org,
            "staff": actors.user("vendor", organization=org)}


def edit(api, actors, firm, **profile):
    return api.patch(f"{ORGS}/{firm['org'].id}", json={"vendor_profile": profile},
                     token=actors.token(firm["staff"]))


def ask(api, actors, firm, **profile) -> dict:
    """Edit the profile and return the pending change request the response shows."""
    response = edit(api, actors, firm, **profile)
    assert response.status_code == 200, response.text
    return response.json()["vendor_profile"]["pending_change"]


def kinds_told(db_session, user) -> list[str]:
    return list(db_session.scalars(
        select(Notification.kind).where(Notification.recipient_id == user.id).order_by(Notification.id)
    ))


def count(db_session, model) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


# Asking


def test_a_verified_vendor_raising_its_clearance_keeps_the_old_one_until_approved(
    api, actors, firm, db_session
):
    response = edit(api, actors, firm, clearance="core", headcount=140)
    assert response.status_code == 200, response.text
    profile = response.json()["vendor_profile"]
    assert profile["clearance"] == "important"  # what eligibility reads
    assert profile["headcount"] == 140  # not reviewed: applied at once
    change = profile["pending_change"]
    assert change["status"] == "pending"
    assert change["before"] == {"clearance": "important"}
    assert change["after"] == {"clearance": "core"}
    assert change["requested_by_id"] == firm["staff"].id
    db_session.expire_all()
    assert firm["org"].vendor_profile.clearance == "important"
    event = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "change_request.requested")
    ).one()
    assert (event.object_id, event.organization_id) == (change["id"], firm["org"].id)
    assert event.data["after"] == {"clearance": "core"}


def test_coordinators_hear_of_a_request_and_see_the_fields_before_and_after(
    api, actors, firm, db_session
):
    coordinator = actors.coordinator
    change = ask(api, actors, firm, clearance="core", onsite_possible=True,
                 certifications=["ISO 27001", "等保三级"])
    assert kinds_told(db_session, coordinator) == ["change_request.requested"]
    told = db_session.scalars(select(Notification).where(Notification.recipient_id == coordinator.id)).one()
    assert told.payload["fields"] == ["certifications", "clearance", "onsite_possible"]
    assert told.payload["change_request_id"] == change["id"]
    assert (told.payload["before"]["clearance"], told.payload["after"]["clearance"]) == (
        "important", "core")
    listed = api.get(URL, params={"status": "pending"}, token=actors.token(coordinator)).json()["items"]
    assert [(c["id"], c["vendor_name"]) for c in listed] == [(change["id"], firm["org"].name)]
    assert listed[0]["before"] == {"clearance": "important", "onsite_possible": False,
                                   "certifications": ["ISO 27001"]}
    assert listed[0]["after"] == {"clearance": "core", "onsite_possible": True,
                                  "certifications": ["ISO 27001", "等保三级"]}


def test_lowering_what_eligibility_trusts_is_applied_at_once(api, actors, firm):
    # A firm that lost a certificate must not keep winning on it while a coordinator is away.
    response = edit(api, actors, firm, clearance="general", certifications=[], seats=40)
    assert response.status_code == 200, response.text
    profile = response.json()["vendor_profile"]
    assert (profile["clearance"], profile["certifications"], profile["seats"]) == ("general", [], 40)
    assert profile["pending_change"] is None


def test_certifications_dropped_go_at_once_and_the_ones_added_wait(api, actors, firm):
    firm["org"].vendor_profile.certifications = ["ISO 27001", "ISO 9001"]
    response = edit(api, actors, firm, certifications=["ISO 27001", "等保三级"])
    profile = response.json()["vendor_profile"]
    assert profile["certifications"] == ["ISO 27001"]
    assert profile["pending_change"]["after"] == {"certifications": ["ISO 27001", "等保三级"]}
    assert profile["pending_change"]["before"] == {"certifications": ["ISO 27001"]}


def test_seats_wait_only_when_raised_by_more_than_the_share(api, actors, firm):
    profile = edit(api, actors, firm, seats=120).json()["vendor_profile"]
    assert (profile["seats"], profile["pending_change"]) == (120, None)
    # Measured from the seats a coordinator accepted, so small raises cannot add up unseen.
    profile = edit(api, actors, firm, seats=130).json()["vendor_profile"]
    assert profile["seats"] == 120
    assert profile["pending_change"]["after"] == {"seats": 130}


def test_the_share_comes_from_the_settings(db_session, actors, firm):
    settings = db_session.info[SESSION_KEY]
    db_session.info[SESSION_KEY] = dataclasses.replace(settings, seat_change_review_share=0.5)
    try:
        org = services.update_organization(db_session, firm["org"].id,
                                           {"vendor_profile": {"seats": 150}}, actor=firm["staff"])
    finally:
        db_session.info[SESSION_KEY] = settings
    assert (org.vendor_profile.seats, org.vendor_profile.pending_change) == (150, None)


def test_a_verified_vendor_reviews_the_seats(api, actors, db_session):
    org = VendorFactory(pending=True, seats=10)
    staff = actors.user("vendor", organization=org)
    api.post(f"{ORGS}/{org.id}/verify", json={"reason": "资料齐全"}, token=actors.token(actors.coordinator))
    response = api.patch(f"{ORGS}/{org.id}", json={"vendor_profile": {"seats": 500}},
                         token=actors.token(staff))
    assert response.json()["vendor_profile"]["seats"] == 10
    assert response.json()["vendor_profile"]["pending_change"]["after"] == {"seats": 500}


def test_asking_again_supersedes_the_pending_request_and_keeps_its_other_fields(
    api, actors, firm, db_session
):
    first = ask(api, actors, firm, clearance="core")
    second = ask(api, actors, firm, onsite_possible=True)
    assert second["id"] != first["id"]
    assert second["supersedes_id"] == first["id"]
    assert second["after"] == {"clearance": "core", "onsite_possible": True}
    old = api.get(f"{URL}/{first['id']}", token=actors.token(firm["staff"])).json()
    assert old["status"] == "superseded" and old["superseded_at"] is not None
    assert kinds_told(db_session, actors.coordinator) == ["change_request.requested"] * 2


def test_sending_the_profile_back_as_read_keeps_the_request(api, actors, firm):
    change = ask(api, actors, firm, clearance="core")
    as_read = api.get(f"{ORGS}/{firm['org'].id}", token=actors.token(firm["staff"])).json()
    sent = {key: as_read["vendor_profile"][key]
            for key in ("seats", "headcount", "certifications", "clearance", "onsite_possible", "sme")}
    assert ask(api, actors, firm, **sent) == change
    assert ask(api, actors, firm, clearance="core") == change  # asking the same again: the same one


def test_lowering_a_field_asked_for_drops_it_and_an_empty_request_is_withdrawn(api, actors, firm):
    first = ask(api, actors, firm, clearance="core", onsite_possible=True)
    second = ask(api, actors, firm, clearance="general")
    assert second["after"] == {"onsite_possible": True}
    assert ask(api, actors, firm, onsite_possible=False) == second  # as it stands: no change
    assert ask(api, actors, firm, certifications=["等保三级"])["after"] == {
        "onsite_possible": True, "certifications": ["等保三级"]}
    # Sent as they now stand, the certifications still asked for stay asked for.
    assert ask(api, actors, firm, certifications=[])["after"]["certifications"] == ["等保三级"]
    profile = api.get(f"{ORGS}/{firm['org'].id}", token=actors.token(firm["staff"])).json()
    assert (profile["vendor_profile"]["clearance"], profile["vendor_profile"]["certifications"]) == (
        "general", [])
    states = {c["id"]: c["status"] for c in api.get(URL, token=actors.token(firm["staff"])).json()["items"]}
    assert states[first["id"]] == states[second["id"]] == "superseded"


def test_a_request_left_with_nothing_to_ask_is_withdrawn(api, actors, firm):
    first = ask(api, actors, firm, clearance="core")
    assert ask(api, actors, firm, clearance="general") is None
    state = api.get(f"{URL}/{first['id']}", token=actors.token(firm["staff"])).json()
    assert state["status"] == "withdrawn" and state["withdrawn_at"] is not None


def test_administrators_change_the_profile_at_once(api, actors, firm, db_session):
    response = api.patch(f"{ORGS}/{firm['org'].id}",
                         json={"vendor_profile": {"clearance": "core", "seats": 300}},
                         token=actors.token(actors.admin))
    profile = response.json()["vendor_profile"]
    assert (profile["clearance"], profile["seats"], profile["pending_change"]) == ("core", 300, None)
    db_session.expire_all()
    assert firm["org"].vendor_profile.seats_reviewed == 300


def test_one_pending_request_per_vendor_is_enforced_by_the_database(db_session, firm):
    ChangeRequestFactory(vendor=firm["org"].vendor_profile)
    with pytest.raises(IntegrityError), db_session.begin_nested():
        ChangeRequestFactory(vendor=firm["org"].vendor_profile)


# Who sees them


def test_others_do_not_see_a_vendors_pending_change(api, actors, firm):
    ask(api, actors, firm, clearance="core")
    for viewer in (actors.agency, actors.vendor):
        shown = api.get(f"{ORGS}/{firm['org'].id}", token=actors.token(viewer)).json()
        assert shown["vendor_profile"]["pending_change"] is None
    for viewer in (actors.coordinator, actors.admin, firm["staff"]):
        shown = api.get(f"{ORGS}/{firm['org'].id}", token=actors.token(viewer)).json()
        assert shown["vendor_profile"]["pending_change"]["after"] == {"clearance": "core"}


def test_vendors_list_only_their_own_requests_and_a_foreign_one_is_404(api, actors, firm):
    change = ask(api, actors, firm, clearance="core")
    other = actors.vendor
    assert api.get(URL, token=actors.token(other)).json()["items"] == []
    assert [c["id"] for c in api.get(URL, token=actors.token(firm["staff"])).json()["items"]] == [
        change["id"]]
    assert_error(api.get(f"{URL}/{change['id']}", token=actors.token(other)), 404)
    assert_error(api.post(f"{URL}/{change['id']}/withdraw", token=actors.token(other)), 404)


def test_agencies_have_no_change_requests_to_read(api, actors):
    assert_error(api.get(URL, token=actors.token(actors.agency)), 403)
    assert_error(api.get(URL), 401)


def test_bad_list_filters_are_422(api, actors):
    token = actors.token(actors.coordinator)
    assert_error(api.get(URL, params={"status": "maybe"}, token=token), 422, "status")
    assert_error(api.get(URL, params={"vendor_id": "x"}, token=token), 422, "vendor_id")


# Deciding


def test_approving_applies_the_values_and_tells_the_vendor_without_the_note(
    api, actors, firm, db_session
):
    change = ask(api, actors, firm, clearance="core", seats=200)
    response = api.post(f"{URL}/{change['id']}/approve",
                        json={"reason": "等保测评报告已核验", "note": "internal: 电话核实"},
                        token=actors.token(actors.coordinator))
    assert response.status_code == 200, response.text
    decided = response.json()
    assert decided["status"] == "approved" and decided["decided_at"] is not None
    assert decided["decided_by_id"] == actors.coordinator.id
    assert decided["before"] == {"clearance": "important", "seats": 100}
    assert decided["note"] == "internal: 电话核实"
    db_session.expire_all()
    profile = firm["org"].vendor_profile
    assert (profile.clearance, profile.seats, profile.seats_reviewed) == ("core", 200, 200)
    updated = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "organization.updated")
    ).one()
    assert updated.data == {"vendor_profile.clearance": "core", "vendor_profile.seats": 200,
                            "change_request_id": change["id"]}
    told = db_session.scalars(
        select(Notification).where(Notification.recipient_id == firm["staff"].id)
    ).one()
    assert told.kind == "change_request.approved"
    assert told.payload["reason"] == "等保测评报告已核验"
    assert "internal" not in str(told.payload)
    seen = api.get(f"{URL}/{change['id']}", token=actors.token(firm["staff"])).json()
    assert seen["status"] == "approved" and seen["reason"] == "等保测评报告已核验"
    assert seen["note"] is None
    events = api.get("/api/v1/audit-events", params={"object_type": "change_request"},
                     token=actors.token(firm["staff"])).json()["items"]
    assert {e["action"] for e in events} == {"change_request.requested", "change_request.approved"}
    assert all("note" not in e["data"] for e in events)
    staff_view = api.get("/api/v1/audit-events", params={"action": "change_request.approved"},
                         token=actors.token(actors.coordinator)).json()["items"]
    assert staff_view[0]["data"]["note"] == "internal: 电话核实"


def test_rejecting_keeps_the_profile_and_tells_the_vendor_why(api, actors, firm, db_session):
    change = ask(api, actors, firm, clearance="core")
    response = api.post(f"{URL}/{change['id']}/reject", json={"reason": "未提供测评报告"},
                        token=actors.token(actors.coordinator))
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "rejected"
    db_session.expire_all()
    assert firm["org"].vendor_profile.clearance == "important"
    assert kinds_told(db_session, firm["staff"]) == ["change_request.rejected"]
    shown = api.get(f"{ORGS}/{firm['org'].id}", token=actors.token(firm["staff"])).json()
    assert shown["vendor_profile"]["pending_change"] is None


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_deciding_twice_is_409(api, actors, firm, action):
    change = ask(api, actors, firm, clearance="core")
    token = actors.token(actors.coordinator)
    assert api.post(f"{URL}/{change['id']}/{action}", json={"reason": "核验"}, token=token).status_code == 200
    for again in ("approve", "reject"):
        body = assert_error(api.post(f"{URL}/{change['id']}/{again}", json={"reason": "核验"}, token=token),
                            409, "status")
        assert body["errors"]["status"] == [{"approve": "approved", "reject": "rejected"}[action]]


def test_a_superseded_or_withdrawn_request_cannot_be_decided(api, actors, firm):
    first = ask(api, actors, firm, clearance="core")
    second = ask(api, actors, firm, onsite_possible=True)
    token = actors.token(actors.coordinator)
    assert_error(api.post(f"{URL}/{first['id']}/approve", json={"reason": "核验"}, token=token), 409)
    api.post(f"{URL}/{second['id']}/withdraw", token=actors.token(firm["staff"]))
    assert_error(api.post(f"{URL}/{second['id']}/approve", json={"reason": "核验"}, token=token), 409)


@pytest.mark.parametrize("body", [{}, {"reason": " \u200b "}, {"reason": "核验", "note": "x" * 2001}])
def test_a_decision_without_a_usable_reason_is_422_and_stores_nothing(
    api, actors, firm, db_session, body
):
    change = ask(api, actors, firm, clearance="core")
    events, notes = count(db_session, AuditEvent), count(db_session, Notification)
    for action in ("approve", "reject"):
        field = "note" if "note" in body else "reason"
        assert_error(api.post(f"{URL}/{change['id']}/{action}", json=body,
                              token=actors.token(actors.coordinator)), 422, field)
    db_session.expire_all()
    assert db_session.get(ChangeRequest, change["id"]).status == "pending"
    assert firm["org"].vendor_profile.clearance == "important"
    assert (count(db_session, AuditEvent), count(db_session, Notification)) == (events, notes)


@pytest.mark.parametrize("role", ["admin", "agency", "vendor"])
def test_only_coordinators_decide(api, actors, firm, db_session, role):
    change = ask(api, actors, firm, clearance="core")
    for token in (actors.token(getattr(actors, role)), actors.token(firm["staff"])):
        for action in ("approve", "reject"):
            assert_error(api.post(f"{URL}/{change['id']}/{action}", json={"reason": "核验"}, token=token),
                         403)
    db_session.expire_all()
    assert db_session.get(ChangeRequest, change["id"]).status == "pending"


def test_deciding_an_unknown_request_is_404(api, actors):
    assert_error(api.post(f"{URL}/999999/approve", json={"reason": "核验"},
                          token=actors.token(actors.coordinator)), 404)


def test_the_vendor_withdraws_its_request_and_nobody_else_may(api, actors, firm, db_session):
    change = ask(api, actors, firm, clearance="core")
    for user in (actors.coordinator, actors.admin):
        assert_error(api.post(f"{URL}/{change['id']}/withdraw", token=actors.token(user)), 403)
    response = api.post(f"{URL}/{change['id']}/withdraw", token=actors.token(firm["staff"]))
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "withdrawn"
    assert_error(api.post(f"{URL}/{change['id']}/withdraw", token=actors.token(firm["staff"])), 409)
    db_session.expire_all()
    assert firm["org"].vendor_profile.clearance == "important"


def test_the_services_refuse_the_wrong_actor_themselves(db_session, actors, firm):
    org = services.update_organization(db_session, firm["org"].id,
                                       {"vendor_profile": {"clearance": "core"}}, actor=firm["staff"])
    change = org.vendor_profile.pending_change
    for role in ("admin", "agency"):
        with pytest.raises(Forbidden):
            change_requests.approve(db_session, change.id, actor=getattr(actors, role), reason="核验")
    assert change.status == "pending"


# What the engine believes


def _matching(api, actors) -> int:
    run = match(api, actors.token(actors.coordinator))
    assert run["status"] == "completed", run
    return run["id"]


def test_a_matching_run_judges_the_vendor_by_its_approved_clearance(api, actors, firm, db_session):
    org = firm["org"]
    CapabilityFactory(vendor=org.vendor_profile)

    def core_order_with_a_bid():
        order = OrderFactory(evaluating=True, data_classification="core", volume=20000,
                             budget_ceiling=Decimal("10000.00"),
                             delivery_deadline=utcnow() + dt.timedelta(days=40))
        return BidFactory(order=order, vendor=org, unit_price=Decimal("0.30"), volume=20000)

    bid = core_order_with_a_bid()
    change = ask(api, actors, firm, clearance="core")
    run = _matching(api, actors)
    evaluation = db_session.scalars(
        select(BidEvaluation).where(BidEvaluation.run_id == run, BidEvaluation.bid_id == bid.id)
    ).one()
    assert [r["code"] for r in evaluation.refusals] == ["clearance_too_low"]

    api.post(f"{URL}/{change['id']}/approve", json={"reason": "测评报告已核验"},
             token=actors.token(actors.coordinator))
    bid = core_order_with_a_bid()  # the first order is unsuccessful: nobody could take it
    run = _matching(api, actors)
    proposed = db_session.scalars(select(Allocation).where(Allocation.run_id == run)).all()
    assert [(a.bid_id, a.status) for a in proposed] == [(bid.id, "proposed")]
