"""The inspector's pages in Chromium: the breach form's date-and-time field posts what the
browser shows, the 72-hour clock starts, and the pages pass axe under their CSP."""

import datetime
import re
import zoneinfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LAPTOP, axe_violations
from tests.browser.test_csp import violations, watch_for_violations
from tests.live_server import DEMO_PASSWORD, live_daphne

pytestmark = pytest.mark.browser

# The demo staff have no inspector: this server adds one with the demo password (DEBUG only).
MAKE_INSPECTOR = [
    "shell",
    "-c",
    "from helpline.staff import staff_create; "
    f"staff_create(username='kiemtra', role='inspector', password='{DEMO_PASSWORD}', "
    "validate=False)",
]


@pytest.fixture(scope="module")
def inspection_server_url():
    with live_daphne(setup=(MAKE_INSPECTOR,)) as base_url:
        yield base_url


@pytest.fixture
def inspector_page(browser, inspection_server_url):
    context = browser.new_context(base_url=inspection_server_url, locale="vi-VN", **LAPTOP)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("#id_username", "kiemtra")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/inspection/$"))
    yield page
    context.close()


def test_it_records_a_breach_from_the_browser_and_starts_the_clock(inspector_page):
    page = inspector_page
    console = watch_for_violations(page)
    page.reload()
    assert axe_violations(page) == []
    page.get_by_role("link", name="Sổ theo dõi sự cố lộ lọt dữ liệu").click()
    page.fill("#id_description", "Một máy tính của tổng đài bị mất khi đang đăng nhập")
    # What the browser's own date-and-time picker holds, in the helpline's time: three hours ago.
    here = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
    discovered = datetime.datetime.now(here) - datetime.timedelta(hours=3)
    page.fill("#id_discovered_at", discovered.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Nội dung trò chuyện, tin nhắn").check()
    page.get_by_role("button", name="Ghi nhận và bắt đầu tính 72 giờ").click()
    page.wait_for_url(re.compile(r"/inspection/breaches/\d+/$"))
    expect(page.locator(".page-head .breach-clock")).to_have_attribute("data-state", "running")
    expect(page.locator(".page-head .breach-clock")).to_have_text(re.compile(r"Còn 6[89] giờ"))
    assert axe_violations(page) == []
    page.goto("/inspection/trail/case_events/")
    expect(page.get_by_role("button", name="Xuất CSV")).to_be_visible()
    assert axe_violations(page) == []
    assert violations(page, console) == []
