"""The pages work in real Chromium under their Content-Security-Policy: nothing is blocked.

Chromium reports each blocked script, style, image or connection on the console
and as a securitypolicyviolation event; the tests collect both.
"""

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

LISTEN_FOR_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


def watch_for_violations(page: Page) -> list[str]:
    """Collect every CSP violation the page reports from now on."""
    found: list[str] = []

    def on_console(message) -> None:
        if "Content Security Policy" in message.text:
            found.append(message.text)

    page.on("console", on_console)
    page.add_init_script(LISTEN_FOR_VIOLATIONS)
    return found


def violations(page: Page, console: list[str]) -> list[str]:
    return console + page.evaluate("window.cspViolations || []")


def test_it_runs_the_administrators_pages_and_their_scripts(login_as):
    admin = login_as("admin")
    console = watch_for_violations(admin)

    # Administrators delete nothing, so no list has bulk actions; the list itself must work.
    admin.goto("/admin/helpline/user/")
    expect(admin.locator("#result_list")).to_be_visible()
    assert violations(admin, console) == []

    # nav_sidebar.js: the sidebar folds away and its filter narrows the models.
    admin.goto("/admin/helpline/hotline/")
    admin.locator("#toggle-nav-sidebar").click()
    expect(admin.locator("#main")).not_to_have_class(re.compile(r"\bshifted\b"))
    admin.locator("#toggle-nav-sidebar").click()
    expect(admin.locator("#main")).to_have_class(re.compile(r"\bshifted\b"))
    admin.locator("#nav-filter").fill("zzz-matches-nothing")
    expect(admin.locator("#nav-sidebar tr.model-hotline")).to_be_hidden()
    assert violations(admin, console) == []

    admin.goto("/admin/helpline/hotline/")
    admin.locator("#result_list tbody th a").first.click()
    expect(admin.locator("form#hotline_form")).to_be_visible()
    # The stylesheet applied: the admin's header has its coloured background.
    background = admin.locator("#header").evaluate("e => getComputedStyle(e).backgroundColor")
    assert background not in ("", "rgba(0, 0, 0, 0)")
    assert violations(admin, console) == []


def test_it_runs_the_staff_pages_without_a_blocked_resource(login_as):
    operator = login_as("op_hanoi")
    console = watch_for_violations(operator)

    for path in ("/", "/cases/", "/cases/new/", "/canned/", "/console/"):
        operator.goto(path)
        operator.wait_for_load_state("load")
    expect(operator.locator("#connection")).to_have_class(re.compile(r"\bok\b"))
    assert violations(operator, console) == []


def test_it_runs_the_youth_chat_without_a_blocked_resource(new_context):
    youth = new_context().new_page()
    console = watch_for_violations(youth)

    youth.goto("/chat/")
    youth.get_by_role("button", name="Bắt đầu trò chuyện").click()
    expect(youth.locator("#status")).to_have_class(re.compile(r"\bwaiting\b"))
    assert violations(youth, console) == []
