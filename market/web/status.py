"""The system's status for administrators, and the record of job runs for coordinators too.

Reachability of the database, what the job runs say of the scheduler (which process ran the
newest one, and when), each job's last run, the e-mail outbox's backlog and its failed and unknown
mails. The same services as GET /api/v1/job-runs and /api/v1/outbox-emails decide who reads what:
coordinators and administrators the job runs, administrators alone the outbox.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

from flask import Blueprint, current_app, render_template, request, url_for
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from market import db
from market.api.fields import paginate
from market.db import utcnow
from market.jobs import catalogue
from market.jobs import services as jobs
from market.jobs.schemas import JobRunQuerySchema
from market.notifications import services as notifications
from market.web.extensions import csrf
from market.web.forms import load_form
from market.web.session import signed_in

# Not under /admin: coordinators read it too (without the outbox), and /admin is the administrators'.
bp = Blueprint("status", __name__, url_prefix="/system")
# Failed and unknown mails listed on the page, newest first; the API lists them all.
MAILS_SHOWN = 20


@bp.before_request
def _check_csrf():
    csrf.protect()


def _database() -> dict:
    """Whether the database answers, how fast, and which kind it is."""
    started = time.monotonic()
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:  # reported on the page; the page itself still renders
        current_app.logger.warning("status page: database check failed: %s", type(exc).__name__)
        db.session.rollback()
        return {"reachable": False, "kind": db.session.get_bind().dialect.name}
    return {"reachable": True, "kind": db.session.get_bind().dialect.name,
            "milliseconds": (time.monotonic() - started) * 1000}


@bp.get("/status")
def index():
    """Database, scheduler, each job's last run; for administrators also the e-mail outbox."""
    user = signed_in()
    now = utcnow()
    scheduler = jobs.scheduler_state(db.session, current_app.config, actor=user, now=now)
    outbox = None
    if user.role == "admin":
        outbox = {
            "counts": notifications.outbox_counts(db.session, actor=user),
            "failed": db.session.scalars(notifications.outbox_emails(actor=user, status="failed")
                                         .limit(MAILS_SHOWN)).all(),
            "unknown": db.session.scalars(notifications.outbox_emails(actor=user, status="unknown")
                                          .limit(MAILS_SHOWN)).all(),
            "max_attempts": int(current_app.config["OUTBOX_MAX_ATTEMPTS"]),
        }
    return render_template("status/index.html", database=_database(), scheduler=scheduler,
                           outbox=outbox, now=now)


@bp.get("/job-runs")
def job_runs():
    """Every job run, newest first, filtered by job and outcome (the API's query schema)."""
    user = signed_in()
    query, errors = load_form(JobRunQuerySchema(), request.args)
    page, status = None, 200
    if errors:
        status = 422
        query = {}
    page_no, per_page = query.pop("page", 1), query.pop("per_page", 50)
    stmt = jobs.list_job_runs(actor=user, **query)  # refuses other roles, errors or not
    if not errors:
        page = paginate(db.session, stmt, page_no, per_page)
    filters = {k: v for k, v in request.args.items() if k != "page" and v.strip()}
    return render_template(
        "status/job_runs.html", page=page, errors=errors, form=request.args,
        job_names=[job.name for job in catalogue.JOBS],
        page_url=lambda n: url_for("status.job_runs") + "?" + urlencode({**filters, "page": n}),
    ), status
