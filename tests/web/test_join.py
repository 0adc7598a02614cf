"""Joining and getting back in through the pages: the links the e-mails send open here."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from market.accounts.models import User
from market.notifications.models import OutboxEmail
from market.organizations.credit_code import make_credit_code
from market.organizations.models import Organization


def _link(db_session, address: str, path: str) -> str:
    body = db_session.scalars(select(OutboxEmail.body).where(OutboxEmail.to_address == address)
                              .order_by(OutboxEmail.id.desc())).first()
    return re.search(rf"http://[^/\s]+({re.escape(path)}\?token=[A-Za-z0-9_-]+)", body).group(1)


def _firm(**overrides) -> dict:
    return {"organization.name": "贵州黔标数据科技有限公司",
            "organization.credit_code": make_credit_code("91520115MA6HYYYY0"),
            "organization.province": "贵州省", "organization.city": "铜仁市",
            "user.name": "王芳", "user.email": "wang@qianbiao.example.cn",
            "user.password": "our-firm-secret-2", **overrides}


def test_a_firm_registers_confirms_its_email_and_signs_in(browser, db_session):
    done = browser.submit("/register", "/register", _firm())
    assert done.status_code == 200 and "wang@qianbiao.example.cn" in done.text
    user = db_session.scalar(select(User).where(User.email == "wang@qianbiao.example.cn"))
    assert user.active is False and user.locale == "zh"
    assert user.organization.vendor_profile.verification_status == "pending"
    link = _link(db_session, user.email, "/registrations/confirm")
    page = browser.get(link)  # opening the link changes nothing by itself
    db_session.refresh(user)
    assert page.status_code == 200 and user.active is False
    token = link.split("token=")[1]
    confirmed = browser.post("/registrations/confirm", data={"csrf_token": browser.token(page), "token": token})
    assert confirmed.status_code == 302
    db_session.refresh(user)
    assert user.active is True
    signed_in = browser.submit("/login", "/login", {"email": user.email, "password": "our-firm-secret-2"})
    assert signed_in.status_code == 302


def test_a_bad_credit_code_is_shown_beside_its_field_and_nothing_is_stored(browser, db_session):
    before = db_session.scalar(select(func.count()).select_from(Organization))
    refused = browser.submit("/register", "/register", _firm(**{"organization.credit_code": "91520115MA6HYYYY0X"}))
    assert refused.status_code == 422 and 'id="error-organization.credit_code"' in refused.text
    assert db_session.scalar(select(func.count()).select_from(Organization)) == before


def test_a_used_confirmation_link_is_refused_on_the_page(browser, db_session):
    browser.submit("/register", "/register", _firm())
    link = _link(db_session, "wang@qianbiao.example.cn", "/registrations/confirm")
    token = link.split("token=")[1]
    page = browser.get(link)
    browser.post("/registrations/confirm", data={"csrf_token": browser.token(page), "token": token})
    again = browser.post("/registrations/confirm", data={"csrf_token": browser.token(page), "token": token})
    assert again.status_code in (404, 409, 422) and "error-summary" in again.text


def test_a_forgotten_password_is_reset_through_the_mailed_link(browser, actors, db_session):
    user = actors.vendor
    sent = browser.submit("/password-reset", "/password-reset", {"email": user.email})
    assert sent.status_code == 200 and "请查收邮件" in sent.text
    link = _link(db_session, user.email, "/password-reset")
    page = browser.get(link)
    assert 'name="new_password"' in page.text
    token = link.split("token=")[1]
    done = browser.post("/password-reset", data={"csrf_token": browser.token(page), "token": token,
                                                 "new_password": "a-brand-new-secret"})
    assert done.status_code == 302
    again = browser.submit("/login", "/login", {"email": user.email, "password": "a-brand-new-secret"})
    assert again.status_code == 302


def test_an_unknown_address_gets_the_same_answer(browser, db_session):
    sent = browser.submit("/password-reset", "/password-reset", {"email": "nobody@example.cn"})
    assert sent.status_code == 200
    assert db_session.scalar(select(func.count()).select_from(OutboxEmail)) == 0
