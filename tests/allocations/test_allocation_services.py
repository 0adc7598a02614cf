"""The matching and approval services refuse the wrong actor themselves, whoever calls them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from market.allocations import policy, runs, services
from market.allocations.models import Allocation
from market.errors import Forbidden
from market.organizations.models import Organization


def _run(db_session, app, actor):
    return runs.run_matching(db_session, actor=actor, time_limit=5)


@pytest.mark.parametrize("role", ["agency", "vendor", "admin"])
def test_only_coordinators_run_matching(db_session, app, actors, market, role):
    with pytest.raises(Forbidden):
        _run(db_session, app, getattr(actors, role))
    assert db_session.scalar(select(Allocation.id).limit(1)) is None


def test_the_command_line_runs_matching_without_a_user(db_session, app, market):
    run = _run(db_session, app, None)
    assert run.started_by_id is None and run.stats["proposals"] > 0


@pytest.mark.parametrize("role", ["agency", "vendor", "admin"])
def test_only_coordinators_decide_on_proposals(db_session, app, actors, market, role):
    run = _run(db_session, app, actors.coordinator)
    proposal = run.allocations[0]
    actor = getattr(actors, role)
    with pytest.raises(Forbidden):
        services.approve(db_session, proposal.id, actor=actor, reason="综合评分最高")
    with pytest.raises(Forbidden):
        services.reject(db_session, proposal.id, actor=actor, reason="不合适")
    assert proposal.status == "proposed"


@pytest.mark.parametrize("role", ["agency", "vendor", "admin"])
def test_only_coordinators_set_the_scoring_policy(db_session, actors, role):
    weights = {"quality": 50, "price": 20, "capacity": 10, "local": 10, "fairness": 10}
    with pytest.raises(Forbidden):
        policy.set_policy(db_session, weights, actor=getattr(actors, role))


@pytest.mark.parametrize("role", ["agency", "vendor"])
def test_only_coordinators_and_administrators_read_match_runs(
    db_session, app, actors, market, role
):
    run = _run(db_session, app, actors.coordinator)
    with pytest.raises(Forbidden):
        runs.list_runs(actor=getattr(actors, role))
    with pytest.raises(Forbidden):
        runs.get_run(db_session, run.id, actor=getattr(actors, role))
    assert runs.get_run(db_session, run.id, actor=actors.admin) is run


def test_vendors_never_get_the_competing_bids_from_the_service(db_session, app, actors, market):
    run = _run(db_session, app, actors.coordinator)
    proposal = run.allocations[0]
    vendor = actors.user("vendor", organization=db_session.get(Organization, proposal.vendor_id))
    assert services.competing_evaluations(db_session, [proposal], actor=vendor) == {}
    competing = services.competing_evaluations(db_session, [proposal], actor=actors.coordinator)[
        proposal.id
    ]
    assert len(competing) > 1
