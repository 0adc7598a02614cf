"""API: contracts created by approved matches."""

from __future__ import annotations

from market import db
from market.api.openapi import PUBLIC, Blueprint
from market.auth import current_user
from market.contracts import services
from market.contracts.schemas import (
    AwardQuerySchema,
    ContractPageSchema,
    ContractQuerySchema,
    ContractSchema,
    PublicAwardPageSchema,
)

blp = Blueprint("contracts", __name__, url_prefix="/api/v1/contracts", description="Contracts")
awards_blp = Blueprint("awards", __name__, url_prefix="/api/v1/directory",
                       description="The public award notices of awarded orders (no login)")


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


@awards_blp.get("/awards")
@awards_blp.arguments(AwardQuerySchema, location="query")
@awards_blp.paginated(PublicAwardPageSchema)
@awards_blp.doc(security=PUBLIC)
def list_awards(query):
    """Awards of awarded orders, newest first: each winner's volume, unit price, value and date"""
    return services.public_awards(**query), lambda rows: [services.public_award(c) for c in rows]


BLUEPRINTS = [blp, awards_blp]
