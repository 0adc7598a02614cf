"""Accounts: users, passwords, bearer tokens."""
