"""API: contracts created by approved matches."""

from __future__ import annotations

from flask_smorest import Blueprint

from market import db
from market.api import BEARER
from market.api.fields import paginate
from market.auth import current_user
from market.contracts import services
from market.contracts.schemas import ContractPageSchema, ContractQuerySchema, ContractSchema

blp = Blueprint("contracts", __name__, url_prefix="/api/v1/contracts", description="Contracts")


@blp.get("")
@blp.arguments(ContractQuerySchema, location="query")
@blp.response(200, ContractPageSchema)
@blp.doc(security=BEARER)
def list_contracts(query):
    """Contracts the caller may see (own for agencies and vendors, all for coordinators)"""
    actor = current_user()
    stmt = services.list_contracts(actor=actor, status=query.get("status"), order_id=query.get("order_id"),
                                   vendor_id=query.get("vendor_id"))
    return paginate(db.session, stmt, query["page"], query["per_page"])


@blp.get("/<id:contract_id>")
@blp.response(200, ContractSchema)
@blp.doc(security=BEARER)
def get_contract(contract_id):
    """One contract with its milestones"""
    return services.get_contract(db.session, contract_id, actor=current_user())


BLUEPRINTS = [blp]
