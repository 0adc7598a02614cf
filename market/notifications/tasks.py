"""Sending the e-mail outbox: queued mails go out after their transaction committed, at most once.

The outbox is written in the same transaction as the change it reports (market.notifications.
services.notify), so a mail exists only if the change does. The scheduler then calls send_outbox,
which takes the pending mails (and failed ones still under the attempts allowed, once their
backoff is over) one at a time, in three commits each:

1. claim: the mail becomes ``sending`` with its attempt counted and committed (on PostgreSQL the
   row is taken with FOR UPDATE SKIP LOCKED, so two senders never take one mail);
2. send: the mail is handed to the SMTP server;
3. mark: ``sent``, or ``failed`` with the error and a backoff when the server refused it.

A process killed between 1 and 3 leaves the mail ``sending``: whether the server accepted it
cannot be known. A later run does not send it again: once it has been sending for longer than
SENDING_STALE it is marked ``unknown``, with why, and listed for administrators at
GET /api/v1/outbox-emails?status=unknown. At most once beats at least once here: a mail that may
have gone out once is a question for an administrator, the same award notice or one-time link
sent twice is a confusion for its recipient that cannot be taken back. A sender that raises an
unexpected error (not a refusal) is treated the same way at once: it may have delivered.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Protocol

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from market.db import utcnow
from market.notifications.models import OutboxEmail

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF = dt.timedelta(minutes=1)
BATCH_SIZE = 100
# Failures a retry may cure (a server down, a refused recipient, a header that cannot be encoded).
SEND_ERRORS = (smtplib.SMTPException, OSError, ValueError)
# A mail sending for longer than this was left by a sender that died (an SMTP conversation ends
# within the sender's timeout); it is marked unknown, never sent again.
SENDING_STALE = dt.timedelta(minutes=10)
UNKNOWN_ERROR = ("the sender stopped while handing it to the SMTP server: it may have been "
                 "delivered, so it is not sent again")
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
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            smtp.send_message(message)
        finally:
            # Once the server said it queued the mail, a failure to say goodbye is no failure to
            # send: raising it would have the mail tried again, and delivered twice.
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()


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


def mark_abandoned(session: Session, *, now: dt.datetime, stale: dt.timedelta = SENDING_STALE) -> int:
    """Mails left sending by a sender that died become unknown (for an administrator), not pending."""
    mails = session.scalars(
        select(OutboxEmail)
        .where(OutboxEmail.status == "sending", OutboxEmail.claimed_at <= now - stale)
        .with_for_update(skip_locked=True)
    ).all()
    for mail in mails:
        mail.status, mail.last_error = "unknown", UNKNOWN_ERROR
    return len(mails)


def _claim_next(session: Session, *, now: dt.datetime, max_attempts: int) -> OutboxEmail | None:
    """The next due mail, made `sending` with its attempt counted (the caller commits). The update
    names the state it was read in, so a sender that read it too (SQLite has no row locks) and
    lost the race finds nothing to claim and moves on."""
    while (mail := session.scalars(due_mails(1, now=now, max_attempts=max_attempts)).first()):
        claimed = session.execute(
            update(OutboxEmail)
            .where(OutboxEmail.id == mail.id, OutboxEmail.status == mail.status,
                   OutboxEmail.attempts == mail.attempts)
            .values(status="sending", claimed_at=now, attempts=OutboxEmail.attempts + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
        session.refresh(mail)
        if claimed == 1:
            return mail
    return None


def send_outbox(session: Session, sender: Sender, *, batch_size: int = BATCH_SIZE,
                now: dt.datetime | None = None, max_attempts: int = MAX_ATTEMPTS,
                backoff: dt.timedelta = BACKOFF, stale: dt.timedelta = SENDING_STALE) -> int:
    """Send up to `batch_size` due mails through `sender`, each at most once, and say how many
    were sent. It commits (claim, then outcome, per mail): the claim is what makes a mail go out
    at most once, so it cannot wait for the caller.

    A refused mail waits `backoff` x 2^(attempts - 1) before the next try; after `max_attempts` it
    stays failed (given up), listed for administrators at GET /api/v1/outbox-emails.
    """
    now = now or utcnow()
    abandoned = mark_abandoned(session, now=now, stale=stale)
    if abandoned:
        log.error("%d e-mail(s) left sending by a sender that stopped are marked unknown, not "
                  "sent again", abandoned)
    session.commit()
    sent = 0
    for _ in range(batch_size):
        mail = _claim_next(session, now=now, max_attempts=max_attempts)
        if mail is None:
            break
        session.commit()
        try:
            sender.send(mail.to_address, mail.subject, mail.body)
        except SEND_ERRORS as exc:
            mail.status = "failed"
            mail.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            mail.next_attempt_at = now + backoff * 2 ** (mail.attempts - 1)
            final = " (giving up)" if mail.attempts >= max_attempts else ""
            log.warning("e-mail %s to %s failed on attempt %d%s: %s", mail.id, mail.to_address,
                        mail.attempts, final, mail.last_error)
        # Anything else may have happened after the server took the mail: it is not tried again.
        except Exception as exc:
            mail.status = "unknown"
            mail.last_error = f"{UNKNOWN_ERROR} ({type(exc).__name__}: {exc})"[:2000]
            session.commit()
            raise
        else:
            mail.status = "sent"
            mail.sent_at = now
            mail.last_error = None
            if mail.private:
                mail.body = PRIVATE_BODY_SENT
            sent += 1
        session.commit()
    return sent
