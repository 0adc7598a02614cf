"""The coordinators' disputes page: the vendors' disputes of rejected lots, each decided with a
reason through the service POST /api/v1/disputes/{id}/decision calls (upheld, or inspected again).
A coordinator of the agency's own organisation sees why they may not decide."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from market import db
from market.contracts import lots
from market.contracts.models import Dispute
from market.contracts.schemas import DisputeDecisionSchema
from market.errors import Conflict, DomainError
from market.web.coordinator import coordinator_only, prefixed_form
from market.web.extensions import csrf

bp = Blueprint("dispute_pages", __name__, url_prefix="/coordinator")
DECIDED_SHOWN = 20


@bp.before_request
def _check_csrf():
    csrf.protect()


def _page(user, errors: dict | None = None, form=None, status: int = 200, late: str | None = None):
    open_ = db.session.scalars(lots.list_disputes(actor=user, status="open")).all()
    decided = db.session.scalars(
        lots.list_disputes(actor=user).where(Dispute.status != "open").order_by(None)
        .order_by(Dispute.decided_at.desc(), Dispute.id.desc()).limit(DECIDED_SHOWN)).all()
    return render_template("coordinator/disputes.html", open_disputes=open_, decided=decided,
                           errors=errors or {}, form=form or {}, late=late), status


@bp.get("/disputes")
def disputes():
    return _page(coordinator_only())


@bp.post("/disputes/<int:dispute_id>/decision")
def decide(dispute_id: int):
    """Uphold the rejection or order the lot inspected again, with a reason both sides read."""
    user = coordinator_only()
    lots.get_dispute(db.session, dispute_id, actor=user)  # 404 before anything else
    data, errors = prefixed_form(DisputeDecisionSchema(), f"dispute-{dispute_id}")
    if errors:
        return _page(user, errors, request.form, 422)
    try:
        lots.decide_dispute(db.session, dispute_id, data, actor=user)
    except Conflict as error:
        # Decided by someone else first (or the contract ended): the page says so, nothing changed.
        db.session.rollback()
        return _page(user, status=409, late=error.message)
    except DomainError as error:
        db.session.rollback()
        if error.status_code != 422:
            raise
        return _page(user, {f"dispute-{dispute_id}-{k}": v for k, v in (error.errors or {}).items()}
                     or {"_body": [error.message]}, request.form, 422)
    db.session.commit()
    flash(_("The dispute is decided; the firm and the agency have been told the reason.")
          if data["decision"] == "upheld" else
          _("The lot goes back to the agency to be inspected again; the firm and the agency have been told."))
    return redirect(url_for("dispute_pages.disputes"))
