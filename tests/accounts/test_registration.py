"""Annotation firms join by themselves: register, confirm the e-mail, wait as a pending vendor."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from market.accounts.models import User
from market.notifications.models import Notification, OutboxEmail
from market.organizations.credit_code import make_credit_code
from market.organizations.models import Organization
from tests.accounts.conftest import token_in
from tests.conftest import assert_error

PASSWORD = "our-firm-secret-1"


def _registration(code=None, email="founder@zhubiao.example.cn", **organization):
    return {
        "organization": {"name": "贵州筑标数据科技有限公司",
                         "credit_code": code or make_credit_code("91520115MA6HXXXX0"),
                         "province": "贵州省", "city": "贵阳市", "county": "观山湖区", **organization},
        "user": {"name": "张敏", "email": email, "password": PASSWORD, "locale": "zh"},
    }


def _login(api, email, password=PASSWORD):
    return api.post("/api/v1/auth/tokens", json={"email": email, "password": password})


def _counts(db_session):
    return (db_session.scalar(select(func.count(Organization.id))),
            db_session.scalar(select(func.count(User.id))),
            db_session.scalar(select(func.count(OutboxEmail.id))))


def test_a_firm_registers_confirms_and_waits_as_a_pending_vendor_with_coordinators_told(
    api, actors, db_session, mailbox
):
    coordinator = actors.coordinator
    registered = api.post("/api/v1/registrations", json=_registration())
    assert registered.status_code == 201, registered.text
    body = registered.json()
    org_id = body["organization"]["id"]
    assert body["organization"]["kind"] == "vendor"
    assert body["organization"]["vendor_profile"]["verification_status"] == "pending"
    assert body["user"]["role"] == "vendor" and body["user"]["active"] is False
    refused = assert_error(_login(api, "founder@zhubiao.example.cn"), 401)  # not before confirming
    assert refused["message"].startswith("Confirm your e-mail address first")
    wrong = assert_error(_login(api, "founder@zhubiao.example.cn", password="not-the-password"), 401)
    assert wrong["message"] == "E-mail or password is wrong."  # the state only for who knows the password

    assert mailbox.deliver(db_session) == 1
    (mail,) = mailbox.to("founder@zhubiao.example.cn")
    assert mail.subject == "请确认您的邮箱" and "/registrations/confirm?token=" in mail.body
    confirmed = api.post("/api/v1/registrations/confirm", json={"token": token_in(mail.body)})
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["active"] is True

    token = _login(api, "founder@zhubiao.example.cn").json()["token"]
    edited = api.patch(f"/api/v1/organizations/{org_id}", token=token,
                       json={"vendor_profile": {"seats": 40, "headcount": 45}})
    assert edited.status_code == 200, edited.text
    assert edited.json()["vendor_profile"]["verification_status"] == "pending"
    told = db_session.scalars(select(Notification).where(Notification.recipient_id == coordinator.id)).all()
    assert [(n.kind, n.payload["vendor_id"]) for n in told] == [("vendor.registered", org_id)]
    mailbox.deliver(db_session)
    assert any(m.subject == "新企业注册待审核" for m in mailbox.to(coordinator.email))
    verified = api.post(f"/api/v1/organizations/{org_id}/verify", token=actors.token(coordinator),
                        json={"reason": "营业执照核验通过"})
    assert verified.status_code == 200, verified.text


def test_a_confirmation_link_works_once(api, db_session, mailbox):
    api.post("/api/v1/registrations", json=_registration())
    mailbox.deliver(db_session)
    token = token_in(mailbox.received[0].body)
    assert api.post("/api/v1/registrations/confirm", json={"token": token}).status_code == 200
    assert_error(api.post("/api/v1/registrations/confirm", json={"token": token}), 422, "token")


def test_an_expired_confirmation_link_is_refused(api, db_session, mailbox, settings):
    settings(email_confirmation_ttl=dt.timedelta(seconds=-1))
    api.post("/api/v1/registrations", json=_registration())
    mailbox.deliver(db_session)
    token = token_in(mailbox.received[0].body)
    assert_error(api.post("/api/v1/registrations/confirm", json={"token": token}), 422, "token")
    assert_error(_login(api, "founder@zhubiao.example.cn"), 401)


def test_a_password_reset_token_does_not_confirm_a_registration(api, actors, db_session, mailbox):
    api.post("/api/v1/password-reset", json={"email": actors.vendor.email})
    mailbox.deliver(db_session)
    token = token_in(mailbox.received[0].body)
    assert_error(api.post("/api/v1/registrations/confirm", json={"token": token}), 422, "token")


def test_a_bad_credit_code_is_422_and_nothing_is_stored(api, db_session):
    before = _counts(db_session)
    code = make_credit_code("91520115MA6HXXXX0")
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    assert_error(api.post("/api/v1/registrations", json=_registration(wrong)), 422, "organization.credit_code")
    assert _counts(db_session) == before


def test_a_taken_credit_code_or_email_is_422_on_the_field_and_nothing_is_stored(api, actors, factories, db_session):
    from tests.factories import VendorFactory

    firm, user = VendorFactory(), actors.agency
    before = _counts(db_session)
    both = assert_error(api.post("/api/v1/registrations", json=_registration(firm.credit_code.lower(),
                                                                             user.email.upper())),
                        422, "organization.credit_code", "user.email")
    assert firm.name not in str(both)  # says the code is taken, not by whom
    assert_error(api.post("/api/v1/registrations", json=_registration(email=user.email)), 422, "user.email")
    assert _counts(db_session) == before


def test_missing_and_unknown_fields_are_422_on_their_path(api):
    body = _registration()
    del body["user"]["password"]
    body["organization"]["kind"] = "agency"  # agencies are created by administrators only
    assert_error(api.post("/api/v1/registrations", json=body), 422, "user.password", "organization.kind")


def test_registrations_from_one_address_are_throttled(api, settings):
    settings(public_requests_per_address=1)
    assert api.post("/api/v1/registrations", json=_registration()).status_code == 201
    second = _registration(make_credit_code("91520115MA6HYYYY0"), "other@example.cn")
    assert_error(api.post("/api/v1/registrations", json=second), 429)


def test_a_lost_or_expired_link_is_sent_again_and_the_new_one_confirms(api, db_session, mailbox, settings):
    settings(email_confirmation_ttl=dt.timedelta(seconds=-1))
    api.post("/api/v1/registrations", json=_registration())
    settings(email_confirmation_ttl=dt.timedelta(hours=48))
    resent = api.post("/api/v1/registrations/resend", json={"email": "Founder@zhubiao.example.cn"})
    assert resent.status_code == 202, resent.text
    assert mailbox.deliver(db_session) == 2
    expired, fresh = (token_in(mail.body) for mail in mailbox.to("founder@zhubiao.example.cn"))
    assert_error(api.post("/api/v1/registrations/confirm", json={"token": expired}), 422, "token")
    assert api.post("/api/v1/registrations/confirm", json={"token": fresh}).status_code == 200
    assert _login(api, "founder@zhubiao.example.cn").status_code == 201


def test_a_link_is_sent_again_only_for_a_registration_never_confirmed_with_the_same_answer(
    api, actors, db_session, mailbox
):
    api.post("/api/v1/registrations", json=_registration())
    mailbox.deliver(db_session)
    api.post("/api/v1/registrations/confirm", json={"token": token_in(mailbox.received[0].body)})
    answers = [api.post("/api/v1/registrations/resend", json={"email": email})
               for email in ("founder@zhubiao.example.cn", actors.vendor.email, "nobody@example.cn")]
    assert {a.status_code for a in answers} == {202}
    assert len({a.text for a in answers}) == 1
    assert mailbox.deliver(db_session) == 0
