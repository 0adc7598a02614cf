"""The coordinators' scoring policy and matching pages: the weights with their history, what a run
would take, starting one (queued for the scheduler, as POST /api/v1/match-runs does), its progress
and its report. Every action calls the service the API calls."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from market import db
from market.allocations import policy, report, runs
from market.allocations.inputs import FAIRNESS_WINDOW_DAYS
from market.allocations.schemas import MatchRunCreateSchema, ScoringPolicySchema
from market.api.fields import PageQuerySchema, paginate
from market.errors import DomainError
from market.matching.scoring import COMPONENTS, DEFAULT_PARAMS
from market.web.coordinator import coordinator_only
from market.web.extensions import csrf
from market.web.forms import load_form, refusal

bp = Blueprint("matching", __name__, url_prefix="/coordinator")
# Seconds between reloads of a run's page while it waits or runs (the reader can turn it off).
REFRESH_SECONDS = 3


@bp.before_request
def _check_csrf():
    csrf.protect()




# --- scoring policy --------------------------------------------------------------------------

def _policy_page(user, errors: dict | None = None, form=None, status: int = 200):
    weights = policy.current_policy(db.session)
    history = db.session.scalars(policy.policy_history(actor=user).limit(50)).all()
    shown = form if form is not None else MultiDict(
        {f"weights.{name}": f"{weights[name]:g}" for name in COMPONENTS})
    return render_template("coordinator/scoring_policy.html", weights=weights, history=history,
                           components=COMPONENTS, params=DEFAULT_PARAMS, fairness_days=FAIRNESS_WINDOW_DAYS,
                           errors=errors or {}, form=shown), status


@bp.get("/scoring-policy")
def scoring_policy():
    return _policy_page(coordinator_only())


@bp.post("/scoring-policy")
def set_scoring_policy():
    """New weights with a note, checked by the policy service (they must sum to 100)."""
    user = coordinator_only()
    data, errors = load_form(ScoringPolicySchema(), request.form)
    if not errors:
        try:
            policy.set_policy(db.session, data["weights"], actor=user, note=data.get("note"))
        except DomainError as error:
            errors = refusal(error)
        else:
            db.session.commit()
            flash(_("The new weights are in force: the next matching run scores with them."))
            return redirect(url_for("matching.scoring_policy"))
    return _policy_page(user, errors, request.form, 422)


# --- matching --------------------------------------------------------------------------------

def _matching_page(user, errors: dict | None = None, form=None, status: int = 200):
    query, _errors = load_form(PageQuerySchema(), request.args)
    recent = paginate(db.session, runs.list_runs(actor=user), query.get("page", 1), 10)
    return render_template(
        "coordinator/matching.html", plan=report.plan_run(db.session, actor=user), recent=recent,
        errors=errors or {}, form=form or {}, chosen=set((form or MultiDict()).getlist("order_ids")),
        page_url=lambda n: url_for("matching.matching") + "?" + urlencode({"page": n}),
    ), status


@bp.get("/matching")
def matching():
    return _matching_page(coordinator_only())


@bp.post("/match-runs")
def start_run():
    """Queue a run over the orders ticked (none ticked: every order under evaluation); the
    scheduler runs it and its page shows how it goes."""
    user = coordinator_only()
    chosen = [value for value in request.form.getlist("order_ids") if value.strip()]
    data, errors = load_form(MatchRunCreateSchema(), request.form, lists=("order_ids",) if chosen else ())
    if not chosen:
        data.pop("order_ids", None)
    if not errors:
        try:
            run = runs.queue_run(db.session, actor=user, **data)
        except DomainError as error:
            errors = refusal(error)
        else:
            db.session.commit()
            flash(_("Matching run %(id)s is queued; the scheduler starts it within seconds.", id=run.id))
            return redirect(url_for("matching.run", run_id=run.id, watch=1))
    return _matching_page(user, errors, request.form, 422)


@bp.get("/match-runs/<int:run_id>")
def run(run_id: int):
    """A run's state; while it waits or runs the page reloads itself every few seconds (an HTTP
    Refresh header, no script) as long as the reader watches, and its report once it is done."""
    user = coordinator_only()
    found = runs.get_run(db.session, run_id, actor=user)
    watching = request.args.get("watch") == "1" and found.status in ("queued", "running")
    outcomes = report.run_outcomes(db.session, found, language=get_locale().language) \
        if found.status == "completed" else []
    response = make_response(render_template(
        "coordinator/match_run.html", run=found, outcomes=outcomes, watching=watching,
        refresh_seconds=REFRESH_SECONDS))
    if watching:
        response.headers["Refresh"] = str(REFRESH_SECONDS)
    return response
