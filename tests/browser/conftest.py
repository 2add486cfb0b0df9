"""Real Chromium against a real daphne, shared by every browser test.

One daphne (with its own migrated and seeded database) and one Chromium serve
the whole session; each test opens its own browser contexts, so cookies and
storage never leak between tests.
"""

import re
from pathlib import Path

import pytest

from tests.live_server import DEMO_PASSWORD, live_daphne

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
LAPTOP = {"viewport": {"width": 1366, "height": 800}}

# Quick exit must leave for a page this server answers, not the internet.
LIVE_SERVER_ENV = {
    "QUICK_EXIT_URL": "/healthz",
    # Every browser of the tests comes from 127.0.0.1.
    "CHAT_MAX_QUEUED_PER_ADDRESS": "100",
    "CHAT_STARTS_PER_MINUTE": "1000",
    "CHAT_STARTS_PER_HOUR": "10000",
}


# The demo operators serve every test of the session: a chat one test leaves without
# its wrap-up must not stop another test's operator from taking the next chat.
SETUP = (
    [
        "shell",
        "-c",
        "from helpline.models import Hotline; Hotline.objects.update(wrap_up_grace_seconds=3600)",
    ],
)


@pytest.fixture(scope="session")
def live_server_url():
    """Base URL of a daphne serving the helpline, e.g. http://127.0.0.1:PORT."""
    with live_daphne(setup=SETUP, **LIVE_SERVER_ENV) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def playwright_driver():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver):
    """Debian's Chromium, launched once per session."""
    chromium = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def new_context(browser, live_server_url):
    """Open browser contexts (closed after the test), relative URLs against the live server."""
    contexts = []

    def factory(**options):
        options.setdefault("base_url", live_server_url)
        options.setdefault("locale", "vi-VN")
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield factory
    for context in contexts:
        context.close()


@pytest.fixture
def login_as(new_context):
    """Return a page logged in as one of the demo staff, on a laptop-sized screen."""

    def factory(username: str, **options):
        context = new_context(**{**LAPTOP, **options})
        page = context.new_page()
        page.goto("/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", DEMO_PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_url(re.compile(r"^(?!.*/accounts/login/).*$"))
        return page

    return factory


AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"


def axe_violations(page, *, context: str | None = None) -> list[dict]:
    """What axe-core (vendored for the tests only) finds wrong on the page, WCAG 2.1 A and AA."""
    # Evaluated through the browser's debugging protocol, which the pages' strict
    # Content-Security-Policy does not govern: a <script> tag would be refused.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    return page.evaluate(
        """async (context) => {
            const result = await axe.run(context || document, {
                runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
            });
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(" ")),
            }));
        }""",
        context,
    )
