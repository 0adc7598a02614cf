"""Notifications: in-app messages and the e-mail outbox."""
