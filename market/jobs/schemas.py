"""Schemas for the record of job runs."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from market.api.fields import LocalDateTime, PageQuerySchema, page_schema
from market.jobs.catalogue import JOBS
from market.jobs.models import JOB_OUTCOMES


class JobRunSchema(Schema):
    id = fields.Integer()
    job = fields.String()
    trigger = fields.String(metadata={"description": "schedule (the scheduler) or manual "
                                                     "(`market jobs run`)"})
    outcome = fields.String(metadata={"description": "running, succeeded, failed or interrupted "
                                                     "(its scheduler stopped during the run)"})
    started_at = LocalDateTime()
    finished_at = LocalDateTime(allow_none=True)
    counts = fields.Dict(keys=fields.String(), metadata={"description": "what the run did"})
    error = fields.String(allow_none=True)
    runner = fields.String(metadata={"description": "host:pid of the process that ran it"})


class JobRunQuerySchema(PageQuerySchema):
    job = fields.String(validate=validate.OneOf([job.name for job in JOBS]))
    outcome = fields.String(validate=validate.OneOf(JOB_OUTCOMES))


JobRunPageSchema = page_schema(JobRunSchema, "JobRunPageSchema")
