"""Audit: the append-only trail of every change."""
