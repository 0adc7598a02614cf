"""Contracts: who may see them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from market.contracts.models import Contract
from market.orders.models import Order
from market.permissions import not_found


def _visible(stmt, actor):
    if actor.role == "vendor":
        return stmt.where(Contract.vendor_id == actor.organization_id)
    if actor.role == "agency":
        return stmt.join(Order, Order.id == Contract.order_id).where(Order.agency_id == actor.organization_id)
    return stmt


def list_contracts(actor, *, status=None, order_id=None, vendor_id=None):
    stmt = _visible(select(Contract).options(selectinload(Contract.milestones)).order_by(Contract.id.desc()), actor)
    if status:
        stmt = stmt.where(Contract.status == status)
    if order_id:
        stmt = stmt.where(Contract.order_id == order_id)
    if vendor_id:
        stmt = stmt.where(Contract.vendor_id == vendor_id)
    return stmt


def get_contract(session: Session, contract_id: int, actor) -> Contract:
    contract = session.scalar(_visible(select(Contract).where(Contract.id == contract_id), actor))
    if contract is None:
        raise not_found("contract", contract_id)
    return contract
