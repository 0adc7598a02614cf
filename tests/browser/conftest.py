"""Browser tests: Debian's Chromium driven by Playwright against the app on a loopback port, with
the demo programme's data, and axe-core checking every page for WCAG 2.1 A/AA violations.

The browser is never downloaded: Playwright is pointed at /usr/bin/chromium (the test command
installs the Debian package). Screenshots of each step go to MARKET_SCREENSHOTS (build/screenshots
by default), which the test command names at the end.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from market.demo.seed import seed_demo
from tests.fresh_database import fresh_app
from tests.loopback import serving

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("MARKET_CHROMIUM", "/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = Path(os.environ.get("MARKET_SCREENSHOTS", ROOT / "build" / "screenshots"))
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists() or not AXE.exists():
        pytest.fail(f"{CHROMIUM} or {AXE} is missing: run the tests through scripts/test, which installs them")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def site_app(database_url, tmp_path_factory):
    """An app of the module's own over a fresh database seeded with the demo programme.

    Not the per-test rollback: the live server answers on its own thread, and a shared test
    connection let a late page request (a favicon, a page's reload) cross the test thread's reads
    and jobs and break their savepoints. Here the server, the jobs and the test's reads each take a
    pooled connection and commit, as they do in production.
    """
    with fresh_app(database_url, tmp_path_factory.mktemp("browser")) as app:
        session = app.extensions["market.db"].sessionmaker()
        with app.app_context():
            seed_demo(session)
            session.commit()
        session.close()
        yield app


@pytest.fixture(scope="module")
def demo_site(site_app):
    """The module's app on a loopback port, one request at a time."""
    with serving(site_app) as base:
        yield base


class Visit:
    """One browser tab on the demo site: `go`, `check` (axe + a screenshot), and Playwright's page."""

    def __init__(self, page, base: str, name: str):
        self.page, self.base, self.name, self.step = page, base, name, 0
        self.console_errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))

    def go(self, path: str):
        response = self.page.goto(self.base + path)
        return response

    def check(self, label: str) -> None:
        """No WCAG 2.1 A/AA violation on the page as it is now, no CSP report; a screenshot."""
        self.step += 1
        self.page.wait_for_load_state()  # a click waits for the next page to commit, not to load
        SHOTS.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^a-z0-9]+", "-", f"{self.name}-{self.step:02d}-{label}".lower()).strip("-")
        self.page.screenshot(path=str(SHOTS / f"{slug}.png"), full_page=True)
        if not self.page.evaluate("() => typeof axe !== 'undefined'"):
            self.page.evaluate(AXE.read_text())
        result = self.page.evaluate(
            "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG
        )
        problems = [
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"]
        ]
        assert problems == [], f"{label}: {problems}"
        blocked = [e for e in self.console_errors if "Content Security Policy" in e]
        assert blocked == [], blocked


def sign_in(tab: Visit, email: str) -> None:
    """Sign in on the login page (checked) as `email` of the demo, with the demo's password."""
    from market.demo.people import DEMO_PASSWORD

    tab.go("/login")
    tab.check("login")
    page = tab.page
    page.get_by_label("电子邮箱", exact=True).fill(email)
    page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出")).to_be_visible()


@pytest.fixture
def visit(chromium, demo_site, request):
    def open_tab(name: str, locale: str = "zh-CN") -> Visit:
        context = chromium.new_context(locale=locale, viewport={"width": 1280, "height": 900})
        request.addfinalizer(context.close)
        return Visit(context.new_page(), demo_site, name)

    return open_tab


def pytest_sessionstart(session):
    if SHOTS.exists() and not os.environ.get("MARKET_KEEP_SCREENSHOTS"):
        shutil.rmtree(SHOTS, ignore_errors=True)
