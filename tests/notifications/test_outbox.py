"""Sending the e-mail outbox: each mail once, failures counted and retried, no body in the log."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import threading

import pytest
from sqlalchemy import select

from market.db import utcnow
from market.notifications import tasks
from market.notifications.models import OutboxEmail
from market.notifications.tasks import LogSender, SmtpSender, send_outbox, sender_from_config
from tests.fresh_database import fresh_database


class RecordingSender:
    def __init__(self, fail_for: set[str] | None = None, error: Exception | None = None):
        self.sent: list[tuple[str, str, str]] = []
        self.fail_for = fail_for or set()
        self.error = error or smtplib.SMTPRecipientsRefused({})

    def send(self, to_address, subject, body):
        if to_address in self.fail_for:
            raise self.error
        self.sent.append((to_address, subject, body))


def queue(session, *addresses):
    mails = [OutboxEmail(to_address=a, subject="新的标注需求已发布", body=f"order_id: {i}")
             for i, a in enumerate(addresses)]
    session.add_all(mails)
    session.flush()
    return mails


def test_pending_mails_are_sent_once_and_marked_sent(db_session):
    mails = queue(db_session, "a@example.cn", "b@example.cn")
    sender = RecordingSender()
    assert send_outbox(db_session, sender) == 2
    assert send_outbox(db_session, sender) == 0
    assert [to for to, _subject, _body in sender.sent] == ["a@example.cn", "b@example.cn"]
    for mail in mails:
        assert mail.status == "sent" and mail.attempts == 1 and mail.sent_at is not None


def test_a_failed_mail_is_marked_failed_with_its_attempt_and_error(db_session):
    ok, bad = queue(db_session, "ok@example.cn", "bad@example.cn")
    sender = RecordingSender(
        fail_for={"bad@example.cn"}, error=ConnectionRefusedError("server down")
    )
    assert send_outbox(db_session, sender) == 1
    assert ok.status == "sent"
    assert bad.status == "failed" and bad.attempts == 1 and bad.sent_at is None
    assert "ConnectionRefusedError" in bad.last_error and "server down" in bad.last_error


def test_a_failed_mail_is_retried_after_its_backoff_until_it_goes_out(db_session):
    (mail,) = queue(db_session, "later@example.cn")
    now = utcnow()
    assert send_outbox(db_session, RecordingSender(fail_for={"later@example.cn"}), now=now) == 0
    assert mail.next_attempt_at == now + tasks.BACKOFF
    assert send_outbox(db_session, RecordingSender(), now=now + tasks.BACKOFF / 2) == 0, "too soon"
    assert send_outbox(db_session, RecordingSender(), now=now + tasks.BACKOFF) == 1
    assert mail.status == "sent" and mail.attempts == 2 and mail.last_error is None


def test_the_backoff_doubles_and_a_mail_that_keeps_failing_is_given_up(db_session):
    (mail,) = queue(db_session, "never@example.cn")
    sender = RecordingSender(fail_for={"never@example.cn"})
    now, waits = utcnow(), []
    for _ in range(tasks.MAX_ATTEMPTS + 2):
        send_outbox(db_session, sender, now=now)
        if mail.next_attempt_at > now:
            waits.append(mail.next_attempt_at - now)
            now = mail.next_attempt_at
    assert mail.status == "failed" and mail.attempts == tasks.MAX_ATTEMPTS
    assert waits == [tasks.BACKOFF * 2 ** n for n in range(tasks.MAX_ATTEMPTS)]


def test_administrators_see_the_mails_given_up_with_their_error(api, actors, db_session):
    (mail,) = queue(db_session, "never@example.cn")
    mail.status, mail.attempts, mail.last_error = "failed", 5, "SMTPRecipientsRefused: {}"
    queue(db_session, "fine@example.cn")
    db_session.flush()
    listed = api.get("/api/v1/outbox-emails", params={"status": "failed"},
                     token=actors.token(actors.admin)).json()["items"]
    assert [(m["id"], m["attempts"], m["last_error"]) for m in listed] == [
        (mail.id, 5, "SMTPRecipientsRefused: {}")]
    assert "body" not in listed[0]
    for role in ("coordinator", "vendor", "agency"):
        response = api.get("/api/v1/outbox-emails", token=actors.token(getattr(actors, role)))
        assert response.status_code == 403


def test_only_a_batch_is_sent_per_run(db_session):
    queue(db_session, *(f"u{i}@example.cn" for i in range(5)))
    sender = RecordingSender()
    assert send_outbox(db_session, sender, batch_size=3) == 3
    assert send_outbox(db_session, sender, batch_size=3) == 2


def test_without_smtp_mails_are_logged_without_their_body(caplog):
    caplog.set_level(logging.INFO, logger="market.notifications.tasks")
    sender = sender_from_config({"SMTP_HOST": None})
    assert isinstance(sender, LogSender)
    sender.send("a@example.cn", "中标通知", "secret terms: 0.35 CNY per box")
    assert "a@example.cn" in caplog.text and "中标通知" in caplog.text
    assert "secret terms" not in caplog.text


def test_with_an_smtp_host_mails_go_to_that_server(monkeypatch):
    delivered = []

    class FakeSMTP:
        def __init__(self, host, port, timeout):
            self.address = (host, port)

        def send_message(self, message):
            delivered.append((self.address, message))

        def quit(self):
            pass

    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    sender = sender_from_config({"SMTP_HOST": "mail.example.cn", "SMTP_PORT": 2525,
                                 "MAIL_SENDER": "market@example.cn"})
    assert isinstance(sender, SmtpSender)
    sender.send("a@example.cn", "中标通知 / Your bid was awarded", "order_id: 7")
    (address, message), = delivered
    assert address == ("mail.example.cn", 2525)
    assert message["From"] == "market@example.cn" and message["To"] == "a@example.cn"
    assert message["Subject"] == "中标通知 / Your bid was awarded"
    assert message.get_content().strip() == "order_id: 7"


@pytest.mark.postgres_only
def test_two_senders_at_once_never_send_one_mail_twice(database_url, tmp_path):
    """Row locks with SKIP LOCKED: the second sender skips what the first is sending."""
    from sqlalchemy.orm import Session

    from market.db import make_engine

    with fresh_database(database_url, tmp_path) as url:
        engine = make_engine(url)
        try:
            with Session(engine) as setup:
                queue(setup, *(f"user{i}@example.cn" for i in range(20)))
                setup.commit()
            first, second = RecordingSender(), RecordingSender()
            with Session(engine) as one, Session(engine) as two:
                assert send_outbox(one, first, batch_size=12) == 12
                # `one` claimed and committed its 12, so `two` takes only the other 8.
                assert send_outbox(two, second) == 8
                one.commit()
                two.commit()
            with Session(engine) as check:
                assert send_outbox(check, RecordingSender()) == 0
                statuses = check.scalars(select(OutboxEmail.status)).all()
            addresses = [to for to, _s, _b in first.sent + second.sent]
            assert sorted(addresses) == sorted(f"user{i}@example.cn" for i in range(20))
            assert set(statuses) == {"sent"}
        finally:
            engine.dispose()


@pytest.mark.postgres_only
def test_concurrent_senders_in_threads_send_each_mail_exactly_once(database_url, tmp_path):
    from sqlalchemy.orm import Session

    from market.db import make_engine

    with fresh_database(database_url, tmp_path) as url:
        engine = make_engine(url)
        try:
            with Session(engine) as setup:
                queue(setup, *(f"crowd{i}@example.cn" for i in range(60)))
                setup.commit()
            senders = [RecordingSender() for _ in range(4)]
            barrier = threading.Barrier(len(senders))

            def work(sender):
                barrier.wait()
                for _ in range(5):
                    with Session(engine) as session:
                        send_outbox(session, sender, batch_size=7)
                        session.commit()

            threads = [threading.Thread(target=work, args=(s,)) for s in senders]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            rest = RecordingSender()  # whatever a run found locked by the others and skipped
            with Session(engine) as session:
                send_outbox(session, rest)
                session.commit()
            addresses = [to for s in senders + [rest] for to, _s, _b in s.sent]
            assert len(addresses) == len(set(addresses)) == 60
            assert sum(bool(s.sent) for s in senders) >= 2, "the senders really ran side by side"
        finally:
            engine.dispose()


class CrashingSender(RecordingSender):
    """Hands the mail over, then dies before it can say so (as a process killed at that moment)."""

    def send(self, to_address, subject, body):
        super().send(to_address, subject, body)
        raise RuntimeError("killed after the server accepted it")


def test_a_mail_is_claimed_as_sending_and_committed_before_it_is_handed_over(db_session):
    (mail,) = queue(db_session, "seen@example.cn")
    seen = []

    class Watching:
        def send(self, to_address, subject, body):
            # What a second sender (or a restarted one) would find while this one is sending.
            db_session.refresh(mail)
            seen.append((mail.status, mail.attempts, mail.claimed_at is not None))

    assert send_outbox(db_session, Watching()) == 1
    assert seen == [("sending", 1, True)]
    assert mail.status == "sent"


def test_a_mail_whose_sender_dies_after_delivering_is_never_sent_twice(db_session):
    (mail,) = queue(db_session, "once@example.cn")
    crashing, later = CrashingSender(), RecordingSender()
    now = utcnow()
    with pytest.raises(RuntimeError):
        send_outbox(db_session, crashing, now=now)
    assert mail.status == "unknown" and "may have been delivered" in mail.last_error
    for minutes in (1, 60, 24 * 60):
        assert send_outbox(db_session, later, now=now + dt.timedelta(minutes=minutes)) == 0
    assert [to for to, _s, _b in crashing.sent] == ["once@example.cn"] and later.sent == []
    assert mail.status == "unknown" and mail.attempts == 1


def test_a_mail_left_sending_by_a_killed_sender_is_marked_unknown_not_resent(db_session):
    """As after SIGKILL between the claim and the mark: the row says sending, nobody is sending."""
    (mail,) = queue(db_session, "killed@example.cn")
    now = utcnow()
    mail.status, mail.attempts, mail.claimed_at = "sending", 1, now
    db_session.flush()
    sender = RecordingSender()
    # A sender still within its SMTP timeout may be busy with it: it is left alone.
    assert send_outbox(db_session, sender, now=now + tasks.SENDING_STALE / 2) == 0
    assert mail.status == "sending"
    assert send_outbox(db_session, sender, now=now + tasks.SENDING_STALE) == 0
    assert mail.status == "unknown" and "not sent again" in mail.last_error
    assert sender.sent == []


def test_administrators_see_the_mails_of_unknown_fate(api, actors, db_session):
    (mail,) = queue(db_session, "maybe@example.cn")
    with pytest.raises(RuntimeError):
        send_outbox(db_session, CrashingSender())
    listed = api.get("/api/v1/outbox-emails", params={"status": "unknown"},
                     token=actors.token(actors.admin)).json()["items"]
    assert [(m["id"], m["status"]) for m in listed] == [(mail.id, "unknown")]
    assert "may have been delivered" in listed[0]["last_error"]


def test_a_goodbye_that_fails_after_the_server_queued_the_mail_is_no_failure(monkeypatch, db_session):
    """The server said 250 to the mail and then broke off: the mail went, so it is sent, once."""
    delivered, closed = [], []

    class RudeSMTP:
        def __init__(self, host, port, timeout):
            pass

        def send_message(self, message):
            delivered.append(message["To"])

        def quit(self):
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

        def close(self):
            closed.append(True)

    monkeypatch.setattr(smtplib, "SMTP", RudeSMTP)
    (mail,) = queue(db_session, "rude@example.cn")
    sender = SmtpSender("mail.example.cn", 25, "market@example.cn")
    assert send_outbox(db_session, sender) == 1
    assert send_outbox(db_session, sender) == 0
    assert delivered == ["rude@example.cn"] and closed == [True]
    assert mail.status == "sent"
