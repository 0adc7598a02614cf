"""The administrators' pages: organisations, users and API tokens, through the services the API calls."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from sqlalchemy import func, select

from market.accounts.models import ApiToken, User
from market.audit.models import AuditEvent
from market.db import utcnow
from market.notifications.models import OutboxEmail
from market.organizations.credit_code import make_credit_code
from market.organizations.models import Organization
from tests.accounts.conftest import token_in
from tests.factories import PASSWORD, OperatorFactory, OrganizationFactory, VendorFactory

# Words a Chinese page may show in Latin letters: the language switch, the footer's OpenAPI link,
# and the API's own names (in the hints of tokens).
LATIN_ALLOWED = {"English", "OpenAPI", "API"}


def _visible(page_html: str) -> str:
    """The text a reader meets: the page's text and its accessible labels, without markup."""
    labels = " ".join(re.findall(r'aria-label="([^"]*)"', page_html))
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", page_html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    return html.unescape(f"{text} {labels}")


def _latin_words(page_html: str, data: tuple[str, ...]) -> set[str]:
    text = _visible(page_html)
    for value in data:
        text = text.replace(value, " ")
    text = re.sub(r"\S+@\S+", " ", text)  # e-mail addresses are data
    return {w for w in re.findall(r"[A-Za-z]{3,}", text)} - LATIN_ALLOWED


def _chinese(page_html: str, data: tuple[str, ...]) -> list[str]:
    text = _visible(page_html).replace("中文", " ")
    for value in data:
        text = text.replace(value, " ")
    return re.findall(r"[\u4e00-\u9fff]+", text)


def _count(db_session, model) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def world(actors, factories, db_session):
    """An admin, a firm with a user, an agency, and a token each, as on a working day."""
    firm = VendorFactory(name="黔东数据标注有限公司", credit_code=make_credit_code("91520600MA6DDDDD0"))
    staff = actors.user("vendor", firm, name="刘洋", email="liu.yang@example.cn")
    actors.token(staff)
    actors.token(actors.agency)
    return firm, staff


def _pages(world) -> list[str]:
    firm, staff = world
    return ["/admin/", "/admin/organizations", "/admin/organizations/new", f"/admin/organizations/{firm.id}",
            "/admin/users", "/admin/users/new", f"/admin/users/{staff.id}", "/admin/tokens"]


def _data(world, actors) -> tuple[str, ...]:
    firm, staff = world
    names = [o.name for o in (firm, actors.agency.organization, actors.admin.organization)]
    people = [u.name for u in (staff, actors.agency, actors.admin)]
    return (*names, *people, firm.credit_code, actors.agency.organization.credit_code,
            actors.admin.organization.credit_code, "贵州省", "贵阳市", "观山湖区")


def test_every_admin_page_reads_in_chinese_with_nothing_left_in_english(browser, actors, world):
    browser.sign_in(actors.admin)
    for path in _pages(world):
        page = browser.get(path)
        assert page.status_code == 200, path
        data = (*_data(world, actors), *re.findall(r"mkt_[A-Za-z0-9_-]+", page.text))
        assert _latin_words(page.text, data) == set(), path


def test_every_admin_page_reads_in_english_with_no_chinese_left(english_browser, actors, world):
    english_browser.sign_in_in_english(actors.admin)
    for path in _pages(world):
        page = english_browser.get(path)
        assert page.status_code == 200, path
        assert _chinese(page.text, _data(world, actors)) == [], path


@pytest.mark.parametrize("role", ["coordinator", "agency", "vendor"])
def test_other_roles_may_not_open_or_post_the_admin_pages(browser, actors, world, role, db_session):
    firm, staff = world
    browser.sign_in(getattr(actors, role))
    for path in _pages(world):
        assert browser.get(path).status_code == 403, path
    token = browser.token(browser.get("/"))
    row = db_session.scalar(select(ApiToken).where(ApiToken.user_id == staff.id))
    for action, data in ((f"/admin/users/{staff.id}/active", {"active": "false"}),
                         (f"/admin/users/{staff.id}/revoke-tokens", {}),
                         (f"/admin/organizations/{firm.id}", {"name": "改名"}),
                         (f"/admin/tokens/{row.id}/revoke", {}),
                         ("/admin/users/new", {"name": "x", "email": "x@example.cn"})):
        assert browser.post(action, data={"csrf_token": token, **data}).status_code == 403, action
    db_session.refresh(staff)
    db_session.refresh(row)
    assert staff.active and row.revoked_at is None and firm.name == "黔东数据标注有限公司"


def test_the_signed_out_are_sent_to_sign_in(browser):
    response = browser.get("/admin/users")
    assert response.status_code == 302 and response.headers["Location"] == "/login?next=/admin/users"


def test_missing_objects_are_not_found(browser, actors, world):
    browser.sign_in(actors.admin)
    for path in ("/admin/organizations/999999", "/admin/users/999999"):
        assert browser.get(path).status_code == 404, path
    token = browser.token(browser.get("/admin/"))
    for action in ("/admin/tokens/999999/revoke", "/admin/users/999999/unlock",
                   "/admin/organizations/999999/active"):
        assert browser.post(action, data={"csrf_token": token, "active": "false"}).status_code == 404, action


def test_admins_see_the_admin_links_in_the_header_and_others_do_not(browser, actors, world):
    browser.sign_in(actors.admin)
    assert 'href="/admin/"' in browser.get("/").text
    other = type(browser)(browser.client.application)
    other.sign_in(actors.coordinator)
    assert 'href="/admin/' not in other.get("/").text


def test_signing_in_takes_an_admin_to_the_administration(browser, actors):
    response = browser.submit("/login", "/login", {"email": actors.admin.email, "password": PASSWORD})
    assert response.headers["Location"] == "/admin/"


def test_a_form_without_its_token_is_refused_and_changes_nothing(browser, actors, world, db_session):
    firm, staff = world
    browser.sign_in(actors.admin)
    before = _count(db_session, Organization)
    assert browser.post("/admin/organizations/new", data={"kind": "agency", "name": "无令牌机构"}).status_code == 400
    assert browser.post(f"/admin/users/{staff.id}/active", data={"active": "false"}).status_code == 400
    db_session.refresh(staff)
    assert _count(db_session, Organization) == before and staff.active


# --- organisations ---------------------------------------------------------------------------

def _agency_form(**overrides) -> dict:
    form = {"kind": "agency", "name": "铜仁市卫生健康委员会", "credit_code": make_credit_code("11520600MB1777770"),
            "province": "贵州省", "city": "铜仁市", "county": "碧江区", "contact_email": "wjw@tongren.example.cn",
            "sectors": ["health"]}
    return form | overrides


def test_an_admin_registers_an_agency_with_its_sectors(browser, actors, db_session):
    browser.sign_in(actors.admin)
    response = browser.submit("/admin/organizations/new", "/admin/organizations/new", _agency_form())
    assert response.status_code == 302, response.text
    org = db_session.scalar(select(Organization).where(Organization.name == "铜仁市卫生健康委员会"))
    assert (org.kind, org.city, org.sectors, org.status) == ("agency", "铜仁市", ["health"], "active")
    assert response.headers["Location"] == f"/admin/organizations/{org.id}"
    page = browser.get(response.headers["Location"])
    assert "机构已登记" in page.text and f"/admin/users/new?organization_id={org.id}" in page.text
    events = db_session.scalars(select(AuditEvent.actor_id).where(AuditEvent.action == "organization.created")).all()
    assert events == [actors.admin.id]


@pytest.mark.parametrize("kind", ["vendor", "operator"])
def test_an_admin_registers_a_firm_or_an_operator(browser, actors, db_session, kind):
    browser.sign_in(actors.admin)
    form = _agency_form(kind=kind, name=f"新{kind}", sectors=[])
    assert browser.submit("/admin/organizations/new", "/admin/organizations/new", form).status_code == 302
    org = db_session.scalar(select(Organization).where(Organization.name == f"新{kind}"))
    assert org.kind == kind and (org.vendor_profile is not None) == (kind == "vendor")


def test_a_bad_credit_code_is_shown_beside_its_field_and_nothing_is_stored(browser, english_browser, actors,
                                                                         db_session):
    code = make_credit_code("11520600MB1777770")
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    browser.sign_in(actors.admin)
    before = _count(db_session, Organization)
    refused = browser.submit("/admin/organizations/new", "/admin/organizations/new",
                             _agency_form(credit_code=wrong, name="  "))
    assert refused.status_code == 422
    assert 'id="error-credit_code"' in refused.text and 'href="#field-credit_code"' in refused.text
    assert 'id="error-name"' in refused.text
    assert f"校验码（最后一位）不正确；按前 17 位应为 {code[17]}" in refused.text
    assert "铜仁市" in refused.text  # what was typed stays
    english_browser.sign_in_in_english(actors.admin)  # the admin's choice: English from now on
    english = english_browser.submit("/admin/organizations/new", "/admin/organizations/new",
                                     _agency_form(credit_code="12345"))
    assert "Not a valid unified social credit code: must be exactly 18 characters." in english.text
    assert _count(db_session, Organization) == before


def test_a_firm_with_sectors_is_refused_beside_the_sectors(browser, actors, db_session):
    browser.sign_in(actors.admin)
    before = _count(db_session, Organization)
    refused = browser.submit("/admin/organizations/new", "/admin/organizations/new",
                             _agency_form(kind="vendor", sectors=["health"]))
    assert refused.status_code == 422 and 'id="error-sectors"' in refused.text and "只有需求方单位" in refused.text
    assert _count(db_session, Organization) == before


def test_a_credit_code_already_registered_is_409_beside_its_field(browser, actors, world, db_session):
    firm, _staff = world
    browser.sign_in(actors.admin)
    before = _count(db_session, Organization)
    refused = browser.submit("/admin/organizations/new", "/admin/organizations/new",
                             _agency_form(credit_code=firm.credit_code))
    assert refused.status_code == 409 and 'id="error-credit_code"' in refused.text and "已被注册" in refused.text
    assert _count(db_session, Organization) == before


def test_organisations_are_searched_by_name_credit_code_kind_and_status(browser, actors, world):
    firm, _staff = world
    gone = OrganizationFactory(name="已撤销的县教育局", status="deactivated", deactivated_at=utcnow())
    browser.sign_in(actors.admin)
    by_name = browser.get("/admin/organizations?q=黔东").text
    assert firm.name in by_name and actors.agency.organization.name not in by_name
    by_code = browser.get(f"/admin/organizations?q={firm.credit_code[-6:].lower()}").text
    assert firm.name in by_code and gone.name not in by_code
    vendors = browser.get("/admin/organizations?kind=vendor").text
    assert firm.name in vendors and actors.agency.organization.name not in vendors
    deactivated = browser.get("/admin/organizations?status=deactivated").text
    assert gone.name in deactivated and firm.name not in deactivated
    bad = browser.get("/admin/organizations?kind=alien")
    assert bad.status_code == 422 and 'id="error-kind"' in bad.text


def test_an_admin_edits_an_organisation_and_a_bad_edit_stores_nothing(browser, actors, world, db_session):
    firm, _staff = world
    browser.sign_in(actors.admin)
    page = f"/admin/organizations/{firm.id}"
    form = {"name": "黔东智能标注有限公司", "credit_code": firm.credit_code, "province": "贵州省",
            "city": "铜仁市", "county": "碧江区"}
    assert browser.submit(page, page, form).status_code == 302
    db_session.refresh(firm)
    assert (firm.name, firm.city) == ("黔东智能标注有限公司", "铜仁市")
    refused = browser.submit(page, page, {**form, "city": "", "contact_email": "not-an-address"})
    assert refused.status_code == 422 and 'id="error-contact_email"' in refused.text
    db_session.refresh(firm)
    assert firm.contact_email is None


def test_emptying_an_optional_field_of_an_organisation_clears_it(browser, actors, world, db_session):
    firm, _staff = world
    firm.contact_email = "info@qiandong.example.cn"
    db_session.flush()
    browser.sign_in(actors.admin)
    page = f"/admin/organizations/{firm.id}"
    form = {"name": firm.name, "credit_code": firm.credit_code, "province": "贵州省", "city": "贵阳市",
            "county": "", "contact_email": ""}
    assert browser.submit(page, page, form).status_code == 302
    db_session.refresh(firm)
    assert (firm.county, firm.contact_email, firm.city) == (None, None, "贵阳市")


def test_deactivating_an_organisation_signs_its_staff_out_and_reactivating_lets_them_in(
        app, browser, actors, db_session):
    agency_staff = actors.agency
    staff_browser = type(browser)(app)
    staff_browser.sign_in(agency_staff)
    assert staff_browser.get("/agency/").status_code == 200
    browser.sign_in(actors.admin)
    page = f"/admin/organizations/{agency_staff.organization_id}"
    off = browser.submit(page, f"{page}/active", {"active": "false"})
    assert off.status_code == 302
    assert "已停用" in browser.get(page).text
    assert staff_browser.get("/agency/").status_code == 302  # signed out
    refused = staff_browser.submit("/login", "/login", {"email": agency_staff.email, "password": PASSWORD})
    assert refused.status_code == 401
    assert browser.submit(page, f"{page}/active", {"active": "true"}).status_code == 302
    staff_browser.sign_in(agency_staff)


def test_a_verified_firm_is_not_deactivated_and_the_page_says_why(browser, actors, world, db_session):
    firm, _staff = world
    browser.sign_in(actors.admin)
    page = f"/admin/organizations/{firm.id}"
    refused = browser.submit(page, f"{page}/active", {"active": "false"})
    assert refused.status_code == 409
    assert 'id="error-status"' in refused.text and "须先由协调员暂停" in refused.text
    db_session.refresh(firm)
    assert firm.status == "active"


def test_an_admin_is_not_offered_to_deactivate_their_own_organisation(browser, actors):
    browser.sign_in(actors.admin)
    page = browser.get(f"/admin/organizations/{actors.admin.organization_id}")
    assert 'value="false"' not in page.text and "这是您所在的机构" in page.text


# --- users -----------------------------------------------------------------------------------

def test_users_are_filtered_by_role_and_organisation(browser, actors, world):
    firm, staff = world
    browser.sign_in(actors.admin)
    vendors = browser.get("/admin/users?role=vendor").text
    assert staff.email in vendors and actors.agency.email not in vendors
    in_firm = browser.get(f"/admin/users?organization_id={firm.id}").text
    assert staff.email in in_firm and actors.admin.email not in in_firm
    assert browser.get("/admin/users?role=king").status_code == 422


def test_an_admin_creates_a_user_with_a_password_who_then_signs_in(app, browser, actors, world, db_session):
    firm, _staff = world
    browser.sign_in(actors.admin)
    form = {"name": "周敏", "email": "zhou.min@example.cn", "organization_id": str(firm.id), "role": "vendor",
            "locale": "zh", "password": "zhou-min-secret"}
    created = browser.submit("/admin/users/new", "/admin/users/new", form)
    assert created.status_code == 302, created.text
    user = db_session.scalar(select(User).where(User.email == "zhou.min@example.cn"))
    assert (user.organization_id, user.role) == (firm.id, "vendor")
    newcomer = type(browser)(app)
    assert newcomer.submit("/login", "/login", {"email": "zhou.min@example.cn",
                                                "password": "zhou-min-secret"}).status_code == 302


def test_an_admin_invites_a_user_who_chooses_a_password_through_the_link(app, browser, actors, world,
                                                                         db_session):
    firm, _staff = world
    browser.sign_in(actors.admin)
    form = {"name": "吴迪", "email": "wu.di@example.cn", "organization_id": str(firm.id), "role": "vendor",
            "locale": "en"}
    created = browser.submit(f"/admin/users/new?organization_id={firm.id}", "/admin/users/new", form)
    assert created.status_code == 302, created.text
    assert "设置密码的链接" in browser.get(created.headers["Location"]).text
    mail = db_session.scalar(select(OutboxEmail).where(OutboxEmail.to_address == "wu.di@example.cn"))
    assert mail.subject == "You have an account on market" and mail.private
    invited = type(browser)(app)
    link = f"/password-reset?token={token_in(mail.body)}"
    chosen = invited.submit(link, "/password-reset", {"token": token_in(mail.body),
                                                      "new_password": "wu-di-own-secret"})
    assert chosen.status_code in (200, 302), chosen.text
    assert invited.submit("/login", "/login", {"email": "wu.di@example.cn",
                                               "password": "wu-di-own-secret"}).status_code == 302


@pytest.mark.parametrize("form, field", [
    ({"email": "not-an-address"}, "email"),
    ({"role": "agency"}, "organization_id"),  # an agency role in a firm: the organisation does not fit
    ({"password": "short"}, "password"),
    ({"organization_id": ""}, "organization_id"),
])
def test_a_bad_new_user_shows_the_error_beside_its_field_and_stores_nothing(browser, actors, world,
                                                                          db_session, form, field):
    firm, _staff = world
    browser.sign_in(actors.admin)
    before = _count(db_session, User)
    base = {"name": "郑好", "email": "zheng.hao@example.cn", "organization_id": str(firm.id), "role": "vendor",
            "locale": "zh"}
    refused = browser.submit("/admin/users/new", "/admin/users/new", {**base, **form})
    assert refused.status_code == 422
    assert f'id="error-{field}"' in refused.text and f'href="#field-{field}"' in refused.text
    assert _latin_words(refused.text, (*_data(world, actors), "zheng.hao@example.cn", "not-an-address")) == set()
    assert _count(db_session, User) == before
    assert _count(db_session, OutboxEmail) == 0


def test_a_taken_email_is_shown_beside_its_field(browser, actors, world, db_session):
    firm, staff = world
    browser.sign_in(actors.admin)
    refused = browser.submit("/admin/users/new", "/admin/users/new",
                             {"name": "重复", "email": staff.email.upper(), "organization_id": str(firm.id),
                              "role": "vendor", "locale": "zh"})
    assert refused.status_code == 409 and 'id="error-email"' in refused.text


def test_an_admin_changes_a_users_name_role_and_language(browser, actors, db_session):
    operator = OperatorFactory()
    colleague = actors.user("coordinator", operator, name="旧名")
    browser.sign_in(actors.admin)
    page = f"/admin/users/{colleague.id}"
    saved = browser.submit(page, page, {"name": "新名", "role": "admin", "locale": "en"})
    assert saved.status_code == 302
    db_session.refresh(colleague)
    assert (colleague.name, colleague.role, colleague.locale) == ("新名", "admin", "en")


def test_a_role_that_does_not_fit_the_organisation_is_shown_beside_the_role_and_changes_nothing(
        browser, english_browser, actors, world, db_session):
    _firm, staff = world
    browser.sign_in(actors.admin)
    page = f"/admin/users/{staff.id}"
    refused = browser.submit(page, page, {"name": "刘洋洋", "role": "coordinator", "locale": "zh"})
    assert refused.status_code == 422 and 'id="error-role"' in refused.text and "平台运营机构" in refused.text
    english_browser.sign_in_in_english(actors.admin)
    english = english_browser.submit(page, page, {"name": "刘洋洋", "role": "coordinator", "locale": "zh"})
    assert "This role does not fit the kind of organisation" in english.text
    db_session.refresh(staff)
    assert (staff.name, staff.role) == ("刘洋", "vendor")


def test_an_admin_keeps_their_own_admin_role(browser, actors):
    browser.sign_in(actors.admin)
    page = f"/admin/users/{actors.admin.id}"
    refused = browser.submit(page, page, {"name": actors.admin.name, "role": "coordinator", "locale": "zh"})
    assert refused.status_code == 409 and 'id="error-role"' in refused.text


def test_deactivating_a_user_signs_them_out_and_reactivating_lets_them_in(app, browser, actors, world,
                                                                          db_session):
    _firm, staff = world
    theirs = type(browser)(app)
    theirs.sign_in(staff)
    browser.sign_in(actors.admin)
    page = f"/admin/users/{staff.id}"
    assert browser.submit(page, f"{page}/active", {"active": "false"}).status_code == 302
    assert "已停用" in browser.get(page).text
    assert theirs.get("/account").status_code == 302
    assert theirs.submit("/login", "/login", {"email": staff.email, "password": PASSWORD}).status_code == 401
    assert browser.submit(page, f"{page}/active", {"active": "true"}).status_code == 302
    theirs.sign_in(staff)


def test_an_admin_does_not_deactivate_themselves_and_the_page_says_so(browser, actors):
    browser.sign_in(actors.admin)
    page = f"/admin/users/{actors.admin.id}"
    refused = browser.submit(page, f"{page}/active", {"active": "false"})
    assert refused.status_code == 409 and "不能停用自己的账号" in refused.text


def test_an_admin_unlocks_a_locked_account(browser, actors, world, db_session):
    _firm, staff = world
    staff.locked_at = utcnow()
    staff.locked_until = utcnow() + dt.timedelta(hours=1)
    db_session.flush()
    browser.sign_in(actors.admin)
    page = f"/admin/users/{staff.id}"
    assert "解除锁定" in browser.get(page).text
    assert browser.submit(page, f"{page}/unlock", {}).status_code == 302
    db_session.refresh(staff)
    assert staff.locked_until is None
    again = browser.submit(page, f"{page}/unlock", {})  # someone else unlocked it first
    assert again.status_code == 409 and "账号未被锁定" in again.text


def test_signing_a_user_out_everywhere_ends_their_page_sessions_and_tokens(app, browser, actors, world,
                                                                          db_session):
    _firm, staff = world
    theirs = type(browser)(app)
    theirs.sign_in(staff)
    assert theirs.get("/account").status_code == 200
    browser.sign_in(actors.admin)
    page = f"/admin/users/{staff.id}"
    assert browser.submit(page, f"{page}/revoke-tokens", {}).status_code == 302
    assert theirs.get("/account").status_code == 302
    live = db_session.scalar(select(func.count()).select_from(ApiToken).where(
        ApiToken.user_id == staff.id, ApiToken.revoked_at.is_(None)))
    assert live == 0


# --- API tokens ------------------------------------------------------------------------------

def test_the_tokens_overview_shows_who_when_and_revokes_one(app, browser, actors, world, db_session):
    _firm, staff = world
    theirs = type(browser)(app)
    theirs.sign_in(staff)
    row = db_session.scalars(select(ApiToken).where(ApiToken.user_id == staff.id, ApiToken.name == "web")).one()
    browser.sign_in(actors.admin)
    page = browser.get("/admin/tokens")
    assert row.prefix in page.text and staff.name in page.text and "页面登录" in page.text
    revoked = browser.submit("/admin/tokens", f"/admin/tokens/{row.id}/revoke", {"next": "/admin/tokens?live=true"})
    assert revoked.status_code == 302 and revoked.headers["Location"] == "/admin/tokens?live=true"
    assert theirs.get("/account").status_code == 302
    live = browser.get("/admin/tokens?live=true").text
    assert row.prefix not in live
    ended = browser.get("/admin/tokens?live=false").text
    assert row.prefix in ended and "已撤销" in ended
    assert browser.get("/admin/tokens?live=perhaps").status_code == 422
