"""The inspector's pages in Chromium: the breach form's date-and-time field posts what the
browser shows, the 72-hour clock starts, and the pages pass axe under their CSP."""

import datetime
import re
import zoneinfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LAPTOP, axe_violations
from tests.browser.test_csp import violations, watch_for_violations
from tests.browser.test_signin import PASSWORD, app_code, log_in
from tests.live_server import live_daphne

pytestmark = pytest.mark.browser

# The demo staff have no inspector: this server adds one, as whoever runs the server would.
MAKE_INSPECTOR = (["create_staff", "--username=kiemtra", "--role=inspector"],)


@pytest.fixture(scope="module")
def inspection_server_url():
    with live_daphne(setup=MAKE_INSPECTOR, STAFF_PASSWORD=PASSWORD) as base_url:
        yield base_url


@pytest.fixture
def inspector_page(browser, inspection_server_url):
    """The inspector after their first login: the authenticator app enrolled, on /inspection/."""
    context = browser.new_context(base_url=inspection_server_url, locale="vi-VN", **LAPTOP)
    context.set_default_timeout(15_000)
    page = context.new_page()
    log_in(page, "kiemtra")
    page.wait_for_url(re.compile(r"/accounts/enrol/"))
    page.fill("#id_code", app_code(page.locator("#totp-key").inner_text()))
    page.get_by_role("button", name="Xác nhận và bật").click()
    page.get_by_role("link", name="Tôi đã cất giữ các mã, tiếp tục").click()
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
