"""An administrator, in Chinese, finds an organisation, creates a user in it (after a mistake the
form points out), sees the tokens; the new user then signs in."""

from __future__ import annotations

from playwright.sync_api import expect

from market.demo.people import DEMO_PASSWORD

FIRM = "贵州筑数智标科技有限公司"  # the demo's verified firm (vendor@demo.market.cn)


def _sign_in(tab, email: str, password: str = DEMO_PASSWORD) -> None:
    tab.go("/login")
    page = tab.page
    page.get_by_label("电子邮箱", exact=True).fill(email)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出")).to_be_visible()


def test_an_admin_creates_a_user_who_can_then_sign_in(visit):
    tab = visit("admin")
    page = tab.page
    _sign_in(tab, "admin@demo.market.cn")
    page.get_by_role("link", name="系统管理").click()
    assert page.get_by_role("heading", level=1).inner_text() == "系统管理"
    tab.check("home")

    page.get_by_role("link", name="机构管理").first.click()
    tab.check("organisations")
    page.get_by_label("名称或统一社会信用代码", exact=True).fill("筑数")
    page.get_by_role("button", name="搜索").click()
    page.get_by_role("link", name=FIRM).click()
    assert page.get_by_role("heading", level=1).inner_text() == FIRM
    tab.check("organisation")
    page.get_by_role("link", name="返回机构列表").click()
    page.get_by_role("link", name="登记机构").click()
    page.get_by_label("机构名称", exact=True).fill("黔南州教育局")
    page.get_by_label("统一社会信用代码", exact=True).fill("11522700MB000000X0")
    page.get_by_role("button", name="登记", exact=True).click()
    expect(page.get_by_role("alert")).to_be_visible()
    tab.check("organisation-errors")

    page.get_by_role("link", name="用户管理").first.click()
    page.get_by_label("角色", exact=True).select_option("vendor")
    page.get_by_role("button", name="筛选").click()
    expect(page.get_by_role("cell", name="vendor@demo.market.cn")).to_be_visible()
    tab.check("users")
    page.get_by_role("link", name="新建或邀请用户").click()
    page.get_by_label("姓名", exact=True).fill("龙晓燕")
    page.get_by_label("电子邮箱", exact=True).fill("longxiaoyan@zhushu")  # the mistake
    page.get_by_label("所属单位", exact=True).select_option(label=f"{FIRM} (标注企业)")
    page.get_by_label("角色", exact=True).select_option("vendor")
    page.get_by_label("密码（可选）", exact=True).fill("longxiaoyan-2026")
    page.get_by_role("button", name="创建用户").click()
    summary = page.get_by_role("alert")
    expect(summary).to_be_visible()
    tab.check("user-errors")
    summary.get_by_role("link").first.click()
    assert page.evaluate("() => document.activeElement.id") == "field-email"
    page.get_by_label("电子邮箱", exact=True).fill("longxiaoyan@zhushu.example.cn")
    page.get_by_label("密码（可选）", exact=True).fill("longxiaoyan-2026")  # a password field is never refilled
    page.get_by_role("button", name="创建用户").click()
    assert page.get_by_role("status").inner_text().startswith("用户已创建")
    assert page.get_by_role("heading", level=1).inner_text() == "龙晓燕"
    tab.check("user")

    newcomer = visit("new-user")
    _sign_in(newcomer, "longxiaoyan@zhushu.example.cn", "longxiaoyan-2026")
    expect(newcomer.page.get_by_role("link", name=f"{FIRM} · 标注企业")).to_be_visible()
    newcomer.check("signed-in")

    page.get_by_role("link", name="返回用户列表").click()
    page.get_by_role("link", name="返回系统管理").click()
    page.get_by_role("link", name="API 令牌").click()
    expect(page.get_by_role("cell", name="龙晓燕").first).to_be_visible()
    tab.check("tokens")
