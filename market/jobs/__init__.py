"""Scheduled jobs: what each does, when it runs, and the record of every run."""
