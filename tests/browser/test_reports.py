"""The report pages in real Chromium: the yearly report of a central supervisor, axe clean."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, axe_violations

pytestmark = pytest.mark.browser


def leave_a_contact(new_context) -> None:
    """A young person starts a chat and quick-exits while queued: one abandoned contact."""
    youth = new_context(**PHONE).new_page()
    youth.goto("/chat/")
    youth.get_by_role("button", name="Bắt đầu trò chuyện").click()
    expect(youth.locator("#status")).to_have_class(re.compile(r"\bwaiting\b"))
    youth.keyboard.press("Escape")
    youth.keyboard.press("Escape")
    youth.wait_for_url(re.compile(r"/healthz$"))


def test_it_shows_a_central_supervisor_the_yearly_report_with_charts_and_passes_axe(
    new_context, login_as
):
    leave_a_contact(new_context)
    supervisor = login_as("sup_central")

    supervisor.get_by_role("navigation", name="Điều hướng chính").get_by_role(
        "link", name="Báo cáo"
    ).click()
    expect(supervisor.get_by_role("heading", level=1)).to_have_text("Báo cáo")
    assert axe_violations(supervisor) == []

    yearly = supervisor.get_by_role("link", name=re.compile(r"^Báo cáo năm: "))
    report_url = yearly.get_attribute("href")
    # The abandoned chat is recorded by the socket's last frame, just after the youth left.
    for _attempt in range(40):
        supervisor.goto(report_url)
        if supervisor.locator("svg.chart").count() > 0:
            break
        supervisor.wait_for_timeout(250)

    expect(supervisor.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Báo cáo năm"))
    expect(supervisor.get_by_role("img", name="Lượt liên hệ mỗi tuần, theo kênh")).to_be_visible()
    expect(
        supervisor.get_by_role("heading", name="Lượt liên hệ theo tỉnh/thành (tổng đài tiếp nhận)")
    ).to_be_visible()
    assert axe_violations(supervisor) == []
