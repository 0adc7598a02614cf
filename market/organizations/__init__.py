"""Organisations: agencies, vendors (profiles, capabilities, verification) and the operator."""
