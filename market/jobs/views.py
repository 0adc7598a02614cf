"""API: the record of the scheduled jobs' runs."""

from __future__ import annotations

from market.api.openapi import Blueprint
from market.auth import current_user
from market.jobs import services
from market.jobs.schemas import JobRunPageSchema, JobRunQuerySchema

blp = Blueprint("job_runs", __name__, url_prefix="/api/v1/job-runs",
                description="The scheduled jobs' runs")


@blp.get("")
@blp.arguments(JobRunQuerySchema, location="query")
@blp.paginated(JobRunPageSchema)
def list_job_runs(query):
    """Runs of the scheduled jobs, newest first (coordinators and administrators)"""
    return services.list_job_runs(actor=current_user(), **query)


BLUEPRINTS = [blp]
