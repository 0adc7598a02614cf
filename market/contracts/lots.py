"""Delivery lots: handed in with a manifest, inspected on a sample the service draws by ISO 2859-1
(GB/T 2828.1) single sampling, accepted or rejected by the plan's Ac/Re, with the contract's
switching between normal, tightened and reduced inspection; disputes of a rejection.

The plan is fixed when the lot is handed in (the contract's severity then, the order's AQL and
inspection level, the manifest's item count as the lot size) and its sample drawn from a recorded
random seed, so neither side chooses which items are inspected. The vendor learns which items were
sampled only once the lot is decided.
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from market.audit import services as audit
from market.contracts import sampling
from market.contracts.lifecycle import DISPUTE_LIFECYCLE, LOT_LIFECYCLE
from market.contracts.models import Contract, DeliveryLot, Dispute
from market.contracts.payments import make_payable
from market.contracts.progress import complete_if_accepted, require_active, start_order
from market.contracts.services import (
    get_contract,
    lock_contract,
    open_to_deliver,
    require_independent,
    visible_contracts,
)
from market.db import utcnow
from market.errors import Conflict, InvalidInput
from market.i18n import N_
from market.labels import Label
from market.notifications.services import notify, users_of, users_with_role
from market.orders.models import Order
from market.permissions import not_found, require_role
from market.text import optional_note, require_reason

SEED_BITS = 62  # fits a signed 64-bit column


def plan_of(lot: DeliveryLot) -> sampling.SamplingPlan:
    """The plan the lot was given when handed in (the tables are fixed, so it is the same again)."""
    return sampling.plan_for(lot.item_count, lot.aql, lot.inspection_level, lot.severity)


def switching_state(contract: Contract) -> sampling.SwitchingState:
    return sampling.SwitchingState(
        severity=contract.severity, switching_score=contract.switching_score,
        recent=tuple(contract.recent_results), tightened_rejections=contract.tightened_rejections,
        consecutive_accepted=contract.consecutive_accepted,
        discontinued=contract.discontinued_at is not None,
    )


def _store_state(contract: Contract, state: sampling.SwitchingState, now: dt.datetime) -> None:
    contract.severity, contract.switching_score = state.severity, state.switching_score
    contract.recent_results = list(state.recent)
    contract.tightened_rejections = state.tightened_rejections
    contract.consecutive_accepted = state.consecutive_accepted
    if not state.discontinued:
        contract.discontinued_at = None
    elif contract.discontinued_at is None:
        contract.discontinued_at = now


def _replayed(contract: Contract, *, leaving_out: DeliveryLot) -> sampling.SwitchingState:
    """The switching state as if `leaving_out` had not been decided: every other decided lot again,
    in the order they were decided."""
    state = sampling.SwitchingState()
    decided = sorted((lot for lot in contract.lots
                      if lot.status != "submitted" and lot is not leaving_out and lot.item_count),
                     key=lambda lot: (lot.decided_at, lot.id))
    for lot in decided:
        if _counts_for_switching(lot, state):
            state = sampling.after_lot(state, plan_of(lot), lot.status == "accepted",
                                       lot.sample_defects or 0,
                                       reduced_agreed=contract.reduced_agreed_at is not None)
    return state


def _counts_for_switching(lot: DeliveryLot, state: sampling.SwitchingState) -> bool:
    """Only a lot on original inspection counts, under the severity in force when it was handed in
    and still in force (a lot handed in before a switch is judged by its plan, but does not count
    again), and not once acceptance is discontinued."""
    return (lot.resubmission_of_id is None and lot.severity == state.severity
            and not state.discontinued)


# Reading


def list_lots(session: Session, contract_id: int, *, actor) -> Select:
    contract = get_contract(session, contract_id, actor=actor)
    return select(DeliveryLot).where(DeliveryLot.contract_id == contract.id).order_by(DeliveryLot.id)


def get_lot(session: Session, lot_id: int, *, actor) -> DeliveryLot:
    lot = session.scalar(
        select(DeliveryLot).join(Contract, Contract.id == DeliveryLot.contract_id)
        .where(DeliveryLot.id == lot_id, Contract.id.in_(visible_contracts(actor)))
    )
    if lot is None:
        raise not_found("lot", lot_id)
    return lot


def sample_shown_to(lot: DeliveryLot, actor) -> bool:
    """The items to inspect are the inspectors' to know; the vendor sees them once decided, so it
    cannot correct only the sampled items."""
    return actor.role != "vendor" or lot.status != "submitted"


def items_to_inspect(lot: DeliveryLot) -> list[dict]:
    """Each sampled position with the manifest's item id at it, when the manifest lists ids."""
    ids = lot.item_ids or []
    return [{"position": p, "item_id": ids[p - 1] if p <= len(ids) else None}
            for p in lot.sample_positions or []]


def presented(lots: list[DeliveryLot], actor) -> list[DeliveryLot]:
    """The lots with the items to inspect that `actor` may see."""
    for lot in lots:
        lot.items_to_inspect = items_to_inspect(lot) if sample_shown_to(lot, actor) else None
    return lots


def get_dispute(session: Session, dispute_id: int, *, actor) -> Dispute:
    dispute = session.scalar(
        select(Dispute).where(Dispute.id == dispute_id,
                              Dispute.contract_id.in_(visible_contracts(actor)))
    )
    if dispute is None:
        raise not_found("dispute", dispute_id)
    return dispute


def list_disputes(*, actor, status: str | None = None) -> Select:
    """Disputes on the contracts `actor` may see (coordinators: all), oldest first, with the lot,
    contract, order and firm each shows."""
    require_role(actor, "coordinator", "admin", "agency", "vendor")
    stmt = (
        select(Dispute).where(Dispute.contract_id.in_(visible_contracts(actor)))
        .options(selectinload(Dispute.lot),
                 selectinload(Dispute.contract).selectinload(Contract.order)
                 .selectinload(Order.agency),
                 selectinload(Dispute.contract).selectinload(Contract.vendor))
        .order_by(Dispute.raised_at, Dispute.id)
    )
    if status:
        stmt = stmt.where(Dispute.status == status)
    return stmt


# Handing in


def _manifest_errors(data: dict) -> dict:
    errors = {}
    ids = data.get("item_ids")
    if ids is None and not data.get("checksum"):
        errors["checksum"] = ["Give the manifest's checksum or its list of item ids."]
    if ids is not None:
        if len(ids) != data["item_count"]:
            errors["item_ids"] = [f"Must list item_count ({data['item_count']}) ids."]
        elif len(set(ids)) != len(ids):
            errors["item_ids"] = ["Each item id must appear once."]
    return errors


def _resubmitted(contract: Contract, lot_id: int | None) -> DeliveryLot | None:
    if lot_id is None:
        return None
    earlier = next((lot for lot in contract.lots if lot.id == lot_id), None)
    if earlier is None:
        raise InvalidInput("Resubmit a lot of this contract.",
                           errors={"resubmission_of_id": ["No such lot on this contract."]})
    if earlier.status != "rejected":
        raise Conflict(N_("Lot %(lot)s is “%(status)s”; only a rejected lot is resubmitted."),
                       errors={"resubmission_of_id": [earlier.status]},
                       params={"lot": earlier.id, "status": Label(earlier.status, "lot_status")})
    if earlier.dispute is not None and earlier.dispute.status == "open":
        raise Conflict(N_("Lot %(lot)s's rejection is disputed; wait for the decision."),
                       errors={"resubmission_of_id": ["disputed"]}, params={"lot": earlier.id})
    if any(lot.resubmission_of_id == earlier.id for lot in contract.lots):
        raise Conflict(N_("Lot %(lot)s was resubmitted already."),
                       errors={"resubmission_of_id": ["resubmitted"]}, params={"lot": earlier.id})
    return earlier


def submit_lot(session: Session, contract_id: int, data: dict, *, actor,
               now: dt.datetime | None = None) -> DeliveryLot:
    """The vendor hands in a lot: its volume (at most what is neither accepted nor pending), a note
    and its manifest; the service gives its sampling plan and draws the items to inspect."""
    contract = lock_contract(session, contract_id, actor=actor, roles=("vendor",))
    require_active(contract)
    if contract.discontinued_at is not None:
        raise Conflict(N_("Acceptance under contract %(contract)s is discontinued after repeated "
                          "rejections under tightened inspection; a coordinator must decide first."),
                       errors={"severity": ["discontinued"]}, params={"contract": contract.id})
    earlier = _resubmitted(contract, data.get("resubmission_of_id"))
    errors = _manifest_errors(data)
    room = open_to_deliver(contract)
    if data["volume"] > room:
        errors["volume"] = [f"At most {room}: the rest is accepted or waiting for inspection."]
    if errors:
        raise InvalidInput("The lot cannot be handed in as it is.", errors=errors)
    order = contract.order
    try:
        plan = sampling.plan_for(data["item_count"], order.aql_in_force, order.sampling_level,
                                 contract.severity)
    except ValueError as exc:
        raise InvalidInput("No sampling plan fits this lot.", errors={"item_count": [str(exc)]}) from exc
    now = now or utcnow()
    seed = secrets.randbits(SEED_BITS)
    lot = DeliveryLot(
        contract=contract, volume=data["volume"], note=optional_note(data.get("note")),
        submitted_at=now, submitted_by_id=actor.id,
        resubmission_of_id=earlier.id if earlier else None,
        item_count=data["item_count"], checksum=data.get("checksum") or None,
        item_ids=data.get("item_ids"), aql=plan.aql, inspection_level=plan.level,
        severity=plan.severity, size_code=plan.size_code, code_letter=plan.code_letter,
        sample_size=plan.sample_size, accept_number=plan.accept, reject_number=plan.reject,
        sample_seed=seed,
        sample_positions=sampling.draw_sample(plan.lot_size, plan.sample_size, seed),
    )
    session.add(lot)
    session.flush()  # the audit event and the notification name the lot
    audit.record(session, "lot.submitted", actor=actor, object_type="lot", object_id=lot.id,
                 organization_id=order.agency_id,
                 data={"contract_id": contract.id, "volume": lot.volume, "item_count": lot.item_count,
                       "resubmission_of_id": lot.resubmission_of_id, "seed": seed,
                       "plan": {"aql": plan.aql, "level": plan.level, "severity": plan.severity,
                                "code_letter": plan.code_letter, "n": plan.sample_size,
                                "ac": plan.accept, "re": plan.reject}},
                 occurred_at=now)
    start_order(session, order, actor=actor, now=now)
    notify(session, users_of(session, order.agency_id, roles=["agency"]), "lot.submitted",
           {"lot_id": lot.id, "contract_id": contract.id, "order_id": order.id,
            "order_title": order.title, "volume": lot.volume, "sample_size": lot.sample_size},
           now=now)
    return lot


# Inspecting


def _finding_errors(lot: DeliveryLot, defects: int, findings: list[dict]) -> dict:
    errors = {}
    if defects > lot.sample_size:
        errors["nonconforming"] = [f"At most the sample size, {lot.sample_size}."]
    sampled = set(lot.sample_positions or [])
    outside = sorted({f["position"] for f in findings} - sampled)
    if outside:
        errors["findings"] = [f"Positions not in the sample: {', '.join(map(str, outside))}."]
    elif len({f["position"] for f in findings}) != len(findings):
        errors["findings"] = ["One finding per sampled item."]
    elif len(findings) > defects:
        errors["findings"] = [f"More findings ({len(findings)}) than nonconforming items ({defects})."]
    return errors


def inspect_lot(session: Session, lot_id: int, data: dict, *, actor,
                now: dt.datetime | None = None) -> DeliveryLot:
    """The agency records the nonconforming items found in the drawn sample (and findings per item):
    the lot is accepted when d <= Ac, rejected when d >= Re; the contract's switching state follows."""
    lot = get_lot(session, lot_id, actor=actor)
    contract = lock_contract(session, lot.contract_id, actor=actor, roles=("agency",))
    lot = session.get(DeliveryLot, lot_id, populate_existing=True)
    if lot.status != "submitted":
        raise Conflict(N_("Lot %(lot)s is “%(status)s”; only a lot waiting for inspection is inspected."),
                       errors={"status": [lot.status]},
                       params={"lot": lot.id, "status": Label(lot.status, "lot_status")})
    defects, findings = data["nonconforming"], data.get("findings") or []
    errors = _finding_errors(lot, defects, findings)
    if errors:
        raise InvalidInput("The inspection does not fit the lot's sample.", errors=errors)
    now = now or utcnow()
    plan = plan_of(lot)
    accepted = plan.accepts(defects)
    if data.get("agree_reduced") and contract.reduced_agreed_at is None:
        contract.reduced_agreed_at = now
    before = contract.severity
    state = switching_state(contract)
    was_discontinued = state.discontinued
    if _counts_for_switching(lot, state):
        state = sampling.after_lot(state, plan, accepted, defects,
                                   reduced_agreed=contract.reduced_agreed_at is not None)
        _store_state(contract, state, now)
    lot.sample_defects, lot.findings = defects, findings
    lot.measured_accuracy = round(1 - defects / lot.sample_size, 4)
    lot.decided_by_id, lot.reason = actor.id, optional_note(data.get("note"))
    order = contract.order
    LOT_LIFECYCLE.transition(
        session, lot, "accepted" if accepted else "rejected", actor=actor,
        organization_id=contract.vendor_id,
        data={"contract_id": contract.id, "nonconforming": defects, "n": lot.sample_size,
              "ac": lot.accept_number, "re": lot.reject_number, "severity": before,
              "severity_after": state.severity, "switching_score": state.switching_score},
        now=now,
    )
    if accepted:
        make_payable(session, contract, lot, now=now)
    payload = {"lot_id": lot.id, "contract_id": contract.id, "order_id": order.id,
               "order_title": order.title, "defects": defects, "sample_size": lot.sample_size,
               "reject": lot.reject_number}
    if state.severity != before:
        payload[state.severity] = True
    notify(session, users_of(session, contract.vendor_id, roles=["vendor"]),
           "lot.accepted" if accepted else "lot.rejected", payload, now=now)
    if state.discontinued and not was_discontinued:
        notify(session, users_with_role(session, "coordinator")
               + users_of(session, order.agency_id, roles=["agency"])
               + users_of(session, contract.vendor_id, roles=["vendor"]), "contract.discontinued",
               {"contract_id": contract.id, "order_id": order.id, "order_title": order.title,
                "rejections": state.tightened_rejections}, now=now)
    if accepted:
        complete_if_accepted(session, contract, actor=actor, now=now)
    return lot


# Disputes


def dispute_lot(session: Session, lot_id: int, data: dict, *, actor,
                now: dt.datetime | None = None) -> Dispute:
    """The vendor disputes a rejection with a reason; a coordinator decides."""
    lot = get_lot(session, lot_id, actor=actor)
    contract = lock_contract(session, lot.contract_id, actor=actor, roles=("vendor",))
    lot = session.get(DeliveryLot, lot_id, populate_existing=True)
    if lot.status != "rejected":
        raise Conflict(N_("Lot %(lot)s is “%(status)s”; only a rejection is disputed."),
                       errors={"status": [lot.status]},
                       params={"lot": lot.id, "status": Label(lot.status, "lot_status")})
    if lot.dispute is not None:
        raise Conflict(N_("Lot %(lot)s's rejection was disputed already (dispute %(dispute)s)."),
                       errors={"dispute": [lot.dispute.status]},
                       params={"lot": lot.id, "dispute": lot.dispute.id})
    if any(other.resubmission_of_id == lot.id for other in contract.lots):
        raise Conflict(N_("Lot %(lot)s was resubmitted: its rejection was accepted."),
                       errors={"status": ["resubmitted"]}, params={"lot": lot.id})
    now = now or utcnow()
    dispute = Dispute(lot=lot, contract_id=contract.id, reason=require_reason(data.get("reason")),
                      raised_by_id=actor.id, raised_at=now)
    session.add(dispute)
    session.flush()  # the audit event and the notification name the dispute
    audit.record(session, "dispute.opened", actor=actor, object_type="dispute", object_id=dispute.id,
                 organization_id=contract.order.agency_id,
                 data={"lot_id": lot.id, "contract_id": contract.id, "reason": dispute.reason},
                 occurred_at=now)
    notify(session, users_with_role(session, "coordinator")
           + users_of(session, contract.order.agency_id, roles=["agency"]), "lot.disputed",
           {"lot_id": lot.id, "contract_id": contract.id, "dispute_id": dispute.id,
            "reason": dispute.reason}, now=now)
    return dispute


def decide_dispute(session: Session, dispute_id: int, data: dict, *, actor,
                   now: dt.datetime | None = None) -> Dispute:
    """A coordinator not of the agency's organisation upholds the rejection or orders the lot
    inspected again (on the same sample); the reason goes to both sides."""
    dispute = get_dispute(session, dispute_id, actor=actor)
    contract = lock_contract(session, dispute.contract_id, actor=actor, roles=("coordinator",))
    require_independent(contract, actor)
    dispute = session.get(Dispute, dispute_id, populate_existing=True)
    reason = require_reason(data.get("reason"))
    now = now or utcnow()
    target = data["decision"]
    if target == "reinspection":
        require_active(contract)
    DISPUTE_LIFECYCLE.transition(session, dispute, target, actor=actor,
                                 organization_id=contract.order.agency_id, reason=reason,
                                 data={"lot_id": dispute.lot_id}, now=now)
    dispute.decided_by_id, dispute.decision_reason = actor.id, reason
    lot = dispute.lot
    if target == "reinspection":
        _store_state(contract, _replayed(contract, leaving_out=lot), now)
        LOT_LIFECYCLE.transition(session, lot, "submitted", actor=actor,
                                 organization_id=contract.vendor_id,
                                 data={"dispute_id": dispute.id}, now=now)
        lot.sample_defects = lot.findings = lot.measured_accuracy = None
        lot.decided_at = lot.decided_by_id = lot.reason = None
    notify(session, users_of(session, contract.vendor_id, roles=["vendor"])
           + users_of(session, contract.order.agency_id, roles=["agency"]), f"dispute.{target}",
           {"lot_id": lot.id, "contract_id": contract.id, "dispute_id": dispute.id,
            "reason": reason}, now=now)
    return dispute
