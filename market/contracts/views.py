"""API: contracts created by approved matches."""

from __future__ import annotations

from market import db
from market.api.openapi import Blueprint
from market.auth import current_user
from market.contracts import services
from market.contracts.schemas import ContractPageSchema, ContractQuerySchema, ContractSchema

blp = Blueprint("contracts", __name__, url_prefix="/api/v1/contracts", description="Contracts")


@blp.get("")
@blp.arguments(ContractQuerySchema, location="query")
@blp.paginated(ContractPageSchema)
def list_contracts(query):
    """Contracts the caller may see (own for agencies and vendors, all for coordinators)"""
    return services.list_contracts(actor=current_user(), **query)


@blp.get("/<id:contract_id>")
@blp.response(200, ContractSchema)
def get_contract(contract_id):
    """One contract with its milestones"""
    return services.get_contract(db.session, contract_id, actor=current_user())


BLUEPRINTS = [blp]
