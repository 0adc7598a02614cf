"""Sending the e-mail outbox: queued mails go out after their transaction committed, once each.

The outbox is written in the same transaction as the change it reports (market.notifications.
services.notify), so a mail exists only if the change does. The scheduler then calls send_outbox,
which picks the pending mails (and failed ones still under the attempts allowed, once their
backoff is over), hands each to a sender and marks it sent or failed with the attempt counted;
the caller commits. A mail that keeps failing stays failed and is listed for administrators.

On PostgreSQL the rows are taken with FOR UPDATE SKIP LOCKED, so two senders running at once
split the work instead of sending a mail twice. Delivery is at least once: if the process dies
after the SMTP server accepted a mail but before the commit, that mail is sent again.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Protocol

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from market.db import utcnow
from market.notifications.models import OutboxEmail

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF = dt.timedelta(minutes=1)
BATCH_SIZE = 100
# Failures a retry may cure (a server down, a refused recipient, a header that cannot be encoded).
SEND_ERRORS = (smtplib.SMTPException, OSError, ValueError)
# What is left of a private mail's body (a one-time link) once it has gone out.
PRIVATE_BODY_SENT = "(removed once sent: it held a one-time link)"


class Sender(Protocol):
    def send(self, to_address: str, subject: str, body: str) -> None: ...


class SmtpSender:
    """Delivers through the SMTP server of MARKET_SMTP_HOST (one connection per mail)."""

    def __init__(self, host: str, port: int, from_address: str, timeout: float = 30.0) -> None:
        self.host, self.port, self.from_address, self.timeout = host, port, from_address, timeout

    def send(self, to_address: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = self.from_address
        message["To"] = to_address
        message["Subject"] = subject
        message.set_content(body)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            smtp.send_message(message)


class LogSender:
    """Without an SMTP server, mails are written to the log (never their body, which may be private)."""

    def send(self, to_address: str, subject: str, body: str) -> None:
        log.info("e-mail (no SMTP server configured) to %s: %s", to_address, subject)


def sender_from_config(config: Mapping) -> Sender:
    if config.get("SMTP_HOST"):
        return SmtpSender(
            config["SMTP_HOST"],
            config.get("SMTP_PORT", 25),
            config.get("MAIL_SENDER", "market@localhost"),
        )
    return LogSender()


def due_mails(batch_size: int = BATCH_SIZE, *, now: dt.datetime | None = None,
              max_attempts: int = MAX_ATTEMPTS):
    """Mails to send now, oldest first, locked; rows another sender holds are skipped. A failed
    mail is due again once its backoff is over, until its attempts run out."""
    now = now or utcnow()
    return (
        select(OutboxEmail)
        .where(or_(OutboxEmail.status == "pending",
                   and_(OutboxEmail.status == "failed", OutboxEmail.attempts < max_attempts)),
               or_(OutboxEmail.next_attempt_at.is_(None), OutboxEmail.next_attempt_at <= now))
        .order_by(OutboxEmail.id)
        .limit(batch_size)
        .with_for_update(skip_locked=True)
    )


def send_outbox(session: Session, sender: Sender, *, batch_size: int = BATCH_SIZE,
                now: dt.datetime | None = None, max_attempts: int = MAX_ATTEMPTS,
                backoff: dt.timedelta = BACKOFF) -> int:
    """Send the due mails through `sender`, mark each sent or failed, and say how many were sent.

    A failure waits `backoff` x 2^(attempts - 1) before the next try; after `max_attempts` the mail
    stays failed (given up), listed for administrators at GET /api/v1/outbox-emails.
    """
    now = now or utcnow()
    sent = 0
    for mail in session.scalars(due_mails(batch_size, now=now, max_attempts=max_attempts)).all():
        mail.attempts += 1
        try:
            sender.send(mail.to_address, mail.subject, mail.body)
        except SEND_ERRORS as exc:
            mail.status = "failed"
            mail.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            mail.next_attempt_at = now + backoff * 2 ** (mail.attempts - 1)
            final = " (giving up)" if mail.attempts >= max_attempts else ""
            log.warning("e-mail %s to %s failed on attempt %d%s: %s", mail.id, mail.to_address,
                        mail.attempts, final, mail.last_error)
        else:
            mail.status = "sent"
            mail.sent_at = now
            mail.last_error = None
            if mail.private:
                mail.body = PRIVATE_BODY_SENT
            sent += 1
    return sent
